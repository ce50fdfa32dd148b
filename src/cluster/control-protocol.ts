/**
 * The control socket's protocol, shared by the primary (control-socket.ts, console.ts) and the
 * `samovar status | reload | scale | stop | log-level` client (src/console/): where the socket
 * is, what a request says, and what comes back.
 *
 * One request per connection, as one JSON line (at most MAX_REQUEST_BYTES):
 *   {"v":1,"uid":1000,"command":"scale","workers":4}
 * The primary answers with JSON lines: any number of `progress` lines while it works (a reload
 * reports each slot as it is replaced), then one `result` line, and closes. Lines, not HTTP: the
 * client needs no HTTP client (src/ has none), and `socat - UNIX-CONNECT:samovar-8080.sock` is a
 * debugger.
 * Must not: do I/O or hold supervisor logic; the types here are what crosses the socket.
 */

import { isAbsolute, join, resolve } from 'node:path';
import { MAX_TIMER_MS } from '../config/index.ts';
import type { Config, Env } from '../config/index.ts';
// The log's choices alone, not its index: the client must not load pino to read a level name.
import { isLogLevel, LOG_LEVELS } from '../log/settings.ts';
import type { LogLevel } from '../log/settings.ts';
import type { Health } from './messages.ts';

/** Bumped on an incompatible change of a request or an answer. */
export const CONTROL_PROTOCOL = 1;
/** A request is a command and two or three small fields; anything longer is not one. */
export const MAX_REQUEST_BYTES = 4_096;
/** sun_path is 108 bytes on Linux, NUL included: a longer path cannot be bound. */
export const MAX_SOCKET_PATH_BYTES = 107;
/** The most workers `samovar scale` asks for: a typo (`scale 40000`) must not fork-bomb the host. */
export const MAX_SCALE_WORKERS = 1_024;

