/**
 * A request body as handlers see it: an async iterable of Buffers, with `bytes`, `text` and
 * `json` helpers that collect it under a size limit (RFC 9110 §6.4; framing is the parser's).
 *
 * Backpressure runs back to the socket: `push` returns false once more than
 * BODY_HIGH_WATER_BYTES wait unread, the connection stops reading, and the owner hears
 * `bodyDrained` when the consumer catches up. The first read tells the owner the body is wanted
 * (that is when `100 Continue` goes out, RFC 9110 §10.1.1). A body nobody reads is discarded
 * (counted, not kept) once the response has been sent.
 *
 * Memory follows bytes, never the number of pieces (issue 16): a chunked body of a million
 * 1-byte chunks is a million views of socket reads, and each view costs a Buffer object and
 * keeps its whole read alive. So a piece that has to wait is kept as a view only when it is at
 * least half of the memory it holds; smaller ones are copied into a shared slab, where
 * consecutive ones become one piece. `bytes()` gathers into one growing allocation, not a list.
 * A body held by Samovar costs at most about twice its bytes plus one slab, however it was cut.
 * Must not: touch the socket or parse framing; buffer without bound.
 */

import { Buffer } from 'node:buffer';
import type { RequestBody } from './api.ts';
import { HttpError } from './http-error.ts';

/**
 * Unread bytes held before the socket is paused: large enough that a consumer doing small
 * awaits does not stall the connection at every chunk (64 KiB is one socket read on Linux).
 */
export const BODY_HIGH_WATER_BYTES = 64 * 1024;

/** Small waiting pieces are copied into slabs of this size (one allocation per 16 KiB of them). */
const SLAB_BYTES = 16 * 1024;
/** `bytes()` of a body of unknown length starts with this much and doubles. */
const GATHER_START_BYTES = 16 * 1024;

/** Who a body reports to: the exchange it belongs to. */
export interface BodyOwner {
  bodyWanted(): void;
  bodyDrained(): void;
}

const BodyState = { OPEN: 0, ENDED: 1, FAILED: 2, DISCARDING: 3 } as const;
type BodyState = (typeof BodyState)[keyof typeof BodyState];

type Waiter = { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void };

const EMPTY = Buffer.alloc(0);

const DONE: IteratorResult<Buffer> = Object.freeze({ value: undefined, done: true });

export class IncomingBody implements RequestBody, AsyncIterator<Buffer> {
  /** Bytes received from the socket so far (decoded, without chunk framing). */
  received = 0;
  /** Bytes received after the body was abandoned; the connection closes when too many. */
  discarded = 0;
  private state: BodyState;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /**
   * Where small waiting pieces are copied. `slab[tailStart, slabUsed)` is the open tail: bytes
   * copied since the last piece was cut from it, which logically follow everything in `chunks`.
   */
  private slab: Buffer | null = null;
  private slabUsed = 0;
  private tailStart = 0;
  private behind = false;
  private started = false;
  private waiter: Waiter | null = null;
  /** `bytes()` reading from the first piece: each piece goes straight into its result. */
  private gathering: Gathering | null = null;
  private error: Error | null = null;
  private readonly owner: BodyOwner | null;
  /** The declared Content-Length, or -1 (chunked: unknown until the end). */
  private readonly declaredLength: number;

  constructor(owner: BodyOwner | null, declaredLength: number, ended = false) {
    this.owner = owner;
    this.declaredLength = declaredLength;
    this.state = ended ? BodyState.ENDED : BodyState.OPEN;
  }

  /** Whether the last byte has arrived (or the body ended some other way). */
  get complete(): boolean {
    return this.state !== BodyState.OPEN && this.state !== BodyState.DISCARDING;
  }

  /** Whether the handler has started reading. */
  get wanted(): boolean {
    return this.started;
  }

  // ---- engine side ----

  /** Adds decoded bytes; false when the consumer is behind and the socket should pause. */
  push(chunk: Buffer): boolean {
    return this.pushRange(chunk, 0, chunk.length);
  }

