/**
 * The log's destination: whole JSON lines gathered (as one string) during an event-loop turn,
 * encoded once, and written with `fs.writeSync` at the end of the turn (a `setImmediate`), on the
 * main thread.
 *
 * Why not SonicBoom's asynchronous mode (what pino offers): there every write is a libuv
 * thread-pool job, and a worker's threads share its core, so each one costs a thread wake-up, a
 * context switch and a completion callback. Under load that took 22 % of a keep-alive worker's
 * throughput and 62 % under `Connection: close`, where each turn carries one line (issue 9,
 * docs/performance.md). One synchronous write per turn costs a system call and nothing else.
 *
 * - Lines never interleave across processes sharing a pipe: there each write is at most PIPE_BUF
 *   (4 KiB) bytes and ends at a newline, which POSIX makes atomic; a line longer than that is
 *   written alone. A stream socket gets the same 4 KiB writes (the best a writer can do: sockets
 *   promise no atomicity). On a file or a character device (`>` redirection, /dev/null) writes go
 *   up to 64 KiB, still ending at newlines.
 * - A reader that falls behind: on a blocking descriptor the write waits, and with it the event
 *   loop — as nginx's log writes and pino's default (synchronous) destination do; a log reader
 *   that stops for good stops the worker, so it must be a real consumer (a terminal, a file,
 *   Docker's log driver, journald). On a non-blocking descriptor (EAGAIN; libuv makes a pipe
 *   non-blocking for every process sharing it once any of them touches `process.stdout`) the
 *   lines stay buffered and are retried every 10 ms, up to `maxBufferedBytes`; past that new
 *   lines are dropped and counted, and one `log-dropped` warn line says how many once writing
 *   works again.
 * - Errors: EPIPE or EBADF (no reader, no descriptor) end logging quietly; any other (ENOSPC,
 *   EIO) drops the lines waiting, counts them, and logging goes on.
 * - `flushSync()` writes everything now (waiting out EAGAIN up to a second); it runs on `exit`,
 *   so `process.exit` and the fatal handler lose nothing.
 * Must not: split a line across writes (except one longer than a pipe's atomic size), or throw.
 */

import { Buffer } from 'node:buffer';
import { fstatSync, writeSync } from 'node:fs';

/** POSIX PIPE_BUF on Linux: the largest pipe write that is never interleaved with another. */
export const PIPE_BUF_BYTES = 4096;
/** Largest write to a file or character device. */
const FILE_WRITE_BYTES = 64 * 1024;
const INITIAL_BYTES = 64 * 1024;
/** A turn's text is encoded and written early past this many characters. */
const TURN_TEXT_MAX = 64 * 1024;
const RETRY_MS = 10;
const EXIT_WAIT_MS = 1000;
const NEWLINE = 0x0a;

export interface LineSinkOptions {
  /** The descriptor to write; 1 (stdout) unless a test passes another. */
  readonly fd?: number;
  /** Largest single write; by default PIPE_BUF for pipes and sockets, 64 KiB otherwise. */
  readonly maxWrite?: number;
  /** Bytes kept while the descriptor would block; lines beyond are dropped and counted. */
  readonly maxBufferedBytes?: number;
  /** Flush synchronously on the process's `exit` (default true; tests with many sinks turn it off). */
  readonly flushOnExit?: boolean;
}

export class LineSink {
  readonly fd: number;
  readonly maxWrite: number;
  private readonly maxBuffered: number;
  /** Lines of this turn, not encoded yet: appending to a string is cheaper than a copy a line. */
  private text = '';
  /** Encoded bytes not written yet (the descriptor would block, or a turn's tail). */
  private buf: Buffer;
  private used = 0;
  private scheduled = false;
  private retry: NodeJS.Timeout | null = null;
  private broken = false;
  /** Lines dropped since the last notice (the buffer was full while the reader was stalled). */
  private droppedSinceNotice = 0;
  /** Lines dropped in all, for tests and operators. */
  dropped = 0;
  /** Serialised fields for the drop notice (`,"pid":…,"role":…`); the logger sets its own. */
  bindings = `,"pid":${process.pid}`;

  constructor(options: LineSinkOptions = {}) {
    this.fd = options.fd ?? 1;
    this.maxWrite = options.maxWrite ?? defaultMaxWrite(this.fd);
    this.maxBuffered = Math.max(options.maxBufferedBytes ?? 8 * 1024 * 1024, this.maxWrite);
    this.buf = Buffer.allocUnsafe(Math.min(INITIAL_BYTES, this.maxBuffered));
    if (options.flushOnExit ?? true) process.on('exit', () => this.flushSync());
  }

