/**
 * SIGHUP re-reads the configuration file. A broken file is logged and changes nothing: the same
 * workers keep serving and the exit code stays 0. A fixed file then reloads normally.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { get, MAIN, startCluster } from '../../harness/cluster.ts';

let dir: string | null = null;

afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});
// Registered after the directory's hook: vitest runs after-hooks last-first, so clusters go first.
const own = clustersPerTest();

it('keeps the old workers on an invalid config, reloads a valid one', async () => {
  dir = mkdtempSync(join(tmpdir(), 'samovar-reload-'));
  const file = join(dir, 'samovar.json');
  writeFileSync(file, JSON.stringify({ workers: 2 }));
  const c = own(await startCluster({ entry: MAIN, args: ['--config', file] }));
  const before = c.liveWorkers();

  writeFileSync(file, '{ "workers": 2, ');
  c.signal('SIGHUP');
  const broken = await c.waitFor('reload', (l) => l.result === 'invalid');
  expect(broken.level).toBe('error');
  expect(broken.errors).toContain('is not valid JSON');

  writeFileSync(file, JSON.stringify({ workers: 2, cluster: { hangTimeoutMs: 10 } }));
  c.signal('SIGHUP');
  const bad = await c.waitFor('reload', (l) => l.result === 'invalid', { count: 2 });
  expect(bad.errors).toContain('cluster.hangTimeoutMs');

  expect(c.events('spawn')).toHaveLength(2);
  expect(c.liveWorkers()).toEqual(before);
  expect((await get(c.port, '/')).status).toBe(200);

  writeFileSync(
    file,
    JSON.stringify({ workers: 2, timeouts: { idleTimeoutMs: 4000 }, cluster: { workerSemiSpaceMb: 4 } }),
  );
  c.signal('SIGHUP');
  await c.waitFor('reload', (l) => l.result === 'ok');
  await c.waitFor('exit', (l) => l.reason === 'reload', { count: 2 });
  expect(c.liveWorkers().filter((pid) => before.includes(pid))).toEqual([]);
  // Workers are forked with the young-generation ceiling of the configuration they start under.
  const flags = c
    .events('spawn')
    .map((l) => (l.execArgv as string[]).filter((f) => f.includes('semi-space')));
  expect(flags).toEqual([
    ['--max-semi-space-size=16'],
    ['--max-semi-space-size=16'],
    ['--max-semi-space-size=4'],
    ['--max-semi-space-size=4'],
  ]);
  expect((await get(c.port, '/')).status).toBe(200);

  c.signal('SIGTERM');
  await c.exited;
  expect(c.exitCode).toBe(0);
}, 30_000);

it('queues SIGHUPs that arrive during a roll and coalesces them into one more roll', async () => {
  const c = own(await startCluster({ entry: MAIN }));
  c.signal('SIGHUP');
  await c.waitFor('reload', (l) => l.result === 'started');
  c.signal('SIGHUP');
  c.signal('SIGHUP');
  c.signal('SIGHUP');
  await c.waitFor('reload', (l) => l.result === 'ok', { count: 2 });
  await c.waitFor('exit', () => true, { count: 4 });
  const results = c.events('reload').map((l) => l.result);
  expect(results.filter((r) => r === 'started')).toHaveLength(2);
  expect(results.filter((r) => r === 'queued').length).toBeGreaterThanOrEqual(1);
  expect(results.filter((r) => r === 'ok')).toHaveLength(2);
  // Never two rolls at once: the second starts after the first has ended.
  expect(results.indexOf('ok')).toBeLessThan(results.lastIndexOf('started'));
  expect(c.liveWorkers()).toHaveLength(2);
  expect(c.events('ready', (l) => l.generation === 3)).toHaveLength(2);
}, 30_000);
