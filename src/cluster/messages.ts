/**
 * The typed IPC between the primary and its workers: every message either side may send, one
 * closed union per direction, and the guards that accept only those off the channel.
 *
 * Every message carries `samovar: IPC_VERSION` and a `type`; a receiver ignores what it does
 * not know, so new members (metrics scrapes, log-level changes) do not break a worker of the
 * previous version during a rolling restart.
 * Must not: send or receive (primary.ts and worker.ts do), or hold anything not JSON-safe:
 * `process.send` serialises with JSON, so no Maps, Dates, Buffers or functions.
 */

import type { Config } from '../config/index.ts';
import type { LogLevel } from '../log/index.ts';
import type { MetricSnapshot } from '../metrics/index.ts';
import type { TicketKeyList, TlsMaterial } from '../tls/index.ts';
import type { DrainResult } from '../server/index.ts';

/** Bumped only on an incompatible change of an existing message. */
export const IPC_VERSION = 1;

/** Why a worker stops serving; also the `reason` of restart log lines and of restart metrics. */
export const RetireReason = {
  CRASH: 'crash',
  BOOT: 'boot',
  HANG: 'hang',
  RECYCLE: 'recycle',
  RELOAD: 'reload',
  SCALE: 'scale',
  SHUTDOWN: 'shutdown',
} as const;
export type RetireReason = (typeof RetireReason)[keyof typeof RetireReason];

/** What counts as a restart (`samovar_worker_restarts_total`): any reason but a scale-down or a shutdown. */
export const RESTART_REASONS = [
  RetireReason.CRASH,
  RetireReason.BOOT,
  RetireReason.HANG,
  RetireReason.RECYCLE,
  RetireReason.RELOAD,
] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];

export function isRestart(reason: RetireReason): reason is RestartReason {
  return (RESTART_REASONS as readonly RetireReason[]).includes(reason);
}

/** The cluster as `/readyz` reports it; `stopping` and `unready` answer 503. */
export const Health = {
  OK: 'ok',
  DEGRADED: 'degraded',
  UNREADY: 'unready',
  STOPPING: 'stopping',
} as const;
export type Health = (typeof Health)[keyof typeof Health];

interface Envelope<T extends string> {
  readonly samovar: typeof IPC_VERSION;
  readonly type: T;
}

// ---- primary → worker ----------------------------------------------------------------------

/** The answer to `hello`: who the worker is and the validated configuration it must serve. */
export interface StartMessage extends Envelope<'start'> {
  readonly slot: number;
  readonly generation: number;
  readonly config: Config;
  /** With `tls.cert` set: the material the primary checked and the ticket keys it owns. */
  readonly tls?: TlsHandoff | null;
}

/** What a TLS worker is given by the primary (cluster/tls-owner.ts): PEM text and base64 keys. */
export interface TlsHandoff {
  readonly material: TlsMaterial;
  readonly ticketKeys: TicketKeyList;
}

/**
 * Renewed material (SIGHUP) or a rotated ticket-key ring; either may be null (unchanged). Applied
 * in place: handshakes from then on use it, open connections keep what they have.
 */
export interface TlsMessage extends Envelope<'tls'> {
  readonly material: TlsMaterial | null;
  readonly ticketKeys: TicketKeyList | null;
}

/** The cluster's health changed: what `/readyz` answers from now on. */
export interface HealthMessage extends Envelope<'health'> {
  readonly health: Health;
  readonly readyWorkers: number;
  readonly wantedWorkers: number;
}

/** Stop accepting, finish in-flight requests, close idle ones after `graceMs`, cut at `deadlineMs`. */
export interface DrainMessage extends Envelope<'drain'> {
  readonly reason: RetireReason;
  readonly graceMs: number;
  readonly deadlineMs: number;
}

/** Send a fresh metrics snapshot, answering with the same `id` (a scrape is under way). */
export interface ScrapeMessage extends Envelope<'scrape'> {
  readonly id: number;
}

/** Log at this level from now on (SIGUSR2 or `PUT /admin/log-level` on the primary). */
export interface LogLevelMessage extends Envelope<'log-level'> {
  readonly level: LogLevel;
}

/**
 * The answer to `drained`: the worker may exit now. Messages are ordered, so every connection
 * the primary handed it (round-robin) before learning its server had closed has reached it
 * first, and Node's cluster has sent each back (see worker.ts `exitWhenReleased`).
 */
export type ReleaseMessage = Envelope<'release'>;

/**
 * Under `reuseport`, a listening socket, attached to the message as its IPC handle (the raw
 * handle: the receiver does not accept on it). Worker → primary: a socket the worker bound, sent
 * before `ready`; the primary keeps a copy while a worker serves on it. Primary → worker: a
 * socket to serve on instead of binding one (the one of the worker it replaces), sent before
 * `start`. So a rolled slot keeps its socket and the connections queued on it (listeners.ts).
 */
