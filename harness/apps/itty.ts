/**
 * The route contract (contract.ts) as an itty-router `AutoRouter`, exported as it is: itty's
 * router object is `{ fetch }`. itty writes `query`, `params` and `proxy` onto the request it is
 * given, so the adapter's request must take new properties; its `/boom` 500 and 404 are itty's
 * own JSON errors. It registers HEAD for `/` itself: itty matches methods exactly.
 * Must not: listen or read the process.
 */

import { AutoRouter, json, text } from 'itty-router';
import type { IRequest } from 'itty-router';

import { AbortLedger, COOKIES, countBytes, HELLO, slowMs, sseStream } from './contract.ts';

const ledger = new AbortLedger();
const router = AutoRouter();

const hello = (): Response => text(HELLO);

router
  .get('/', hello)
  .head('/', hello)
  .post('/echo', async (request: IRequest) => json(await request.json()))
  .get('/users/:id', ({ params }: IRequest) => json({ id: params.id }))
  .get('/boom', () => {
    throw new Error('boom: the itty fixture throws');
  })
  .get(
    '/sse',
    () =>
      new Response(sseStream(), {
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      }),
  )
  .post('/upload', async (request: IRequest) => json({ bytes: await countBytes(request.body) }))
  .get('/slow', async (request: IRequest) => {
    ledger.watch(request.signal);
    const ms = slowMs(String(request.query.ms ?? ''));
    await new Promise((resolve) => setTimeout(resolve, ms));
    return text(`waited ${ms} ms\n`);
  })
  .get('/aborts', () => json(ledger.snapshot()))
  .get('/cookies', () => text('two cookies\n', { headers: COOKIES.map((cookie) => ['set-cookie', cookie]) }))
  .get('/old', () => new Response(null, { status: 302, headers: { location: '/' } }));

export default router;
