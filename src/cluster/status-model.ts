/**
 * What the console knows about the cluster beyond the primary's own records: a timeline of the
 * lifecycle events (spawn, ready, drain, exit with its reason, reloads, scaling, degraded), each
 * slot's restarts and last exit, and each worker's rates from its heartbeats — requests per
 * second and the p99 of request durations over the last interval (the difference of two
 * heartbeats' duration buckets) — kept as a short series per slot for the page's sparklines.
 * It is fed by the lifecycle log (every line the primary writes passes through `observe`) and by
 * heartbeats, which arrive anyway, so it asks the workers nothing; and it builds `samovar
 * status`'s snapshot from that and the primary's records.
 * Must not: act on workers, send or log; it only records and describes.
 */

import { createHash } from 'node:crypto';
import type { Config } from '../config/index.ts';
import type { LogLevel } from '../log/settings.ts';
import { bucketDelta, DURATION_BUCKETS_S, histogramQuantile } from '../metrics/index.ts';
import { CONTROL_PROTOCOL, ClusterState } from './control-protocol.ts';
import type { ClusterStatus, ExitSummary, WorkerStatus } from './control-protocol.ts';
import type { LifecycleEvent, LogFields } from './lifecycle-log.ts';
import { fieldText } from './status-format.ts';
import { Health } from './messages.ts';
import type { HeartbeatMessage } from './messages.ts';
import type { Slot, WorkerRecord } from './slots.ts';

/** The timeline keeps this many events: a day of a busy cluster's rolls, a few hundred kB. */
export const MAX_TIMELINE_EVENTS = 2_000;
/** Samples per slot: five minutes at the default one-second heartbeat. */
export const MAX_SERIES_SAMPLES = 300;

/** The lifecycle events a timeline shows. */
const TIMELINE_KINDS: ReadonlySet<LifecycleEvent> = new Set<LifecycleEvent>([
  'spawn',
  'ready',
  'drain',
  'exit',
  'hang',
  'recycle',
  'restart',
  'reload',
  'scale',
  'degraded',
  'recovered',
  'shutdown',
]);

export interface TimelineEvent {
  readonly seq: number;
  readonly at: number;
  readonly kind: LifecycleEvent;
  readonly slot?: number;
  readonly workerId?: number;
  readonly pid?: number;
  readonly generation?: number;
  /** A drain's or an exit's reason, a reload's result, a shutdown's phase. */
  readonly reason?: string;
  /** Words for a tooltip: an exit's code or signal, a boot time, a reload's error. */
  readonly detail?: string;
  /** The event in a line of words, for the page's list: `slot 0 · pid 4242 exited (reload, code 0)`. */
  readonly text: string;
}

/** One heartbeat's figures for a slot's sparklines. */
export interface SeriesSample {
  readonly at: number;
  readonly workerId: number;
  readonly generation: number;
  readonly requestsPerSecond: number | null;
  readonly p99Ms: number | null;
  readonly rssBytes: number;
  readonly lagMaxMs: number;
}

/** What the primary tells the model when a snapshot is taken. */
export interface PrimaryView {
  readonly config: Config;
  readonly generation: number;
  readonly wanted: number;
  readonly health: Health;
  readonly readyWorkers: number;
  readonly stopping: boolean;
  readonly rolling: boolean;
  readonly logLevel: LogLevel;
  readonly startedAt: number;
  readonly slots: readonly Slot[];
  readonly workers: Iterable<WorkerRecord>;
}

interface Rates {
  readonly at: number;
  readonly requests: number;
  readonly durations: readonly number[] | null;
  requestsPerSecond: number | null;
  p99Ms: number | null;
}

interface SlotRecord {
  spawns: number;
  lastExit: ExitSummary | null;
}

export class StatusModel {
  private readonly events: TimelineEvent[] = [];
  private seq = 0;
  private readonly slots = new Map<number, SlotRecord>();
  private readonly rates = new Map<number, Rates>();
  private readonly series = new Map<number, SeriesSample[]>();
  private readonly checksums = new WeakMap<Config, string>();

