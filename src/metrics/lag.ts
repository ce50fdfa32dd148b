/**
 * Event-loop lag as a histogram (`samovar_event_loop_lag_seconds`): a timer due every
 * SAMPLE_INTERVAL_MS records how late it fired. A handler that blocks for 300 ms shows up as
 * one sample in the 0.5 s bucket; prom-client's default `nodejs_eventloop_lag_*` gauges only
 * say what the percentiles were at the moment of the scrape.
 * One timer per process, refreshed rather than recreated, unref'd so it never keeps a process up.
 * Must not: do anything else on its tick.
 */

import { LAG_BUCKETS_S } from './buckets.ts';
import { HistogramFamily } from './family.ts';
import type { FamilySnapshot, HistogramCell } from './family.ts';

/** 100 ms: ten samples a second, each costing a timer callback; finer gives no better picture. */
export const SAMPLE_INTERVAL_MS = 100;

export class LagSampler {
  private readonly family = new HistogramFamily(
    'samovar_event_loop_lag_seconds',
    'How late a timer due every 100 ms fired, per process (label worker).',
    LAG_BUCKETS_S,
  );
  private readonly cell: HistogramCell = this.family.cell();
  private timer: NodeJS.Timeout | null = null;
  private due = 0;

  start(): void {
    if (this.timer !== null) return;
    this.due = performance.now() + SAMPLE_INTERVAL_MS;
    this.timer = setTimeout(tick, SAMPLE_INTERVAL_MS, this);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  sample(): void {
    const now = performance.now();
    this.cell.observe(Math.max(0, now - this.due) / 1000);
    this.due = now + SAMPLE_INTERVAL_MS;
    this.timer?.refresh();
  }

  snapshot(): FamilySnapshot {
    return this.family.snapshot();
  }
}

function tick(sampler: LagSampler): void {
  sampler.sample();
}
