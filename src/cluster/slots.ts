/**
 * What the primary knows about each worker process and each slot. A slot is a numbered place
 * for one serving worker (0 … workers−1); its worker comes and goes (crash, hang, recycle,
 * reload) while the slot, its crash count and its configuration stay.
 *
 * A worker's states, named for what happens next:
 *   STARTING (forked, not listening yet) → READY (serving) → DRAINING (told to drain) → gone.
 * Any state may end early: an exit event removes the worker wherever it is.
 * Must not: fork, kill, send or log; primary.ts acts on these records.
 */

import type { Worker } from 'node:cluster';
import type { Config } from '../config/index.ts';
import { SlotBackoff } from './backoff.ts';
import type { HeartbeatMessage, RetireReason } from './messages.ts';

export const WorkerState = {
  STARTING: 'starting',
  READY: 'ready',
  DRAINING: 'draining',
} as const;
export type WorkerState = (typeof WorkerState)[keyof typeof WorkerState];

export interface WorkerRecord {
  readonly process: Worker;
  /** `node:cluster`'s id: unique for the primary's life, never reused. */
  readonly id: number;
  readonly pid: number;
  readonly slot: number;
  readonly generation: number;
  readonly config: Config;
  state: WorkerState;
  readonly spawnedAt: number;
  readyAt: number;
  /** Last message of any kind (a heartbeat, mostly); silence past `hangTimeoutMs` is a hang. */
  lastSeenAt: number;
  /** The latest heartbeat, for recycling decisions and logs. */
  heartbeat: HeartbeatMessage | null;
  /** Requests after which this worker is recycled (its jitter drawn at spawn); 0 = never. */
  readonly maxRequests: number;
  /** Set once the worker is on its way out, and why. */
  retireReason: RetireReason | null;
  /** A recycle has been queued for it: do not queue another. */
  recycleQueued: boolean;
  /** When DRAINING: the time past which it is killed. */
  killAt: number;
  /** The primary sent SIGKILL (deadline, hang, failed start). */
  killed: boolean;
  /** What its `drained` message said was cut (connections open at its deadline). */
  cut: number;
}

export interface Slot {
  readonly index: number;
  /** The worker serving this slot (or starting to). */
  current: WorkerRecord | null;
  /** A replacement starting next to `current` (rolling path): promoted when ready. */
  next: WorkerRecord | null;
  readonly backoff: SlotBackoff;
  /** Logged as crash-looping: say so once, and once when it recovers. */
  crashLooping: boolean;
}

export function createSlot(index: number): Slot {
  return { index, current: null, next: null, backoff: new SlotBackoff(), crashLooping: false };
}

export interface NewWorker {
  readonly process: Worker;
  readonly slot: number;
  readonly generation: number;
  readonly config: Config;
  readonly now: number;
  /** In [0, 1): where this worker's jitter falls. */
  readonly random: number;
}

export function createWorkerRecord(w: NewWorker): WorkerRecord {
  const { maxRequestsPerWorker, maxRequestsJitter } = w.config.cluster;
  const maxRequests =
    maxRequestsPerWorker === 0 ? 0 : maxRequestsPerWorker + Math.floor(w.random * (maxRequestsJitter + 1));
  return {
    process: w.process,
    id: w.process.id,
    pid: w.process.process.pid ?? -1,
    slot: w.slot,
    generation: w.generation,
    config: w.config,
    state: WorkerState.STARTING,
    spawnedAt: w.now,
    readyAt: 0,
    lastSeenAt: w.now,
    heartbeat: null,
    maxRequests,
    retireReason: null,
    recycleQueued: false,
    killAt: 0,
    killed: false,
    cut: 0,
  };
}

/** Identity fields for a log line about `w`. */
export function workerFields(w: WorkerRecord): Record<string, number> {
  return { workerId: w.id, workerPid: w.pid, slot: w.slot, generation: w.generation };
}

/** Why a READY worker should be recycled now, or null. */
export function recycleCause(w: WorkerRecord): string | null {
  const hb = w.heartbeat;
  if (w.state !== WorkerState.READY || w.recycleQueued || w.retireReason !== null || hb === null) return null;
  if (w.maxRequests > 0 && hb.requests >= w.maxRequests) return `served ${hb.requests} requests`;
  const maxRss = w.config.cluster.maxWorkerMemoryBytes;
  if (maxRss > 0 && hb.rssBytes > maxRss) return `resident memory ${hb.rssBytes} bytes`;
  return null;
}

/** Which deadline `w` has missed at `now`, if any: its ready timeout, its heartbeat, its drain. */
export function overdue(w: WorkerRecord, now: number): 'ready' | 'hang' | 'drain' | null {
  const c = w.config.cluster;
  if (w.killed) return null;
  if (w.state === WorkerState.STARTING && now - w.spawnedAt > c.readyTimeoutMs) return 'ready';
  if (w.state === WorkerState.READY && w.retireReason === null && now - w.lastSeenAt > c.hangTimeoutMs) {
    return 'hang';
  }
  if (w.state === WorkerState.DRAINING && now > w.killAt) return 'drain';
  return null;
}
