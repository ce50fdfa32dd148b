/**
 * One process's metrics: the engine's HTTP metrics, the event-loop lag histogram and the process
 * and Node metrics (process-metrics.ts), taken together as one snapshot — sent to the primary
 * over IPC in a cluster, or rendered as text by a single process.
 * Must not: send anything (the cluster worker does), or know about sockets.
 */

import type { MetricSnapshot } from './family.ts';
import { SnapshotDiff } from './delta.ts';
import { HttpMetrics } from './http-metrics.ts';
import type { ConnectionCounts } from './http-metrics.ts';
import { LagSampler } from './lag.ts';
import { ProcessMetrics } from './process-metrics.ts';

export class WorkerMetrics {
  readonly http: HttpMetrics;
  private readonly lag = new LagSampler();
  private readonly defaults = new ProcessMetrics();
  /** Increases with every snapshot, so the primary applies them in order. */
  private seq = 0;
  private readonly diff = new SnapshotDiff();

  constructor(connections: (() => ConnectionCounts) | null = null) {
    this.http = new HttpMetrics(connections);
  }

  start(): void {
    this.lag.start();
  }

  stop(): void {
    this.lag.stop();
  }

  /** Every family now; `seq` orders snapshots of this process. */
  async snapshot(): Promise<{ seq: number; families: MetricSnapshot }> {
    const families = await this.collect();
    return { seq: ++this.seq, families };
  }

  /**
   * What changed in `families` (from `collect()`) since the last call, numbered. Synchronous on
   * purpose: the caller sends the result in the same step, so changes leave in `seq` order.
   */
  changes(families: MetricSnapshot): { seq: number; families: MetricSnapshot } {
    return { seq: ++this.seq, families: this.diff.changes(families) };
  }

  /** Every family now, whole. */
  async collect(): Promise<MetricSnapshot> {
    const defaults = await this.defaults.snapshot();
    return [...this.http.snapshot(), this.lag.snapshot(), ...defaults];
  }
}
