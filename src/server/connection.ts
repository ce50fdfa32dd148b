/**
 * One HTTP/1.1 connection: reads bytes into the parser, runs handlers, writes answers strictly in
 * request order, and decides when the connection persists or closes (RFC 9112 §9).
 *
 * - State (new → active ⇄ idle → linger → closed) changes only in `setState`, which also keeps
 *   the server's registry (Go net/http's setState).
 * - Pipelining (RFC 9112 §9.3.2): requests are parsed ahead and their handlers run at once, but
 *   an answer that is ready early waits in its exchange until those before it are written. At
 *   `maxPipelinedRequests` queued, reading stops until answers go out.
 * - Backpressure: reading pauses while the write buffer is over its high-water mark, while a
 *   body consumer is behind, and while the queue is full (`pauseMask`, one bit per reason).
 * - Errors: a protocol error or timeout earns one fixed answer with `Connection: close` after
 *   the answers already queued; then a lingering close (end, read and discard, then destroy) so
 *   the client reads it before any reset (RFC 9112 §9.6).
 * Socket listeners are module-level functions (no closures per connection); one timer.
 * Must not: parse bytes itself, encode heads (response.ts does), or know about the cluster.
 */

import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ANSWERS, type AnswerCode, type ProtocolErrorCode, type TimeoutCode } from '../http/errors.ts';
import { BodyKind, RequestHead } from '../http/request-head.ts';
import { Outcome, RequestParser } from '../http/request-parser.ts';
import { bytesTaken, ConnectionOutput, Pause, type OutputContext } from './connection-output.ts';
import type { Handler } from './handler.ts';
import type { ProtocolErrorHook } from './options.ts';
import { CloseReason, type ConnectionRegistry, ConnState, type Stateful } from './connection-state.ts';
import { ConnectionTimer, TimerKind, type TimerOwner } from './connection-timer.ts';
import { runHandler } from './handler.ts';
import { HttpError, RequestAbortedError } from './http-error.ts';
import { ServerRequest } from './request.ts';
import { IncomingBody } from './request-body.ts';
import { isShared, READER, type ReadTarget } from './socket-reads.ts';
import { abandonedOutcome } from './outcome.ts';
import { Continue, Phase, ServerResponse } from './response.ts';
import { TlsFacts } from './tls-facts.ts';

/** What a connection needs from its server: the write side's context and the read side's. */
export interface ConnectionContext extends OutputContext {
  readonly handler: Handler;
  readonly registry: ConnectionRegistry<Connection>;
  readonly drainGraceMs: number;
  readonly onProtocolError: ProtocolErrorHook;
  nextRequestId(head: RequestHead): string;
  connectionClosed(reason: CloseReason): void;
  /** Overload (503) and rate limit (429): true when `res` was answered in its handler's place. */
  shed(res: ServerResponse, socket: Socket): boolean;
  /** Every request's peer address is recorded (the access log): read it at the first request. */
  readonly recordsPeer: boolean;
}

/**
 * Lingering close bounds (Apache's lingering_close uses 2 s): long enough for the client to read
 * our last answer, short enough that a peer cannot hold the socket open by sending. The byte
 * bound must cover what a client already has in flight when an early answer (a 413 mid-upload)
 * reaches it — both ends' socket buffers, several MiB on loopback with autotuning — or the cut
 * resets the connection and the client loses the answer (1 in 5 uploads at 256 KiB:
 * test/hardening/big-body.test.ts). Reading and discarding is cheap, and the 2 s bound caps it.
 */
export const LINGER_MS = 2_000;
export const LINGER_MAX_BYTES = 64 * 1024 * 1024;

/** Stands in for a request whose head never parsed, so its error answer has an exchange. */
const UNPARSED_HEAD = new RequestHead();

const CONN = Symbol('samovar.connection');
type OwnedSocket = Socket & { [CONN]: Connection };

