/**
 * The supervisor's pure parts, without processes: backoff arithmetic, recycling decisions, the
 * rolling path's step logic (with a fake host), and the IPC guards.
 */

import type { Worker } from 'node:cluster';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { backoffDelay, SlotBackoff } from '../../src/cluster/backoff.ts';
import { isPrimaryMessage, isWorkerMessage, message } from '../../src/cluster/messages.ts';
import type { HeartbeatMessage } from '../../src/cluster/messages.ts';
import { Roll } from '../../src/cluster/roll.ts';
import type { ReloadRun, RollHost } from '../../src/cluster/roll.ts';
import { createSlot, createWorkerRecord, recycleCause, WorkerState } from '../../src/cluster/slots.ts';
import type { Slot, WorkerRecord } from '../../src/cluster/slots.ts';

const POLICY = { backoffInitialMs: 100, backoffMaxMs: 1_000, stableUptimeMs: 5_000, crashLoopRestarts: 3 };

function config(env: Record<string, string> = {}): Config {
  const loaded = loadConfig({ argv: [], env: { SAMOVAR_WORKERS: '2', ...env } });
  if (!loaded.ok) throw new Error('test config invalid');
  return loaded.config;
}

let nextId = 1;
function record(slot: number, generation = 1, cfg = config(), random = 0): WorkerRecord {
  const id = nextId++;
  const proc = { id, process: { pid: 1000 + id } } as unknown as Worker;
  return createWorkerRecord({ process: proc, slot, generation, config: cfg, now: 0, random });
}

function heartbeat(requests: number, rssBytes = 1): HeartbeatMessage {
  const body = { lagMeanMs: 0, lagMaxMs: 0, rssBytes, heapUsedBytes: 1, requests, openConnections: 0 };
  return message('heartbeat', body);
}

describe('backoff', () => {
  it('respawns the first failure at once, then doubles up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelay(POLICY, n))).toEqual([
      0, 100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('counts failures in a row, resets after a stable run, and flags a crash loop', () => {
    const b = new SlotBackoff();
    expect(b.fail(POLICY, 0, 10)).toBe(0);
    expect(b.fail(POLICY, 0, 10)).toBe(100);
    expect(b.crashLooping(POLICY)).toBe(false);
    expect(b.fail(POLICY, 50, 10)).toBe(200);
    expect(b.notBefore).toBe(250);
    expect(b.crashLooping(POLICY)).toBe(true);
    // A worker that ran 5 s before failing starts the count afresh.
    expect(b.fail(POLICY, 0, 5_000)).toBe(0);
    expect(b.failures).toBe(1);
    expect(b.settle()).toBe(true);
    expect(b.failures).toBe(0);
  });
});

describe('recycling', () => {
  it('recycles after maxRequests plus this worker’s jitter, or above the memory cap', () => {
    const cfg = config({
      SAMOVAR_CLUSTER_MAX_REQUESTS_PER_WORKER: '100',
      SAMOVAR_CLUSTER_MAX_REQUESTS_JITTER: '10',
    });
    const w = record(0, 1, cfg, 0.99);
    expect(w.maxRequests).toBe(110);
    w.state = WorkerState.READY;
    w.heartbeat = heartbeat(109);
    expect(recycleCause(w)).toBeNull();
    w.heartbeat = heartbeat(110);
    expect(recycleCause(w)).toBe('served 110 requests');
    w.recycleQueued = true;
    expect(recycleCause(w)).toBeNull();

    const m = record(0, 1, config({ SAMOVAR_CLUSTER_MAX_WORKER_MEMORY_BYTES: '1000' }));
    m.state = WorkerState.READY;
    m.heartbeat = heartbeat(5, 1001);
    expect(recycleCause(m)).toBe('resident memory 1001 bytes');
  });

  it('never recycles with the limits at 0 (the defaults)', () => {
    const w = record(0);
    w.state = WorkerState.READY;
    w.heartbeat = heartbeat(1e9, 1e12);
    expect(w.maxRequests).toBe(0);
    expect(recycleCause(w)).toBeNull();
  });
});

/** A host that records what the roll asked for. */
class FakeHost implements RollHost {
  slots: Slot[] = [createSlot(0), createSlot(1)];
  generation = 2;
  retired: number[] = [];
  ended: string[] = [];
  spawnNext(slot: Slot): WorkerRecord {
    slot.next = record(slot.index, this.generation);
    return slot.next;
  }
  retire(w: WorkerRecord): void {
    this.retired.push(w.id);
  }
  reloadEnded(_run: ReloadRun, result: 'ok' | 'aborted'): void {
    this.ended.push(result);
  }
  recycleFailed(): void {}
}

function readyHost(): FakeHost {
  const host = new FakeHost();
  for (const slot of host.slots) {
    slot.current = record(slot.index, 1);
    slot.current.state = WorkerState.READY;
  }
  return host;
}

const run = (): ReloadRun => ({
  previous: { config: config(), generation: 1, wanted: 2 },
  generation: 2,
  startedAt: 0,
  replaced: 0,
});

describe('the rolling path', () => {
  it('replaces one slot at a time, draining the old worker only once the new one is ready', () => {
    const host = readyHost();
    const roll = new Roll();
    const old = host.slots.map((s) => (s.current as WorkerRecord).id);
    roll.startReload(run(), host.slots);
    roll.step(host);
    expect(host.slots[0]?.next?.state).toBe(WorkerState.STARTING);
    expect(host.slots[1]?.next).toBeNull();
    roll.step(host);
    expect(host.retired).toEqual([]);

    (host.slots[0]?.next as WorkerRecord).state = WorkerState.READY;
    roll.step(host);
    expect(host.retired).toEqual([old[0]]);
    expect(host.slots[1]?.next?.state).toBe(WorkerState.STARTING);
    (host.slots[1]?.next as WorkerRecord).state = WorkerState.READY;
    roll.step(host);
    expect(host.retired).toEqual(old);
    expect(host.ended).toEqual(['ok']);
    expect(roll.busy).toBe(false);
  });

  it('aborts when a replacement goes away before it is ready, keeping the rest', () => {
    const host = readyHost();
    const roll = new Roll();
    roll.startReload(run(), host.slots);
    roll.step(host);
    (host.slots[0] as Slot).next = null; // the replacement exited or was killed
    roll.step(host);
    expect(host.ended).toEqual(['aborted']);
    expect(host.retired).toEqual([]);
    expect(host.slots[1]?.next).toBeNull();
    expect(roll.busy).toBe(false);
  });
});

describe('IPC guards', () => {
  it('accept only this version’s messages, each in its own direction', () => {
    expect(isWorkerMessage(message('hello', {}))).toBe(true);
    expect(isPrimaryMessage(message('hello', {}))).toBe(false);
    expect(isPrimaryMessage(message('drain', { reason: 'reload', graceMs: 1, deadlineMs: 2 }))).toBe(true);
    expect(isWorkerMessage({ samovar: 2, type: 'hello' })).toBe(false);
    expect(isWorkerMessage({ cmd: 'NODE_CLUSTER' })).toBe(false);
    expect(isWorkerMessage(null)).toBe(false);
    // A listening socket goes both ways under reuseport: to the primary, and on to a replacement.
    const listener = message('listener', { host: '127.0.0.1', port: 8080 });
    expect([isWorkerMessage(listener), isPrimaryMessage(listener)]).toEqual([true, true]);
  });
});