  /** A lifecycle line; returns the timeline event it became, if it is one the timeline shows. */
  observe(kind: LifecycleEvent, fields: LogFields, now: number): TimelineEvent | null {
    if (!TIMELINE_KINDS.has(kind)) return null;
    const event = timelineEvent(++this.seq, kind, fields, now);
    this.events.push(event);
    if (this.events.length > MAX_TIMELINE_EVENTS)
      this.events.splice(0, this.events.length - MAX_TIMELINE_EVENTS);
    if (event.slot !== undefined) this.recordSlot(event, fields);
    if (kind === 'exit' && event.workerId !== undefined) this.rates.delete(event.workerId);
    return event;
  }

  private recordSlot(event: TimelineEvent, fields: LogFields): void {
    const slot = event.slot as number;
    let record = this.slots.get(slot);
    if (record === undefined) this.slots.set(slot, (record = { spawns: 0, lastExit: null }));
    if (event.kind === 'spawn') record.spawns++;
    if (event.kind !== 'exit') return;
    if (event.reason === 'scale') {
      // The slot is gone; one made again later starts afresh.
      this.slots.delete(slot);
      this.series.delete(slot);
      return;
    }
    const code = typeof fields.code === 'number' ? fields.code : null;
    const signal = typeof fields.signal === 'string' ? fields.signal : null;
    record.lastExit = { reason: event.reason ?? 'unknown', code, signal, at: event.at, pid: event.pid ?? 0 };
  }

  /** A worker's heartbeat: its rates over the interval since its previous one. */
  heartbeat(w: WorkerRecord, m: HeartbeatMessage, now: number): SeriesSample {
    const before = this.rates.get(w.id);
    const durations = m.durations ?? null;
    const rates: Rates = { at: now, requests: m.requests, durations, requestsPerSecond: null, p99Ms: null };
    if (before !== undefined && now > before.at) {
      rates.requestsPerSecond = Math.max(0, ((m.requests - before.requests) * 1000) / (now - before.at));
      const delta =
        before.durations !== null && durations !== null ? bucketDelta(before.durations, durations) : null;
      const p99 = delta === null ? null : histogramQuantile(DURATION_BUCKETS_S, delta, 0.99);
      rates.p99Ms = p99 === null ? null : p99 * 1000;
    }
    this.rates.set(w.id, rates);
    const sample: SeriesSample = {
      at: now,
      workerId: w.id,
      generation: w.generation,
      requestsPerSecond: rates.requestsPerSecond,
      p99Ms: rates.p99Ms,
      rssBytes: m.rssBytes,
      lagMaxMs: m.lagMaxMs,
    };
    let samples = this.series.get(w.slot);
    if (samples === undefined) this.series.set(w.slot, (samples = []));
    samples.push(sample);
    if (samples.length > MAX_SERIES_SAMPLES) samples.shift();
    return sample;
  }

  /** Timeline events after `seq` (all of them from 0). */
  timeline(afterSeq = 0): TimelineEvent[] {
    return this.events.filter((e) => e.seq > afterSeq);
  }

  /** Every slot's samples, oldest first. */
  allSeries(): Record<number, readonly SeriesSample[]> {
    return Object.fromEntries(this.series);
  }

  checksum(config: Config): string {
    let sum = this.checksums.get(config);
    if (sum === undefined) {
      sum = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
      this.checksums.set(config, sum);
    }
    return sum;
  }

  /** `samovar status`: the cluster's state and one row per live worker or empty wanted slot. */
  snapshot(view: PrimaryView, now: number): ClusterStatus {
    const rows: WorkerStatus[] = [];
    for (const w of view.workers) rows.push(this.workerRow(w, now));
    for (const slot of view.slots)
      if (slot.index < view.wanted && slot.current === null && slot.next === null)
        rows.push(this.emptyRow(slot.index));
    rows.sort(
      (a, b) => a.slot - b.slot || (a.generation ?? 0) - (b.generation ?? 0) || (a.pid ?? 0) - (b.pid ?? 0),
    );
    const { host, port } = view.config;
    return {
      v: CONTROL_PROTOCOL,
      pid: process.pid,
      state: clusterState(view),
      health: view.health,
      generation: view.generation,
      configChecksum: this.checksum(view.config),
      wantedWorkers: view.wanted,
      readyWorkers: view.readyWorkers,
      address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      logLevel: view.logLevel,
      startedAt: view.startedAt,
      at: now,
      workers: rows,
    };
  }

