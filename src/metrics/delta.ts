/**
 * Metric snapshots sent as changes: a worker sends only the samples whose value changed since
 * its previous snapshot (the first one is whole), and the primary applies them to the picture it
 * keeps of that worker. Values stay absolute (a counter's total, not an increment), so applying
 * a change twice is harmless, and what the primary holds is always a true past state.
 *
 * Why: every heartbeat used to carry the whole registry (prom-client's default metrics, every
 * histogram bucket of every route), about 190 kB/s of IPC per worker, most of it unchanged.
 * Smaller snapshots can go more often, so a worker killed with SIGKILL loses less.
 * Order matters: changes must be computed and sent in one synchronous step, in `seq` order, and
 * applied in that order (IPC to one worker is ordered); the caller keeps that promise.
 * Must not: send anything, or know about workers.
 */

import { seriesKey } from './family.ts';
import type { FamilySnapshot, MetricSnapshot, Sample } from './family.ts';

/** One series' identity within its family (a histogram's lines carry their own metric name). */
function sampleKey(family: string, s: Sample): string {
  return seriesKey(s.metricName ?? family, s.labels);
}

/**
 * A family in a change set. `replace`: some series of it are gone since the last message (prom-
 * client rebuilds `nodejs_active_handles{type}` on every collect, so a type with none left
 * vanishes); the family then travels whole, and the receiver drops what it no longer lists.
 */
export interface ChangedFamily extends FamilySnapshot {
  readonly replace?: boolean;
}

/** The worker's side: remembers what it last sent and returns what changed since. */
export class SnapshotDiff {
  private readonly sent = new Map<string, Map<string, number | null>>();

  /** The families and samples that changed since the last call; the first call returns all. */
  changes(families: MetricSnapshot): ChangedFamily[] {
    const out: ChangedFamily[] = [];
    for (const f of families) {
      const before = this.sent.get(f.name);
      const now = new Map<string, number | null>();
      const values: Sample[] = [];
      for (const s of f.values) {
        const key = sampleKey(f.name, s);
        now.set(key, s.value);
        const was = before?.get(key);
        if (was === undefined || !Object.is(was, s.value)) values.push(s);
      }
      this.sent.set(f.name, now);
      let gone = false;
      if (before !== undefined) for (const key of before.keys()) if (!now.has(key)) gone = true;
      const { name, help, type } = f;
      if (gone) out.push({ name, help, type, values: f.values, replace: true });
      else if (values.length > 0 || before === undefined) out.push({ name, help, type, values });
    }
    return out;
  }
}

interface KeptFamily extends Omit<FamilySnapshot, 'values'> {
  readonly samples: Map<string, Sample>;
}

/** The primary's side: one worker's picture, kept whole and updated by changes. */
export class SnapshotState {
  private readonly families = new Map<string, KeptFamily>();

  /** Applies a snapshot's changes (or a whole snapshot: the same operation). */
  apply(changes: readonly ChangedFamily[]): void {
    for (const f of changes) {
      let kept = this.families.get(f.name);
      if (kept === undefined || kept.type !== f.type || f.replace === true) {
        kept = { name: f.name, help: f.help, type: f.type, samples: new Map() };
        this.families.set(f.name, kept);
      }
      for (const s of f.values) kept.samples.set(sampleKey(f.name, s), s);
    }
  }

  /** The whole picture as families. */
  snapshot(): FamilySnapshot[] {
    const out: FamilySnapshot[] = [];
    for (const f of this.families.values())
      out.push({ name: f.name, help: f.help, type: f.type, values: [...f.samples.values()] });
    return out;
  }
}