export class Connection extends ConnectionOutput implements TimerOwner, Stateful, ReadTarget {
  declare protected readonly ctx: ConnectionContext;
  state: ConnState = ConnState.NEW;
  registrySlot = -1;
  /** `address:port` of the peer once read (see `remote`). */
  private peer: string | null = null;
  /** What the TLS handshake negotiated, shared by this connection's requests; null over plain HTTP. */
  readonly tls: TlsFacts | null;
  private readonly parser: RequestParser;
  private readonly timer: ConnectionTimer;
  private pending: Buffer | null = null;
  private pendingOffset = 0;
  private pumping = false;
  /** A flush of gathered answers is scheduled for the check phase (see pumpGathered). */
  private deferredFlush = false;
  private headStarted = false;
  private peerEnded = false;
  private requests = 0;
  private lingerBytes = 0;
  /** Bytes past the last parsed request were dropped when parsing halted (see `mayStillSend`). */
  private heldWhenHalted = false;
  /** The lingering close ends when our FIN is written, not the client's (see `beginClose`). */
  private closeOnFinish = false;
  private lastHead: RequestHead | null = null;
  /** Why this connection is closing; the first reason decided wins (a metrics label). */
  private closeReason: CloseReason | null = null;
  /**
   * The request deadline (`timeouts.requestTimeoutMs`): what the request being received may
   * still spend waiting on the client, -1 between requests. It runs only while the connection
   * waits for the client's bytes (`waitingSince` ≥ 0), not while Samovar holds reading back (a
   * slow handler, a full queue, `100 Continue` not yet sent): the client is not late then.
   */
  private receiveLeft = -1;
  private waitingSince = -1;
  /** Body bytes came since the body timer was armed: it starts again from now. */
  private bodyMoved = false;

  /** `performance.now()` at accept: eviction at the cap takes the oldest first. */
  readonly openedAt = performance.now();

  /**
   * `ownReads`: the socket reads through `onread` (socket-reads.ts) and calls `onRead`; else
   * through 'data' events (TLS, or a runtime where the socket could not be re-made).
   */
  constructor(socket: Socket, ctx: ConnectionContext, ownReads = false) {
    super(socket, ctx);
    this.tls = (socket as TLSSocket).encrypted === true ? new TlsFacts(socket as TLSSocket) : null;
    this.parser = new RequestParser(ctx.options.limits);
    this.timer = new ConnectionTimer(this);
    (socket as OwnedSocket)[CONN] = this;
    if (ownReads) (socket as Socket & { [READER]: ReadTarget })[READER] = this;
    else socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('drain', onSocketDrain);
    socket.on('finish', onSocketFinish);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    ctx.registry.add(this);
    this.updateTimer();
  }

  /**
   * `address:port` of the peer, read from the socket on first use: a system call that a
   * connection whose requests nobody logs never makes (a port scanner, a health check, the
   * access log off). Once the socket is destroyed an address never read is gone: ''.
   */
  get remote(): string {
    return this.peer ?? this.readPeer();
  }

  private readPeer(): string {
    const address = this.socket.remoteAddress;
    this.peer = address === undefined ? '' : `${address}:${this.socket.remotePort ?? ''}`;
    return this.peer;
  }

  // ---- reading ----

  /** A read into a buffer chosen by socket-reads.ts: the shared one between bodies. */
  onRead(buf: Buffer, n: number): void {
    this.onData(n === buf.length ? buf : buf.subarray(0, n));
    // Bytes held back (parsing paused) must not stay in the shared buffer: the next read reuses it.
    const pending = this.pending;
    if (pending !== null && isShared(pending)) {
      this.pending = Buffer.from(pending.subarray(this.pendingOffset));
      this.pendingOffset = 0;
    }
  }

  /** A request's body is being received: its reads get buffers of their own (socket-reads.ts). */
  get readingBody(): boolean {
    return this.current !== null;
  }

  onData(chunk: Buffer): void {
    if (this.state === ConnState.LINGER) return this.discardLingering(chunk.length);
    if (this.halted || this.state === ConnState.CLOSED) return;
    if (this.state !== ConnState.ACTIVE) this.setState(ConnState.ACTIVE);
    // Rare: bytes that arrived while parsing was paused; only the unparsed tail is copied.
    this.pending =
      this.pending === null ? chunk : Buffer.concat([this.pending.subarray(this.pendingOffset), chunk]);
    this.pendingOffset = 0;
    this.pumpGathered();
    this.settle();
  }

