/**
 * A fetch app on @hono/node-server for `npm run load:compare`: the module PEER_APP (default
 * harness/apps/hono.ts, the Hono fixture Samovar serves through its CLI in the same lab) served by
 * `serve({ fetch })` with @hono/node-server's defaults, as its README runs a Hono app on Node —
 * so "Hono on Samovar ÷ Hono on @hono/node-server" compares the servers, not the apps.
 * `/healthz` is answered ahead of the app (the lab polls it), as Samovar's worker does.
 * Listens on PEER_HOST : PEER_PORT, under `node:cluster` with PEER_WORKERS workers (the primary
 * only forks, as for the node:http peer).
 * Must not: be imported by src/, or change the app.
 */
import cluster from 'node:cluster';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { serve } from '@hono/node-server';

import { forkWorkers } from './lib/fork-workers.ts';

interface FetchApp {
  fetch(request: Request, ...rest: unknown[]): Response | Promise<Response>;
}

const HEALTH_PATH = '/healthz';

async function serveApp(): Promise<void> {
  const file = resolve(process.env['PEER_APP'] ?? 'harness/apps/hono.ts');
  const app = ((await import(pathToFileURL(file).href)) as { default: FetchApp }).default;
  const healthy = (): Response => new Response('ok\n');
  const fetch = (request: Request, ...rest: unknown[]): Response | Promise<Response> => {
    // Two indexOf calls, as Samovar's worker compares `req.path`: no URL object per request.
    const url = request.url;
    const start = url.indexOf('/', url.indexOf('//') + 2);
    return url.startsWith(HEALTH_PATH, start) && url.length === start + HEALTH_PATH.length
      ? healthy()
      : app.fetch(request, ...rest);
  };
  const server = serve({
    fetch,
    hostname: process.env['PEER_HOST'] ?? '127.0.0.1',
    port: Number(process.env['PEER_PORT'] ?? 8083),
  });
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1_000).unref();
  });
}

const workers = Number(process.env['PEER_WORKERS'] ?? 1);
if (cluster.isPrimary) {
  forkWorkers(workers, { graceMs: 1_500 });
} else {
  await serveApp();
}
