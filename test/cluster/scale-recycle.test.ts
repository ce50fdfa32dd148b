/**
 * The other ways the wanted set changes: SIGTTIN / SIGTTOU add and retire a worker; a worker past
 * `maxRequestsPerWorker` is recycled through the rolling path without failing a request; a reload
 * whose replacement never becomes ready is aborted and the old generation keeps serving (and
 * crash respawns go back to the old configuration).
 */

import { expect, it } from 'vitest';
import { clustersPerTest, FIXTURE } from '../support/clusters.ts';
import { get, MAIN, startCluster } from '../../harness/cluster.ts';

const own = clustersPerTest();

it('adds a worker on SIGTTIN and retires one on SIGTTOU', async () => {
  const c = own(await startCluster({ entry: MAIN }));
  c.signal('SIGTTIN');
  await c.waitFor('ready', () => true, { count: 3 });
  expect(JSON.parse((await get(c.port, '/readyz')).body)).toMatchObject({ status: 'ok', wantedWorkers: 3 });
  c.signal('SIGTTOU');
  const exit = await c.waitFor('exit', () => true);
  expect(exit).toMatchObject({ reason: 'scale', slot: 2, code: 0 });
  expect(c.liveWorkers()).toHaveLength(2);
  expect(JSON.parse((await get(c.port, '/readyz')).body)).toMatchObject({ status: 'ok', wantedWorkers: 2 });
}, 20_000);

it('recycles a worker after maxRequestsPerWorker without failing a request', async () => {
  const c = own(
    await startCluster({
      entry: MAIN,
      env: {
        SAMOVAR_CLUSTER_MAX_REQUESTS_PER_WORKER: '300',
        SAMOVAR_CLUSTER_MAX_REQUESTS_JITTER: '50',
        SAMOVAR_CLUSTER_HEARTBEAT_INTERVAL_MS: '100',
      },
    }),
  );
  const url = `http://127.0.0.1:${c.port}/`;
  const statuses: number[] = [];
  const client = async (): Promise<void> => {
    for (let i = 0; i < 250; i++) {
      const res = await fetch(url);
      await res.text();
      statuses.push(res.status);
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  const recycle = await c.waitFor('exit', (l) => l.reason === 'recycle');
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(c.events('recycle')[0]?.cause).toMatch(/^served \d+ requests$/);
  expect(recycle.code).toBe(0);
}, 30_000);

it('aborts a reload whose replacement never becomes ready and keeps the old generation', async () => {
  const c = own(
    await startCluster({
      entry: FIXTURE,
      env: { FIXTURE_STALL_FROM_GENERATION: '2', SAMOVAR_CLUSTER_READY_TIMEOUT_MS: '1000' },
    }),
  );
  const before = c.liveWorkers();
  c.signal('SIGHUP');
  const aborted = await c.waitFor('reload', (l) => l.result === 'aborted', { timeoutMs: 5_000 });
  expect(aborted).toMatchObject({ level: 'error', replaced: 0 });
  expect(c.liveWorkers()).toEqual(before);
  expect((await get(c.port, '/')).status).toBe(200);

  // The configuration reverted: a crashed old worker comes back as generation 1, and boots.
  process.kill(before[0] as number, 'SIGKILL');
  const ready = await c.waitFor('ready', () => true, { count: 3 });
  expect(ready.generation).toBe(1);
}, 20_000);
