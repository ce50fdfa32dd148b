/**
 * The route contract (contract.ts) as a Hono app, written as Hono's own docs write one and
 * exported unmodified (`export default app`): a Hono app is `{ fetch }`, so Samovar serves it as
 * it is, and @hono/node-server serves the same object as the oracle. The SSE route uses Hono's
 * `streamSSE`, which sets `Transfer-Encoding: chunked` and `Connection: keep-alive` itself: the
 * adapter under test must frame that stream once, not twice. `/boom` is Hono's own 500.
 * Must not: listen (no `serve()` here) or read the process.
 */

import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';

import { AbortLedger, COOKIES, countBytes, HELLO, SSE_EVENTS, SSE_INTERVAL_MS, slowMs } from './contract.ts';

const ledger = new AbortLedger();
const app = new Hono();

app.get('/', (c) => c.text(HELLO));

app.post('/echo', async (c) => c.json(await c.req.json<unknown>()));

app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));

app.get('/boom', () => {
  throw new Error('boom: the Hono fixture throws');
});

app.get('/sse', (c) =>
  streamSSE(c, async (stream) => {
    for (let n = 1; n <= SSE_EVENTS; n++) {
      await stream.sleep(SSE_INTERVAL_MS);
      await stream.writeSSE({ data: String(n) });
    }
  }),
);

app.post('/upload', async (c) => c.json({ bytes: await countBytes(c.req.raw.body) }));

app.get('/slow', async (c) => {
  ledger.watch(c.req.raw.signal);
  const ms = slowMs(c.req.query('ms'));
  await new Promise((resolve) => setTimeout(resolve, ms));
  return c.text(`waited ${ms} ms\n`);
});

app.get('/aborts', (c) => c.json(ledger.snapshot()));

app.get('/cookies', (c) => {
  for (const cookie of COOKIES) c.header('set-cookie', cookie, { append: true });
  return c.text('two cookies\n');
});

app.get('/old', (c) => c.redirect('/'));

export default app;
