/**
 * The JavaScript bound of `npm run load:compare`: a `node:net` responder that does not parse HTTP.
 * It counts `\r\n\r\n` in what arrives and writes one precomputed "Hello, World!" answer per
 * count, so it shows what Node's sockets cost with no HTTP work at all — the ceiling any
 * JavaScript HTTP server on this machine can approach, never a server to use (a body containing
 * `\r\n\r\n`, or one split across reads at the wrong byte, would confuse it; the lab only sends
 * it bodiless GETs).
 * Listens on PEER_HOST : PEER_PORT, under `node:cluster` with PEER_WORKERS workers.
 * Must not: be imported by src/.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { forkWorkers } from './lib/fork-workers.ts';

const ANSWER = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\nHello, World!',
);
const CR = 13;
const LF = 10;

/** Bytes of a `\r\n\r\n` matched so far, per socket (a terminator may straddle two reads). */
const matched = new WeakMap<Socket, number>();

function onData(this: Socket, chunk: Buffer): void {
  let state = matched.get(this) ?? 0;
  let count = 0;
  for (let i = 0; i < chunk.length; i++) {
    const byte = chunk[i];
    if (byte === CR) state = state === 2 ? 3 : 1;
    else if (byte === LF && (state === 1 || state === 3)) {
      if (state === 3) {
        count++;
        state = 0;
      } else state = 2;
    } else state = 0;
  }
  matched.set(this, state);
  if (count === 1) this.write(ANSWER);
  else if (count > 1) this.write(Buffer.concat(Array.from({ length: count }, () => ANSWER)));
}

function onError(): void {
  // A reset client: nothing to do, the socket is closed.
}

function serve(): void {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('data', onData);
    socket.on('error', onError);
  });
  server.listen(Number(process.env['PEER_PORT'] ?? 8082), process.env['PEER_HOST'] ?? '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0));
}

const workers = Number(process.env['PEER_WORKERS'] ?? 1);
if (cluster.isPrimary) {
  forkWorkers(workers, { graceMs: 500 });
} else {
  serve();
}
