/**
 * A reload applies completely or not at all, and says which (issue 15 §3):
 *   - an aborted roll (the new port is taken) reverts the worker count with the configuration:
 *     afterwards as many workers run as before, and `/readyz` reports that count;
 *   - `metrics.*` cannot change without a restart: the reload keeps the running values and says so;
 *   - a `static.root` that is not a directory is refused by the primary, at start (exit 78) and on
 *     SIGHUP (invalid, keep serving), instead of being found by crashing workers.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { freePort, get, MAIN, sleep, startCluster } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';

const dir = mkdtempSync(join(tmpdir(), 'samovar-reload-whole-'));
const file = join(dir, 'samovar.json');

const own = clustersPerTest();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The demo with one worker, its configuration from `file` (so a SIGHUP re-reads it). */
function oneWorkerFromFile(): Promise<Cluster> {
  writeFileSync(file, JSON.stringify({ workers: 1 }));
  return startCluster({ entry: MAIN, args: ['--config', file], unset: ['SAMOVAR_WORKERS'], ready: 1 });
}

it('reverts the worker count when a reload aborts', async () => {
  const blocker = net.createServer();
  const taken = await freePort();
  await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
  try {
    const port = await freePort();
    writeFileSync(file, JSON.stringify({ workers: 2, port }));
    const unset = ['SAMOVAR_WORKERS', 'SAMOVAR_PORT'];
    const c = own(await startCluster({ entry: MAIN, args: ['--config', file], unset }));
    writeFileSync(file, JSON.stringify({ workers: 3, port: taken }));
    c.signal('SIGHUP');
    await c.waitFor('reload', (l) => l.result === 'aborted', { timeoutMs: 15_000 });
    // Long enough for a wrongly refilled third slot to boot and say ready.
    await sleep(1_500);
    expect(c.liveWorkers()).toHaveLength(2);
    const ready = JSON.parse((await get(port, '/readyz')).body) as Record<string, unknown>;
    expect(ready).toMatchObject({ readyWorkers: 2, wantedWorkers: 2 });
  } finally {
    blocker.close();
  }
}, 30_000);

it('rolls back a slot already rolled when a later one fails: every worker ends on the old code', async () => {
  const entry = join(dir, 'picky.mjs');
  writeFileSync(
    entry,
    `let generation = 0;
export default {
  setup(ctx) {
    if (ctx.generation >= 2 && ctx.slot === 1) throw new Error('slot 1 refuses generation ' + ctx.generation);
    generation = ctx.generation;
  },
  handle(_req, res) { res.send('gen' + generation); },
};
`,
  );
  const c = own(
    await startCluster({
      entry: 'src/cli.ts',
      args: [entry],
      env: { SAMOVAR_CLUSTER_SCHEDULING_POLICY: 'rr' },
    }),
  );
  c.signal('SIGHUP');
  await c.waitFor('reload', (l) => l.result === 'aborted', { timeoutMs: 15_000 });
  // Slot 0 had been promoted to generation 2; it is replaced again by a generation-1 worker.
  await c.waitFor('ready', (l) => l.slot === 0 && l.generation === 1, { count: 2, timeoutMs: 15_000 });
  await c.waitFor('exit', (l) => l.slot === 0 && l.generation === 2);
  const bodies = new Set<string>();
  for (let i = 0; i < 6; i++) bodies.add((await get(c.port, '/')).body);
  expect([...bodies]).toEqual(['gen1']);
  expect(c.liveWorkers()).toHaveLength(2);
}, 30_000);

it('keeps metrics.* on reload and says a restart is needed', async () => {
  const c = own(await oneWorkerFromFile());
  const listen = await c.waitFor('listen');
  expect((await get(c.port, '/')).status).toBe(200);
  writeFileSync(file, JSON.stringify({ workers: 1, metrics: { enabled: false, scrapeTimeoutMs: 500 } }));
  c.signal('SIGHUP');
  const warned = await c.waitFor('reload', (l) => l.level === 'warn');
  expect(warned.msg).toContain('metrics.enabled, metrics.scrapeTimeoutMs only change on a full restart');
  await c.waitFor('reload', (l) => l.result === 'ok');
  const scrape = await get(listen.port as number, '/metrics');
  expect(scrape.status).toBe(200);
  expect(scrape.body).toContain('http_server_requests_total');
  expect(c.events('listen')).toHaveLength(1);
}, 30_000);

it('refuses a static root that is not a directory, at start and on reload', async () => {
  const missing = join(dir, 'no-such-site');
  const cluster = own(await startCluster({ entry: MAIN, env: { SAMOVAR_STATIC_ROOT: missing }, ready: 0 }));
  await cluster.exited;
  expect(cluster.exitCode).toBe(78);
  expect(cluster.stderr.join('')).toMatch(/static\.root.*does not exist/);
  expect(cluster.events('spawn')).toHaveLength(0);

  const c = own(await oneWorkerFromFile());
  writeFileSync(file, JSON.stringify({ workers: 1, static: { root: missing } }));
  c.signal('SIGHUP');
  const refused = await c.waitFor('reload', (l) => l.result === 'invalid');
  expect(refused.errors).toContain('static.root');
  expect((await get(c.port, '/')).status).toBe(200);
  expect(c.events('spawn')).toHaveLength(1);
}, 30_000);
