/**
 * One process's metrics: a prom-client registry with its default process and Node metrics, the
 * engine's HTTP metrics and the event-loop lag histogram, taken together as one snapshot — sent
 * to the primary over IPC in a cluster, or rendered as text by a single process.
 * Must not: send anything (the cluster worker does), or know about sockets.
 */

import { collectDefaultMetrics, Registry } from 'prom-client';
import type { FamilySnapshot, MetricSnapshot, MetricType, Sample } from './family.ts';
import { SnapshotDiff } from './delta.ts';
import { HttpMetrics } from './http-metrics.ts';
import type { ConnectionCounts } from './http-metrics.ts';
import { LagSampler } from './lag.ts';

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly http: HttpMetrics;
  private readonly lag = new LagSampler();
  /** Increases with every snapshot, so the primary applies them in order. */
  private seq = 0;
  private readonly diff = new SnapshotDiff();

  constructor(connections: (() => ConnectionCounts) | null = null) {
    this.http = new HttpMetrics(connections);
    collectDefaultMetrics({ register: this.registry });
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
    const base = await this.registry.getMetricsAsJSON();
    const families: FamilySnapshot[] = [...this.http.snapshot(), this.lag.snapshot()];
    // prom-client's typings call `type` an enum; at run time it is the name ('counter', …).
    for (const m of base) {
      const type = m.type as unknown as MetricType;
      families.push({ name: m.name, help: m.help, type, values: m.values as unknown as Sample[] });
    }
    return families;
  }
}
