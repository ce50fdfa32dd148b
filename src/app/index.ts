/**
 * The demo application `npm start` serves: small routes that exercise the engine by hand or from
 * a load balancer — `GET /` (Hello, World!), `POST /echo`, `GET /teapot` (418, RFC 9110
 * §15.5.19), `GET /delay?ms=N` (a slow answer, for drain tests), `GET /healthz`.
 * Must not: know about sockets, configuration or the process.
 */

import { HttpError, Router, type Handler } from '../server/index.ts';

/** Longest `/delay` accepted: the slowest answer a drain test needs, and no longer. */
export const MAX_DELAY_MS = 30_000;

const HELLO = 'Hello, World!';

export function createApp(): Handler {
  const router = new Router();
  router.get('/', (_req, res) => res.send(HELLO));
  router.post('/', async (req, res) => {
    const body = await req.body.bytes();
    res.json({ received: body.length });
  });
  router.post('/echo', async (req, res) => {
    const body = await req.body.bytes();
    const type = req.get('content-type');
    if (type !== undefined) res.header('content-type', type);
    res.send(body);
  });
  router.get('/teapot', (_req, res) => res.status(418).send("I'm a teapot\n"));
  router.get('/healthz', (_req, res) => res.send('ok\n'));
  router.get('/delay', async (req, res) => {
    const ms = parseDelay(req.query.get('ms'));
    await new Promise((resolve) => setTimeout(resolve, ms));
    res.send(`waited ${ms} ms\n`);
  });
  return router.handler();
}

/** `ms` must be a whole number from 0 to MAX_DELAY_MS, else 400. */
function parseDelay(raw: string | null): number {
  if (raw === null || raw === '' || raw.length > 5) throw new HttpError(400, `ms must be 0..${MAX_DELAY_MS}`);
  let ms = 0;
  for (let i = 0; i < raw.length; i++) {
    const digit = raw.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) throw new HttpError(400, `ms must be 0..${MAX_DELAY_MS}`);
    ms = ms * 10 + digit;
  }
  if (ms > MAX_DELAY_MS) throw new HttpError(400, `ms must be 0..${MAX_DELAY_MS}`);
  return ms;
}
