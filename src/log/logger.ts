/**
 * The process's pino logger: JSON lines on stdout, `{"level":"info","time":…,"pid":…,"role":…,
 * "workerId":…,"msg":…}` (level as its name, time in epoch milliseconds), written
 * asynchronously through a SonicBoom destination and flushed on every exit path.
 *
 * - Asynchronous: a log call appends to a buffer; the write happens off the request's path.
 * - Lines never interleave across processes: the primary and its workers share one stdout pipe,
 *   and a pipe write of at most PIPE_BUF (4 KiB) bytes is atomic (POSIX). SonicBoom appends whole
 *   lines to a chunk until the next would pass `maxWrite`, so each write is whole lines ≤ 4 KiB.
 * - Flushed on exit: pino registers the destination to be flushed synchronously on `exit`
 *   (`process.exit`, normal end); `installFatalHandlers` turns an uncaught exception or an
 *   unhandled rejection into one `fatal` line and `process.exit(1)`, which flushes too.
 * Must not: format for humans (`npm run dev` pipes through pino-pretty), or throw.
 */

import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/** pino's levels and `silent`; the same list as the configuration's `log.level`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** POSIX PIPE_BUF on Linux: the largest pipe write that is never interleaved with another. */
export const PIPE_BUF_BYTES = 4096;

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Fields on every line: `role` and, in a worker, `workerId`. */
  readonly base: Readonly<Record<string, string | number>>;
  /** Where lines go; stdout (asynchronous) unless a test passes its own stream. */
  readonly destination?: DestinationStream;
}

/** An asynchronous stdout destination that writes whole lines, at most PIPE_BUF bytes at a time. */
export function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, maxWrite: PIPE_BUF_BYTES });
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid, ...options.base },
      // Level names, not numbers: greppable, and what the cluster's tests and operators read.
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? stdoutDestination(),
  );
}

let fatalInstalled = false;

/**
 * An uncaught exception or unhandled rejection is a bug: one `fatal` line with the error, then
 * exit 1 (flushing the log). Installed once per process.
 */
export function installFatalHandlers(logger: Logger): void {
  if (fatalInstalled) return;
  fatalInstalled = true;
  const die = (err: unknown, msg: string): void => {
    try {
      logger.fatal({ err }, msg);
    } finally {
      process.exit(1);
    }
  };
  process.on('uncaughtException', (err) => die(err, 'uncaught exception'));
  process.on('unhandledRejection', (err) => die(err, 'unhandled rejection'));
}
