/**
 * Faults from inside a worker, through the test fixture entry (the production entry has no such
 * hooks): a worker that fails at every boot (backoff in the logs, the primary stays up, the
 * cluster reports degraded while the other worker serves) and a worker whose event loop spins
 * forever (replaced with reason `hang`, the replacement spawned before the kill).
 */

import net from 'node:net';
import { expect, it } from 'vitest';
import { clustersPerTest, FIXTURE } from '../support/clusters.ts';
import { get, startCluster } from '../../harness/cluster.ts';

const own = clustersPerTest();

it('backs off a slot that fails at boot and reports the cluster degraded', async () => {
  const c = own(
    await startCluster({
      entry: FIXTURE,
      ready: 1,
      env: {
        FIXTURE_FAIL_SLOT: '1',
        SAMOVAR_CLUSTER_BACKOFF_INITIAL_MS: '100',
        SAMOVAR_CLUSTER_BACKOFF_MAX_MS: '400',
        SAMOVAR_CLUSTER_CRASH_LOOP_RESTARTS: '3',
      },
    }),
  );
  await c.waitFor('restart', (l) => l.slot === 1, { count: 5, timeoutMs: 15_000 });
  const delays = c.events('restart', (l) => l.slot === 1).map((l) => l.delayMs);
  expect(delays.slice(0, 5)).toEqual([0, 100, 200, 400, 400]);
  expect(c.events('restart', (l) => l.slot === 1).every((l) => l.reason === 'boot')).toBe(true);
  expect(c.events('degraded')).toEqual([expect.objectContaining({ slot: 1, failures: 3 })]);
  expect(c.events('error', (l) => String(l.error).includes('fails at boot')).length).toBeGreaterThan(0);

  const ready = await get(c.port, '/readyz');
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.body)).toEqual({ status: 'degraded', readyWorkers: 1, wantedWorkers: 2 });
  expect((await get(c.port, '/')).body).toBe('Hello, World!');
  expect(c.exitCode).toBeNull();
}, 30_000);

it('replaces a worker whose event loop is stuck, reason hang', async () => {
  const c = own(
    await startCluster({
      entry: FIXTURE,
      env: { SAMOVAR_CLUSTER_HEARTBEAT_INTERVAL_MS: '200', SAMOVAR_CLUSTER_HANG_TIMEOUT_MS: '1500' },
    }),
  );
  const spinner = net.connect(c.port, '127.0.0.1');
  spinner.on('error', () => {});
  spinner.write('GET /spin HTTP/1.1\r\nHost: test\r\n\r\n');

  const hang = await c.waitFor('hang', () => true, { timeoutMs: 5_000 });
  const hungPid = hang.workerPid;
  const exit = await c.waitFor('exit', (l) => l.workerPid === hungPid);
  expect(exit).toMatchObject({ reason: 'hang', signal: 'SIGKILL' });
  const replacement = await c.waitFor('ready', (l) => l.slot === hang.slot && l.workerPid !== hungPid);
  // Spawned first, killed after: the replacement's spawn line comes before the kill's exit line.
  const spawn = c.events('spawn', (l) => l.workerPid === replacement.workerPid)[0];
  expect(c.lines.indexOf(spawn as never)).toBeLessThan(c.lines.indexOf(exit));
  expect(hang.silentMs).toBeGreaterThanOrEqual(1_500);
  spinner.destroy();

  expect((await get(c.port, '/')).status).toBe(200);
  expect(JSON.parse((await get(c.port, '/readyz')).body)).toMatchObject({ status: 'ok', readyWorkers: 2 });
}, 30_000);
