/**
 * The log's destination: whole JSON lines gathered during an event-loop turn (or, for stdout, for
 * up to 20 ms or 64 KiB: `flushDelayMs`), and written with `fs.writeSync` on the main thread.
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
 * - A reader that falls behind or stops: the descriptor is non-blocking (stdout-descriptor.ts), so
 *   a full pipe answers EAGAIN and the process is never stuck inside write(2). The lines stay
 *   buffered, up to `maxBufferedBytes` (1 MiB), and are retried at the end of every turn that adds
 *   lines and every 10 ms. When a line does not fit, `onStall` decides:
 *     `drop` (the primary always; a worker by default): the line is dropped and counted, and one
 *       `log-dropped` warn line says how many once writing works again — a bounded queue, and the
 *       event loop keeps running;
 *     `block` (a worker with `log.onStall: block`): the process waits for the reader, as nginx's
 *       log writes do — nothing is lost, nothing else runs. It sleeps between attempts (1 ms,
 *       doubling to 16 ms; back to 1 ms whenever the reader took something) and calls `onWait`
 *       every `onWaitEveryMs`, which a worker uses to tell the primary it is waiting, not hung.
 *   Why not a thread that may block for the primary: `process.exit` joins worker threads, and one
 *   stuck in write(2) on a stalled pipe keeps the process from ever exiting (tried on Node 24).
 * - Errors: EPIPE or EBADF (no reader, no descriptor) end logging quietly; any other (ENOSPC,
 *   EIO) drops the lines waiting, counts them, and logging goes on.
 * - A writer may hold lines it has not built yet (`hold`: the access log's queue): they are built
 *   when the sink writes (its turn's end or `flushDelayMs`), and before any other line, so the
 *   order holds.
 * - `flushSync()` writes everything now; it runs on `exit`, so `process.exit` and the fatal
 *   handler lose nothing. With `drop` it waits out a stalled reader for a second at most; with
 *   `block` for as long as it takes.
 * Must not: split a line across writes (except one longer than a pipe's atomic size), or throw.
 */

import { Buffer } from 'node:buffer';
import { fstatSync, writeSync } from 'node:fs';
import { OnStall } from './settings.ts';

/** POSIX PIPE_BUF on Linux: the largest pipe write that is never interleaved with another. */
export const PIPE_BUF_BYTES = 4096;
/** What a process keeps while its reader is stalled: ~3,000 access lines, a burst of a busy worker. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/**
 * How long stdout's lines wait, so that the lines of many turns leave in one write: a turn of a
 * `Connection: close` worker carries one or two lines, and a write(2) (and the event-loop turn its
 * `setImmediate` forces) per turn cost such a worker 19–31 % of its throughput (issue 19). 20 ms
 * is below what a person tailing the log notices; a busy worker fills 64 KiB sooner and writes then.
 */
export const STDOUT_FLUSH_DELAY_MS = 20;
/** Largest write to a file or character device. */
const FILE_WRITE_BYTES = 64 * 1024;
const INITIAL_BYTES = 64 * 1024;
/** A turn's lines are written early past this many characters (or bytes, built in place). */
const TURN_TEXT_MAX = 64 * 1024;
const RETRY_MS = 10;
const EXIT_WAIT_MS = 1000;
/** A waiting sink sleeps this long after an attempt that moved bytes, doubling up to the most. */
const WAIT_MIN_MS = 1;
const WAIT_MAX_MS = 16;
/** How often a waiting sink calls `onWait`, unless told (a worker passes its heartbeat interval). */
const WAIT_NOTICE_MS = 1000;
const NEWLINE = 0x0a;

/** A writer whose lines wait outside the sink (the access log's queue): built before anything else is written. */
export interface HeldLines {
  drain(): void;
}

export interface LineSinkOptions {
  /** The descriptor to write; 1 (stdout) unless a test passes another. */
  readonly fd?: number;
  /** Largest single write; by default PIPE_BUF for pipes and sockets, 64 KiB otherwise. */
  readonly maxWrite?: number;
  /** Bytes kept while the descriptor would block (default MAX_BUFFERED_BYTES). */
  readonly maxBufferedBytes?: number;
  /** What a full buffer does (default `drop`); changeable later through `onStall`. */
  readonly onStall?: OnStall;
  /** Flush synchronously on the process's `exit` (default true; tests with many sinks turn it off). */
  readonly flushOnExit?: boolean;
  /**
   * How long lines may wait for their write: 0 (the default) writes at the end of each event-loop
   * turn; more gathers the lines of many turns into one write (at most 64 KiB waits whatever the
   * delay). The process's stdout uses `STDOUT_FLUSH_DELAY_MS`.
   */
  readonly flushDelayMs?: number;
}