  /**
   * `push` of `buf[start, end)`, without making a Buffer of it unless it is kept as one.
   * `transient`: `buf` is reused by the next read (the shared read buffer): the bytes are copied,
   * never handed out or kept as a view.
   */
  pushRange(buf: Buffer, start: number, end: number, transient = false): boolean {
    const n = end - start;
    this.received += n;
    if (this.state === BodyState.DISCARDING) {
      this.discarded += n;
      return true;
    }
    if (this.state !== BodyState.OPEN) return true;
    const g = this.gathering;
    if (g !== null) {
      if (!g.add(buf, start, end, transient)) {
        this.gathering = null;
        g.reject(tooLarge());
      }
      return true;
    }
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve({ value: transient ? copyOf(buf, start, end) : buf.subarray(start, end), done: false });
      return true;
    }
    this.hold(buf, start, end, transient);
    this.buffered += n;
    if (this.buffered > BODY_HIGH_WATER_BYTES) this.behind = true;
    return !this.behind;
  }

  /**
   * Keeps bytes until they are read: as a window when they are at least half of the memory they
   * are a window on (a whole socket read), else copied onto the slab's open tail.
   */
  private hold(buf: Buffer, start: number, end: number, transient: boolean): void {
    const n = end - start;
    if (!transient && n * 2 >= buf.buffer.byteLength) {
      this.cutTail();
      this.chunks.push(buf.subarray(start, end));
      return;
    }
    let slab = this.slab;
    if (slab === null || this.slabUsed + n > slab.length) {
      this.cutTail();
      if (n > SLAB_BYTES / 2) {
        // Not small, but a window on a much larger read: a copy of its own.
        this.chunks.push(copyOf(buf, start, end));
        return;
      }
      slab = this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.slabUsed = this.tailStart = 0;
    }
    buf.copy(slab, this.slabUsed, start, end);
    this.slabUsed += n;
  }

  /** Closes the slab's open tail into a piece of the queue. */
  private cutTail(): void {
    if (this.slab !== null && this.tailStart < this.slabUsed) {
      this.chunks.push(this.slab.subarray(this.tailStart, this.slabUsed));
      this.tailStart = this.slabUsed;
    }
  }

  /** The next piece waiting, or undefined. */
  private take(): Buffer | undefined {
    const chunk = this.chunks.shift();
    if (chunk !== undefined || this.slab === null || this.tailStart === this.slabUsed) return chunk;
    const tail = this.slab.subarray(this.tailStart, this.slabUsed);
    this.tailStart = this.slabUsed;
    return tail;
  }

  /** Drops whatever waits. */
  private dropHeld(): void {
    this.chunks.length = 0;
    this.slab = null;
    this.slabUsed = this.tailStart = 0;
    this.buffered = 0;
  }

  end(): void {
    if (this.state === BodyState.OPEN) this.state = BodyState.ENDED;
    else if (this.state === BodyState.DISCARDING) this.state = BodyState.ENDED;
    const g = this.gathering;
    if (g !== null) {
      this.gathering = null;
      g.resolve(g.result());
    }
    const w = this.waiter;
    if (w !== null && this.buffered === 0) {
      this.waiter = null;
      w.resolve(DONE);
    }
  }

  /** The body cannot complete (protocol error, timeout, client gone): readers get `error`. */
  fail(error: Error): void {
    if (this.state === BodyState.ENDED || this.state === BodyState.FAILED) return;
    this.state = BodyState.FAILED;
    this.error = error;
    this.dropHeld();
    this.gathering?.reject(error);
    this.gathering = null;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.reject(error);
    }
  }

  /** The response is out and nobody will read the rest: drop what is held, count what comes. */
  discard(): void {
    if (this.state !== BodyState.OPEN) return;
    this.state = BodyState.DISCARDING;
    this.dropHeld();
    this.gathering?.reject(new Error(DISCARDED));
    this.gathering = null;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.reject(new Error(DISCARDED));
    }
    if (this.behind) {
      this.behind = false;
      this.owner?.bodyDrained();
    }
  }

  /** Bytes still to come when the length is declared, else -1. */
  get remaining(): number {
    return this.declaredLength < 0 ? -1 : this.declaredLength - this.received;
  }

  // ---- handler side ----

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (!this.started) {
      this.started = true;
      if (this.state === BodyState.OPEN) this.owner?.bodyWanted();
    }
    const chunk = this.take();
    if (chunk !== undefined) {
      this.buffered -= chunk.length;
      if (this.behind && this.buffered <= BODY_HIGH_WATER_BYTES / 2) {
        this.behind = false;
        this.owner?.bodyDrained();
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.state === BodyState.ENDED) return Promise.resolve(DONE);
    if (this.state === BodyState.FAILED)
      return Promise.reject(this.error ?? new Error('request body failed'));
    if (this.state === BodyState.DISCARDING) {
      return Promise.reject(new Error(DISCARDED));
    }
    if (this.waiter !== null || this.gathering !== null) return Promise.reject(new Error(READ_TWICE));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** A consumer that stops early (`break`) leaves the rest to be discarded after the response. */
  return(): Promise<IteratorResult<Buffer>> {
    return Promise.resolve(DONE);
  }

  /**
   * The whole body; a 413 HttpError beyond `limit` bytes (checked before reading when declared).
   * Read from its start, it costs one promise: the pieces go into the result as they arrive (a
   * body in one piece is handed out as it is), and it resolves when the last one has. Otherwise
   * (the handler iterated first, or the body arrived while it was busy) the pieces left are
   * collected, synchronously when they are all here.
   */
  bytes(limit = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
    if (this.declaredLength > limit) return Promise.reject(tooLarge());
    if (!this.started && this.waiter === null) {
      if (this.state === BodyState.OPEN && this.buffered === 0) {
        this.started = true;
        const whole = new Promise<Buffer>((resolve, reject) => {
          this.gathering = new Gathering(this.declaredLength, limit, resolve, reject);
        });
        // Gathering before the owner hears (it may write `100 Continue` and read on).
        this.owner?.bodyWanted();
        return whole;
      }
      if (this.state === BodyState.ENDED) {
        this.started = true;
        const g = new Gathering(this.declaredLength, limit);
        let fits = true;
        for (let chunk = this.take(); chunk !== undefined && fits; chunk = this.take()) {
          this.buffered -= chunk.length;
          fits = g.add(chunk, 0, chunk.length, false);
        }
        if (this.behind) {
          // The connection paused for this body: it reads the next request now.
          this.behind = false;
          this.owner?.bodyDrained();
        }
        return fits ? Promise.resolve(g.result()) : Promise.reject(tooLarge());
      }
    }
    return this.collect(limit);
  }

  /** `bytes()` through the iterator, for a body partly read or still arriving. */
  private async collect(limit: number): Promise<Buffer> {
    const g = new Gathering(this.declaredLength, limit);
    for await (const chunk of this) {
      if (!g.add(chunk, 0, chunk.length, false)) throw tooLarge();
    }
    return g.result();
  }

  /** The whole body decoded as UTF-8. */
  async text(limit?: number): Promise<string> {
    return (await this.bytes(limit)).toString('utf8');
  }

  /** The whole body parsed as JSON; a 400 HttpError when it is not JSON. */
  async json(limit?: number): Promise<unknown> {
    const text = await this.text(limit);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpError(400, 'Request body is not valid JSON');
    }
  }
}

