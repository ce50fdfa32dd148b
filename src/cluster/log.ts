/**
 * The cluster's stand-in logger until pino arrives (issue 5 replaces this file): one JSON line
 * per lifecycle event on stdout — `{"level","time","pid","role","event","msg",…fields}`.
 *
 * Lines are written with `process.stdout.write`, which is synchronous for files, pipes and TTYs
 * on Linux, so a line is out before any `process.exit` that follows it; a line is far under
 * PIPE_BUF (4 KiB), so lines from the primary and workers sharing one pipe never interleave.
 * Must not: format for humans, buffer, or throw (a logger that throws turns a log into a crash).
 */

export type LogLevel = 'info' | 'warn' | 'error' | 'fatal';

/** The lifecycle events of issue 4: one line each, greppable by `event`. */
export type LifecycleEvent =
  | 'start'
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
  | 'error';

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined | object>>;

export interface ClusterLogger {
  log(level: LogLevel, event: LifecycleEvent, msg: string, fields?: LogFields): void;
}

/** A logger for this process; `role` and `base` fields go on every line. */
export function createLogger(role: 'primary' | 'worker', base: LogFields = {}): ClusterLogger {
  const pid = process.pid;
  return {
    log(level, event, msg, fields = {}): void {
      const line = { level, time: Date.now(), pid, role, ...base, event, msg, ...fields };
      try {
        process.stdout.write(JSON.stringify(line) + '\n');
      } catch {
        // stdout gone (EPIPE): nothing useful left to do with a log line.
      }
    },
  };
}
