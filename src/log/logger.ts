/**
 * The process's pino logger: JSON lines on stdout, `{"level":"info","time":…,"pid":…,"role":…,
 * "workerId":…,"msg":…}` (level as its name, time in epoch milliseconds), written through a
 * `LineSink` (line-sink.ts) and flushed on every exit path.
 *
 * - Batched: a log call appends to a buffer; one synchronous write per event-loop turn carries
 *   every line of that turn (pino's asynchronous SonicBoom cost a thread-pool job per write,
 *   22 % of a keep-alive worker's throughput; docs/performance.md).
 * - Lines never interleave across processes: the primary and its workers share one stdout, and
 *   on a pipe each write is whole lines of at most PIPE_BUF (4 KiB), which POSIX makes atomic.
 * - Never stuck on a stalled reader (a full pipe, a stopped log shipper): stdout is made
 *   non-blocking, and the sink drops and counts, or waits, as told (line-sink.ts).
 * - Flushed on exit: the sink writes what is left synchronously on `exit` (`process.exit`, normal
 *   end); `installFatalHandlers` turns an uncaught exception or an unhandled rejection into one
 *   `fatal` line and `process.exit(1)`, which flushes too.
 * Must not: format for humans (`npm run dev` pipes through pino-pretty), or throw.
 */

import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { LineSink } from './line-sink.ts';
import type { LogLevel, OnStall } from './settings.ts';
import { nonBlockingStdout } from './stdout-descriptor.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Fields on every line: `role` and, in a worker, `workerId`. */
  readonly base: Readonly<Record<string, string | number>>;
  /** Where lines go; stdout (asynchronous) unless a test passes its own stream. */
  readonly destination?: DestinationStream;
  /**
   * How long stdout's lines may wait to share a write (`LineSink`'s `flushDelayMs`): 0, each turn's
   * lines at its end, for a process of few lines (the primary, whose lines operators and tests
   * read as events happen); `STDOUT_FLUSH_DELAY_MS` for a worker's access log.
   */
  readonly flushDelayMs?: number;
}

/**
 * stdout through a `LineSink`: a write per turn (a worker's: per 20 ms or 64 KiB), whole lines, ≤ PIPE_BUF on a pipe,
 * on a descriptor that answers EAGAIN rather than blocking when the reader stalls; lines are then
 * dropped and counted past 1 MiB until `setOnStall(logger, 'block')` says to wait instead.
 */
export function stdoutDestination(flushDelayMs = 0): DestinationStream {
  return new LineSink({ fd: nonBlockingStdout().fd, flushDelayMs });
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? stdoutDestination(options.flushDelayMs);
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid, ...options.base },
      // Level names, not numbers: greppable, and what the cluster's tests and operators read.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  // The sink's own line (lines dropped) carries the same `pid`, `role` and `workerId`.
  if (destination instanceof LineSink)
    destination.bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  return logger;
}

let fatalInstalled = false;

/**
 * An uncaught exception or unhandled rejection is a bug: one `fatal` line with the error, then
 * exit 1 (flushing the log). Installed once per process.
 */
export function installFatalHandlers(logger: Logger, lastWords?: LastWords): void {
  if (fatalInstalled) return;
  fatalInstalled = true;
  let dying = false;
  const die = (err: unknown, msg: string): void => {
    if (dying) return;
    dying = true;
    try {
      logger.fatal({ err }, msg);
    } finally {
      lastWordsThenExit(lastWords);
    }
  };
  process.on('uncaughtException', (err) => die(err, 'uncaught exception'));
  process.on('unhandledRejection', (err) => die(err, 'unhandled rejection'));
}

/**
 * What a process says before a fatal exit (a worker: its last metrics), then `done`. Bounded by
 * LAST_WORDS_MS: a process in an unknown state gets that long, no more.
 */
export type LastWords = (done: () => void) => void;

const LAST_WORDS_MS = 200;

function lastWordsThenExit(lastWords: LastWords | undefined): void {
  if (lastWords === undefined) return process.exit(1);
  const exit = (): never => process.exit(1);
  setTimeout(exit, LAST_WORDS_MS).unref();
  try {
    lastWords(exit);
  } catch {
    exit();
  }
}

/** Lines the logger's sink dropped or lost so far (0 for a destination that is not a LineSink). */
export function droppedLines(logger: Logger): number {
  return sinkOf(logger)?.dropped ?? 0;
}

/** While a logger waits for a stalled reader: `call` every `everyMs`. */
export interface WaitHook {
  readonly call: () => void;
  readonly everyMs: number;
}

/**
 * What the logger does when its reader stalls and its buffer is full: `drop` (count) or `block`
 * (wait, calling `onWait` meanwhile). No effect on other destinations.
 */
export function setOnStall(logger: Logger, onStall: OnStall, onWait: WaitHook | null = null): void {
  const sink = sinkOf(logger);
  if (sink === null) return;
  sink.onStall = onStall;
  sink.onWait = onWait?.call ?? null;
  if (onWait !== null) sink.onWaitEveryMs = onWait.everyMs;
}

function sinkOf(logger: Logger): LineSink | null {
  const sink = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  return sink instanceof LineSink ? sink : null;
}
