/**
 * The status model and its words: rates and p99 from two heartbeats, restarts and last exits
 * from the lifecycle lines, the cluster's state, the table as `samovar status` prints it on a
 * terminal and in a pipe, and the page as the primary renders it for a browser without JavaScript.
 */
import type { Worker } from 'node:cluster';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.ts';
import { formatStatus, styleFor } from '../../src/console/format.ts';
import { message } from '../../src/cluster/messages.ts';
import type { HeartbeatMessage } from '../../src/cluster/messages.ts';
import { createSlot, createWorkerRecord, WorkerState } from '../../src/cluster/slots.ts';
import type { Slot, WorkerRecord } from '../../src/cluster/slots.ts';
import { formatExit, formatUptime, statusCells } from '../../src/cluster/status-format.ts';
import { StatusModel } from '../../src/cluster/status-model.ts';
import type { PrimaryView } from '../../src/cluster/status-model.ts';
import { renderStatusPage, STATUS_PAGE_CSP } from '../../src/cluster/status-page.ts';

const config = defaultConfig();

function worker(id: number, slot: number, generation: number, now: number): WorkerRecord {
  const proc = { id, process: { pid: 4000 + id } } as unknown as Worker;
  const w = createWorkerRecord({ process: proc, slot, generation, config, now, random: 0 });
  w.state = WorkerState.READY;
  return w;
}

function beat(
  requests: number,
  durations: number[] | undefined,
  extra: Partial<HeartbeatMessage> = {},
): HeartbeatMessage {
  return message('heartbeat', {
    lagMeanMs: 0.5,
    lagMaxMs: 3,
    rssBytes: 64 * 1024 * 1024,
    heapUsedBytes: 1,
    requests,
    openConnections: 7,
    durations,
    ...extra,
  });
}

/** What the primary does with a heartbeat: keeps it on the record, then tells the model. */
function heartbeat(model: StatusModel, w: WorkerRecord, m: HeartbeatMessage, at: number) {
  w.heartbeat = m;
  return model.heartbeat(w, m, at);
}

function view(slots: Slot[], workers: WorkerRecord[], over: Partial<PrimaryView> = {}): PrimaryView {
  return {
    config,
    generation: 2,
    wanted: slots.length,
    health: 'ok',
    readyWorkers: workers.length,
    stopping: false,
    rolling: false,
    logLevel: 'info',
    startedAt: 0,
    slots,
    workers,
    ...over,
  };
}

/** 14 buckets (13 bounds and above): `n` requests in the bucket at `i`. */
function buckets(entries: Record<number, number>): number[] {
  const out = new Array<number>(14).fill(0);
  for (const [i, n] of Object.entries(entries)) out[Number(i)] = n;
  return out;
}

describe('StatusModel', () => {
  it('gives requests per second and the p99 over the interval between two heartbeats', () => {
    const model = new StatusModel();
    const w = worker(1, 0, 2, 0);
    heartbeat(model, w, beat(100, buckets({ 0: 100 })), 1_000);
    const sample = heartbeat(model, w, beat(2_100, buckets({ 0: 1_100, 3: 1_000 })), 2_000);
    // 2,000 requests in one second; of the interval's, half ≤ 1 ms and half in (5, 10] ms.
    expect(sample.requestsPerSecond).toBe(2_000);
    expect(sample.p99Ms).toBeCloseTo(9.9);
    const slot = createSlot(0);
    slot.current = w;
    const status = model.snapshot(view([slot], [w]), 2_500);
    expect(status.workers[0]).toMatchObject({
      slot: 0,
      pid: 4001,
      generation: 2,
      state: 'ready',
      uptimeMs: 2_500,
      requestsPerSecond: 2_000,
      openConnections: 7,
      rssBytes: 64 * 1024 * 1024,
      restarts: 0,
      lastExit: null,
    });
    expect(status.workers[0]?.p99Ms).toBeCloseTo(9.9);
  });

  it('has no rate before a second heartbeat, and no p99 without buckets (metrics off)', () => {
    const model = new StatusModel();
    const w = worker(1, 0, 1, 0);
    expect(heartbeat(model, w, beat(5, undefined), 1_000)).toMatchObject({
      requestsPerSecond: null,
      p99Ms: null,
    });
    expect(heartbeat(model, w, beat(10, undefined), 2_000)).toMatchObject({
      requestsPerSecond: 5,
      p99Ms: null,
    });
  });

  it('counts a slot’s restarts and remembers its last exit from the lifecycle lines', () => {
    const model = new StatusModel();
    const ids = (id: number, gen: number) => ({
      workerId: id,
      workerPid: 4000 + id,
      slot: 0,
      generation: gen,
    });
    model.observe('spawn', ids(1, 1), 10);
    model.observe('ready', { ...ids(1, 1), bootMs: 300 }, 310);
    model.observe('spawn', ids(2, 2), 1_000);
    model.observe('ready', { ...ids(2, 2), bootMs: 250 }, 1_250);
    model.observe('drain', { ...ids(1, 1), reason: 'reload' }, 1_251);
    const exit = model.observe('exit', { ...ids(1, 1), code: 0, signal: null, reason: 'reload' }, 1_300);
    expect(exit).toMatchObject({
      kind: 'exit',
      pid: 4001,
      reason: 'reload',
      text: 'slot 0 · pid 4001 (gen 1) exited (reload, code 0)',
    });
    model.observe('spawn', ids(3, 2), 2_000);
    model.observe('exit', { ...ids(2, 2), code: null, signal: 'SIGKILL', reason: 'crash' }, 2_001);
    expect(model.observe('signal', { signal: 'SIGHUP' }, 2_002)).toBeNull();
    const slot = createSlot(0);
    const w = worker(3, 0, 2, 2_000);
    slot.current = w;
    const row = model.snapshot(view([slot], [w]), 3_000).workers[0];
    expect(row).toMatchObject({ restarts: 2, lastExit: { reason: 'crash', signal: 'SIGKILL', pid: 4002 } });
    expect(formatExit(row?.lastExit ?? null)).toBe('crash (SIGKILL)');
    expect(model.timeline().map((e) => e.kind)).toEqual([
      'spawn',
      'ready',
      'spawn',
      'ready',
      'drain',
      'exit',
      'spawn',
      'exit',
    ]);
    expect(model.timeline(6)).toHaveLength(2);
  });

  it('says draining, rolling, degraded or serving, and shows an empty slot', () => {
    const model = new StatusModel();
    const slots = [createSlot(0), createSlot(1)];
    const w = worker(1, 0, 1, 0);
    (slots[0] as Slot).current = w;
    const state = (over: Partial<PrimaryView>) => model.snapshot(view(slots, [w], over), 0).state;
    expect(state({})).toBe('serving');
    expect(state({ health: 'degraded' })).toBe('degraded');
    expect(state({ rolling: true, health: 'degraded' })).toBe('rolling');
    expect(state({ stopping: true, rolling: true })).toBe('draining');
    const rows = model.snapshot(view(slots, [w]), 0).workers;
    expect(rows.map((r) => [r.slot, r.state, r.pid])).toEqual([
      [0, 'ready', 4001],
      [1, 'empty', null],
    ]);
  });

  it('keeps a checksum per configuration', () => {
    const model = new StatusModel();
    expect(model.checksum(config)).toMatch(/^[0-9a-f]{12}$/);
    expect(model.checksum({ ...config, port: 1 })).not.toBe(model.checksum(config));
  });
});