  private workerRow(w: WorkerRecord, now: number): WorkerStatus {
    const hb = w.heartbeat;
    const rates = this.rates.get(w.id);
    const slot = this.slots.get(w.slot);
    return {
      slot: w.slot,
      pid: w.pid,
      workerId: w.id,
      generation: w.generation,
      state: w.state,
      uptimeMs: now - w.spawnedAt,
      requestsPerSecond: rates?.requestsPerSecond ?? null,
      p99Ms: rates?.p99Ms ?? null,
      openConnections: hb?.openConnections ?? null,
      rssBytes: hb?.rssBytes ?? null,
      lagMeanMs: hb?.lagMeanMs ?? null,
      lagMaxMs: hb?.lagMaxMs ?? null,
      restarts: Math.max(0, (slot?.spawns ?? 1) - 1),
      lastExit: slot?.lastExit ?? null,
    };
  }

  private emptyRow(index: number): WorkerStatus {
    const slot = this.slots.get(index);
    return {
      slot: index,
      pid: null,
      workerId: null,
      generation: null,
      state: 'empty',
      uptimeMs: null,
      requestsPerSecond: null,
      p99Ms: null,
      openConnections: null,
      rssBytes: null,
      lagMeanMs: null,
      lagMaxMs: null,
      restarts: Math.max(0, (slot?.spawns ?? 1) - 1),
      lastExit: slot?.lastExit ?? null,
    };
  }
}

function clusterState(view: PrimaryView): ClusterState {
  if (view.stopping) return ClusterState.DRAINING;
  if (view.rolling) return ClusterState.ROLLING;
  if (view.health !== Health.OK) return ClusterState.DEGRADED;
  return ClusterState.SERVING;
}

function timelineEvent(seq: number, kind: LifecycleEvent, f: LogFields, at: number): TimelineEvent {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const reason = kind === 'reload' ? f.result : kind === 'shutdown' ? f.phase : f.reason;
  const event = {
    seq,
    at,
    kind,
    slot: num(f.slot),
    workerId: num(f.workerId),
    pid: num(f.workerPid),
    generation: num(f.generation),
    reason: typeof reason === 'string' ? reason : undefined,
    detail: detailOf(kind, f),
  };
  return { ...event, text: describe(event) };
}

function describe(e: Omit<TimelineEvent, 'text'>): string {
  const who =
    e.pid === undefined ? '' : `pid ${e.pid}${e.generation === undefined ? '' : ` (gen ${e.generation})`}`;
  const where = e.slot === undefined ? '' : `slot ${e.slot} · `;
  switch (e.kind) {
    case 'spawn':
      return `${where}${who} spawned`;
    case 'ready':
      return `${where}${who} ${e.detail ?? 'ready'}`;
    case 'drain':
      return `${where}${who} draining (${e.reason ?? '?'})`;
    case 'exit':
      return `${where}${who} exited (${e.reason ?? '?'}, ${e.detail ?? '?'})`;
    case 'reload':
      return e.reason === 'started'
        ? `reload: rolling to generation ${e.generation ?? '?'}`
        : `reload ${e.reason ?? '?'}${e.generation === undefined ? '' : ` (generation ${e.generation})`}`;
    case 'shutdown':
      return `shutdown: ${e.reason ?? '?'}`;
    case 'scale':
      return `scale: ${e.detail ?? ''}`;
    default:
      return `${where}${e.kind}${who === '' ? '' : ` ${who}`}${e.detail === undefined ? '' : `: ${e.detail}`}`;
  }
}

function detailOf(kind: LifecycleEvent, f: LogFields): string | undefined {
  switch (kind) {
    case 'exit':
      return f.signal !== null && f.signal !== undefined
        ? `signal ${fieldText(f.signal)}`
        : `code ${fieldText(f.code)}`;
    case 'ready':
      return `ready in ${fieldText(f.bootMs)} ms`;
    case 'reload':
      return typeof f.errors === 'string' ? f.errors : undefined;
    case 'scale':
      return `${fieldText(f.from)} → ${fieldText(f.to)} workers`;
    case 'recycle':
      return typeof f.cause === 'string' ? f.cause : undefined;
    case 'restart':
      return `failure ${fieldText(f.failures)}, next in ${fieldText(f.delayMs)} ms`;
    default:
      return undefined;
  }
}