  /**
   * Parses what is pending. The answers it produces are gathered, and every connection's
   * gathered answers are written together in the event loop's check phase, after the turn's
   * reads have all been parsed: one write(2) per connection per turn, as before, but the writes
   * of a turn leave back to back. Written right after each read, every answer woke a client
   * that had gone back to waiting (a cross-CPU wake-up on loopback or behind a local proxy):
   * together they serve 3.5 % more keep-alive hellos with the access log off, 6 % with it on,
   * 9 % more pipelined (side by side, docs/performance.md, session 11). Answers settled by
   * promises in the same turn (a fetch app, an async handler) share the write as well; one that
   * takes longer than the turn is written when it comes. Past the high-water mark the gathered
   * answers are written at once (`ConnectionOutput.write`), and closing writes them before the
   * FIN; a connection whose answers wait is not cut as idle (`idleAndWritten`).
   */
  private pumpGathered(): void {
    this.gathering = true;
    try {
      this.pump();
    } finally {
      if (this.deferredFlush) {
        // Already waiting for the check phase: what this read added goes with it.
      } else if (this.hasGathered || this.awaitingHandler()) {
        this.deferredFlush = true;
        deferFlush(this);
      } else {
        this.gathering = false;
      }
    }
  }

  /** Whether an exchange of the queue still waits for its handler's answer. */
  private awaitingHandler(): boolean {
    const q = this.queue;
    for (let i = 0; i < q.length; i++) if ((q[i] as ServerResponse).phase === Phase.OPEN) return true;
    return false;
  }

  /** The check phase after a read whose handlers were async: write what they answered meanwhile. */
  flushDeferred(): void {
    this.deferredFlush = false;
    this.gathering = false;
    this.flushGathered();
    this.settle();
  }

  /** Feeds pending bytes to the parser until it needs more, an error, or a pause. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.parseLoop();
    } finally {
      this.pumping = false;
    }
  }

  private parseLoop(): void {
    const parser = this.parser;
    while (this.pending !== null && this.pauseMask === 0 && !this.halted) {
      const buf = this.pending;
      const r = parser.execute(buf, this.pendingOffset, buf.length);
      this.pendingOffset = parser.offset;
      if (r === Outcome.NEED_MORE) {
        // Part of a head is in: the head timeout runs (a body in progress has its own).
        this.headStarted = this.current === null && parser.inMessage;
        this.pending = null;
        // The client had ended its side: what it sent is all parsed, and nothing more can come.
        // A request it cut inside its body (one the pipelining limit had held back) fails the
        // handler's read, as `onPeerEnd` does for the request being read then.
        if (this.peerEnded) {
          const cur = this.current;
          if (cur !== null && !cur.req.body.complete)
            cur.req.body.fail(new RequestAbortedError('client closed before the body ended'));
          this.current = null;
          this.headStarted = false;
          this.received();
          this.halt();
        }
      } else if (r === Outcome.HEAD) this.onHead(parser.head as RequestHead);
      else if (r === Outcome.BODY) this.onBody(buf, parser.bodyStart, parser.bodyEnd);
      else if (r === Outcome.END) this.onEnd();
      else this.onParseError(parser.error as ProtocolErrorCode);
    }
  }

  private onHead(head: RequestHead): void {
    this.headStarted = false;
    this.lastHead = head;
    this.requests++;
    const res = new ServerResponse(this, this.request(head));
    this.queue.push(res);
    this.ctx.load.inFlight++;
    this.current = res;
    if (head.bodyKind !== BodyKind.NONE) res.req.body = new IncomingBody(res, head.contentLength);
    const limit = this.ctx.options.connections.maxRequestsPerConnection;
    if (!head.keepAlive || this.requests >= limit) res.forceClose = true;
    // Overloaded, or this client over its rate: answered at once, the handler never runs.
    if (this.ctx.shed(res, this.socket)) return;
    const expect = head.expect;
    if (expect !== null) {
      // RFC 9110 §10.1.1: 417 for expectations we do not know; 100-continue ignored from 1.0.
      // `forceClose` kept: a request that asked to close still closes after its 417.
      if (expect !== '100-continue') return res.answer('EXPECTATION_FAILED', res.forceClose);
      if (head.versionMinor === 1 && head.bodyKind !== BodyKind.NONE) res.continueState = Continue.EXPECTED;
    }
    runHandler(this.ctx.handler, res.req, res);
  }

  private request(head: RequestHead): ServerRequest {
    const trust = this.ctx.options.trustForwardedProto === true;
    // The access log names the peer of every request, also of one whose client has gone by the
    // time it is answered (and a reset socket forgets its address): read it now, once.
    if (this.peer === null && this.ctx.recordsPeer) this.readPeer();
    return new ServerRequest(head, this.ctx.nextRequestId(head), this, this.tls, trust);
  }

  private onBody(buf: Buffer, start: number, end: number): void {
    const res = this.current as ServerResponse;
    const body = res.req.body;
    this.bodyMoved = true;
    if (!body.pushRange(buf, start, end, isShared(buf))) this.pause(Pause.BODY);
    else if (body.discarded > this.ctx.options.connections.maxUnreadBodyBytes) {
      this.closing(CloseReason.KEEPALIVE_END);
      this.halt();
    }
  }

  private onEnd(): void {
    const res = this.current;
    this.current = null;
    this.received();
    if (res === null) return;
    res.req.body.end();
    if (res.forceClose || res.closeAfter) {
      this.closing(CloseReason.KEEPALIVE_END);
      return this.halt();
    }
    if (this.queue.length >= this.ctx.options.connections.maxPipelinedRequests) this.pause(Pause.QUEUE);
  }

  private onParseError(code: ProtocolErrorCode): void {
    this.closing(CloseReason.PROTOCOL_ERROR);
    const head = this.parser.head;
    const fresh = head !== null && head !== this.lastHead ? head : null;
    const id = this.failRequest(code, fresh);
    this.report(code, id);
  }

  /**
   * The request being read cannot complete: answer `status` in its place (or after the answer it
   * already has), stop parsing, and close once the queue is written. Returns the id of the
   * request the error answer went to, or '' when none could go.
   */
  private failRequest(code: AnswerCode, freshHead: RequestHead | null): string {
    const cur = this.current;
    this.current = null;
    this.headStarted = false;
    this.received();
    let target: ServerResponse | null = null;
    if (cur !== null && !cur.req.body.complete) {
      cur.req.body.fail(new HttpError(ANSWERS[code].status, ANSWERS[code].reason));
      if (cur.phase === Phase.OPEN && !cur.aborted) target = cur;
    } else {
      const head = freshHead ?? UNPARSED_HEAD;
      target = new ServerResponse(this, this.request(head));
      this.queue.push(target);
      this.ctx.load.inFlight++;
    }
    this.halt();
    target?.answer(code, true);
    return target?.req.id ?? '';
  }

