/**
 * The console's long answers: a `reload`, `scale` or `stop` asked on the control socket is
 * started by the primary's loop like a signal's, and its waiter then follows the lifecycle
 * events until it can say what happened — which slots were replaced and how long each took, why
 * a roll was aborted, which workers started or drained, the primary's exit code. A waiter sees
 * every lifecycle line the primary writes (console.ts hands them over in order), so it reports
 * exactly what the log says, and a SIGHUP or SIGTERM arriving meanwhile is seen the same way.
 * Must not: act on the cluster; it only listens and answers.
 */

import type { RetiredWorker, SlotReplacement, StartedWorker } from './control-protocol.ts';
import { fieldText } from './status-format.ts';
import type { ControlReply } from './control-socket.ts';
import type { LifecycleEvent, LogFields } from './lifecycle-log.ts';

/** A lifecycle line as a waiter sees it. */
export interface LifecycleLine {
  readonly event: LifecycleEvent;
  readonly msg: string;
  readonly fields: LogFields;
  readonly at: number;
}

/** Who serves now (console.ts fills it from the primary's slots). */
export type ServingNow = () => {
  readonly generation: number;
  readonly workers: readonly { slot: number; pid: number; generation: number }[];
};

export interface Waiter {
  /** Returns true once it has answered. */
  line(l: LifecycleLine): boolean;
  /** A deadline passed: answer with what is known. */
  expire?(now: number): void;
  readonly deadline: number;
  readonly reply: ControlReply;
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface Step {
  readonly slot: number;
  readonly workerId: number;
  readonly newPid: number;
  readonly oldPid: number | null;
}

/** `samovar reload`: from the request to the roll's `ok` (or `aborted`, `invalid`, a shutdown). */
export class ReloadWaiter implements Waiter {
  readonly reply: ControlReply;
  readonly deadline = Infinity;
  private readonly startedAt: number;
  private readonly serving: ServingNow;
  private readonly currentPid: (slot: number) => number | null;
  private generation: number | null = null;
  private readonly steps = new Map<number, Step>();
  private readonly replaced: SlotReplacement[] = [];
  private failure: string | null = null;

  constructor(
    reply: ControlReply,
    now: number,
    serving: ServingNow,
    currentPid: (slot: number) => number | null,
  ) {
    this.reply = reply;
    this.startedAt = now;
    this.serving = serving;
    this.currentPid = currentPid;
  }

  line(l: LifecycleLine): boolean {
    const f = l.fields;
    if (l.event === 'shutdown') return this.finish('abandoned', l.at, 'the cluster began shutting down');
    if (l.event === 'reload') return this.onReload(l);
    if (this.generation === null) return false;
    const workerId = num(f.workerId);
    const step = workerId === null ? undefined : this.steps.get(workerId);
    if (l.event === 'spawn' && f.generation === this.generation && workerId !== null) {
      const slot = num(f.slot) ?? -1;
      this.steps.set(workerId, {
        slot,
        workerId,
        newPid: num(f.workerPid) ?? 0,
        oldPid: this.currentPid(slot),
      });
    } else if (l.event === 'ready' && step !== undefined) {
      const readyMs = num(f.bootMs) ?? 0;
      this.replaced.push({ slot: step.slot, oldPid: step.oldPid, newPid: step.newPid, readyMs });
      const from = step.oldPid === null ? 'new worker' : String(step.oldPid);
      this.reply.progress(`slot ${step.slot}: ${from} → ${step.newPid}, ready in ${seconds(readyMs)}`);
    } else if ((l.event === 'error' || l.event === 'exit') && step !== undefined && this.failure === null) {
      const said = typeof f.error === 'string' ? `: ${f.error}` : '';
      const how =
        l.event === 'exit'
          ? `exited (${f.signal !== null ? fieldText(f.signal) : `code ${fieldText(f.code)}`})`
          : l.msg;
      this.failure = `the replacement for slot ${step.slot} (pid ${step.newPid}) ${how}${said}`;
    }
    return false;
  }

  private onReload(l: LifecycleLine): boolean {
    const f = l.fields;
    switch (f.result) {
      case 'invalid':
        return this.generation === null && this.finish('invalid', l.at, fieldText(f.errors ?? l.msg));
      case 'queued':
        if (this.generation === null)
          this.reply.progress('a roll is under way; this reload runs right after it');
        return false;
      case 'started':
        if (this.generation !== null) return false;
        this.generation = num(f.generation);
        this.reply.progress(
          `configuration read; rolling the workers to generation ${fieldText(f.generation)}`,
        );
        return false;
      case 'ok':
      case 'aborted':
        if (f.generation !== this.generation) return false;
        return this.finish(f.result, l.at, f.result === 'aborted' ? this.abortReason(l.msg) : undefined);
      default:
        return false;
    }
  }

