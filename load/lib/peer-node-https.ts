/**
 * The HTTPS yardstick of `npm run load:compare -- --tls`: `GET /` and `GET /healthz` on Node's own
 * `node:https`, written as load/baseline-node-http.ts writes its routes (fixed bodies as Buffers,
 * `writeHead` with Content-Length, keep-alive 5 s), with the certificate and the profile Samovar
 * serves: Mozilla intermediate ciphers and curves (src/tls/profile.ts), TLS 1.2 and 1.3, the
 * server's cipher order, ALPN `http/1.1`. Node's default session tickets (one key per worker).
 * `GET /tls-stats` answers this worker's handshakes so far, full and resumed, as JSON (the lab
 * checks with it whether a client resumed).
 * Listens on PEER_HOST : PEER_PORT with PEER_TLS_CERT / PEER_TLS_KEY, under `node:cluster` with
 * PEER_WORKERS workers (the primary only forks).
 * Must not: be imported by src/ (Samovar never uses node:https).
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

import { forkWorkers } from './fork-workers.ts';
import { ALPN_PROTOCOLS, INTERMEDIATE_CIPHERS, INTERMEDIATE_CURVES } from '../../src/tls/profile.ts';

const HELLO = Buffer.from('Hello, World!');
const OK = Buffer.from('ok\n');
const NOT_FOUND = Buffer.from('Not Found\n');
const TEXT = 'text/plain; charset=utf-8';

function send(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': TEXT, 'content-length': body.length });
  res.end(body);
}

const handshakes = { full: 0, resumed: 0 };

function onSecure(socket: TLSSocket): void {
  if (socket.isSessionReused()) handshakes.resumed += 1;
  else handshakes.full += 1;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) return send(res, 200, HELLO);
  if (path === '/healthz' && req.method === 'GET') return send(res, 200, OK);
  if (path === '/tls-stats' && req.method === 'GET')
    return send(res, 200, Buffer.from(JSON.stringify(handshakes)));
  send(res, 404, NOT_FOUND);
}

function serve(): void {
  const host = process.env['PEER_HOST'] ?? '127.0.0.1';
  const port = Number(process.env['PEER_PORT'] ?? 8443);
  const server = createServer(
    {
      cert: readFileSync(process.env['PEER_TLS_CERT'] ?? ''),
      key: readFileSync(process.env['PEER_TLS_KEY'] ?? ''),
      ciphers: INTERMEDIATE_CIPHERS,
      ecdhCurve: INTERMEDIATE_CURVES,
      honorCipherOrder: true,
      minVersion: 'TLSv1.2',
      ALPNProtocols: [...ALPN_PROTOCOLS],
      keepAliveTimeout: 5_000,
    },
    handle,
  );
  server.on('secureConnection', onSecure);
  server.listen(port, host);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    });
  }
}

const workers = Number(process.env['PEER_WORKERS'] ?? 0);
if (workers > 0 && cluster.isPrimary)
  forkWorkers(workers, { graceMs: 2_000, signals: ['SIGTERM', 'SIGINT'] });
else serve();