  /** Parse nothing more; close as soon as every queued answer is written. */
  private halt(): void {
    this.halted = true;
    if (this.pending !== null && this.pendingOffset < this.pending.length) this.heldWhenHalted = true;
    this.pending = null;
    this.pause(Pause.HALT);
    if (this.queue.length === 0) this.beginClose();
  }

  private report(code: ProtocolErrorCode | TimeoutCode, requestId: string): void {
    try {
      this.ctx.onProtocolError(code, this.remote, requestId);
    } catch {
      // A hook must not throw; if it does, the answer still goes out.
    }
  }

  // ---- lifecycle ----

  private setState(next: ConnState): void {
    if (next === this.state) return;
    this.ctx.registry.transition(this, next);
    this.state = next;
  }

  /**
   * Idle, and no answer waits for the turn's write: a connection that may be cut at once
   * (evicted at the connection cap, closed to free descriptors) without losing an answer.
   */
  get idleAndWritten(): boolean {
    return this.state === ConnState.IDLE && !this.hasGathered;
  }

  /** After any event: become idle if nothing is in flight, and arm the one timer for what is next. */
  protected override settle(): void {
    if (
      this.state === ConnState.ACTIVE &&
      this.queue.length === 0 &&
      this.current === null &&
      this.pending === null &&
      !this.headStarted &&
      !this.halted
    ) {
      this.setState(ConnState.IDLE);
      // An idle client is not a slow one: the next busy stretch measures its rate afresh.
      this.rateSince = -1;
    }
    this.updateTimer();
  }