export interface ListenerMessage extends Envelope<'listener'> {
  readonly host: string;
  readonly port: number;
}

/**
 * A descriptor of a worker's listening socket on `port`, attached as its IPC handle, for the
 * server to accept on beside its own (src/server/acceptors.ts). Worker → primary: make `count`
 * copies of this one; primary → worker: one copy (`count` 1), once per copy asked for.
 */
export interface AcceptorMessage extends Envelope<'acceptor'> {
  readonly port: number;
  readonly count: number;
}

export type PrimaryMessage =
  | StartMessage
  | HealthMessage
  | DrainMessage
  | ScrapeMessage
  | LogLevelMessage
  | TlsMessage
  | ReleaseMessage
  | ListenerMessage
  | AcceptorMessage;

// ---- worker → primary ----------------------------------------------------------------------

/** The worker's module graph is loaded and it listens to IPC: send `start`. */
export type HelloMessage = Envelope<'hello'>;

/** Listening: the worker takes connections from now on. */
export interface ReadyMessage extends Envelope<'ready'> {
  readonly address: string;
  readonly port: number;
}

/** Sent every `cluster.heartbeatIntervalMs`; silence for `hangTimeoutMs` means hung. */
export interface HeartbeatMessage extends Envelope<'heartbeat'> {
  /** Event-loop delay over the last interval (perf_hooks, less its sampling interval), in milliseconds. */
  readonly lagMeanMs: number;
  readonly lagMaxMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Requests handed to the application since the worker started. */
  readonly requests: number;
  readonly openConnections: number;
  /**
   * Request durations since the worker started, per bucket of DURATION_BUCKETS_S and then above
   * the last (HttpMetrics.durationTotals); absent with metrics off or from an older worker. The
   * console's p99 over an interval is the quantile of the difference between two heartbeats.
   */
  readonly durations?: readonly number[];
}

/** Draining finished (the engine's drain result, with the worker's totals); the worker exits once released. */
export interface DrainedMessage extends Envelope<'drained'>, Readonly<DrainResult> {
  readonly requests: number;
  /** Connections its listeners accepted over its life (its share of them, beside `requests`). */
  readonly accepted: number;
  readonly durationMs: number;
}

/** The worker could not start (listen failed, bad start message); it exits right after. */
export interface FailedMessage extends Envelope<'failed'> {
  readonly error: string;
  /**
   * Set when the application entry could not be served (import, shape, `setup`): the primary
   * stops at first start instead of crash-looping, and a roll aborts.
   */
  readonly entry?: string;
}

/**
 * A metrics snapshot: the answer to a `scrape` (its `id`), or pushed unasked (`id` 0) after each
 * heartbeat and, `final`, once drained — what the primary keeps when the worker is gone.
 */
export interface MetricsMessage extends Envelope<'metrics'> {
  readonly id: number;
  /** Orders this worker's snapshots: the primary applies them in this order. */
  readonly seq: number;
  readonly final: boolean;
  /** What changed since this worker's previous metrics message; its first one is whole (metrics/delta.ts). */
  readonly families: MetricSnapshot;
}

/** The worker's last message after `release`: written, it has flushed everything before it. */
export type ByeMessage = Envelope<'bye'>;

export type WorkerMessage =
  | HelloMessage
  | ReadyMessage
  | HeartbeatMessage
  | DrainedMessage
  | FailedMessage
  | MetricsMessage
  | ByeMessage
  | ListenerMessage
  | AcceptorMessage;

// ---- construction and guards ---------------------------------------------------------------

type AnyMessage = PrimaryMessage | WorkerMessage;
type ByType = { [M in AnyMessage as M['type']]: M };
export type MessageType = keyof ByType;

/** Builds a message with its envelope: `message('drain', { reason, graceMs, deadlineMs })`. */
export function message<T extends MessageType>(
  type: T,
  body: Omit<ByType[T], 'samovar' | 'type'>,
): ByType[T] {
  return { samovar: IPC_VERSION, type, ...body } as ByType[T];
}

const WORKER_TYPES: ReadonlySet<string> = new Set([
  'hello',
  'ready',
  'heartbeat',
  'drained',
  'failed',
  'metrics',
  'bye',
  'listener',
  'acceptor',
]);
const PRIMARY_TYPES: ReadonlySet<string> = new Set([
  'start',
  'health',
  'drain',
  'scrape',
  'log-level',
  'tls',
  'release',
  'listener',
  'acceptor',
]);

function isEnvelope(value: unknown, types: ReadonlySet<string>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { samovar, type } = value as { samovar?: unknown; type?: unknown };
  return samovar === IPC_VERSION && typeof type === 'string' && types.has(type);
}

/** Whether `value` is a message a worker sends (checked on the primary side). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return isEnvelope(value, WORKER_TYPES);
}

/** Whether `value` is a message the primary sends (checked on the worker side). */
export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return isEnvelope(value, PRIMARY_TYPES);
}
