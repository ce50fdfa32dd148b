/**
 * Event-loop lag as a histogram (`samovar_event_loop_lag_seconds`): a timer due every
 * SAMPLE_INTERVAL_MS records how late it fired. A handler that blocks for 300 ms shows up as
 * one sample in the 0.5 s bucket; prom-client's default `nodejs_eventloop_lag_*` gauges only
 * say what the percentiles were at the moment of the scrape.
 * The timer is a LoopLagProbe (loop-lag.ts), the class the overload guard uses too.
 * Must not: do anything else on its tick.
 */

import { LAG_BUCKETS_S } from './buckets.ts';
import { HistogramFamily } from './family.ts';
import type { FamilySnapshot, HistogramCell } from './family.ts';
import { LoopLagProbe, type LagListener } from './loop-lag.ts';

/** 100 ms: ten samples a second, each costing a timer callback; finer gives no better picture. */
export const SAMPLE_INTERVAL_MS = 100;

export class LagSampler implements LagListener {
  private readonly family = new HistogramFamily(
    'samovar_event_loop_lag_seconds',
    'How late a timer due every 100 ms fired, per process (label worker).',
    LAG_BUCKETS_S,
  );
  private readonly cell: HistogramCell = this.family.cell();
  private readonly probe = new LoopLagProbe(SAMPLE_INTERVAL_MS, this);

  start(): void {
    this.probe.start();
  }

  stop(): void {
    this.probe.stop();
  }

  lagSampled(lagMs: number): void {
    this.cell.observe(lagMs / 1000);
  }

  snapshot(): FamilySnapshot {
    return this.family.snapshot();
  }
}