  private updateTimer(): void {
    const s = this.state;
    if (s === ConnState.LINGER || s === ConnState.CLOSED) return;
    const t = this.ctx.options.timeouts;
    const cur = this.current;
    if (
      !this.writeBlocked &&
      s === ConnState.ACTIVE &&
      this.pauseMask === 0 &&
      !this.halted &&
      cur !== null &&
      !cur.req.body.complete &&
      !cur.awaitingContinue
    ) {
      return this.waitFor(TimerKind.BODY, t.bodyTimeoutMs);
    }
    if (
      !this.writeBlocked &&
      s === ConnState.ACTIVE &&
      this.pauseMask === 0 &&
      !this.halted &&
      this.headStarted
    ) {
      return this.waitFor(TimerKind.HEAD, t.headersTimeoutMs);
    }
    if (this.waitingSince >= 0) this.stopWaiting();
    if (this.writeBlocked) return this.timer.arm(TimerKind.WRITE, t.writeTimeoutMs);
    if (s === ConnState.IDLE || (s === ConnState.NEW && this.ctx.draining)) {
      return this.timer.arm(TimerKind.IDLE, this.ctx.draining ? this.ctx.drainGraceMs : t.idleTimeoutMs);
    }
    if (s === ConnState.NEW) return this.timer.arm(TimerKind.HEAD, t.headersTimeoutMs);
    this.timer.arm(TimerKind.NONE, 0);
  }

  /**
   * Waiting on the client for the rest of a request: the head timer (from the accept or the
   * head's first byte, never reset) or the body timer (from the last body bytes), each cut short by what is
   * left of the request deadline. Reads the clock only here, while a request is incomplete.
   */
  private waitFor(kind: TimerKind, ms: number): void {
    const now = performance.now();
    if (this.waitingSince < 0) {
      if (this.receiveLeft < 0) this.receiveLeft = this.ctx.options.timeouts.requestTimeoutMs;
      this.waitingSince = now;
    }
    if (kind === this.timer.kind && !(kind === TimerKind.BODY && this.bodyMoved)) return;
    this.bodyMoved = false;
    const left = this.receiveLeft - (now - this.waitingSince);
    this.timer.restart(kind, Math.max(1, Math.min(ms, Math.ceil(left))));
  }

  /** The connection stops waiting on the client: the deadline stops running. */
  private stopWaiting(): void {
    this.receiveLeft -= performance.now() - this.waitingSince;
    this.waitingSince = -1;
  }

  /** The request being received is complete (or failed): the next one gets a deadline of its own. */
  private received(): void {
    this.receiveLeft = -1;
    this.waitingSince = -1;
    this.bodyMoved = false;
  }

  /** Whether the request deadline, not the head or body timer, is what ran out. */
  private deadlinePassed(): boolean {
    return this.waitingSince >= 0 && this.receiveLeft - (performance.now() - this.waitingSince) < 1;
  }

  onTimeout(kind: TimerKind): void {
    if (kind === TimerKind.HEAD && this.state === ConnState.NEW) {
      this.closing(this.ctx.draining ? CloseReason.DRAIN : CloseReason.TIMEOUT);
      return this.beginClose();
    }
    if (kind === TimerKind.IDLE) {
      this.closing(this.ctx.draining ? CloseReason.DRAIN : CloseReason.IDLE_TIMEOUT);
      return this.beginClose();
    }
    if (kind === TimerKind.WRITE || kind === TimerKind.LINGER) return this.checkWriteProgress(kind);
    const code = this.deadlinePassed()
      ? 'REQUEST_TIMEOUT'
      : kind === TimerKind.HEAD
        ? 'HEADERS_TIMEOUT'
        : 'BODY_TIMEOUT';
    this.closing(CloseReason.TIMEOUT);
    const id = this.failRequest(code, null);
    this.report(code, id);
    this.settle();
  }

  /**
   * A client still reading gets more time, if it took at least `minSendRateBytesPerSecond` over
   * the window (any progress while lingering); one that stopped, or reads a large answer a byte
   * at a time, is cut.
   */
  private checkWriteProgress(kind: TimerKind): void {
    const t = this.ctx.options.timeouts;
    const taken = bytesTaken(this.socket);
    const need =
      kind === TimerKind.WRITE
        ? Math.max(1, Math.floor((t.minSendRateBytesPerSecond * t.writeTimeoutMs) / 1000))
        : 1;
    if (this.socket.writableLength > 0 && taken - this.writeMark >= need) {
      this.writeMark = taken;
      return this.timer.restart(kind, kind === TimerKind.LINGER ? LINGER_MS : t.writeTimeoutMs);
    }
    this.cut(kind === TimerKind.WRITE ? CloseReason.WRITE_TIMEOUT : CloseReason.CLIENT);
  }

