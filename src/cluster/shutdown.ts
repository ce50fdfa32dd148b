/**
 * Graceful shutdown of the whole cluster (SIGTERM / SIGINT), run by the primary's loop in place
 * of its usual reconcile:
 *   1. at once: `/readyz` answers 503 everywhere (the primary broadcasts `stopping`);
 *   2. after `shutdown.drainDelayMs` (time for load balancers to notice): every worker drains;
 *   3. each worker has `shutdown.timeoutMs` to finish in-flight requests, then cuts the rest
 *      and says how many; one still alive a margin later is killed;
 *   4. the primary exits 0 if every worker finished cleanly, else 1.
 * A second SIGTERM / SIGINT, or SIGQUIT, halts: every worker is killed and the primary exits 1.
 * Must not: respawn anything, or exit before every worker is gone (that would orphan them).
 */

import type { LifecycleEvent, LifecycleLevel, LogFields } from './lifecycle-log.ts';
import { RetireReason } from './messages.ts';
import type { WorkerRecord } from './slots.ts';
import { WorkerState } from './slots.ts';

/** Past its own deadline a draining worker gets this long to report and exit before SIGKILL. */
export const KILL_MARGIN_MS = 1_000;

export interface ShutdownSettings {
  readonly drainDelayMs: number;
  readonly timeoutMs: number;
}

export interface ShutdownHost {
  retire(w: WorkerRecord, reason: RetireReason): void;
  kill(w: WorkerRecord): void;
  log(level: LifecycleLevel, event: LifecycleEvent, msg: string, fields?: LogFields): void;
}

export class Shutdown {
  private readonly host: ShutdownHost;
  private readonly drainAt: number;
  private readonly startedAt: number;
  private drainSent = false;
  /** Something did not finish cleanly: a cut request, a kill, a crash. */
  private failed = false;

  constructor(host: ShutdownHost, settings: ShutdownSettings, now: number) {
    this.host = host;
    this.startedAt = now;
    this.drainAt = now + settings.drainDelayMs;
    const fields = { phase: 'unready', drainDelayMs: settings.drainDelayMs, timeoutMs: settings.timeoutMs };
    host.log('info', 'shutdown', 'shutting down: readiness 503, draining after the delay', fields);
  }

  /** One step of the loop while shutting down; exits the process when no worker is left. */
  reconcile(now: number, workers: readonly WorkerRecord[]): void {
    if (!this.drainSent && now >= this.drainAt) {
      this.drainSent = true;
      this.host.log('info', 'shutdown', 'draining all workers', { phase: 'drain', workers: workers.length });
      for (const w of workers) this.host.retire(w, RetireReason.SHUTDOWN);
    }
    for (const w of workers) {
      if (w.state !== WorkerState.DRAINING || w.killed || now <= w.killAt) continue;
      this.host.log('warn', 'shutdown', 'worker missed the drain deadline; killing it', { workerPid: w.pid });
      this.host.kill(w);
    }
    if (workers.length === 0) this.exit(now);
  }

  /** A worker is gone; anything but a clean drain makes the exit code non-zero. */
  exited(w: WorkerRecord, code: number, signal: string | null): void {
    if (code !== 0 || signal !== null || w.killed || w.cut > 0 || w.retireReason === null) {
      this.failed = true;
    }
  }

  /** Stops at once: every worker killed, exit 1. */
  halt(signal: NodeJS.Signals, workers: readonly WorkerRecord[]): never {
    this.host.log('warn', 'shutdown', `${signal}: stopping at once`, {
      phase: 'halt',
      workers: workers.length,
    });
    for (const w of workers) this.host.kill(w);
    process.exit(1);
  }

  private exit(now: number): never {
    const code = this.failed ? 1 : 0;
    this.host.log(code === 0 ? 'info' : 'warn', 'shutdown', 'primary exiting', {
      phase: 'exit',
      code,
      durationMs: now - this.startedAt,
    });
    process.exit(code);
  }
}
