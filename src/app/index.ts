/**
 * The demo application `npm start` serves: small routes that exercise the engine by hand or from
 * a load balancer — `GET /` (Hello, World!), `POST /echo`, `GET /teapot` (418, RFC 9110
 * §15.5.19), `GET /delay?ms=N` (a slow answer, for drain tests), `GET /healthz` — and, when
 * `static.root` is a directory, static files for every other path (the default, `public`, is
 * the working directory's `public/`, else the landing page shipped with Samovar: the installed
 * command run from any folder shows it),
 * e.g. the landing page at `/index.html`. The routes above win over files of the same path.
 * Must not: know about sockets or the process; it is handed its settings, never reads them.
 */

import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HttpError, Router, type Handler } from '../server/index.ts';
import { createStaticHandler, type StaticOptions } from '../server/static/index.ts';

/** What the app is given: the `static` group of the configuration (absent: no static files). */
export interface AppContext {
  readonly config?: { readonly static: StaticOptions };
}

/** Longest `/delay` accepted: the slowest answer a drain test needs, and no longer. */
export const MAX_DELAY_MS = 30_000;

const HELLO = 'Hello, World!';

/** The demo's handler; `context` is shaped so that a cluster worker's context fits as it is. */
export function createApp(context: AppContext = {}): Handler {
  const router = new Router();
  router.get('/', (_req, res) => res.send(HELLO));
  router.post('/', async (req, res) => {
    const body = await req.body.bytes();
    res.json({ received: body.length });
  });
  router.post('/echo', async (req, res) => {
    const body = await req.body.bytes();
    const type = req.get('content-type');
    if (type !== undefined) res.header('Content-Type', type);
    res.send(body);
  });
  router.get('/teapot', (_req, res) => res.status(418).send("I'm a teapot\n"));
  router.get('/healthz', (_req, res) => res.send('ok\n'));
  router.get('/delay', async (req, res) => {
    const ms = parseDelay(req.query.get('ms'));
    await new Promise((resolve) => setTimeout(resolve, ms));
    res.send(`waited ${ms} ms\n`);
  });
  const routes = router.handler();
  const configured = context.config?.static;
  const statics = configured === undefined ? undefined : withBundledRoot(configured);
  if (statics === undefined || statics.root === '') return routes;
  // Static files answer every path the routes do not own; a Set lookup keeps `GET /` as fast as before.
  const files = createStaticHandler(statics, routes);
  return (req, res) => {
    if (ROUTE_PATHS.has(req.path)) return routes(req, res);
    // One route label for every file (metrics must not label by path); a miss falls back to the
    // router, which relabels it `unmatched`.
    req.route = STATIC_ROUTE;
    return files(req, res);
  };
}

/** The route label of static files in metrics and access lines. */
export const STATIC_ROUTE = 'static';

/** Paths of the routes above: they stay the demo's whatever `public/` holds. */
const ROUTE_PATHS: ReadonlySet<string> = new Set(['/', '/echo', '/teapot', '/healthz', '/delay', '*']);

/** `config/defaults.json`'s `static.root`; a root the operator chose was checked by the configuration. */
const DEFAULT_ROOT = 'public';
/** The landing page shipped with Samovar (src/app → public, and dist/app → public in the package). */
const BUNDLED_ROOT = fileURLToPath(new URL('../../public', import.meta.url));

function withBundledRoot(statics: StaticOptions): StaticOptions {
  if (statics.root !== DEFAULT_ROOT || isDirectory(statics.root)) return statics;
  return { ...statics, root: isDirectory(BUNDLED_ROOT) ? BUNDLED_ROOT : '' };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
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
