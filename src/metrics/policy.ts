/**
 * How each metric family is combined across processes, decided by name and type:
 *   - `sum` (the default): counters, histograms (bucket by bucket) and gauges that are amounts —
 *     memory, handles, open connections — add up to the cluster's total;
 *   - `worker`: per-process values whose sum means nothing (a start time, a lag percentile, a
 *     file-descriptor limit) keep one series per process, labelled `worker` (the cluster's
 *     worker id, or `primary`);
 *   - `first`: identical in every process (`nodejs_version_info`): one series.
 * Only `sum` counters and histograms are kept after a worker is gone (counters must not go
 * down); gauges and per-worker series leave with their process.
 * Must not: hold values.
 */

import type { MetricType } from './family.ts';

export const Policy = { SUM: 'sum', WORKER: 'worker', FIRST: 'first' } as const;
export type Policy = (typeof Policy)[keyof typeof Policy];

/** The label that tells processes apart in `worker` families. */
export const WORKER_LABEL = 'worker';

const PER_PROCESS: ReadonlySet<string> = new Set([
  'process_start_time_seconds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'samovar_event_loop_lag_seconds',
  'samovar_accepting_descriptors',
]);

const SAME_EVERYWHERE: ReadonlySet<string> = new Set(['nodejs_version_info']);

export function policyOf(name: string): Policy {
  if (PER_PROCESS.has(name)) return Policy.WORKER;
  if (SAME_EVERYWHERE.has(name)) return Policy.FIRST;
  return Policy.SUM;
}

/** Whether a family's values outlive their process (summed into the retired totals). */
export function retained(name: string, type: MetricType): boolean {
  return type !== 'gauge' && policyOf(name) === Policy.SUM;
}