describe('samovar status, printed', () => {
  const model = new StatusModel();
  const slots = [createSlot(0), createSlot(1)];
  const a = worker(1, 0, 2, 0);
  const b = worker(2, 1, 2, 0);
  (slots[0] as Slot).current = a;
  (slots[1] as Slot).current = b;
  heartbeat(model, a, beat(0, buckets({})), 1_000);
  heartbeat(model, a, beat(4_210, buckets({ 1: 4_210 })), 2_000);
  const status = model.snapshot(view(slots, [a, b]), 125_000);

  it('aligns and colours on a terminal', () => {
    const text = formatStatus(status, styleFor(true, {}));
    expect(text).toContain('\u001b[32mserving\u001b[0m');
    const lines = text.split('\n');
    expect(lines[1]).toContain('SLOT');
    // Columns line up: PID ends where its header ends.
    const header = lines[1]?.replaceAll('\u001b[1m', '').replaceAll('\u001b[0m', '') ?? '';
    expect(header.indexOf('PID') + 3).toBe((lines[2] ?? '').indexOf('4001') + 4);
    expect(lines[2]).toContain('4,210');
  });

  it('is tab-separated and plain in a pipe, and NO_COLOR keeps only the alignment', () => {
    const text = formatStatus(status, styleFor(false, {}));
    expect(text).not.toContain('\u001b');
    expect(text.split('\n')[1]).toBe(
      'SLOT\tPID\tGEN\tSTATE\tUPTIME\tREQ/S\tP99\tCONNS\tRSS\tLAG\tRESTARTS\tLAST EXIT',
    );
    expect(text.split('\n')[2]?.split('\t').slice(0, 4)).toEqual(['0', '4001', '2', 'ready']);
    expect(formatStatus(status, styleFor(true, { NO_COLOR: '1' }))).not.toContain('\u001b');
    expect(statusCells(status.workers[1] as never)[5]).toBe('–');
    expect(formatUptime(125_000)).toBe('2m05s');
  });

  it('renders the page with the table and escapes what it shows', () => {
    const page = renderStatusPage(status, [
      { seq: 1, at: 0, kind: 'reload', reason: 'invalid', detail: '<b>', text: 'reload <script>x</script>' },
    ]);
    expect(page).toContain(
      '<tr class="ready" data-slot="0" data-pid="4001" data-generation="2" data-state="ready">',
    );
    expect(page).toContain('reload &lt;script&gt;x&lt;/script&gt;');
    expect(page).not.toContain('<script>x');
    expect(page).toContain('<noscript><meta http-equiv="refresh" content="5"></noscript>');
    // Nothing fetched from anywhere: the one href is the empty icon (no favicon.ico request).
    expect(page).not.toMatch(/<(script|link|img)[^>]+(src|href)="(?!data:)/);
    expect(STATUS_PAGE_CSP).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-/);
  });
});
