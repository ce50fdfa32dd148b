/**
 * The route contract (contract.ts) as an h3 v2 app (`new H3()`), in h3's idiom: handlers return
 * strings and objects, `createEventStream` for SSE, `redirect` for `/old`. An `H3` instance is
 * `{ fetch }`, so it is exported as it is; h3's own server is srvx, the oracle it is compared with.
 * `/boom` and the 404 are h3's own JSON errors.
 * Must not: listen (no `serve()` here) or read the process.
 */

import { H3, createEventStream, getQuery, getRouterParam, readBody, redirect } from 'h3';

import {
  AbortLedger,
  COOKIES,
  countBytes,
  HELLO,
  SSE_EVENTS,
  SSE_INTERVAL_MS,
  sleep,
  slowMs,
} from './contract.ts';

const ledger = new AbortLedger();
const app = new H3();

app.get('/', () => HELLO);

app.post('/echo', async (event) => (await readBody(event)) ?? null);

app.get('/users/:id', (event) => ({ id: getRouterParam(event, 'id') }));

app.get('/boom', () => {
  throw new Error('boom: the h3 fixture throws');
});

app.get('/sse', (event) => {
  const stream = createEventStream(event);
  void (async () => {
    for (let n = 1; n <= SSE_EVENTS; n++) {
      await sleep(SSE_INTERVAL_MS);
      await stream.push(String(n));
    }
    await stream.close();
  })();
  return stream.send();
});

app.post('/upload', async (event) => ({ bytes: await countBytes(event.req.body) }));

app.get('/slow', async (event) => {
  ledger.watch(event.req.signal);
  const ms = slowMs(String(getQuery(event).ms ?? ''));
  await sleep(ms);
  return `waited ${ms} ms\n`;
});

app.get('/aborts', () => ledger.snapshot());

app.get('/cookies', (event) => {
  for (const cookie of COOKIES) event.res.headers.append('set-cookie', cookie);
  return 'two cookies\n';
});

app.get('/old', () => redirect('/'));

export default app;