  /** Records why the connection is about to close, unless a reason was already decided. */
  closing(reason: CloseReason): void {
    this.closeReason ??= reason;
  }

  /** Destroys the socket now, for `reason` (drain deadline, write timeout, socket error). */
  override cut(reason: CloseReason): void {
    this.closing(reason);
    this.socket.destroy();
  }

  /** Called by the server when draining starts: idle connections close after the grace. */
  drainStarted(): void {
    if (this.state === ConnState.IDLE || this.state === ConnState.NEW) {
      this.timer.restart(TimerKind.IDLE, this.ctx.drainGraceMs);
    }
  }

  /**
   * Our side is done: half-close, read and discard for a bounded time, then destroy.
   *
   * The lingering close protects an answer from the reset a close with unread input causes (RFC
   * 9112 §9.6), so it waits for the client's FIN only when the client may still be sending. A
   * client that asked to close (`Connection: close`, or HTTP/1.0 without keep-alive), whose
   * request was read to its end with nothing after it, expects our FIN and sends nothing more:
   * the socket is destroyed once the FIN is written, as nginx (`lingering_close on`) and Go do.
   * Waiting for that client's FIN cost a TLS `Connection: close` connection a read and, when the
   * client resets instead of closing, an `ECONNRESET` error with its stack (docs/tls.md).
   */
  override beginClose(): void {
    if (this.state === ConnState.LINGER || this.state === ConnState.CLOSED) return;
    this.closeOnFinish = !this.mayStillSend();
    this.setState(ConnState.LINGER);
    this.halted = true;
    this.abandonExchanges('connection closing');
    // Answers gathered in this read go before the FIN.
    this.gathering = false;
    this.flushGathered();
    this.pauseMask = 0;
    this.writeMark = bytesTaken(this.socket);
    this.socket.end();
    this.socket.resume();
    this.timer.restart(TimerKind.LINGER, LINGER_MS);
  }

  /**
   * Whether the client may send more after our last answer: it did not ask to close (we close on
   * our own: an error, a limit, a drain), a body is still unread, bytes past its last request
   * were held or are buffered, or no request was read at all (a timeout, an overload refusal).
   */
  private mayStillSend(): boolean {
    const last = this.lastHead;
    const cur = this.current;
    const pending = this.pending;
    return (
      this.closeReason !== CloseReason.KEEPALIVE_END ||
      last === null ||
      last.keepAlive ||
      (cur !== null && !cur.req.body.complete) ||
      this.heldWhenHalted ||
      (pending !== null && this.pendingOffset < pending.length) ||
      this.socket.readableLength > 0
    );
  }

  /**
   * The error is built only when a request is there to receive it: capturing an Error's stack
   * cost 14 % of a worker's time under `Connection: close` load, two per connection, nearly
   * always for nobody (docs/performance.md).
   */
  private abandonExchanges(reason: string): void {
    this.pending = null;
    const cur = this.current;
    this.current = null;
    // A bodiless request (EMPTY_BODY) or one whose body ended has nothing to fail: most
    // `Connection: close` answers close while their exchange is still `current`.
    if (cur !== null && !cur.req.body.complete) cur.req.body.fail(new RequestAbortedError(reason));
    if (this.queue.length === 0) return;
    const outcome = abandonedOutcome(
      this.closeReason ?? (this.peerEnded ? CloseReason.CLIENT : CloseReason.ERROR),
    );
    for (const res of this.queue) {
      res.abandoned(outcome);
      this.observe(res);
    }
    this.ctx.load.inFlight -= this.queue.length;
    this.queue.length = 0;
  }

  private discardLingering(bytes: number): void {
    this.lingerBytes += bytes;
    if (this.lingerBytes > LINGER_MAX_BYTES) this.cut(CloseReason.CLIENT);
  }

