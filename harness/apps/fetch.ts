/**
 * The route contract (contract.ts) as a bare fetch-standard app: `export default { fetch }`, no
 * library, only WHATWG `Request`, `Response` and streams, as a Bun or Deno app is written. It is
 * also the load lab's "bare fetch app", so it reads the path from `request.url` with two
 * `indexOf`s instead of building a `URL` per request, as the fast routers do.
 * Must not: listen or read the process; the server that imports it (Samovar's worker, the
 * oracles in test/support/app-oracle.ts, load/peer-hono-node.ts) does.
 */

import { AbortLedger, COOKIES, countBytes, HELLO, sleep, slowMs, sseStream } from './contract.ts';

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };
const ledger = new AbortLedger();

/** Path and query of an absolute URL (`http://host/p?q`): the first `/` after the scheme. */
function splitUrl(url: string): { path: string; query: string } {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const q = url.indexOf('?', start);
  return q === -1
    ? { path: url.slice(start), query: '' }
    : { path: url.slice(start, q), query: url.slice(q) };
}

async function slow(request: Request, query: string): Promise<Response> {
  ledger.watch(request.signal);
  const ms = slowMs(new URLSearchParams(query).get('ms'));
  await sleep(ms);
  return new Response(`waited ${ms} ms\n`, { headers: TEXT });
}

function cookies(): Response {
  const headers = new Headers(TEXT);
  for (const cookie of COOKIES) headers.append('set-cookie', cookie);
  return new Response('two cookies\n', { headers });
}

async function route(request: Request): Promise<Response> {
  const { path, query } = splitUrl(request.url);
  const method = request.method;
  const read = method === 'GET' || method === 'HEAD';
  if (read && path === '/') return new Response(HELLO, { headers: TEXT });
  if (method === 'POST' && path === '/echo') return Response.json(await request.json());
  if (read && path.startsWith('/users/') && path.indexOf('/', 7) === -1) {
    return Response.json({ id: decodeURIComponent(path.slice(7)) });
  }
  if (read && path === '/boom') throw new Error('boom: the fetch fixture throws');
  if (read && path === '/sse') {
    return new Response(sseStream(), {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    });
  }
  if (method === 'POST' && path === '/upload')
    return Response.json({ bytes: await countBytes(request.body) });
  if (read && path === '/slow') return slow(request, query);
  if (read && path === '/aborts') return Response.json(ledger.snapshot());
  if (read && path === '/cookies') return cookies();
  if (read && path === '/old') return new Response(null, { status: 302, headers: { location: '/' } });
  return new Response('Not Found\n', { status: 404, headers: TEXT });
}

export default {
  fetch(request: Request): Promise<Response> {
    return route(request);
  },
};
