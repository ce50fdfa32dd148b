/**
 * The route contract (contract.ts) as a native Samovar app: `export default { handle }`, routed
 * by Samovar's `Router` from the public entry (src/index.ts, what `import … from 'samovar'`
 * gives a user). It has no oracle: the test holds it to the contract directly, and the load lab
 * measures the fetch adapter against it (harness/apps/fetch.ts answers the same routes).
 * Must not: listen or read the process; the worker does.
 */

import { Router } from '../../src/index.ts';
import type { NativeApp } from '../../src/index.ts';

import { AbortLedger, COOKIES, HELLO, sleep, slowMs, sseEvents } from './contract.ts';

const ledger = new AbortLedger();

const router = new Router()
  .get('/', (_req, res) => res.send(HELLO))
  .post('/echo', async (req, res) => res.json(await req.body.json()))
  .get('/users/:id', (req, res) => res.json({ id: req.params.id }))
  .get('/boom', () => {
    throw new Error('boom: the native fixture throws');
  })
  // flushHead: an event-stream client must see the status before the first event exists.
  .get('/sse', (_req, res) =>
    res
      .header('content-type', 'text/event-stream')
      .header('cache-control', 'no-cache')
      .stream(sseEvents(), { flushHead: true }),
  )
  .post('/upload', async (req, res) => {
    let bytes = 0;
    for await (const chunk of req.body) bytes += chunk.byteLength;
    res.json({ bytes });
  })
  .get('/slow', async (req, res) => {
    ledger.watch(req.signal);
    const ms = slowMs(req.query.get('ms'));
    await sleep(ms);
    res.send(`waited ${ms} ms\n`);
  })
  .get('/aborts', (_req, res) => res.json(ledger.snapshot()))
  .get('/cookies', (_req, res) => res.header('set-cookie', COOKIES).send('two cookies\n'))
  .get('/old', (_req, res) => res.status(302).header('location', '/').send());

export default { handle: router.handler() } satisfies NativeApp;