const DISCARDED = 'request body discarded: the response was already sent';
const READ_TWICE = 'request body is already being read';

function tooLarge(): HttpError {
  return new HttpError(413, 'Request body too large');
}

/**
 * A body collected whole: the first piece kept as it is, later ones copied into one allocation
 * of the declared size, or one that doubles (never a list of the pieces). `add` is false once the
 * total would pass the limit (nothing is added then).
 */
class Gathering {
  private first: Buffer | null = null;
  private out: Buffer | null = null;
  private total = 0;
  private readonly declared: number;
  private readonly limit: number;
  /** The promise `bytes()` returned, when the body is gathered as it arrives. */
  readonly resolve: (body: Buffer) => void;
  readonly reject: (error: unknown) => void;

  constructor(
    declared: number,
    limit: number,
    resolve: (body: Buffer) => void = noop,
    reject: (error: unknown) => void = noop,
  ) {
    this.declared = declared;
    this.limit = limit;
    this.resolve = resolve;
    this.reject = reject;
  }

  /** Adds `buf[start, end)`; `transient`: `buf` is reused by the next read, so it is copied. */
  add(buf: Buffer, start: number, end: number, transient: boolean): boolean {
    const total = this.total;
    const next = total + end - start;
    if (next > this.limit) return false;
    if (this.first === null && this.out === null) {
      this.first = transient ? copyOf(buf, start, end) : buf.subarray(start, end);
    } else {
      let out = this.out;
      if (out === null || next > out.length) {
        const size =
          this.declared >= next ? this.declared : Math.max(next, GATHER_START_BYTES, (out?.length ?? 0) * 2);
        const grown = Buffer.allocUnsafe(Math.min(size, this.limit));
        const held = out ?? this.first;
        if (held !== null) held.copy(grown, 0, 0, total);
        out = this.out = grown;
        this.first = null;
      }
      buf.copy(out, total, start, end);
    }
    this.total = next;
    return true;
  }

  result(): Buffer {
    const out = this.out;
    if (out !== null) return this.total === out.length ? out : out.subarray(0, this.total);
    return this.first ?? EMPTY;
  }
}

function noop(): void {}

/** `buf[start, end)` in memory of its own (a small one a slice of Node's pool, never reused while held). */
function copyOf(buf: Buffer, start: number, end: number): Buffer {
  const own = Buffer.allocUnsafe(end - start);
  buf.copy(own, 0, start, end);
  return own;
}

/** The body of a request that has none: always ended, shared (it holds no per-request state). */
export const EMPTY_BODY = new IncomingBody(null, 0, true);
