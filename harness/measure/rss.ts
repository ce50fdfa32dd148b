/**
 * Worker memory for the hardening scripts and tests: the resident set size of a process from
 * /proc/<pid>/status (Linux), and a sampler that records it for a set of pids over time.
 * Must not: start or stop processes, or judge results.
 */

import { readFileSync } from 'node:fs';

/** Resident set size of `pid` in bytes, or 0 when the process is gone. */
export function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

export interface RssSample {
  /** Milliseconds since the sampler started. */
  readonly t: number;
  readonly pid: number;
  readonly rss: number;
}

/**
 * Samples the RSS of every pid `pids()` names, every `everyMs` (0: only when `sample()` is
 * called — e.g. every MiB of an upload, when the caller's own loop is too busy for timers).
 */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout | null;
  private readonly pids: () => readonly number[];

  constructor(pids: () => readonly number[], everyMs: number) {
    this.pids = pids;
    this.sample();
    this.timer = everyMs > 0 ? setInterval(() => this.sample(), everyMs) : null;
  }

  sample(): void {
    const t = Date.now() - this.started;
    for (const pid of this.pids()) {
      const rss = rssOf(pid);
      if (rss > 0) this.samples.push({ t, pid, rss });
    }
  }

  /** Milliseconds since the sampler started (the time base of `samples`). */
  elapsed(): number {
    return Date.now() - this.started;
  }

  stop(): RssSample[] {
    if (this.timer !== null) clearInterval(this.timer);
    return this.samples;
  }

  /** The largest sample of any pid in `[from, to)` ms, or 0. */
  max(from = 0, to = Infinity): number {
    let max = 0;
    for (const s of this.samples) if (s.t >= from && s.t < to && s.rss > max) max = s.rss;
    return max;
  }
}
