/**
 * A process's own metrics from prom-client's default collectors (`process_*`: CPU, memory, file
 * descriptors, start time; `nodejs_*`: event-loop lag, handles, heap, GC, version) as plain
 * families. The one bridge between prom-client and Samovar: a worker and the primary each keep
 * one, and every other metric of theirs is one of Samovar's own families (family.ts).
 * Must not: register anything of Samovar's own with prom-client.
 */

import { collectDefaultMetrics, Registry } from 'prom-client';
import type { FamilySnapshot, MetricType, Sample } from './family.ts';

export class ProcessMetrics {
  private readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Every default family now, in prom-client's order. */
  async snapshot(): Promise<FamilySnapshot[]> {
    const json = await this.registry.getMetricsAsJSON();
    // Already a snapshot's shape (family.ts); prom-client's typings call `type` an enum, but at
    // run time it is the name ('counter', …).
    return json.map((m) => ({
      name: m.name,
      help: m.help,
      type: m.type as unknown as MetricType,
      values: m.values as unknown as Sample[],
    }));
  }
}
