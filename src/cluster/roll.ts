/**
 * The rolling path: replace workers one slot at a time, each replacement started next to the
 * worker it replaces and promoted only once it says ready; only then is the old one drained.
 * Reloads (SIGHUP) and recycling (maxRequestsPerWorker, maxWorkerMemoryBytes) both go through
 * it, so at most one slot is ever short of a serving worker's worth of readiness.
 *
 * A replacement that exits or misses `readyTimeoutMs` aborts a reload: the slots not yet rolled
 * keep their old workers, and the configuration reverts so crash respawns use the old one too.
 * A reload asked for during a roll is remembered (several coalesce into one) and run after it.
 * Must not: fork, kill or log itself; it calls back into the primary through `RollHost`.
 */

import type { Config } from '../config/index.ts';
import { RetireReason } from './messages.ts';
import { ReloadResult } from './reload.ts';
import type { Slot, WorkerRecord } from './slots.ts';
import { WorkerState } from './slots.ts';

type RollReason = typeof RetireReason.RELOAD | typeof RetireReason.RECYCLE;
/** How a roll ends a reload; an invalid configuration never reaches it. */
export type RollResult = Exclude<ReloadResult, typeof ReloadResult.INVALID>;

interface RollItem {
  readonly slot: number;
  readonly reason: RollReason;
}

interface ActiveStep {
  readonly item: RollItem;
  /** The replacement; the step is over when it is ready or gone from its slot. */
  readonly worker: WorkerRecord;
}

/** A reload under way: what to go back to if it fails, and what to report when it ends. */
export interface ReloadRun {
  readonly previous: { readonly config: Config; readonly generation: number; readonly wanted: number };
  readonly generation: number;
  readonly startedAt: number;
  replaced: number;
}

/** What the roll needs from the primary. */
export interface RollHost {
  readonly slots: readonly Slot[];
  readonly generation: number;
  /** Forks a replacement for `slot` into `slot.next`, with the current configuration. */
  spawnNext(slot: Slot): WorkerRecord;
  /** Drains `worker`, already detached from its slot, for `reason`. */
  retire(worker: WorkerRecord, reason: RollReason): void;
  /** A reload finished (`ok`) or was aborted; the host logs and, on abort, reverts. */
  reloadEnded(run: ReloadRun, result: RollResult, detail: string): void;
  recycleFailed(slot: Slot): void;
}

export class Roll {
  private queue: RollItem[] = [];
  private active: ActiveStep | null = null;
  reload: ReloadRun | null = null;
  /** SIGHUPs that arrived during a roll, coalesced into one. */
  reloadQueued = false;

  get busy(): boolean {
    return this.reload !== null || this.active !== null || this.queue.length > 0;
  }

  /** Queues every slot for replacement under `run`. */
  startReload(run: ReloadRun, slots: readonly Slot[]): void {
    this.reload = run;
    this.queue = this.queue.filter((item) => item.reason !== RetireReason.RELOAD);
    for (const slot of slots) this.queue.push({ slot: slot.index, reason: RetireReason.RELOAD });
  }

  recycle(slot: number): void {
    this.queue.push({ slot, reason: RetireReason.RECYCLE });
  }

  /** After an aborted reload: replace a slot already rolled to the aborted generation. */
  rollBack(slot: number): void {
    this.queue.push({ slot, reason: RetireReason.RELOAD });
  }

  /** Forgets everything (shutdown). */
  clear(): void {
    this.queue = [];
    this.active = null;
    this.reload = null;
    this.reloadQueued = false;
  }

  /** Advances the roll as far as it can go now. Call from every reconcile. */
  step(host: RollHost): void {
    if (this.active !== null && !this.advanceActive(host)) return;
    while (this.active === null && this.queue.length > 0) this.startNext(host);
    if (this.active === null && this.queue.length === 0 && this.reload !== null) {
      const run = this.reload;
      this.reload = null;
      host.reloadEnded(run, ReloadResult.OK, `${run.replaced} workers replaced`);
    }
  }

  /** Returns true when the active step is over (promoted or failed), false while it waits. */
  private advanceActive(host: RollHost): boolean {
    const { item, worker } = this.active as ActiveStep;
    const slot = host.slots[item.slot];
    const placed = slot !== undefined && (slot.next === worker || slot.current === worker);
    if (placed && worker.state === WorkerState.STARTING) return false;
    this.active = null;
    if (slot === undefined) return true;
    if (placed) {
      // The crash path may have promoted it already (the old worker died meanwhile).
      if (slot.next === worker) {
        const old = slot.current;
        slot.current = worker;
        slot.next = null;
        if (old !== null) host.retire(old, item.reason);
      }
      if (this.reload !== null && item.reason === RetireReason.RELOAD) this.reload.replaced++;
      return true;
    }
    if (item.reason === RetireReason.RECYCLE) host.recycleFailed(slot);
    else this.abortReload(host, slot);
    return true;
  }

  private abortReload(host: RollHost, slot: Slot): void {
    const run = this.reload;
    this.queue = this.queue.filter((item) => item.reason !== RetireReason.RELOAD);
    this.reload = null;
    if (run !== null)
      host.reloadEnded(run, ReloadResult.ABORTED, `replacement for slot ${slot.index} never became ready`);
  }

  private startNext(host: RollHost): void {
    const item = this.queue.shift() as RollItem;
    const slot = host.slots[item.slot];
    const current = slot?.current ?? null;
    // A slot without a ready worker is respawned by the crash path, with the newest config.
    if (slot === undefined || current === null || current.state !== WorkerState.READY || slot.next !== null)
      return;
    if (item.reason === RetireReason.RELOAD && current.generation === host.generation) return;
    this.active = { item, worker: host.spawnNext(slot) };
  }
}