  onPeerEnd(): void {
    this.peerEnded = true;
    if (this.state === ConnState.LINGER) {
      if (this.socket.writableFinished) this.socket.destroy();
      return;
    }
    if (this.state === ConnState.CLOSED) return;
    this.closing(CloseReason.CLIENT);
    // FIN before an answer is complete: a hang-up as far as anyone can tell (nginx's 499,
    // node:http's abort). The answers still go out (a half-close is legal, RFC 9112 §9.6), but
    // handlers hear it through their signal, and the exchange is recorded as the client's.
    // Marked first, signalled after: a listener may answer at once, which shifts the queue.
    const gone = this.queue.filter(unanswered);
    for (const res of gone) res.peerGone = true;
    for (const res of gone) res.gone();
    if (this.pending !== null && !this.halted) {
      // Bytes received before the FIN and not parsed yet: whole requests the pipelining limit
      // held back (RFC 9112 §9.6 allows a client to send a batch and half-close), or the rest of
      // a body its handler has not read yet (a TLS read can deliver it and the FIN together,
      // after the pause). They are parsed as the queue drains; the parse loop halts once it has
      // consumed them, and fails a body that is still short then (its NEED_MORE branch).
      return this.settle();
    }
    const cur = this.current;
    if (cur !== null && !cur.req.body.complete)
      cur.req.body.fail(new RequestAbortedError('client closed before the body ended'));
    this.current = null;
    this.headStarted = false;
    this.halt();
    this.settle();
  }

  onFinish(): void {
    if (this.peerEnded || this.closeOnFinish) this.socket.destroy();
  }

  onDrain(): void {
    this.writeBlocked = false;
    this.releaseDrainWaiters();
    if (this.state === ConnState.LINGER || this.state === ConnState.CLOSED) return;
    this.unpause(Pause.WRITE);
    this.settle();
  }

  onClose(): void {
    if (this.state === ConnState.CLOSED) return;
    this.timer.clear();
    this.abandonExchanges('connection closed');
    this.releaseDrainWaiters();
    this.setState(ConnState.CLOSED);
    this.ctx.connectionClosed(this.closeReason ?? (this.peerEnded ? CloseReason.CLIENT : CloseReason.ERROR));
  }

  protected override pause(reason: number): void {
    // A lingering connection keeps reading (and discarding) whatever else it waits for.
    if (this.pauseMask === 0 && this.state !== ConnState.LINGER) this.socket.pause();
    this.pauseMask |= reason;
  }

  protected override unpause(reason: number): void {
    if ((this.pauseMask & reason) === 0) return;
    this.pauseMask &= ~reason;
    if (this.pauseMask !== 0 || this.state === ConnState.LINGER || this.state === ConnState.CLOSED) return;
    this.socket.resume();
    if (this.pending !== null && !this.pumping) this.pumpGathered();
  }
}

function unanswered(res: ServerResponse): boolean {
  return res.phase !== Phase.DONE;
}

/** Connections whose answers wait for this turn's check phase (`pumpGathered`). */
const flushQueue: Connection[] = [];

function deferFlush(conn: Connection): void {
  if (flushQueue.push(conn) === 1) setImmediate(flushAll);
}

function flushAll(): void {
  let i = 0;
  try {
    for (; i < flushQueue.length; i++) (flushQueue[i] as Connection).flushDeferred();
  } finally {
    // Only a bug throws here; the connections after it must not be left waiting for ever.
    flushQueue.splice(0, i + 1);
    if (flushQueue.length > 0) setImmediate(flushAll);
  }
}

function onSocketData(this: Socket, chunk: Buffer): void {
  (this as OwnedSocket)[CONN].onData(chunk);
}
function onSocketEnd(this: Socket): void {
  (this as OwnedSocket)[CONN].onPeerEnd();
}
function onSocketDrain(this: Socket): void {
  (this as OwnedSocket)[CONN].onDrain();
}
function onSocketFinish(this: Socket): void {
  (this as OwnedSocket)[CONN].onFinish();
}
/** Resets and broken pipes are operational: the socket closes and 'close' cleans up. */
function onSocketError(this: Socket): void {
  (this as OwnedSocket)[CONN].cut(CloseReason.ERROR);
}
function onSocketClose(this: Socket): void {
  (this as OwnedSocket)[CONN].onClose();
}
