/**
 * What Samovar itself writes is spelled one way: its own header fields in their canonical
 * Title-Case (`Allow` from the router as from static files), and a static miss is labelled
 * `unmatched` like the router's, not with the site's route label (metrics must not say `static`
 * for a file that is not there).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { Router } from '../../src/server/index.ts';
import type { ServerResponse } from '../../src/server/index.ts';
import { createStaticHandler, DEFAULT_STATIC_OPTIONS } from '../../src/server/static/index.ts';
import { rawExchange } from '../support/raw-client.ts';
import { cleanup, startServer, waitUntil } from '../support/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'samovar-canonical-'));
writeFileSync(join(dir, 'a.txt'), 'a');
afterEach(cleanup);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('writes Allow in one spelling, from the router and from static files', async () => {
  const router = new Router().get('/r', (_req, res) => res.send('r'));
  const files = createStaticHandler(
    { ...DEFAULT_STATIC_OPTIONS, root: dir, mount: '/files' },
    router.handler(),
  );
  const t = await startServer(files);
  const fromRouter = await rawExchange(t.port, 'DELETE /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const fromFiles = await rawExchange(
    t.port,
    'DELETE /files/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  expect(fromRouter).toMatch(/^HTTP\/1\.1 405 .*\r\nAllow: GET, HEAD, OPTIONS\r\n/s);
  expect(fromFiles).toMatch(/^HTTP\/1\.1 405 .*\r\nAllow: GET, HEAD\r\n/s);
});

it('labels a static miss unmatched', async () => {
  const seen: string[] = [];
  const files = createStaticHandler({ ...DEFAULT_STATIC_OPTIONS, root: dir, mount: '/' });
  const t = await startServer(
    (req, res) => {
      req.route = 'static';
      return files(req, res);
    },
    { onResponse: (res: ServerResponse) => seen.push(`${res.statusCode} ${res.req.route}`) },
  );
  await rawExchange(t.port, 'GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await rawExchange(t.port, 'GET /missing.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await rawExchange(t.port, 'GET /.hidden HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await waitUntil(() => seen.length === 3);
  expect(seen).toEqual(['200 static', '404 unmatched', '404 unmatched']);
});
