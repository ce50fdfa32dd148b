/**
 * The baseline for `npm run load:compare`: Samovar's demo routes on Node's own `node:http`, one
 * process, keep-alive on, written the way a careful Node developer would (fixed bodies as
 * Buffers, `writeHead` with Content-Length, no framework), so the ratio measures the engines and
 * not the apps.
 *
 * Routes as the demo app: `GET|HEAD /` → "Hello, World!"; `POST /echo` echoes body and
 * Content-Type; `GET /teapot` → 418; `GET /delay?ms=N`; `GET /healthz`; with BASELINE_STATIC_ROOT,
 * files under it (the simple way: `stat`, then `createReadStream().pipe(res)`); else 404.
 * Listens on BASELINE_HOST (127.0.0.1) : BASELINE_PORT (8081); SIGTERM/SIGINT close it.
 * With BASELINE_WORKERS=N it runs under `node:cluster` as N workers sharing the port (the
 * primary only forks, and ends its workers on SIGTERM), as Samovar does.
 * Must not: be imported by src/ (Samovar itself never uses node:http).
 */
import cluster from 'node:cluster';
import { createReadStream, stat } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forkWorkers } from './lib/fork-workers.ts';

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

const STATIC_ROOT = process.env['BASELINE_STATIC_ROOT'] ?? '';

function file(path: string, res: ServerResponse): void {
  const name = normalize(decodeURIComponent(path));
  if (name.includes('..') || name.includes('\0')) return send(res, 404, NOT_FOUND);
  const full = join(STATIC_ROOT, name);
  stat(full, (error, info) => {
    if (error || !info.isFile()) return send(res, 404, NOT_FOUND);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': info.size });
    createReadStream(full).pipe(res);
  });
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
  if (STATIC_ROOT !== '' && method === 'GET') return file(path, res);
  send(res, 404, NOT_FOUND);
}

const host = process.env['BASELINE_HOST'] ?? '127.0.0.1';
const port = Number(process.env['BASELINE_PORT'] ?? 8081);
const workers = Number(process.env['BASELINE_WORKERS'] ?? 0);

function serve(): void {
  // keepAliveTimeout as Samovar's default `timeouts.idleTimeoutMs` (BASELINE_IDLE_MS overrides).
  const keepAliveTimeout = Number(process.env['BASELINE_IDLE_MS'] ?? 5_000);
  const server = createServer({ keepAliveTimeout }, handle);
  server.listen(port, host, () => {
    process.stdout.write(JSON.stringify({ msg: 'node:http baseline listening', host, port }) + '\n');
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    });
  }
}

if (workers > 0 && cluster.isPrimary) {
  forkWorkers(workers, { graceMs: 2_000, signals: ['SIGTERM', 'SIGINT'] });
} else {
  serve();
}
