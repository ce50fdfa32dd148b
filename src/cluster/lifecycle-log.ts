/**
 * The cluster's lifecycle log on top of the process's pino logger (src/log): one JSON line per
 * event — `{"level","time","pid","role","workerId"?,"event",…fields,"msg"}` — greppable by
 * `event`. Lines about a worker written by the primary carry the worker's `workerId`,
 * `workerPid`, `slot` and `generation`; a worker's own lines carry its `workerId` in the base.
 *
 * Batched per event-loop turn and flushed on exit (src/log/line-sink.ts); lines are whole and at
 * most PIPE_BUF per write, so the primary's and the workers' lines never interleave on a pipe.
 * A stalled reader never stops the primary: its lines past 1 MiB are dropped and counted. A
 * worker does what `log.onStall` says once its configuration arrives (`drop` until then).
 * Must not: format for humans, or throw (a logger that throws turns a log into a crash).
 */

import { createLogger, droppedLines, setOnStall, STDOUT_FLUSH_DELAY_MS } from '../log/index.ts';
import type { Logger, LogLevel, OnStall, WaitHook } from '../log/index.ts';

/** What a lifecycle line may be written at: pino's levels less `trace` and `silent` (not a level to write at). */
export type LifecycleLevel = Exclude<LogLevel, 'trace' | 'silent'>;

/** The lifecycle events: one line each. */
export type LifecycleEvent =
  | 'start'
  | 'listen'
  | 'spawn'
  | 'ready'
  | 'drain'
  | 'drained'
  | 'exit'
  | 'restart'
  | 'degraded'
  | 'recovered'
  | 'reload'
  | 'scale'
  | 'hang'
  | 'recycle'
  | 'shutdown'
  | 'signal'
  | 'log-level'
  | 'tls'
  | 'control'
  | 'error';

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined | object>>;

export interface ClusterLogger {
  /** The underlying pino logger (access and error lines are written through it). */
  readonly pino: Logger;
  log(level: LifecycleLevel, event: LifecycleEvent, msg: string, fields?: LogFields): void;
  setLevel(level: LogLevel): void;
  /** `log.onStall`; `onWait` is called while a `block` logger waits for its reader. */
  setOnStall(onStall: OnStall, onWait?: WaitHook): void;
  /** Lines dropped or lost so far (samovar_log_lines_dropped_total). */
  dropped(): number;
}

/** The process's logger; `role` and `base` fields go on every line. */
export function createClusterLogger(
  role: 'primary' | 'worker',
  base: Readonly<Record<string, string | number>> = {},
  level: LogLevel = 'info',
): ClusterLogger {
  // A worker's access lines share writes across turns (line-sink.ts); the primary's few lines go
  // at the end of their turn.
  const flushDelayMs = role === 'worker' ? STDOUT_FLUSH_DELAY_MS : 0;
  const pino = createLogger({ level, base: { role, ...base }, flushDelayMs });
  return {
    pino,
    log(lvl, event, msg, fields = {}): void {
      try {
        pino[lvl]({ event, ...fields }, msg);
      } catch {
        // A field that cannot be serialised must not take the supervisor down with it.
      }
    },
    setLevel(next): void {
      pino.level = next;
    },
    setOnStall(onStall, onWait): void {
      setOnStall(pino, onStall, onWait ?? null);
    },
    dropped(): number {
      return droppedLines(pino);
    },
  };
}