export const CONTROL_COMMANDS = ['status', 'reload', 'scale', 'stop', 'log-level'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

export type ControlRequest =
  | { readonly command: 'status' }
  | { readonly command: 'reload' }
  | { readonly command: 'scale'; readonly workers: number }
  | { readonly command: 'stop'; readonly timeoutMs: number | null }
  | { readonly command: 'log-level'; readonly level: LogLevel };

/** What the client sends: the request, the protocol version and who it says it is. */
export type ControlEnvelope = ControlRequest & { readonly v: typeof CONTROL_PROTOCOL; readonly uid: number };

/**
 * Where the control socket of the cluster configured by `config` is: `control.socket` from the
 * working directory, else `samovar-PORT.sock` in `$XDG_RUNTIME_DIR` (a per-user tmpfs that
 * systemd and logind make 0700), else in the working directory. The port is in the name so that
 * two clusters started in one directory do not claim one socket; the client finds it from the
 * same configuration (`samovar status --port 8080`, or the same `--config` file).
 */
export function controlSocketPath(config: Config, env: Env, cwd: string): string {
  if (config.control.socket !== '') return resolve(cwd, config.control.socket);
  const runtime = env.XDG_RUNTIME_DIR;
  const dir = runtime !== undefined && isAbsolute(runtime) ? runtime : cwd;
  return join(dir, `samovar-${config.port}.sock`);
}

// ---- answers ------------------------------------------------------------------------------------

/** What `samovar status` prints: the cluster's state and one row per worker (or empty slot). */
export interface ClusterStatus {
  readonly v: typeof CONTROL_PROTOCOL;
  readonly pid: number;
  /** `draining` (stopping), `rolling` (a reload or recycle under way), `degraded`, or `serving`. */
  readonly state: ClusterState;
  readonly health: Health;
  readonly generation: number;
  /** The first 12 hex digits of the SHA-256 of the running configuration. */
  readonly configChecksum: string;
  readonly wantedWorkers: number;
  readonly readyWorkers: number;
  readonly address: string;
  readonly logLevel: LogLevel;
  readonly startedAt: number;
  /** Epoch ms when this was taken (the primary's clock). */
  readonly at: number;
  readonly workers: readonly WorkerStatus[];
}

export const ClusterState = {
  SERVING: 'serving',
  ROLLING: 'rolling',
  DEGRADED: 'degraded',
  DRAINING: 'draining',
} as const;
export type ClusterState = (typeof ClusterState)[keyof typeof ClusterState];

/** A worker's row; `state` `empty` is a slot without a worker (backing off after failures). */
export interface WorkerStatus {
  readonly slot: number;
  readonly pid: number | null;
  readonly workerId: number | null;
  readonly generation: number | null;
  readonly state: 'starting' | 'ready' | 'draining' | 'empty';
  readonly uptimeMs: number | null;
  /** Requests per second over the last heartbeat interval. */
  readonly requestsPerSecond: number | null;
  /** The 99th percentile of request durations over the last heartbeat interval, from the histogram. */
  readonly p99Ms: number | null;
  readonly openConnections: number | null;
  readonly rssBytes: number | null;
  readonly lagMeanMs: number | null;
  readonly lagMaxMs: number | null;
  /** Workers this slot has had beyond its first (crashes, reloads, recycles, hangs). */
  readonly restarts: number;
  readonly lastExit: ExitSummary | null;
}

export interface ExitSummary {
  readonly reason: string;
  readonly code: number | null;
  readonly signal: string | null;
  readonly at: number;
  readonly pid: number;
}

/** One slot of a reload: the worker replaced and its replacement. */
export interface SlotReplacement {
  readonly slot: number;
  readonly oldPid: number | null;
  readonly newPid: number;
  /** From the replacement's fork to its `ready`. */
  readonly readyMs: number;
}

/** Who serves now: the workers in their slots, and their generations. */
export interface Serving {
  readonly generation: number;
  readonly workers: readonly { readonly slot: number; readonly pid: number; readonly generation: number }[];
}

export interface StartedWorker {
  readonly slot: number;
  readonly pid: number;
  readonly readyMs: number | null;
  readonly error?: string;
}

export interface RetiredWorker {
  readonly slot: number;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: string | null;
  readonly durationMs: number | null;
}

export type ControlResult =
  | { readonly command: 'status'; readonly ok: true; readonly status: ClusterStatus }
  | {
      readonly command: 'reload';
      readonly ok: boolean;
      /** `ok`: the new generation serves; `aborted`, `invalid`, `abandoned` (shutdown began), `refused`. */
      readonly result: 'ok' | 'aborted' | 'invalid' | 'abandoned' | 'refused';
      readonly generation: number | null;
      readonly durationMs: number;
      readonly replaced: readonly SlotReplacement[];
      /** Why it did not happen: the configuration's problems, the replacement's error. */
      readonly reason?: string;
      readonly serving: Serving;
    }
  | {
      readonly command: 'scale';
      readonly ok: boolean;
      readonly from: number;
      readonly to: number;
      readonly started: readonly StartedWorker[];
      readonly retired: readonly RetiredWorker[];
      readonly reason?: string;
    }
  | {
      readonly command: 'stop';
      readonly ok: boolean;
      /** The primary's exit code (0: every worker drained cleanly). */
      readonly code: number;
      readonly durationMs: number;
    }
  | {
      readonly command: 'log-level';
      readonly ok: true;
      readonly from: LogLevel;
      readonly to: LogLevel;
      readonly workers: number;
    };

/** A refusal: a malformed request, a stranger, a cluster that is stopping. */
export interface ControlError {
  readonly type: 'error';
  readonly error: string;
}

export type ControlLine =
  | { readonly type: 'progress'; readonly text: string }
  | ({ readonly type: 'result' } & ControlResult)
  | ControlError;

// ---- reading a request ----------------------------------------------------------------------------

/** The request in `line`, or why it is not one (sent back to the client as is). */
export function parseRequest(line: string): ControlEnvelope | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'the request is not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'the request is not a JSON object';
  const r = value as Record<string, unknown>;
  if (r.v !== CONTROL_PROTOCOL) return `protocol version ${String(r.v)} is not ${CONTROL_PROTOCOL}`;
  if (!Number.isSafeInteger(r.uid) || (r.uid as number) < 0)
    return 'uid must be the caller’s numeric user id';
  const uid = r.uid as number;
  switch (r.command) {
    case 'status':
    case 'reload':
      return { v: CONTROL_PROTOCOL, uid, command: r.command };
    case 'scale':
      if (
        !Number.isSafeInteger(r.workers) ||
        (r.workers as number) < 1 ||
        (r.workers as number) > MAX_SCALE_WORKERS
      )
        return `workers must be an integer from 1 to ${MAX_SCALE_WORKERS}`;
      return { v: CONTROL_PROTOCOL, uid, command: 'scale', workers: r.workers as number };
    case 'stop':
      if (r.timeoutMs !== null && !isTimeout(r.timeoutMs))
        return `timeoutMs must be a whole number of milliseconds up to ${MAX_TIMER_MS}, or null`;
      return { v: CONTROL_PROTOCOL, uid, command: 'stop', timeoutMs: r.timeoutMs as number | null };
    case 'log-level':
      if (typeof r.level !== 'string' || !isLogLevel(r.level))
        return `level must be one of ${LOG_LEVELS.join(', ')}`;
      return { v: CONTROL_PROTOCOL, uid, command: 'log-level', level: r.level };
    default:
      return `command must be one of ${CONTROL_COMMANDS.join(', ')}`;
  }
}

function isTimeout(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_TIMER_MS;
}
