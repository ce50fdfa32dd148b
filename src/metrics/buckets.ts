/**
 * Histogram bucket bounds. Every process of every version uses these same lists, so the primary
 * can add bucket counts across workers (a histogram merges; a summary's quantiles do not).
 * Must not: change a list without a note in docs/observability.md: dashboards read the `le`s.
 */

/** Request durations, 1 ms to 10 s: prom-client's defaults with 1 ms and 2.5 ms added below. */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Body sizes, 0 to 16 MiB in steps of ×4: an empty body, a small JSON, a page, an upload. */
export const BODY_BUCKETS_BYTES: readonly number[] = [
  0, 64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216,
];

/** Event-loop lag, 1 ms to 5 s: under 10 ms is healthy, seconds means a stuck handler. */
export const LAG_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** The primary's scrapes: a healthy one takes milliseconds; the top buckets mean a worker timed out. */
export const SCRAPE_BUCKETS_S: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
