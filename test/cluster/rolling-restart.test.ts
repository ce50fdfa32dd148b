/**
 * Rolling restart under load (issue 4's first proof): 2 workers, autocannon with 50 keep-alive
 * connections for about 10 s, two SIGHUPs during the run → no error, no timeout, no non-2xx,
 * and every worker that was serving at the start has been replaced by the end. Run under both
 * scheduling policies: the kernel's (the default) and the primary's round-robin.
 */

import { expect, it } from 'vitest';
import { failures, steadyGets } from '../../harness/measure/traffic.ts';
import { clustersPerTest } from '../support/clusters.ts';
import { MAIN, sleep, startCluster } from '../../harness/cluster.ts';

const own = clustersPerTest();

it.each(['none', 'rr'])(
  'replaces every worker twice under load without failing a request (%s)',
  async (policy) => {
    const c = own(
      await startCluster({
        entry: MAIN,
        env: { SAMOVAR_WORKERS: '2', SAMOVAR_CLUSTER_SCHEDULING_POLICY: policy },
      }),
    );
    const original = c.liveWorkers();
    expect(original).toHaveLength(2);

    const load = steadyGets(`http://127.0.0.1:${c.port}/`, { connections: 50, durationS: 10 });
    await sleep(2_000);
    const firstHup = Date.now();
    c.signal('SIGHUP');
    const first = await c.waitFor('reload', (l) => l.result === 'ok', { timeoutMs: 8_000 });
    await sleep(1_500);
    const secondHup = Date.now();
    c.signal('SIGHUP');
    const second = await c.waitFor('reload', (l) => l.result === 'ok', { count: 2, timeoutMs: 8_000 });
    const result = await load;

    const exits = c.events('exit');
    const replaced = exits.map((l) => l.workerPid);
    // From a SIGHUP until the last worker of the old generation has exited.
    const oldGone = (from: number, generation: number): number =>
      Math.max(...exits.filter((l) => l.generation === generation).map((l) => l.time)) - from;
    const report = {
      requests: result.requests.total,
      reqPerSec: result.requests.average,
      p99Ms: result.latency.p99,
      ...failures(result),
      rollMs: [first.durationMs, second.durationMs],
      hupToOldGenerationGoneMs: [oldGone(firstHup, 1), oldGone(secondHup, 2)],
      drainMs: c.events('drained').map((l) => l.durationMs),
    };
    console.log(`rolling restart under load (${policy}):`, JSON.stringify(report));
    expect(failures(result)).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
    expect(result.requests.total).toBeGreaterThan(1_000);
    for (const pid of original) expect(replaced).toContain(pid);
    // Two rolls of two slots: four new workers, the last two serving now.
    expect(c.events('ready')).toHaveLength(6);
    expect(c.liveWorkers().filter((pid) => original.includes(pid))).toEqual([]);
    expect(c.events('exit', (l) => l.reason !== 'reload')).toEqual([]);
    expect(c.events('drained', (l) => (l.cut as number) > 0)).toEqual([]);
  },
  40_000,
);
