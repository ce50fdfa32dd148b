/**
 * Samovar's metrics: worker-side definitions (allocation-free HTTP cells, event-loop lag), the
 * process and Node metrics of prom-client's defaults (process-metrics.ts, its one bridge), and
 * primary-side aggregation and exposition. A leaf: imports nothing of http, server or cluster.
 * Must not: hold logic of its own.
 */
export type { FamilySnapshot, Labels, MetricSnapshot, MetricType, Sample } from './family.ts';
export {
  HttpMetrics,
  METHODS,
  MAX_ROUTES,
  OVERFLOW_ROUTE,
  methodIndex,
  type ConnectionCounts,
  type GuardCounts,
} from './http-metrics.ts';
export { WorkerMetrics } from './worker-metrics.ts';
export { ClusterAggregate } from './aggregate.ts';
export { PROMETHEUS_CONTENT_TYPE, renderFamilies } from './exposition.ts';
export { Policy, policyOf, WORKER_LABEL } from './policy.ts';
export { PrimaryMetrics, type PrimarySource } from './primary-metrics.ts';
export { DURATION_BUCKETS_S, BODY_BUCKETS_BYTES, LAG_BUCKETS_S, SCRAPE_BUCKETS_S } from './buckets.ts';
export { bucketDelta, histogramQuantile } from './quantile.ts';
export type { TlsCounts, CertificateGauge } from './tls-metrics.ts';
