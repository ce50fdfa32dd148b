/**
 * The defences' counters reach the primary's `/metrics` (issue 15 §4): a request refused by the
 * per-client rate limit (429) is counted in `samovar_requests_rate_limited_total`, and every
 * defence family is exported from the start (shedding by reason, accept pauses, log lines
 * dropped), so a dashboard shows 0 rather than "no data"; outcomes are counted too.
 */

import { expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { scrape, send, startMetricsCluster, sum } from './support.ts';

const own = clustersPerTest();

it('exports the rate limiter, shedding, accept and log-drop counters through the primary', async () => {
  const { cluster: c, metricsPort } = await startMetricsCluster({
    env: {
      SAMOVAR_WORKERS: '1',
      SAMOVAR_RATE_LIMIT_ENABLED: 'true',
      SAMOVAR_RATE_LIMIT_REQUESTS_PER_SECOND: '1',
      SAMOVAR_RATE_LIMIT_BURST: '2',
    },
    ready: 1,
  });
  own(c);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await send(c.port, '/')).status);
  const refused = statuses.filter((s) => s === 429).length;
  expect(refused).toBeGreaterThanOrEqual(2);
  const e = (await scrape(metricsPort)).exposition;
  expect(sum(e, 'samovar_requests_rate_limited_total')).toBe(refused);
  expect(sum(e, 'http_server_requests_total', { status_code: '429' })).toBe(refused);
  expect(sum(e, 'http_server_request_outcomes_total', { outcome: 'completed' })).toBe(5);
  for (const name of [
    'samovar_requests_shed_total',
    'samovar_accept_paused_connections_total',
    'samovar_log_lines_dropped_total',
  ])
    expect([name, e.types.get(name)]).toEqual([name, 'counter']);
  expect(sum(e, 'samovar_requests_shed_total', { reason: 'lag' })).toBe(0);
  expect(sum(e, 'samovar_log_lines_dropped_total')).toBe(0);
});
