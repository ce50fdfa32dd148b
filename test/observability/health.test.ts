/**
 * Health on both ports: `/healthz` (liveness) and `/readyz` (readiness) answered by the workers
 * on the main port and by the primary on the metrics port, with the same cluster view — 200 when
 * ok, 503 `unready` below `cluster.minWorkers`, 503 `stopping` once SIGTERM arrives (while
 * liveness stays 200).
 */

import { describe, expect, it } from 'vitest';
import { clustersPerTest, FIXTURE } from '../support/clusters.ts';
import { send, startMetricsCluster } from './support.ts';

const own = clustersPerTest();

describe('health', () => {
  it('answers the same readiness on both ports, and 503 while stopping', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster({
      env: { SAMOVAR_SHUTDOWN_DRAIN_DELAY_MS: '3000' },
    });
    own(c);
    for (const port of [c.port, metricsPort]) {
      const live = await send(port, '/healthz');
      expect([live.status, live.body]).toEqual([200, 'ok\n']);
      const ready = await send(port, '/readyz');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ status: 'ok', readyWorkers: 2, wantedWorkers: 2 });
      expect(ready.headers['cache-control']).toBe('no-store');
    }
    c.signal('SIGTERM');
    await c.waitFor('shutdown', (l) => l.phase === 'unready');
    for (const port of [c.port, metricsPort]) {
      await expect.poll(async () => (await send(port, '/readyz')).status, { timeout: 2_000 }).toBe(503);
      expect(JSON.parse((await send(port, '/readyz')).body)).toMatchObject({ status: 'stopping' });
      expect((await send(port, '/healthz')).status).toBe(200);
    }
  });

  it('says unready (503) below cluster.minWorkers on both ports', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster({
      entry: FIXTURE,
      ready: 1,
      env: { FIXTURE_FAIL_SLOT: '1', SAMOVAR_CLUSTER_MIN_WORKERS: '2' },
    });
    own(c);
    for (const port of [c.port, metricsPort]) {
      const ready = await send(port, '/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toEqual({ status: 'unready', readyWorkers: 1, wantedWorkers: 2 });
    }
  });
});
