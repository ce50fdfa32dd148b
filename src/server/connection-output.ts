/**
 * The write side of a connection, as the `ResponseHost` its exchanges answer through: the
 * pipeline queue (answers leave strictly in request order, RFC 9112 §9.3.2, an early one waits
 * encoded in its exchange), persistence decisions for each answer (RFC 9112 §9.3, §9.6), 100
 * Continue (RFC 9110 §10.1.1), and write backpressure (a write over the high-water mark pauses
 * reading and makes streams wait for 'drain').
 * `Connection` extends it with the read side and the lifecycle; the split is only to keep each
 * file to one concern, the object is one class at run time (one shape for V8).
 * Must not: read the socket or parse; change the connection state (Connection does).
 */

import { performance } from 'node:perf_hooks';
import type { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { DateCache } from '../http/date-cache.ts';
import { chunkSizeLine, CONTINUE_BYTES, CRLF_BYTES } from '../http/response-head.ts';
import { CloseReason } from './connection-state.ts';
import type { ErrorHook, ResponseHook, ServerOptions } from './options.ts';
import type { LoadMonitor } from './overload.ts';
import { Outcome } from './outcome.ts';
import { Continue, Phase, type ServerResponse, type ResponseHost } from './response.ts';

/** What the write side needs from its server (the read side's needs: connection.ts). */
export interface OutputContext {
  readonly options: ServerOptions;
  readonly dates: DateCache;
  readonly draining: boolean;
  readonly onError: ErrorHook;
  readonly onResponse: ResponseHook | null;
  readonly echoRequestIds: boolean;
  /** Exchanges in flight over every connection, and the overload decision (overload.ts). */
  readonly load: LoadMonitor;
}

/** Why reading is paused; reading resumes when no bit is left. */
export const Pause = { QUEUE: 1, BODY: 2, WRITE: 4, HALT: 8 } as const;

export abstract class ConnectionOutput implements ResponseHost {
  readonly socket: Socket;
  protected readonly ctx: OutputContext;
  /** Exchanges not yet fully written, in request order; the first one owns the socket. */
  protected readonly queue: ServerResponse[] = [];
  /** The exchange whose request message has not ended yet (its body is arriving). */
  protected current: ServerResponse | null = null;
  /** No more requests will be parsed; close once the queue is written. */
  protected halted = false;
  protected pauseMask = 0;
  protected writeBlocked = false;
  /** `bytesTaken` when the write (or linger) window started: a slow reader from a dead one. */
  protected writeMark = 0;
  /**
   * The send-rate window (`timeouts.minSendRateBytesPerSecond`): when it started (-1: none) and
   * `bytesTaken` then. It spans every block of one busy stretch, because a reader fast enough to
   * drain the buffer now and then, but slow on average, never lets the write timer fire.
   */
  protected rateSince = -1;
  private rateMark = 0;
  /**
   * While one read is parsed, answers are gathered here and written once after it: a pipelined
   * batch leaves in one write(2), as one latin1 string when every piece is one (the usual case),
   * which costs less than Node's cork/writev of a chunk per answer.
   */
  protected gathering = false;
  private readonly gathered: (Uint8Array | string)[] = [];
  private gatheredBytes = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(socket: Socket, ctx: OutputContext) {
    this.socket = socket;
    this.ctx = ctx;
  }

  get dateLine(): string {
    return this.ctx.dates.line;
  }

  get echoRequestId(): boolean {
    return this.ctx.echoRequestIds;
  }

  protected abstract settle(): void;
  abstract beginClose(): void;
  abstract closing(reason: CloseReason): void;
  abstract cut(reason: CloseReason): void;
  protected abstract pause(reason: number): void;
  protected abstract unpause(reason: number): void;

  decideClose(res: ServerResponse, closeDelimited: boolean): boolean {
    let close = closeDelimited || res.forceClose || res.wantsClose || this.ctx.draining;
    if (!close && res === this.current) close = this.unreadTooLarge(res);
    res.closeAfter = close;
    return close;
  }

  /** Whether the unread rest of the body is too much (or unknowable) to drain (RFC 9112 §9.6). */
  private unreadTooLarge(res: ServerResponse): boolean {
    const body = res.req.body;
    if (body.complete) return false;
    const head = res.req.head;
    // A client waiting for 100 Continue that will not come may never send the body at all.
    if (
      head.expect !== null &&
      head.versionMinor === 1 &&
      res.continueState !== Continue.SENT &&
      body.received === 0
    )
      return true;
    return body.remaining > this.ctx.options.connections.maxUnreadBodyBytes;
  }

  deliver(res: ServerResponse, head: string | Buffer, body: Uint8Array | null): void {
    res.phase = Phase.DONE;
    this.responseSent(res);
    if (this.queue[0] !== res) {
      res.outHead = head;
      res.outBody = body;
      return;
    }
    res.wrote = true;
    this.writeResponse(head, body);
    this.completeFront();
    this.settle();
  }

  turn(res: ServerResponse): Promise<void> {
    if (this.queue[0] === res || res.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      res.turnResolve = resolve;
    });
  }

  writeChunk(prefix: Buffer | null, data: Uint8Array | null, chunked: boolean): boolean {
    const socket = this.socket;
    socket.cork();
    if (prefix !== null) this.write(prefix);
    if (data !== null && chunked) {
      this.write(chunkSizeLine(data.byteLength));
      this.write(data);
      this.write(CRLF_BYTES);
    } else if (data !== null) this.write(data);
    socket.uncork();
    this.settle();
    return !this.writeBlocked;
  }

  drained(): Promise<void> {
    if (!this.writeBlocked || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  finishStream(res: ServerResponse, tail: Buffer | null): void {
    res.phase = Phase.DONE;
    if (tail !== null) this.write(tail);
    res.wrote = true;
    this.responseSent(res);
    this.completeFront();
    this.settle();
  }

  continueWanted(res: ServerResponse): void {
    if (res.continueState !== Continue.EXPECTED || res.phase !== Phase.OPEN || res.req.body.received > 0)
      return;
    if (this.queue[0] !== res) {
      res.continueState = Continue.PENDING;
      return;
    }
    res.continueState = Continue.SENT;
    this.write(CONTINUE_BYTES);
    this.settle();
  }

  bodyDrained(res: ServerResponse): void {
    if (res !== this.current) return;
    this.unpause(Pause.BODY);
    this.settle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  reportError(res: ServerResponse, error: unknown): void {
    const req = res.req;
    try {
      this.ctx.onError(error, { requestId: req.id, method: req.method, path: req.path });
    } catch {
      // The error hook failed too; nothing sensible is left to do with the report.
    }
  }

  /**
   * The exchange is over, answered or not: one call to the response hook, if any (metrics,
   * access log). Every exchange in the queue gets exactly one: here when its answer leaves, or
   * from `Connection` when it is abandoned.
   */
  protected observe(res: ServerResponse): void {
    if (res.peerGone && res.outcome === Outcome.COMPLETED) res.outcome = Outcome.CLIENT_CLOSED;
    // A 5xx an application made of the client's own leaving (a framework turning the aborted
    // body read into 500) is the client's: recorded 499, so 5xx stays the server's failures.
    if (res.outcome === Outcome.CLIENT_CLOSED && res.statusCode >= 500) res.statusCode = 499;
    const hook = this.ctx.onResponse;
    if (hook === null) return;
    try {
      hook(res);
    } catch {
      // A hook must not throw; an observer's failure must not cost the client its answer.
    }
  }

  protected write(data: Uint8Array | string): void {
    if (!this.gathering) return this.send(data);
    this.gathered.push(data);
    this.gatheredBytes += typeof data === 'string' ? data.length : data.byteLength;
    // Past the high-water mark, write now: backpressure must stop the parse loop right here.
    const socket = this.socket;
    if (this.gatheredBytes + socket.writableLength >= socket.writableHighWaterMark) this.flushGathered();
  }

  /** Whether answers wait in the gathered batch. */
  protected get hasGathered(): boolean {
    return this.gathered.length > 0;
  }

  /** Writes what was gathered during the parse of one read: one chunk, one string, or corked. */
  protected flushGathered(): void {
    const g = this.gathered;
    const n = g.length;
    if (n === 0) return;
    this.gatheredBytes = 0;
    if (this.socket.destroyed || this.socket.writableEnded) {
      g.length = 0;
      return;
    }
    if (n === 1) {
      // `pop`, not `length = 0`: the one-answer case is every keep-alive request, and truncating
      // an array is a runtime call.
      return this.send(g.pop() as Uint8Array | string);
    }
    let strings = true;
    for (let i = 0; i < n && strings; i++) strings = typeof g[i] === 'string';
    if (strings) {
      let text = '';
      for (let i = 0; i < n; i++) text += g[i] as string;
      g.length = 0;
      return this.send(text);
    }
    this.socket.cork();
    for (let i = 0; i < n; i++) this.send(g[i] as Uint8Array | string);
    g.length = 0;
    this.socket.uncork();
  }

  private send(data: Uint8Array | string): void {
    const ok = typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
    if (ok || this.writeBlocked) return;
    this.writeBlocked = true;
    const taken = bytesTaken(this.socket);
    this.writeMark = taken;
    this.pause(Pause.WRITE);
    this.checkSendRate(taken);
  }

  /**
   * At each block: over a window of at least `writeTimeoutMs`, the client must have taken
   * `minSendRateBytesPerSecond` on average, else it is cut (a large answer read a byte at a time).
   */
  private checkSendRate(taken: number): void {
    const t = this.ctx.options.timeouts;
    if (t.minSendRateBytesPerSecond === 0) return;
    const now = performance.now();
    if (this.rateSince < 0) {
      this.rateSince = now;
      this.rateMark = taken;
      return;
    }
    const elapsed = now - this.rateSince;
    if (elapsed < t.writeTimeoutMs) return;
    if (taken - this.rateMark < (t.minSendRateBytesPerSecond * elapsed) / 1000) {
      return this.cut(CloseReason.WRITE_TIMEOUT);
    }
    this.rateSince = now;
    this.rateMark = taken;
  }

  private writeResponse(head: string | Buffer, body: Uint8Array | null): void {
    if (body === null) return this.write(head);
    this.socket.cork();
    this.write(head);
    this.write(body);
    this.socket.uncork();
  }

  /** A handler has finished answering: a body it did not read is discarded from now on. */
  private responseSent(res: ServerResponse): void {
    if (res === this.current && !res.req.body.complete) res.req.body.discard();
  }

  /** The first exchange is written: retire it, write those that were waiting behind it. */
  private completeFront(): void {
    for (;;) {
      const done = this.queue.shift();
      if (done === undefined) break;
      this.ctx.load.inFlight--;
      this.observe(done);
      if (done.closeAfter) {
        this.closing(this.ctx.draining ? CloseReason.DRAIN : CloseReason.KEEPALIVE_END);
        return this.beginClose();
      }
      const next = this.queue[0];
      if (next === undefined) break;
      if (next.continueState === Continue.PENDING) {
        if (next.phase === Phase.OPEN) {
          next.continueState = Continue.SENT;
          this.write(CONTINUE_BYTES);
        } else next.continueState = Continue.EXPECTED;
      }
      if (next.outHead === null) {
        const resolve = next.turnResolve;
        next.turnResolve = null;
        resolve?.();
        break;
      }
      next.wrote = true;
      this.writeResponse(next.outHead, next.outBody);
      next.outHead = next.outBody = null;
    }
    if (this.queue.length < this.ctx.options.connections.maxPipelinedRequests) this.unpause(Pause.QUEUE);
    if (this.queue.length === 0 && this.halted) this.beginClose();
  }

  protected releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters.length === 0) return;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * Bytes the kernel has taken from this socket so far, to the byte: what Node handed to libuv
 * less what libuv still queues. `writableLength` moves only when a whole write completes, and
 * one `send()` of 64 MiB is one write: a client reading it steadily but slowly looked stalled.
 * Both counters are Node's own (net.Socket and its handle, stable since Node 0.x, as http2 and
 * tls read them); without them, whole writes are counted as before.
 */
export function bytesTaken(socket: Socket): number {
  // A TLS socket's own counters stand still until a whole write is encrypted and sent (its
  // queue holds the write until then); the TCP socket under it counts what the kernel took, in
  // ciphertext (about 22 bytes a 16 KiB record more: nothing for a rate).
  const raw = (socket as Socket & { _parent?: Socket | null })._parent;
  const s = (raw ?? socket) as Socket & {
    _bytesDispatched?: unknown;
    _handle?: { writeQueueSize?: unknown } | null;
  };
  const dispatched = s._bytesDispatched;
  const queued = s._handle?.writeQueueSize;
  if (typeof dispatched === 'number' && typeof queued === 'number') return dispatched - queued;
  return (socket.bytesWritten ?? 0) - socket.writableLength;
}
