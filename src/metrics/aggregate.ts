/**
 * The primary's view of the cluster's metrics: the newest snapshot of each live worker, the
 * totals retired workers left behind, and the merge of those with the primary's own metrics
 * into one exposition.
 *
 * Workers send changes, not whole snapshots (delta.ts): each live worker's picture is kept
 * whole and updated by the changes in `seq` order.
 * Monotonic counters when workers come and go: a worker's picture only moves forward (its
 * `seq`), and when it exits its counters and histograms are folded into the retired
 * totals — the final snapshot it pushed while draining, else the newest the primary has (a
 * heartbeat's or a scrape's: a crash loses at most the counts since then, and what was shown
 * never exceeds what is kept, so no sum goes down).
 * A worker that did not answer this scrape in time is left out of it: its gauges and
 * per-worker series are missing from this scrape, but its counters and histograms are still
 * counted at their last known values, because dropping them would look like a counter reset to
 * Prometheus (a `rate()` spike), and they were true a moment ago.
 * Must not: talk to workers (the cluster's scrape does), or block on anything.
 */

import { seriesKey } from './family.ts';
import type { FamilySnapshot, Labels, MetricSnapshot, Sample } from './family.ts';
import { SnapshotState } from './delta.ts';
import { renderFamilies } from './exposition.ts';
import { Policy, policyOf, retained, WORKER_LABEL } from './policy.ts';

interface Source {
  seq: number;
  readonly state: SnapshotState;
}

interface MergedSample {
  readonly metricName: string | undefined;
  readonly labels: Labels;
  value: number;
}

interface MergedFamily extends Omit<FamilySnapshot, 'values'> {
  readonly policy: Policy;
  readonly samples: Map<string, MergedSample>;
}

/** Families by name, merged sample by sample according to each family's policy. */
class Merge {
  readonly families = new Map<string, MergedFamily>();

  add(family: FamilySnapshot, worker: string | null): void {
    let merged = this.families.get(family.name);
    if (merged === undefined) {
      const { name, help, type } = family;
      merged = { name, help, type, policy: policyOf(name), samples: new Map() };
      this.families.set(name, merged);
    }
    // The same name with another type (a mixed-version roll): keep the first, never mix them.
    if (merged.type !== family.type) return;
    for (const s of family.values) this.addSample(merged, s, worker);
  }

  private addSample(f: MergedFamily, s: Sample, worker: string | null): void {
    const labels =
      f.policy === Policy.WORKER && worker !== null ? { ...s.labels, [WORKER_LABEL]: worker } : s.labels;
    const key = seriesKey(s.metricName ?? f.name, labels);
    const value = s.value ?? NaN;
    const seen = f.samples.get(key);
    if (seen === undefined) f.samples.set(key, { metricName: s.metricName, labels, value });
    else if (f.policy === Policy.SUM) seen.value += value;
  }

  snapshot(): FamilySnapshot[] {
    return [...this.families.values()].map((f) => ({
      name: f.name,
      help: f.help,
      type: f.type,
      values: [...f.samples.values()],
    }));
  }
}

export class ClusterAggregate {
  private readonly live = new Map<string, Source>();
  private readonly retiredTotals = new Merge();
  private retiredWorkers = 0;

  /** Applies `worker`'s changes numbered `seq` (its first snapshot is whole), unless older. */
  update(worker: string, seq: number, changes: MetricSnapshot): void {
    let current = this.live.get(worker);
    if (current === undefined) {
      current = { seq: 0, state: new SnapshotState() };
      this.live.set(worker, current);
    }
    if (current.seq >= seq) return;
    current.seq = seq;
    current.state.apply(changes);
  }

  has(worker: string): boolean {
    return this.live.has(worker);
  }

  /** `worker` is gone: its counters and histograms join the retired totals. */
  retire(worker: string): void {
    const source = this.live.get(worker);
    this.live.delete(worker);
    if (source === undefined) return;
    this.retiredWorkers++;
    for (const f of source.state.snapshot()) if (retained(f.name, f.type)) this.retiredTotals.add(f, null);
  }

  /** Workers whose counters have been folded into the retired totals. */
  get retiredCount(): number {
    return this.retiredWorkers;
  }

  /**
   * The cluster's families: retired totals, then each live worker (all of it if it answered
   * this scrape, only its counters and histograms if not), then the primary's own.
   */
  merge(own: MetricSnapshot, fresh: ReadonlySet<string>, ownLabel = 'primary'): FamilySnapshot[] {
    const merge = new Merge();
    for (const [worker, source] of this.live) {
      const answered = fresh.has(worker);
      for (const f of source.state.snapshot()) if (answered || retained(f.name, f.type)) merge.add(f, worker);
    }
    for (const f of this.retiredTotals.snapshot()) merge.add(f, null);
    for (const f of own) merge.add(f, ownLabel);
    return merge.snapshot();
  }

  render(own: MetricSnapshot, fresh: ReadonlySet<string>): string {
    return renderFamilies(this.merge(own, fresh));
  }
}