export class LineSink {
  readonly fd: number;
  readonly maxWrite: number;
  private readonly maxBuffered: number;
  onStall: OnStall;
  readonly flushDelayMs: number;
  /** The `flushDelayMs` timer, made once and re-armed. */
  private delayTimer: NodeJS.Timeout | null = null;
  /** Called every `onWaitEveryMs` while the sink waits for its reader (`block`, or at exit). */
  onWait: (() => void) | null = null;
  onWaitEveryMs = WAIT_NOTICE_MS;
  /** Lines of this turn, not encoded yet: appending to a string is cheaper than a copy a line. */
  private text = '';
  /**
   * Encoded bytes not written yet (the descriptor would block, or a turn's tail): `buf[head, used)`.
   * A partial write moves `head`; the bytes are moved to the front only when the tail is out of
   * room. (Moving them after every partial write copied up to 1 MiB a turn behind a slow reader:
   * a worker behind `| pino-pretty` served 13 k requests/s instead of 20 k and dropped 18 k lines
   * the reader could have taken.)
   */
  private buf: Buffer;
  private head = 0;
  private used = 0;
  private scheduled = false;
  /** The last write met EAGAIN: bytes are waiting for the reader. */
  private blocked = false;
  private retry: NodeJS.Timeout | null = null;
  private broken = false;
  /** Bytes written in all: a waiting sink sees from it whether the reader took anything. */
  private written = 0;
  /** Lines dropped since the last notice (the buffer was full while the reader was stalled). */
  private droppedSinceNotice = 0;
  /** A writer holding lines not built yet: built when the sink writes, or before any other line. */
  private held: HeldLines | null = null;
  /** Lines dropped in all, for tests and operators. */
  dropped = 0;
  /** Serialised fields for the drop notice (`,"pid":…,"role":…`); the logger sets its own. */
  bindings = `,"pid":${process.pid}`;

  constructor(options: LineSinkOptions = {}) {
    this.fd = options.fd ?? 1;
    this.maxWrite = options.maxWrite ?? defaultMaxWrite(this.fd);
    this.maxBuffered = Math.max(options.maxBufferedBytes ?? MAX_BUFFERED_BYTES, this.maxWrite);
    this.onStall = options.onStall ?? OnStall.DROP;
    this.flushDelayMs = options.flushDelayMs ?? 0;
    this.buf = Buffer.allocUnsafe(Math.min(INITIAL_BYTES, this.maxBuffered));
    if (options.flushOnExit ?? true) process.on('exit', () => this.flushSync());
  }

  /** Appends one line (it must end with a newline); written at the end of this turn. */
  write(line: string): boolean {
    if (this.held !== null) this.drainHeld();
    if (this.broken) return true;
    // Characters stand for bytes here (exact for ASCII, the usual case); the cap is a bound on
    // memory, not a promise to the byte. Lines are dropped only while the reader is stalled.
    if (!this.fits(line.length) && !this.makeRoom(line.length)) {
      this.dropped++;
      this.droppedSinceNotice++;
      return true;
    }
    this.text += line;
    if (this.text.length >= TURN_TEXT_MAX) this.flushNow();
    else this.schedule();
    return true;
  }

  /**
   * Room for one line of at most `max` bytes, which the caller builds straight into the returned
   * buffer from `end` and hands over with `commit` before anything else runs (the access log:
   * no string, no copy). `null` when the line is dropped (the reader is stalled and the buffer
   * full under `drop`, or logging has ended); under `block` it waits for room as `write` does.
   */
  reserve(max: number): Buffer | null {
    if (this.broken) return null;
    // Lines written earlier this turn go first.
    this.encode();
    if (!this.fits(max) && !this.makeRoom(max)) {
      this.dropped++;
      this.droppedSinceNotice++;
      return null;
    }
    this.ensureRoom(max);
    return this.buf;
  }

  /**
   * `source` has lines to build (it calls this at the first it queues): they are built when the
   * sink writes (the write this arms: the turn's end, or `flushDelayMs` later), or earlier, before
   * any other line, so lines keep their order.
   */
  hold(source: HeldLines): void {
    if (this.held === source) return;
    if (this.held !== null) this.drainHeld();
    this.held = source;
    this.schedule();
  }

  /** Builds the held lines now (into this sink: `reserve`/`write` then). */
  drainHeld(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    held.drain();
  }

  /** Where the line built after `reserve` starts. */
  get end(): number {
    return this.used;
  }

