/**
 * `kill -9` of a worker under load: its slot is respawned at once (first failure, no backoff)
 * and the replacement serves within a second; the failed requests are the killed worker's
 * (its open connections, plus reconnects handed to it before the primary saw it die), counted.
 */

import type { EventEmitter } from 'node:events';
import { expect, it } from 'vitest';
import { failures, steadyGets } from '../../harness/measure/traffic.ts';
import { clustersPerTest } from '../support/clusters.ts';
import { get, MAIN, sleep, startCluster } from '../../harness/cluster.ts';

const own = clustersPerTest();

const CONNECTIONS = 50;

it('respawns a killed worker within a second, failing only its own connections', async () => {
  const c = own(await startCluster({ entry: MAIN, env: { SAMOVAR_WORKERS: '2' } }));
  const [victim, survivor] = c.liveWorkers() as [number, number];
  const victimSlot = c.events('ready', (l) => l.workerPid === victim)[0]?.slot;

  const load = steadyGets(`http://127.0.0.1:${c.port}/`, {
    connections: CONNECTIONS,
    durationS: 5,
    timeoutS: 3,
  });
  // When each failure happened: they must all fall between the kill and the replacement.
  const errorTimes: number[] = [];
  // The promise autocannon returns is also its event emitter (its typings here omit that).
  (load as unknown as EventEmitter).on('reqError', () => errorTimes.push(Date.now()));
  await sleep(1_500);
  const killedAt = Date.now();
  process.kill(victim, 'SIGKILL');
  const exit = await c.waitFor('exit', (l) => l.workerPid === victim);
  const ready = await c.waitFor('ready', (l) => l.slot === victimSlot && l.workerPid !== victim, {
    timeoutMs: 5_000,
  });
  const readyMs = ready.time - killedAt;
  // The replacement is listening: a fresh connection is answered (by one worker or the other).
  const answer = await get(c.port, '/readyz');
  const result = await load;

  const failed = result.errors + result.timeouts;
  console.log(
    'kill -9 under load:',
    JSON.stringify({
      readyMs,
      failed,
      victimConnections: exit.openConnections,
      ...failures(result),
    }),
  );
  expect(exit).toMatchObject({ reason: 'crash', signal: 'SIGKILL' });
  expect(c.events('restart', (l) => l.slot === victimSlot)[0]).toMatchObject({ reason: 'crash', delayMs: 0 });
  expect(readyMs).toBeLessThan(1_000);
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok', readyWorkers: 2 });
  // The killed worker's connections fail, and so may reconnects that land on it in the
  // milliseconds before it is gone; never the survivor's, and nothing once the replacement is
  // up. (A count bound proved fragile: the victim's connection count comes from its last
  // heartbeat, and connections churn at the per-connection request cap; the timing is exact.)
  expect(exit.openConnections).toBeGreaterThan(0);
  expect(errorTimes.length).toBe(failed);
  for (const t of errorTimes) {
    expect(t).toBeGreaterThanOrEqual(killedAt);
    expect(t).toBeLessThanOrEqual(ready.time + 250);
  }
  expect(failed).toBeLessThan(CONNECTIONS);
  expect(result.non2xx).toBe(0);
  expect(c.liveWorkers()).toContain(survivor);
}, 30_000);
