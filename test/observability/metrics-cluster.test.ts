/**
 * Cluster-wide metrics through the primary's `/metrics`, with 2 workers (round-robin):
 *   - the request count across workers equals what the test sent, and per-process series carry
 *     a `worker` label; routes are templates, unknown methods `_OTHER`;
 *   - a stopped worker (SIGSTOP) delays a scrape by `metrics.scrapeTimeoutMs` at most: 200,
 *     counted in `samovar_scrape_worker_errors_total`, its counters still in the sums;
 *   - a worker killed (SIGKILL) mid-traffic, and a rolling reload: counters never go down, and
 *     what retired workers counted stays in the sums.
 */

import { describe, expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { sleep } from '../../harness/cluster.ts';
import { scrape, send, sendMany, startMetricsCluster, sum } from './support.ts';

const own = clustersPerTest();

const REQUESTS = 'http_server_requests_total';

describe('cluster metrics', () => {
  it('sums every worker: requests sent = sum(http_server_requests_total)', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster();
    own(c);
    await sendMany(c.port, '/', 30);
    await sendMany(c.port, '/users/42', 6);
    await send(c.port, '/nowhere');
    await send(c.port, '/', { method: 'BREW' });
    const s = await scrape(metricsPort);
    const e = s.exposition;
    expect(s.status).toBe(200);
    expect(s.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sum(e, REQUESTS)).toBe(38);
    expect(sum(e, 'http_server_request_duration_seconds_count')).toBe(38);
    expect(sum(e, REQUESTS, { route: '/users/:id', method: 'GET', status_code: '200' })).toBe(6);
    expect(sum(e, REQUESTS, { route: 'unmatched', status_code: '404' })).toBe(1);
    expect(sum(e, REQUESTS, { method: '_OTHER' })).toBe(1);
    expect(e.samples.some((x) => x.labels.route === '/users/42')).toBe(false);
    // Both workers served (round-robin), and each has its own per-process series.
    const workers = e.samples
      .filter((x) => x.name === 'process_start_time_seconds')
      .map((x) => x.labels.worker);
    expect(new Set(workers)).toEqual(new Set(['1', '2', 'primary']));
    expect(sum(e, 'samovar_workers', { state: 'ready' })).toBe(2);
    expect(sum(e, 'http_server_connections_total')).toBeGreaterThanOrEqual(38);
    expect(e.types.get(REQUESTS)).toBe('counter');
    expect(e.types.get('http_server_request_duration_seconds')).toBe('histogram');
    // A histogram's buckets are cumulative and end in +Inf = count.
    const buckets = e.samples.filter(
      (x) => x.name === 'http_server_request_duration_seconds_bucket' && x.labels.route === '/users/:id',
    );
    const values = buckets.map((b) => b.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(buckets.at(-1)?.labels.le).toBe('+Inf');
    expect(buckets.at(-1)?.value).toBe(6);
    // The lag histogram samples every 100 ms per worker (on a busy machine the first may be late).
    await expect
      .poll(async () => sum((await scrape(metricsPort)).exposition, 'samovar_event_loop_lag_seconds_count'), {
        timeout: 5_000,
      })
      .toBeGreaterThan(0);
  });

  it('answers within the scrape timeout when a worker is stopped, keeping its counters', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster({
      env: { SAMOVAR_METRICS_SCRAPE_TIMEOUT_MS: '500' },
    });
    own(c);
    await sendMany(c.port, '/', 20);
    const before = await scrape(metricsPort);
    expect(sum(before.exposition, REQUESTS)).toBe(20);
    const [victim] = c.liveWorkers() as [number];
    process.kill(victim, 'SIGSTOP');
    try {
      const during = await scrape(metricsPort);
      expect(during.status).toBe(200);
      expect(during.ms).toBeLessThan(2_000);
      expect(sum(during.exposition, 'samovar_scrape_worker_errors_total')).toBe(1);
      // Left out: its gauges are missing, its counters are still counted at their last values.
      expect(sum(during.exposition, REQUESTS)).toBe(20);
      const starts = during.exposition.samples.filter((x) => x.name === 'process_start_time_seconds');
      expect(starts).toHaveLength(2);
    } finally {
      process.kill(victim, 'SIGCONT');
    }
    const after = await scrape(metricsPort);
    expect(sum(after.exposition, 'samovar_scrape_worker_errors_total')).toBe(1);
    expect(after.exposition.samples.filter((x) => x.name === 'process_start_time_seconds')).toHaveLength(3);
  });

  it('keeps counting across a SIGKILL: a scrape during the kill answers 200, no counter goes down', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster();
    own(c);
    await sendMany(c.port, '/', 40);
    const first = await scrape(metricsPort);
    expect(sum(first.exposition, REQUESTS)).toBe(40);
    const [victim] = c.liveWorkers() as [number];
    const during = scrape(metricsPort);
    process.kill(victim, 'SIGKILL');
    const midKill = await during;
    expect(midKill.status).toBe(200);
    expect(sum(midKill.exposition, REQUESTS)).toBe(40);
    await c.waitFor('exit', (l) => l.workerPid === victim);
    const rightAfter = await scrape(metricsPort);
    expect(rightAfter.status).toBe(200);
    expect(sum(rightAfter.exposition, REQUESTS)).toBe(40);
    await c.waitFor('ready', () => true, { count: 3 });
    await sleep(1_200); // past the retire grace: the dead worker's counts are in the retired totals
    await sendMany(c.port, '/', 10);
    const last = await scrape(metricsPort);
    expect(sum(last.exposition, REQUESTS)).toBe(50);
    expect(sum(last.exposition, 'samovar_worker_restarts_total', { reason: 'crash' })).toBe(1);
    expect(sum(last.exposition, 'http_server_connections_total')).toBeGreaterThanOrEqual(
      sum(first.exposition, 'http_server_connections_total'),
    );
  });

  it('keeps what drained workers counted after a rolling reload (their final snapshot)', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster({
      env: { SAMOVAR_CLUSTER_HEARTBEAT_INTERVAL_MS: '5000', SAMOVAR_CLUSTER_HANG_TIMEOUT_MS: '20000' },
    });
    own(c);
    // Sent right before the reload, with heartbeats far apart: only the final snapshots carry them.
    await sendMany(c.port, '/', 25);
    c.signal('SIGHUP');
    await c.waitFor('reload', (l) => l.result === 'ok', { timeoutMs: 15_000 });
    await c.waitFor('exit', () => true, { count: 2 });
    await sleep(1_200);
    const s = await scrape(metricsPort);
    const e = s.exposition;
    expect(sum(e, REQUESTS)).toBe(25);
    expect(sum(e, 'samovar_worker_restarts_total', { reason: 'reload' })).toBe(2);
    expect(sum(e, 'samovar_reloads_total', { result: 'ok' })).toBe(1);
    expect(sum(e, 'http_server_connections_closed_total')).toBeGreaterThanOrEqual(25);
    const workers = new Set(
      e.samples.filter((x) => x.name === 'process_start_time_seconds').map((x) => x.labels.worker),
    );
    expect(workers).toEqual(new Set(['3', '4', 'primary']));
  });
});
