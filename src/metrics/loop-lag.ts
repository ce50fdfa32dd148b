/**
 * How late the event loop runs: a timer due every `intervalMs` records by how much it fired
 * late. Shared by the lag histogram (metrics) and the overload guard (src/server), which only
 * differ in how often they look and what they do with a sample.
 * One timer, refreshed rather than recreated, unref'd so it never keeps a process up.
 * Must not: do anything on its tick beyond recording the sample and telling its listener.
 */

/** Told each sample, in milliseconds. */
export interface LagListener {
  lagSampled(lagMs: number): void;
}

export class LoopLagProbe {
  /** The last sample, in milliseconds (0 before the first). */
  lastMs = 0;
  private readonly intervalMs: number;
  private readonly listener: LagListener | null;
  private timer: NodeJS.Timeout | null = null;
  private due = 0;

  constructor(intervalMs: number, listener: LagListener | null = null) {
    this.intervalMs = intervalMs;
    this.listener = listener;
  }

  start(): void {
    if (this.timer !== null) return;
    this.due = performance.now() + this.intervalMs;
    this.timer = setTimeout(tick, this.intervalMs, this);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  sample(): void {
    const now = performance.now();
    this.lastMs = Math.max(0, now - this.due);
    this.due = now + this.intervalMs;
    this.timer?.refresh();
    this.listener?.lagSampled(this.lastMs);
  }
}

function tick(probe: LoopLagProbe): void {
  probe.sample();
}
