/**
 * A response body's ReadableStream (Streams Standard §4.3) as the async iterator `res.stream()`
 * reads: one `reader.read()` per chunk the engine asks for, so the engine's wait for the socket
 * to drain is the producer's backpressure. The engine closes the iterator (`return()`) when it
 * stops early (HEAD, a length mismatch, the client gone, even while the producer is silent
 * between events); that cancels the stream, so the producer's `cancel()` runs and it stops.
 * Also the peek that comes first: chunks the producer already holds are gathered (a bounded
 * amount), so a body that was a string, or a stream already complete, is sent in one write, and
 * the writer knows whether the head must leave before any chunk.
 * Must not: read ahead of the engine, or pass on a chunk that is not bytes (undici would refuse
 * it too: Fetch Standard §5.2 "incrementally read" expects Uint8Array chunks).
 */

import type { ReadableStreamReadResult } from 'node:stream/web';
import { concatBytes } from './body-bytes.ts';

type Step = ReadableStreamReadResult<Uint8Array>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const DONE_PROMISE: Promise<IteratorReturnResult<undefined>> = Promise.resolve(DONE);

export class ReaderSource implements AsyncIterableIterator<Uint8Array> {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Bytes already read by the peek, sent first. */
  private queued: Uint8Array | null;
  /** A read the peek started and did not see finish. */
  private pending: Promise<Step> | null;
  private cancelled = false;

  constructor(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    queued: Uint8Array | null,
    pending: Promise<Step> | null,
  ) {
    this.reader = reader;
    this.queued = queued;
    this.pending = pending;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const queued = this.queued;
    if (queued !== null) {
      this.queued = null;
      return Promise.resolve({ done: false, value: queued });
    }
    const pending = this.pending;
    this.pending = null;
    return (pending ?? this.reader.read()).then(checkChunk);
  }

  /** The engine stopped early: cancel the producer. */
  return(): Promise<IteratorReturnResult<undefined>> {
    this.cancel();
    return DONE_PROMISE;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reader.cancel().catch(ignore);
  }
}

function checkChunk(step: Step): IteratorResult<Uint8Array> {
  if (step.done || step.value instanceof Uint8Array) return step as IteratorResult<Uint8Array>;
  throw new TypeError(`a response body stream yielded ${typeof step.value}, not a Uint8Array`);
}

function ignore(): void {}

/** What `peek` found: the whole body (it ended), or a prefix and the read still running. */
export interface Peeked {
  /** Every chunk already there, joined (null: none). */
  readonly bytes: Uint8Array | null;
  /** Whether the stream ended within the peek. */
  readonly ended: boolean;
  /** The read that had not finished when the peek stopped (null when `ended`). */
  readonly pending: Promise<Step> | null;
}

/** Gather at most this much before streaming what is left. */
const PEEK_MAX_BYTES = 64 * 1024;
const PENDING = Symbol('pending');
/**
 * Already settled: a race against it is won by a read that was already settled when it began.
 * A chunk a producer enqueues synchronously in `pull` (undici's own string and bytes bodies do)
 * settles the read before `read()` returns, so no microtask needs to pass.
 */
const NOW: Promise<typeof PENDING> = Promise.resolve(PENDING);

/**
 * For the first read, two microtasks: a stream made in the same tick has not finished `start`
 * yet, and calls `pull` only one microtask later (measured on Node 24: one hop suffices).
 */
function soon(): Promise<typeof PENDING> {
  return NOW.then(same).then(same);
}

function same<T>(value: T): T {
  return value;
}

/**
 * Reads what the stream already holds: an undici `Response` made from a string or bytes, or a
 * producer that enqueues without waiting, delivers its chunks and its end at once; a live
 * stream (events to come) does not, and its pending read is handed on.
 */
export async function peek(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Peeked> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    if (total > PEEK_MAX_BYTES) return { bytes: concatBytes(parts, total), ended: false, pending: null };
    const read = reader.read();
    const step = await Promise.race([read, parts.length === 0 ? soon() : NOW]);
    if (step === PENDING) return { bytes: concatBytes(parts, total), ended: false, pending: read };
    if (step.done) return { bytes: concatBytes(parts, total), ended: true, pending: null };
    const chunk = checkChunk(step).value as Uint8Array;
    parts.push(chunk);
    total += chunk.byteLength;
  }
}