  /** The line built after `reserve` ends at `end` (a newline just before it); written this turn. */
  commit(end: number): void {
    this.used = end;
    if (!this.blocked && end - this.head >= TURN_TEXT_MAX) this.flushNow();
    else this.schedule();
  }

  /** Bytes waiting to be written. */
  get pendingBytes(): number {
    return this.used - this.head + Buffer.byteLength(this.text);
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

  /** Writes everything before returning: waits out a stalled reader (a second at most with `drop`). */
  flushSync(): void {
    const waitMs = this.onStall === OnStall.BLOCK ? Infinity : EXIT_WAIT_MS;
    this.waitFor((flushed) => flushed, Date.now() + waitMs);
  }

  retryNow(): void {
    this.retry = null;
    if (this.blocked) this.flushNow();
  }

  /** Whether a line of `chars` characters may be queued: it fits under the cap, or nothing waits. */
  private fits(chars: number): boolean {
    const pending = this.used - this.head + this.text.length;
    return pending + chars <= this.maxBuffered || pending === 0;
  }

  /** The buffer is full: write what the reader takes now; with `block`, wait until the line fits. */
  private makeRoom(chars: number): boolean {
    // Known blocked: the armed retry or the turn's end tries again; no system call a line.
    if (!this.blocked) this.flushNow();
    if (this.fits(chars) || this.onStall === OnStall.DROP) return this.fits(chars);
    this.waitFor(() => this.fits(chars), Infinity);
    return true;
  }

  /**
   * Arms the write of what is waiting: at the end of this turn, or `flushDelayMs` later, whichever
   * the sink was made with (also while blocked: one attempt then is what a reader that keeps up
   * costs anyway, and a reader merely slower than a burst gets the lines as soon as it has room).
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.flushDelayMs === 0) return void setImmediate(flushTurn, this);
    // One timer, re-armed: a write made early (64 KiB waiting) leaves it pending, and a second
    // timer per such write would fire for nothing.
    if (this.delayTimer === null) this.delayTimer = setTimeout(flushTurn, this.flushDelayMs, this).unref();
    else this.delayTimer.refresh();
  }

  private flushNow(): boolean {
    if (this.held !== null) this.drainHeld();
    this.scheduled = false;
    if (this.broken) return true;
    this.encode();
    if (this.used === this.head && this.droppedSinceNotice === 0) return true;
    const done = this.writeOut() && this.noticeDrops();
    this.blocked = !done;
    if (!done && this.retry === null) {
      this.retry = setTimeout(retryFlush, RETRY_MS, this);
      this.retry.unref();
    }
    return done;
  }

  /**
   * Writes until `enough(flushed)` or the deadline, sleeping between attempts: the synchronous
   * wait of `block` and of the exit flush. Calls `onWait` every `onWaitEveryMs` meanwhile.
   */
  private waitFor(enough: (flushed: boolean) => boolean, deadline: number): void {
    let sleepMs = WAIT_MIN_MS;
    let noticeAt = Date.now() + this.onWaitEveryMs;
    for (;;) {
      const before = this.written;
      const flushed = this.flushNow();
      if (this.broken || enough(flushed)) return;
      const now = Date.now();
      if (now >= deadline) return;
      if (now >= noticeAt) {
        noticeAt = now + this.onWaitEveryMs;
        this.notifyWaiting();
      }
      sleepMs = this.written > before ? WAIT_MIN_MS : Math.min(sleepMs * 2, WAIT_MAX_MS);
      Atomics.wait(SLEEPER, 0, 0, Math.min(sleepMs, deadline - now));
    }
  }

  private notifyWaiting(): void {
    try {
      this.onWait?.();
    } catch {
      // A hook that throws must not turn a wait into a crash.
    }
  }

  /** Moves this turn's text into the byte buffer, growing it as needed. */
  private encode(): void {
    const text = this.text;
    if (text.length === 0) return;
    this.text = '';
    const bytes = Buffer.byteLength(text);
    this.ensureRoom(bytes);
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /** Makes `bytes` of room after `used`: moves the waiting bytes to the front, or grows. */
  private ensureRoom(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const pending = this.used - this.head;
    const need = pending + bytes;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, Math.min(this.buf.length * 2, this.maxBuffered)));
      this.buf.copy(bigger, 0, this.head, this.used);
      this.buf = bigger;
    } else {
      this.buf.copy(this.buf, 0, this.head, this.used);
    }
    this.head = 0;
    this.used = pending;
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
    let start = this.head;
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
          this.head = this.used = 0;
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
      this.written += n;
    }
    if (start === used) this.head = this.used = 0;
    else this.head = start;
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