  private abortReason(msg: string): string {
    return this.failure ?? msg.replace(/^reload aborted: /, '');
  }

  private finish(result: 'ok' | 'aborted' | 'invalid' | 'abandoned', at: number, reason?: string): boolean {
    this.reply.result({
      command: 'reload',
      ok: result === 'ok',
      result,
      generation: this.generation,
      durationMs: at - this.startedAt,
      replaced: this.replaced,
      ...(reason === undefined ? {} : { reason }),
      serving: this.serving(),
    });
    return true;
  }
}

/** `samovar scale N`: until each new slot's worker is ready, or each retired worker has exited. */
export class ScaleWaiter implements Waiter {
  readonly reply: ControlReply;
  readonly deadline: number;
  private readonly from: number;
  private readonly to: number;
  /** Up: slots waiting for a ready worker. Down: pids waiting to exit. */
  private readonly pending: Set<number>;
  private readonly started: StartedWorker[] = [];
  private readonly retired: RetiredWorker[] = [];
  private readonly drainMs = new Map<number, number>();

  constructor(reply: ControlReply, from: number, to: number, retiring: readonly number[], deadline: number) {
    this.reply = reply;
    this.from = from;
    this.to = to;
    this.deadline = deadline;
    this.pending = new Set(to > from ? range(from, to) : retiring);
  }

  /** True when there is nothing to wait for (the count did not change, or nothing was running). */
  get idle(): boolean {
    return this.pending.size === 0;
  }

  line(l: LifecycleLine): boolean {
    const f = l.fields;
    const slot = num(f.slot) ?? -1;
    const pid = num(f.workerPid) ?? -1;
    if (l.event === 'shutdown') return this.finish(false, 'the cluster began shutting down');
    if (this.to > this.from) {
      if (l.event === 'ready' && this.pending.delete(slot)) {
        this.started.push({ slot, pid, readyMs: num(f.bootMs) });
        this.reply.progress(`slot ${slot}: pid ${pid} ready in ${seconds(num(f.bootMs) ?? 0)}`);
      } else if (l.event === 'restart' && this.pending.delete(slot)) {
        this.started.push({ slot, pid: 0, readyMs: null, error: `failed to start (${fieldText(f.reason)})` });
      }
    } else if (l.event === 'drained' && this.pending.has(pid)) {
      this.drainMs.set(pid, num(f.durationMs) ?? 0);
    } else if (l.event === 'exit' && this.pending.delete(pid)) {
      const signal = typeof f.signal === 'string' ? f.signal : null;
      this.retired.push({ slot, pid, code: num(f.code), signal, durationMs: this.drainMs.get(pid) ?? null });
      this.reply.progress(`slot ${slot}: pid ${pid} drained and exited`);
    }
    if (this.pending.size > 0) return false;
    return this.finish(this.started.every((s) => s.error === undefined));
  }

  expire(): void {
    const what = this.to > this.from ? 'slots' : 'workers';
    this.finish(false, `timed out waiting for ${what} ${[...this.pending].join(', ')}`);
  }

  finish(ok: boolean, reason?: string): boolean {
    const { from, to, started, retired } = this;
    this.reply.result({
      command: 'scale',
      ok,
      from,
      to,
      started,
      retired,
      ...(reason === undefined ? {} : { reason }),
    });
    return true;
  }
}

/** `samovar stop`: the shutdown's phases as progress, then the primary's exit code. */
export class StopWaiter implements Waiter {
  readonly reply: ControlReply;
  readonly deadline = Infinity;
  private readonly startedAt: number;

  constructor(reply: ControlReply, now: number) {
    this.reply = reply;
    this.startedAt = now;
  }

  line(l: LifecycleLine): boolean {
    const f = l.fields;
    if (l.event === 'exit')
      this.reply.progress(`worker ${fieldText(f.workerPid)} (slot ${fieldText(f.slot)}) exited`);
    if (l.event !== 'shutdown') return false;
    switch (f.phase) {
      case 'unready':
        this.reply.progress(
          `readiness 503; draining in ${fieldText(f.drainDelayMs)} ms, deadline ${fieldText(f.timeoutMs)} ms`,
        );
        return false;
      case 'drain':
        this.reply.progress(`draining ${fieldText(f.workers)} worker(s)`);
        return false;
      case 'halt':
      case 'exit': {
        const code = num(f.code) ?? 1;
        this.reply.result({ command: 'stop', ok: code === 0, code, durationMs: l.at - this.startedAt });
        return true;
      }
      default:
        return false;
    }
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
