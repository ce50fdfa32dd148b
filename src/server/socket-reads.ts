/**
 * Reads without a `Buffer` and a stream event per read: a plain-HTTP connection's socket is
 * re-made around its accepted handle with `net.Socket`'s `onread` option, so each read lands in a
 * buffer Samovar chose and goes straight to the connection's callback — no Buffer allocated per
 * read, no `push` through the Readable machinery, no 'data' event. (Issue 19 §4: the node:net
 * responder that answers from 'data' events is slower than Samovar on this path.)
 *
 * Which buffer: between bodies every socket of the worker reads into one shared 64 KiB buffer
 * (heads, and what arrives with them); whatever must outlive the read is copied out of it — the
 * unparsed tail of a paused connection, and body bytes (request-body.ts `transient`). While a
 * request's body is being received, each read gets a fresh buffer of its own, as Node's own reads
 * do, so the body's pieces are handed to the application as views, never copied and never
 * overwritten by a later read.
 *
 * The re-making relies on Node internals: the accepted socket's `_handle` and `net.Socket`'s
 * `handle` option (how node:net itself wraps an accepted handle). When they are not there (another
 * runtime, a Node that changed them) the socket is kept as it is and read through 'data' events.
 * A TLS socket cannot be re-made (node:tls builds it around the TCP one and ignores `onread`), so
 * its decrypted reads are switched over in place once the handshake is done (`adoptTlsReads`):
 * the same three fields `onread` sets on a `net.Socket` (found by name on one made for the
 * purpose) and the handle's `useUserBuffer`, which node:tls's reads honour (OpenSSL's plaintext
 * is copied into the buffer, at most 16 KiB a call).
 * Must not: hand out a view of the shared buffer that outlives the read callback.
 */

import { Buffer } from 'node:buffer';
import net from 'node:net';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Bytes per read, as Node reads (64 KiB). */
export const READ_BYTES = 64 * 1024;

/** The read buffer of every connection between bodies (one per process). */
const SHARED = Buffer.allocUnsafeSlow(READ_BYTES);

/** Whether `buf` is a view on the shared read buffer (so it is gone after the read callback). */
export function isShared(buf: Buffer): boolean {
  return buf.buffer === SHARED.buffer;
}

/** What a socket's owner does with reads (connection.ts). */
export interface ReadTarget {
  /** `n` bytes were read into `buf` (from its start). */
  onRead(buf: Buffer, n: number): void;
  /** A request body is being received: the next read needs a buffer of its own. */
  readonly readingBody: boolean;
}

export const READER = Symbol('samovar.reader');
type ReadingSocket = Socket & { [READER]?: ReadTarget };

interface AcceptedSocket extends Socket {
  _handle?: { useUserBuffer?: unknown } | null;
}

/**
 * The accepted `socket` re-made to read through `onread`, or `socket` itself when it cannot be.
 * `options` are the listener's socket options (allowHalfOpen, highWaterMark).
 */
export function adoptForReads(
  socket: Socket,
  options: { allowHalfOpen: boolean; highWaterMark: number },
): Socket {
  const accepted = socket as AcceptedSocket;
  const handle = accepted._handle;
  if (handle == null || typeof handle.useUserBuffer !== 'function') return socket;
  // The old socket lets go of the handle and closes (node:net counts it off the listener).
  accepted._handle = null;
  socket.destroy();
  // `handle` is how node:net wraps an accepted handle (typed as another kind of handle in @types/node).
  const init = {
    handle,
    allowHalfOpen: options.allowHalfOpen,
    readable: true,
    writable: true,
    highWaterMark: options.highWaterMark,
    onread: ONREAD,
  } as unknown as net.SocketConstructorOpts;
  return new net.Socket(init);
}

/**
 * Where the read that just ended decided the socket's next read goes. node:net calls the buffer
 * function right after the read callback, synchronously and without the socket, so the callback
 * leaves its choice here.
 */
let next: Buffer = SHARED;

function nextReadBuffer(): Buffer {
  const buf = next;
  next = SHARED;
  return buf;
}

function onSocketRead(this: ReadingSocket, n: number, buf: Uint8Array): boolean {
  const target = this[READER];
  if (target === undefined) return true;
  target.onRead(buf as Buffer, n);
  if (target.readingBody) next = Buffer.allocUnsafeSlow(READ_BYTES);
  return true;
}

const ONREAD = { buffer: nextReadBuffer, callback: onSocketRead };

/** The fields `net.Socket` keeps `onread` in (Node's kBuffer, kBufferCb, kBufferGen), or null. */
interface ReadFields {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

let readFields: ReadFields | null | undefined;

function findReadFields(): ReadFields | null {
  const probe = new net.Socket({ onread: ONREAD });
  const named = new Map(Object.getOwnPropertySymbols(probe).map((key) => [key.description, key]));
  probe.destroy();
  const buffer = named.get('kBuffer');
  const callback = named.get('kBufferCb');
  const generator = named.get('kBufferGen');
  const fields = probe as unknown as Record<symbol, unknown>;
  // Only if they hold what `onread` put there: the names alone could mean something else.
  if (buffer === undefined || callback === undefined || generator === undefined) return null;
  if (fields[callback] !== onSocketRead || fields[generator] !== nextReadBuffer) return null;
  return { buffer, callback, generator };
}

/**
 * Switches a TLS socket whose handshake is done to reads through `onread`, as a re-made plain
 * socket reads; false (the socket untouched, read through 'data' events) when this Node does not
 * allow it. The caller hands the connection whatever node:tls had already decrypted (`read()`).
 */
export function adoptTlsReads(socket: TLSSocket): boolean {
  readFields ??= findReadFields();
  const handle = (socket as TLSSocket & { _handle?: { useUserBuffer?: (buf: Buffer) => void } | null })
    ._handle;
  if (readFields === null || handle == null || typeof handle.useUserBuffer !== 'function') return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  const buffer = nextReadBuffer();
  fields[readFields.buffer] = buffer;
  fields[readFields.callback] = onSocketRead;
  fields[readFields.generator] = nextReadBuffer;
  handle.useUserBuffer(buffer);
  return true;
}
