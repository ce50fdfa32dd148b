/**
 * `request.body` as a WHATWG ReadableStream (Streams Standard §4) over Samovar's native body
 * iterator: pull-based with a high-water mark of 0, so nothing is read from the connection until
 * the application asks for a chunk, and the engine's own backpressure (the socket pauses while
 * the body is unread) reaches the client. Zero-copy: each Buffer is enqueued as a Uint8Array
 * view of the same memory.
 * A default (not a byte) stream on purpose: a byte stream's `enqueue` transfers the chunk's
 * ArrayBuffer, which would detach a socket read that other views still point into.
 * Must not: buffer ahead of the reader, copy bytes, or swallow the engine's errors (a 413 or a
 * client gone errors the stream with the engine's error).
 */

import type { Buffer } from 'node:buffer';
import { concatBytes } from './body-bytes.ts';
import type { ReadableStreamDefaultController, UnderlyingSource } from 'node:stream/web';

/** The underlying source: its methods are called with `this` bound to it, so no closures. */
class NativeBodySource implements UnderlyingSource<Uint8Array> {
  /** A read or a cancel happened: the stream is disturbed (Fetch Standard §5.2 "body used"). */
  disturbed = false;
  private readonly iterator: AsyncIterator<Buffer>;

  constructor(body: AsyncIterable<Buffer>) {
    this.iterator = body[Symbol.asyncIterator]();
  }

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    this.disturbed = true;
    const step = await this.iterator.next();
    if (step.done === true) controller.close();
    else controller.enqueue(new Uint8Array(step.value.buffer, step.value.byteOffset, step.value.byteLength));
  }

  /** The app gave up: the rest of the body is discarded by the engine after the response. */
  async cancel(): Promise<void> {
    this.disturbed = true;
    await this.iterator.return?.();
  }
}

/** The stream plus the source that knows whether it was disturbed. */
export interface BodyStream {
  readonly stream: ReadableStream<Uint8Array>;
  readonly source: { readonly disturbed: boolean };
}

const PULL_ON_DEMAND: QueuingStrategy<Uint8Array> = { highWaterMark: 0 };

export function bodyStream(body: AsyncIterable<Buffer>): BodyStream {
  const source = new NativeBodySource(body);
  return { stream: new ReadableStream(source, PULL_ON_DEMAND), source };
}

class FailedSource implements UnderlyingSource<Uint8Array> {
  private readonly error: Error;
  constructor(error: Error) {
    this.error = error;
  }
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    controller.error(this.error);
  }
}

/** A stream already failed with `error`: what `body` is after the body was read another way. */
export function failedStream(error: Error): ReadableStream<Uint8Array> {
  return new ReadableStream(new FailedSource(error), PULL_ON_DEMAND);
}

/** Reads a whole stream (when the app touched `body` before calling `text()` and friends). */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const step = await reader.read();
    if (step.done) break;
    parts.push(step.value);
    total += step.value.byteLength;
  }
  return concatBytes(parts, total) ?? new Uint8Array(0);
}