  /** Appends one line (it must end with a newline); written at the end of this turn. */
  write(line: string): boolean {
    if (this.broken) return true;
    // Characters stand for bytes here (exact for ASCII, the usual case); the cap is a bound on
    // memory, not a promise to the byte. Lines are dropped only while the reader is stalled.
    if (this.used + this.text.length + line.length > this.maxBuffered) {
      if (this.retry === null) this.flushNow();
      if (this.retry !== null && this.used + this.text.length + line.length > this.maxBuffered) {
        this.dropped++;
        this.droppedSinceNotice++;
        return true;
      }
    }
    this.text += line;
    if (this.text.length >= TURN_TEXT_MAX) this.flushNow();
    else if (!this.scheduled && this.retry === null) {
      this.scheduled = true;
      setImmediate(flushTurn, this);
    }
    return true;
  }

  /** Bytes waiting to be written. */
  get pendingBytes(): number {
    return this.used + Buffer.byteLength(this.text);
  }

  /**
   * Writes what can be written now; false if the descriptor would block (a retry is then armed).
   * `done` (pino's `logger.flush(cb)`) is called once this attempt is over.
   */
  flush(done?: (err?: Error) => void): boolean {
    const ok = this.flushNow();
    done?.();
    return ok;
  }

  private flushNow(): boolean {
    this.scheduled = false;
    if (this.broken) return true;
    // Blocked: the armed retry writes (this turn's text waits, bounded by the cap).
    if (this.retry !== null) return false;
    this.encode();
    if (this.used === 0 && this.droppedSinceNotice === 0) return true;
    const done = this.writeOut() && this.noticeDrops();
    if (!done && this.retry === null) {
      this.retry = setTimeout(retryFlush, RETRY_MS, this);
      this.retry.unref();
    }
    return done;
  }

  /** Writes everything before returning (waits out a blocked reader for up to a second). */
  flushSync(): void {
    const deadline = Date.now() + EXIT_WAIT_MS;
    this.encode();
    while (!this.broken && !(this.writeOut() && this.noticeDrops())) {
      if (Date.now() >= deadline) return;
      Atomics.wait(SLEEPER, 0, 0, 1);
    }
  }

  retryNow(): void {
    this.retry = null;
    this.flushNow();
  }

  /** Moves this turn's text into the byte buffer, growing it as needed. */
  private encode(): void {
    const text = this.text;
    if (text.length === 0) return;
    this.text = '';
    const bytes = Buffer.byteLength(text);
    const need = this.used + bytes;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, Math.min(this.buf.length * 2, this.maxBuffered)));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /** After lines were dropped and writing works again: one line saying how many (then written). */
  private noticeDrops(): boolean {
    const n = this.droppedSinceNotice;
    if (n === 0 || this.broken) return true;
    this.droppedSinceNotice = 0;
    this.text += dropNotice(n, this.bindings);
    this.encode();
    return this.writeOut();
  }

  /** Writes whole lines, at most `maxWrite` bytes a call; true when nothing is left. */
  private writeOut(): boolean {
    const buf = this.buf;
    const used = this.used;
    let start = 0;
    let blocked = false;
    while (start < used) {
      const end = chunkEnd(buf, start, used, this.maxWrite);
      let n: number;
      try {
        n = writeSync(this.fd, buf, start, end - start);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          blocked = true;
          break;
        }
        if (code === 'EINTR') continue;
        if (code === 'EPIPE' || code === 'EBADF') {
          // Nothing to log to any more: stop rather than spin.
          this.broken = true;
          this.used = 0;
          return true;
        }
        // ENOSPC, EIO…: these lines are lost; say so once writing works again.
        const lost = countLines(buf, start, used);
        this.dropped += lost;
        this.droppedSinceNotice += lost;
        start = used;
        break;
      }
      if (n === 0) {
        blocked = true;
        break;
      }
      start += n;
    }
    if (start > 0) {
      if (start < used) buf.copy(buf, 0, start, used);
      this.used = used - start;
    }
    return !blocked;
  }
}

/** Where the write starting at `start` ends: after the last newline within `max` bytes. */
function chunkEnd(buf: Buffer, start: number, used: number, max: number): number {
  if (used - start <= max) return used;
  const nl = buf.lastIndexOf(NEWLINE, start + max - 1);
  if (nl >= start) return nl + 1;
  // One line longer than `max`: it goes alone, whole.
  const next = buf.indexOf(NEWLINE, start + max);
  return next < 0 || next >= used ? used : next + 1;
}

function countLines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE, start); i >= 0 && i < end; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

function defaultMaxWrite(fd: number): number {
  try {
    const st = fstatSync(fd);
    return st.isFile() || st.isCharacterDevice() ? FILE_WRITE_BYTES : PIPE_BUF_BYTES;
  } catch {
    return PIPE_BUF_BYTES;
  }
}

function dropNotice(n: number, bindings: string): string {
  return (
    `{"level":"warn","time":${Date.now()}${bindings},"event":"log-dropped",` +
    `"dropped":${n},"msg":"log lines dropped: the log's reader fell behind"}\n`
  );
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

function flushTurn(sink: LineSink): void {
  sink.flush();
}

function retryFlush(sink: LineSink): void {
  sink.retryNow();
}
