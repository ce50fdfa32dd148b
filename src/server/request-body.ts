/**
 * A request body as handlers see it: an async iterable of Buffers, with `bytes`, `text` and
 * `json` helpers that collect it under a size limit (RFC 9110 §6.4; framing is the parser's).
 *
 * Backpressure runs back to the socket: `push` returns false once more than
 * BODY_HIGH_WATER_BYTES wait unread, the connection stops reading, and the owner hears
 * `bodyDrained` when the consumer catches up. The first read tells the owner the body is wanted
 * (that is when `100 Continue` goes out, RFC 9110 §10.1.1). A body nobody reads is discarded
 * (counted, not kept) once the response has been sent.
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

/** Who a body reports to: the exchange it belongs to. */
export interface BodyOwner {
  bodyWanted(): void;
  bodyDrained(): void;
}

const BodyState = { OPEN: 0, ENDED: 1, FAILED: 2, DISCARDING: 3 } as const;
type BodyState = (typeof BodyState)[keyof typeof BodyState];

type Waiter = { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void };

const DONE: IteratorResult<Buffer> = Object.freeze({ value: undefined, done: true });

export class IncomingBody implements RequestBody, AsyncIterator<Buffer> {
  /** Bytes received from the socket so far (decoded, without chunk framing). */
  received = 0;
  /** Bytes received after the body was abandoned; the connection closes when too many. */
  discarded = 0;
  private state: BodyState;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private behind = false;
  private started = false;
  private waiter: Waiter | null = null;
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
    this.received += chunk.length;
    if (this.state === BodyState.DISCARDING) {
      this.discarded += chunk.length;
      return true;
    }
    if (this.state !== BodyState.OPEN) return true;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve({ value: chunk, done: false });
      return true;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > BODY_HIGH_WATER_BYTES) this.behind = true;
    return !this.behind;
  }

  end(): void {
    if (this.state === BodyState.OPEN) this.state = BodyState.ENDED;
    else if (this.state === BodyState.DISCARDING) this.state = BodyState.ENDED;
    const w = this.waiter;
    if (w !== null && this.chunks.length === 0) {
      this.waiter = null;
      w.resolve(DONE);
    }
  }

  /** The body cannot complete (protocol error, timeout, client gone): readers get `error`. */
  fail(error: Error): void {
    if (this.state === BodyState.ENDED || this.state === BodyState.FAILED) return;
    this.state = BodyState.FAILED;
    this.error = error;
    this.chunks.length = 0;
    this.buffered = 0;
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
    this.chunks.length = 0;
    this.buffered = 0;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.reject(new Error('request body discarded: the response was already sent'));
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
    const chunk = this.chunks.shift();
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
      return Promise.reject(new Error('request body discarded: the response was already sent'));
    }
    if (this.waiter !== null) return Promise.reject(new Error('request body is already being read'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** A consumer that stops early (`break`) leaves the rest to be discarded after the response. */
  return(): Promise<IteratorResult<Buffer>> {
    return Promise.resolve(DONE);
  }

  /** The whole body; a 413 HttpError beyond `limit` bytes (checked before reading when declared). */
  async bytes(limit = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
    if (this.declaredLength > limit) throw new HttpError(413, 'Request body too large');
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of this) {
      total += chunk.length;
      if (total > limit) throw new HttpError(413, 'Request body too large');
      parts.push(chunk);
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, total);
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

/** The body of a request that has none: always ended, shared (it holds no per-request state). */
export const EMPTY_BODY = new IncomingBody(null, 0, true);
