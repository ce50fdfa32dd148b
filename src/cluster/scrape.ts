/**
 * One scrape of the workers, as the primary runs it: ask every serving worker for a fresh
 * snapshot under a new scrape id, and resolve when all have answered or `timeoutMs` has passed,
 * whichever is first — with who answered (fresh) and how many did not (left out, counted in
 * `samovar_scrape_worker_errors_total`). A worker that exits meanwhile simply does not answer.
 * Scrapes may overlap (two Prometheus servers); each has its own id.
 * Must not: hold metric values (the aggregate does) or wait for anything but answers and its timer.
 */

export interface ScrapeTarget {
  /** The worker's key in the aggregate (its cluster id). */
  readonly key: string;
  /** Sends the scrape request; false when it could not be sent (the channel is closed). */
  ask(id: number): boolean;
}

export interface ScrapeOutcome {
  readonly fresh: ReadonlySet<string>;
  readonly missed: number;
}

interface Pending {
  readonly waiting: Set<string>;
  readonly fresh: Set<string>;
  /** Targets that could not even be asked. */
  unasked: number;
  timer: NodeJS.Timeout | null;
  readonly resolve: (outcome: ScrapeOutcome) => void;
}

export class Scrapes {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  run(targets: readonly ScrapeTarget[], timeoutMs: number): Promise<ScrapeOutcome> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const p: Pending = { waiting: new Set(), fresh: new Set(), unasked: 0, timer: null, resolve };
      this.pending.set(id, p);
      for (const t of targets) {
        if (t.ask(id)) p.waiting.add(t.key);
        else p.unasked++;
      }
      if (p.waiting.size === 0) return this.finish(id);
      p.timer = setTimeout(() => this.finish(id), timeoutMs);
    });
  }

  /** `key` answered scrape `id` (its snapshot is already in the aggregate). */
  answered(key: string, id: number): void {
    const p = this.pending.get(id);
    if (p === undefined || !p.waiting.delete(key)) return;
    p.fresh.add(key);
    if (p.waiting.size === 0) this.finish(id);
  }

  /** `key` exited: it will answer no scrape; those waiting for it stop waiting (it is missed). */
  gone(key: string): void {
    for (const [id, p] of this.pending) {
      if (p.waiting.delete(key)) {
        p.unasked++;
        if (p.waiting.size === 0) this.finish(id);
      }
    }
  }

  private finish(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    if (p.timer !== null) clearTimeout(p.timer);
    p.resolve({ fresh: p.fresh, missed: p.waiting.size + p.unasked });
  }
}
