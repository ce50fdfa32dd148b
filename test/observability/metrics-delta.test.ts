/**
 * Metrics travel as changes (src/metrics/delta.ts), and a crash loses no count it could save:
 *   - a worker's changes applied in order rebuild exactly its whole snapshot, and a heartbeat
 *     at rest is a small fraction of a whole one (the IPC it saves);
 *   - a worker that dies of an uncaught exception right after answering sends those counts
 *     first: the cluster's total still equals the requests answered.
 */

import { describe, expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { sleep } from '../../harness/cluster.ts';
import { SnapshotDiff, SnapshotState } from '../../src/metrics/delta.ts';
import { WorkerMetrics } from '../../src/metrics/index.ts';
import type { MetricSnapshot } from '../../src/metrics/family.ts';
import { scrape, send, sendMany, startMetricsCluster, sum } from './support.ts';

const own = clustersPerTest();

const normalise = (families: MetricSnapshot): string[] =>
  families
    .flatMap((f) =>
      f.values.map((s) => `${s.metricName ?? f.name}${JSON.stringify(s.labels)}=${String(s.value)}`),
    )
    .sort();

describe('metric changes', () => {
  it('drop a series the worker no longer has, and send nothing for what did not move', () => {
    const diff = new SnapshotDiff();
    const state = new SnapshotState();
    const handles = (types: Record<string, number>): MetricSnapshot => [
      {
        name: 'nodejs_active_handles',
        help: 'h',
        type: 'gauge',
        values: Object.entries(types).map(([type, value]) => ({ value, labels: { type } })),
      },
    ];
    state.apply(diff.changes(handles({ Socket: 500, Timer: 3 })));
    expect(diff.changes(handles({ Socket: 500, Timer: 3 }))).toEqual([]);
    state.apply(diff.changes(handles({ Timer: 4 })));
    expect(normalise(state.snapshot())).toEqual(['nodejs_active_handles{"type":"Timer"}=4']);
  });

  it('rebuild the whole snapshot when applied in order, and are small at rest', async () => {
    const metrics = new WorkerMetrics(() => ({ open: 1, accepted: 3, closed: { client: 2 } }));
    const state = new SnapshotState();
    const sizes: number[] = [];
    let firstWhole = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) metrics.http.observe('GET', `/r${i % (round + 1)}`, 200, 0, 13, 0.001 * i);
      const all = await metrics.collect();
      const { families } = metrics.changes(all);
      if (round === 0) firstWhole = JSON.stringify(all).length;
      sizes.push(JSON.stringify(families).length);
      state.apply(families);
      // Default process metrics move on their own between collect() calls: compare the HTTP part.
      const http = (f: MetricSnapshot) =>
        normalise(f.filter((x) => x.name.startsWith('http_server_requests')));
      expect(http(state.snapshot())).toEqual(http(all));
    }
    const whole = JSON.stringify(await metrics.collect()).length;
    const { families } = metrics.changes(await metrics.collect());
    const atRest = JSON.stringify(families).length;
    expect(sizes[0]).toBe(firstWhole);
    expect(atRest).toBeLessThan(whole / 4);
    console.log(`metrics message: whole ${whole} B, changes at rest ${atRest} B`);
  });
});

it('keeps the counts of a worker that dies of an uncaught exception', async () => {
  const { cluster: c, metricsPort } = await startMetricsCluster({
    env: {
      SAMOVAR_WORKERS: '1',
      SAMOVAR_CLUSTER_HEARTBEAT_INTERVAL_MS: '5000',
      SAMOVAR_CLUSTER_HANG_TIMEOUT_MS: '20000',
    },
    ready: 1,
  });
  own(c);
  await sendMany(c.port, '/', 20);
  expect((await send(c.port, '/crash')).status).toBe(200);
  await c.waitFor('exit', (l) => l.reason === 'crash');
  await c.waitFor('ready', () => true, { count: 2 });
  await sleep(1_200); // past the retire grace: the dead worker's counts are in the retired totals
  const e = (await scrape(metricsPort)).exposition;
  expect(sum(e, 'http_server_requests_total')).toBe(21);
});
