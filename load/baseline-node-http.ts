/**
 * The baseline for `npm run load:compare`: Samovar's demo routes on Node's own `node:http`, one
 * process, keep-alive on, written the way a careful Node developer would (fixed bodies as
 * Buffers, `writeHead` with Content-Length, no framework), so the ratio measures the engines and
 * not the apps.
 *
 * Routes as the demo app: `GET|HEAD /` → "Hello, World!"; `POST /echo` echoes body and
 * Content-Type; `GET /teapot` → 418; `GET /delay?ms=N`; `GET /healthz`; else 404.
 * Listens on BASELINE_HOST (127.0.0.1) : BASELINE_PORT (8081); SIGTERM/SIGINT close it.
 * Must not: be imported by src/ (Samovar itself never uses node:http).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

const HELLO = Buffer.from('Hello, World!');
const OK = Buffer.from('ok\n');
const TEAPOT = Buffer.from("I'm a teapot\n");
const NOT_FOUND = Buffer.from('Not Found\n');
const TOO_LARGE = Buffer.from('Payload Too Large\n');
const TEXT = 'text/plain; charset=utf-8';
/** As Samovar's default `limits.maxBodyBytes`. */
const MAX_BODY_BYTES = 1024 * 1024;
/** As the demo's bound on `/delay`. */
const MAX_DELAY_MS = 60_000;

function send(res: ServerResponse, status: number, body: Buffer, type = TEXT): void {
  res.writeHead(status, { 'content-type': type, 'content-length': body.length });
  res.end(body);
}

function echo(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.setHeader('connection', 'close');
      send(res, 413, TOO_LARGE);
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    const body = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
    send(res, 200, body, req.headers['content-type'] ?? 'application/octet-stream');
  });
}

function delay(url: string, res: ServerResponse): void {
  const ms = Math.min(
    MAX_DELAY_MS,
    Math.max(0, Number(new URL(url, 'http://x').searchParams.get('ms')) || 0),
  );
  setTimeout(() => send(res, 200, Buffer.from(`waited ${ms} ms\n`)), ms);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const method = req.method ?? 'GET';
  const path = url.indexOf('?') === -1 ? url : url.slice(0, url.indexOf('?'));
  if (path === '/' && (method === 'GET' || method === 'HEAD')) return send(res, 200, HELLO);
  if (path === '/echo' && method === 'POST') return echo(req, res);
  if (path === '/healthz' && method === 'GET') return send(res, 200, OK);
  if (path === '/teapot' && method === 'GET') return send(res, 418, TEAPOT);
  if (path === '/delay' && method === 'GET') return delay(url, res);
  send(res, 404, NOT_FOUND);
}

const host = process.env['BASELINE_HOST'] ?? '127.0.0.1';
const port = Number(process.env['BASELINE_PORT'] ?? 8081);
// keepAliveTimeout as Samovar's default `timeouts.idleTimeoutMs`.
const server = createServer({ keepAliveTimeout: 5_000 }, handle);
server.listen(port, host, () => {
  process.stdout.write(JSON.stringify({ msg: 'node:http baseline listening', host, port }) + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
