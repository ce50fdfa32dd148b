/**
 * The listener: accepts TCP connections on node:net, enforces the per-process connection limit
 * (503 with `Retry-After`, RFC 9110 §15.6.4, §10.2.3), keeps the `Date` value fresh once a
 * second, and drains gracefully: stop accepting, `Connection: close` on every further answer,
 * close idle connections after a short grace, wait for the rest until a deadline, cut what is
 * left, and say how many of each (Go net/http's Shutdown).
 * Hardening (docs/hardening.md): an accept failure (EMFILE …) pauses accepting instead of
 * crashing (accept-guard.ts); a request parsed while this process is overloaded, or from a
 * client over its rate, is answered 503 / 429 with `Retry-After` in its handler's place
 * (overload.ts, rate-limit.ts).
 * Must not: parse requests, read the environment or know the cluster (its defaults are the
 * configuration's, through options.ts).
 */

import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DateCache } from '../http/date-cache.ts';
import { ANSWERS } from '../http/errors.ts';
import { ConnectionField, encodeHead } from '../http/response-head.ts';
import { Connection, type ConnectionContext, LINGER_MS } from './connection.ts';
import type { RequestHead } from '../http/request-head.ts';
import {
  acceptorLimit,
  Acceptors,
  LONG_TLS_TURN_MS,
  LONG_TURN_MS,
  type AcceptorHandle,
} from './acceptors.ts';
import { AcceptGuard } from './accept-guard.ts';
import { CloseReason, ConnectionRegistry, ConnectionStats, ConnState } from './connection-state.ts';
import type { Handler } from './handler.ts';
import { LoadMonitor, OVERLOAD_OFF, Shed } from './overload.ts';
import { clientKey, RateLimiter } from './rate-limit.ts';
import type { ServerResponse } from './response.ts';
import { adoptForReads, adoptTlsReads } from './socket-reads.ts';
import { type TlsHost, type TlsListener, tlsListenerFor } from './tls-listener.ts';
import type { HandshakeFailure, TicketKeyList, TlsMaterial } from '../tls/index.ts';
import {
  type AcceptErrorHook,
  DEFAULT_SERVER_OPTIONS,
  type ErrorHook,
  type ProtocolErrorHook,
  type RequestIdSource,
  type ResponseHook,
  type ServerOptions,
  stderrAcceptErrorHook,
  stderrErrorHook,
  stderrProtocolErrorHook,
} from './options.ts';

/** How long an idle keep-alive connection may still be reused once draining starts. */
export const DRAIN_GRACE_MS = 1_000;
/** How long drain waits for active connections before cutting them. */
export const DRAIN_TIMEOUT_MS = 30_000;
/** Seconds a refused client is asked to wait (RFC 9110 §10.2.3). */
const RETRY_AFTER_S = 1;
const RETRY_AFTER_LINE = `Retry-After: ${RETRY_AFTER_S}\r\n`;

export interface DrainOptions {
  graceMs?: number;
  timeoutMs?: number;
}

export interface DrainResult {
  /** Connections open when draining started. */
  open: number;
  /** Of those, how many were idle or new (closed after the grace). */
  idle: number;
  /** How many were still answering at the deadline and destroyed. */
  cut: number;
}

/** A listening socket's handle (Node's TCP wrap) as passed between processes; opaque but for `close`. */
export type ListeningHandle = AcceptorHandle;

const SERVER = Symbol('samovar.server');
type OwnedListener = net.Server & { [SERVER]: Server };

/** How a connection closed by its TLS handshake is counted among closed connections. */
const HANDSHAKE_CLOSE: Readonly<Record<HandshakeFailure | 'drain', CloseReason>> = {
  protocol: CloseReason.PROTOCOL_ERROR,
  certificate: CloseReason.PROTOCOL_ERROR,
  timeout: CloseReason.TIMEOUT,
  refused: CloseReason.REFUSED,
  closed: CloseReason.CLIENT,
  drain: CloseReason.DRAIN,
};

export class Server implements ConnectionContext, TlsHost {
  readonly options: ServerOptions;
  readonly handler: Handler;
  readonly dates = new DateCache(Date.now());
  readonly registry = new ConnectionRegistry<Connection>();
  readonly onError: ErrorHook;
  readonly onProtocolError: ProtocolErrorHook;
  readonly onResponse: ResponseHook | null;
  readonly recordsPeer: boolean;
  readonly echoRequestIds: boolean;
  /** Connections accepted and closed by reason (metrics read them at scrape time). */
  readonly stats = new ConnectionStats();
  /** Requests in flight and the overload decision; shed counts (metrics read them). */
  readonly load: LoadMonitor;
  /** Per-client token buckets, or null when rate limiting is off. */
  readonly rateLimiter: RateLimiter | null;
  /** Accept failures and the pause after them. */
  readonly acceptGuard = new AcceptGuard();
  /** The TLS layer and its handshake counters, or null for plain HTTP. */
  readonly tls: TlsListener | null;
  private readonly onAcceptError: AcceptErrorHook;
  draining = false;
  drainGraceMs = DRAIN_GRACE_MS;
  private readonly listener: net.Server;
  /** What every accepted socket is made with (and re-made with, socket-reads.ts). */
  private readonly socketOptions: { readonly allowHalfOpen: boolean; readonly highWaterMark: number };
  private readonly refused = new Set<Socket>();
  private dateTimer: NodeJS.Timeout | null = null;
  private requestSeq = 0;
  private readonly requestIds: RequestIdSource | null;
  private drainResult: Promise<DrainResult> | null = null;
  /** More descriptors of the listening socket while turns run long (acceptors.ts); null: one. */
  private acceptors: Acceptors | null = null;

  constructor(handler: Handler, options: ServerOptions = DEFAULT_SERVER_OPTIONS) {
    this.handler = handler;
    this.options = options;
    this.onError = options.onError ?? stderrErrorHook;
    this.onProtocolError = options.onProtocolError ?? stderrProtocolErrorHook;
    this.onResponse = options.onResponse ?? null;
    this.recordsPeer = options.recordsPeer === true;
    this.requestIds = options.requestIds ?? null;
    this.echoRequestIds = this.requestIds !== null;
    this.load = new LoadMonitor(options.overload ?? OVERLOAD_OFF);
    this.rateLimiter = options.rateLimit?.enabled === true ? new RateLimiter(options.rateLimit) : null;
    this.onAcceptError = options.onAcceptError ?? stderrAcceptErrorHook;
    // allowHalfOpen: a client may send its request then FIN and still wait for the answer.
    this.socketOptions = { allowHalfOpen: true, highWaterMark: options.connections.writeHighWaterMarkBytes };
    this.listener = net.createServer({ ...this.socketOptions, noDelay: true }, onConnection);
    (this.listener as OwnedListener)[SERVER] = this;
    this.tls = tlsListenerFor(options.tls, this, options.connections.writeHighWaterMarkBytes);
  }

  /**
   * Starts listening on `options.host:options.port`, or on `inherited`: a listening socket another
   * process bound and passed over IPC (see `listeningHandle`), whose queued connections this
   * server then accepts. Resolves with the bound address.
   */
  listen(inherited?: ListeningHandle): Promise<AddressInfo> {
    const { port, host, reusePort = false } = this.options;
    // `exclusive`: a cluster worker binds this socket itself rather than take the primary's
    // (Node 24 implies it with reusePort; said here for the Node 22 this package also runs on).
    const backlog = listenBacklog();
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      const listening = (): void => {
        this.listener.off('error', reject);
        // Once listening, an 'error' is a failed accept: without a listener it would throw.
        this.listener.on('error', onListenerError);
        this.load.start();
        this.dateTimer = setInterval(refreshDate, 1000, this.dates);
        this.dateTimer.unref();
        this.startAcceptors(backlog);
        resolve(this.address());
      };
      if (inherited !== undefined) this.listener.listen(inherited, backlog, listening);
      else if (reusePort)
        this.listener.listen({ port, host, backlog, reusePort, exclusive: true }, listening);
      else this.listener.listen({ port, host, backlog }, listening);
    });
  }

  private startAcceptors(backlog: number): void {
    const copy = this.options.copyListener;
    const max = acceptorLimit(this.options.connections.maxAcceptors);
    const handle = this.listeningHandle();
    if (copy === undefined || max < 2 || handle === null || this.draining) return;
    const port = this.address().port;
    this.acceptors = new Acceptors({
      max,
      longTurnMs: this.tls === null ? LONG_TURN_MS : LONG_TLS_TURN_MS,
      request: (count) => copy(count, handle, port),
      listen: (copyHandle) => {
        const listener = net.createServer({ ...this.socketOptions, noDelay: true }, onConnection);
        (listener as OwnedListener)[SERVER] = this;
        listener.on('error', onListenerError);
        // The same backlog: listen(2) on any descriptor sets the socket's one queue length.
        return listener.listen(copyHandle, backlog);
      },
    });
  }

  /**
   * Resolves once the spare descriptors asked for at listen have come, or after `timeoutMs`: a
   * worker waits for them before it says it is ready, so the primary's later messages (health,
   * drain) do not queue behind a hundred handles on the IPC channel.
   */
  async acceptorsStocked(timeoutMs: number): Promise<void> {
    if (this.acceptors === null) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.acceptors.stocked, late]);
    clearTimeout(timer);
  }

  /** A descriptor of this server's listening socket made for it (`copyListener`). */
  addAcceptor(handle: ListeningHandle): void {
    if (this.acceptors === null || this.draining) return handle.close();
    this.acceptors.add(handle);
  }

  /** How many descriptors of the listening socket this server accepts on now (0 once closed). */
  get acceptingDescriptors(): number {
    if (this.draining || this.listeningHandle() === null) return 0;
    return this.acceptors?.descriptors ?? 1;
  }

  /** Times a backed-up accept queue made this server accept on more descriptors. */
  get acceptWidened(): number {
    return this.acceptors?.grown ?? 0;
  }

  address(): AddressInfo {
    return this.listener.address() as AddressInfo;
  }

  /**
   * The listening socket's handle, to pass to another process with `process.send(message,
   * handle)`; null before `listen` and after a drain. It is net.Server's `_handle`, which Node's
   * own cluster and child_process pass the same way: sent as the raw handle (not the net.Server),
   * the receiver gets it without accepting on it, and this server keeps accepting.
   */
  listeningHandle(): ListeningHandle | null {
    return (this.listener as net.Server & { _handle: ListeningHandle | null })._handle;
  }

  /** The id of a new request: from the id source (inbound `X-Request-Id` considered), else a counter. */
  nextRequestId(head: RequestHead): string {
    const ids = this.requestIds;
    if (ids === null) return String(++this.requestSeq);
    return ids.next(head.get('x-request-id'));
  }

  accept(socket: Socket): void {
    this.stats.accepted++;
    this.acceptors?.onAccept();
    if (this.draining) {
      this.stats.closed[CloseReason.DRAIN]++;
      return void socket.destroy();
    }
    if (this.acceptGuard.paused(performance.now())) {
      // Out of descriptors a moment ago: free this one at once rather than hold it for a 503.
      this.stats.closed[CloseReason.REFUSED]++;
      return void socket.destroy();
    }
    const limits = this.options.connections;
    const tls = this.tls;
    // A handshake in progress holds a descriptor as much as a connection does.
    const open = this.registry.size + (tls === null ? 0 : tls.stats.inProgress);
    if (
      open >= limits.maxConnections &&
      // A client still short of its first TLS record is the likeliest staller: it makes room first.
      !(tls !== null && tls.evictWaiting()) &&
      !(limits.evictIdle === true && this.evictOne())
    ) {
      if (tls === null) return this.refuse(socket);
      // A TLS client cannot read a plain 503: closed at once, as over the handshake bound.
      this.stats.closed[CloseReason.REFUSED]++;
      return void socket.destroy();
    }
    if (tls !== null) return tls.begin(socket);
    const reading = adoptForReads(socket, this.socketOptions);
    new Connection(reading, this, reading !== socket);
  }

  /** A TLS handshake finished (tls-listener.ts): the decrypted socket becomes a connection. */
  admit(socket: TLSSocket): void {
    // Draining too: a handshake that was under way gets the grace of a new connection (drain).
    const own = adoptTlsReads(socket);
    const connection = new Connection(socket, this, own);
    if (!own) return;
    // What node:tls decrypted before the switch (a request sent with the client's Finished).
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null)
      connection.onData(chunk);
  }

  /** A TLS handshake failed or was refused: counted among closed connections, by its reason. */
  handshakeEnded(kind: HandshakeFailure | 'drain'): void {
    this.stats.closed[HANDSHAKE_CLOSE[kind]]++;
  }

  /** Plain HTTP on the TLS port: the table's answer, in plain text, then a close. */
  plainHttpAnswer(): string {
    const answer = ANSWERS.TLS_REQUIRED;
    const text = answer.reason + '\n';
    const fields = 'Content-Type: text/plain; charset=utf-8\r\n';
    return (
      encodeHead(answer.status, fields, this.dates.line, text.length, false, ConnectionField.CLOSE) + text
    );
  }

  /**
   * Renewed certificate material: TLS handshakes from now on present it, open connections keep
   * theirs (no request fails, no connection drops). Throws if Node refuses the material (the
   * primary checked it; a worker reports the error).
   */
  setTlsMaterial(material: TlsMaterial): void {
    if (this.tls === null) throw new Error('setTlsMaterial: this server does not speak TLS');
    this.tls.setMaterial(material);
  }

  /** The session-ticket key ring after a rotation (tls/ticket-keys.ts). */
  setTicketKeys(keys: TicketKeyList): void {
    this.tls?.setTicketKeys(keys);
  }

  /**
   * Makes room at the connection cap: closes one idle keep-alive connection, else one whose
   * first request head has not arrived (silent, or trickling a head); false when every
   * connection has a request in flight (the newcomer is refused). The scan runs only at the cap.
   */
  private evictOne(): boolean {
    // The oldest of each kind: a scraper that just connected is the youngest, and keeps its place.
    let idle: Connection | null = null;
    let unstarted: Connection | null = null;
    for (const conn of this.registry.snapshot()) {
      if (conn.idleAndWritten && (idle === null || conn.openedAt < idle.openedAt)) idle = conn;
      if (conn.state === ConnState.NEW && (unstarted === null || conn.openedAt < unstarted.openedAt))
        unstarted = conn;
    }
    const victim = idle ?? unstarted;
    if (victim === null) return false;
    victim.cut(victim === idle ? CloseReason.IDLE_TIMEOUT : CloseReason.TIMEOUT);
    return true;
  }

  /**
   * accept(2) failed (the listener's 'error' event): pause accepting, close idle keep-alive
   * connections to free descriptors, report once per pause (accept-guard.ts). Never throws.
   */
  acceptFailed(error: NodeJS.ErrnoException): void {
    const now = performance.now();
    const code = error.code ?? 'UNKNOWN';
    const quiet = this.acceptGuard.isPaused(now);
    const pauseMs = this.acceptGuard.failed(code, now);
    if (pauseMs > 0) {
      for (const conn of this.registry.snapshot())
        if (conn.idleAndWritten) conn.cut(CloseReason.IDLE_TIMEOUT);
    }
    if (quiet) return;
    try {
      this.onAcceptError(code, pauseMs);
    } catch {
      // A hook must not throw; the listener goes on either way.
    }
  }

  /**
   * Load shedding and rate limiting for a request just parsed: 503 while this process is
   * overloaded, 429 when its client has no token left, both with `Retry-After`; answered here,
   * in the handler's place. Returns whether `res` was answered.
   */
  shed(res: ServerResponse, socket: Socket): boolean {
    if (this.load.check() !== Shed.NONE) {
      res.answer('OVERLOADED', res.forceClose, RETRY_AFTER_LINE);
      return true;
    }
    const limiter = this.rateLimiter;
    if (limiter === null) return false;
    const header = limiter.header === '' ? undefined : res.req.head.get(limiter.header);
    // The peer's address is read only here, with the limiter on (a system call the first time).
    const waitS = limiter.take(clientKey(header, socket.remoteAddress), performance.now());
    if (waitS === 0) return false;
    res.answer('RATE_LIMITED', res.forceClose, `Retry-After: ${waitS}\r\n`);
    return true;
  }

  /** Called once by each connection when its socket has closed. */
  connectionClosed(reason: CloseReason): void {
    this.stats.closed[reason]++;
  }

  /** Over the limit: one fixed 503, then the same bounded lingering close as a connection. */
  private refuse(socket: Socket): void {
    // Refused sockets are bounded too, or a flood would turn them into the resource exhausted.
    this.stats.closed[CloseReason.REFUSED]++;
    if (this.refused.size >= this.options.connections.maxConnections) return void socket.destroy();
    this.refused.add(socket);
    (socket as Socket & { [SERVER]: Server })[SERVER] = this;
    socket.on('error', destroySelf);
    socket.on('close', onRefusedClose);
    socket.on('data', ignore);
    socket.end(busyAnswer(this.dates.line));
    setTimeout(destroySocket, LINGER_MS, socket).unref();
  }

  forgetRefused(socket: Socket): void {
    this.refused.delete(socket);
  }

  /** Graceful shutdown; calling it again returns the same promise. */
  drain(options: DrainOptions = {}): Promise<DrainResult> {
    this.drainResult ??= this.runDrain(
      options.graceMs ?? DRAIN_GRACE_MS,
      options.timeoutMs ?? DRAIN_TIMEOUT_MS,
    );
    return this.drainResult;
  }

  private runDrain(graceMs: number, timeoutMs: number): Promise<DrainResult> {
    this.draining = true;
    this.drainGraceMs = graceMs;
    this.listener.close();
    this.acceptors?.closeAll();
    const tls = this.tls;
    // A TLS handshake under way finishes and becomes a new connection, with the same grace as
    // one accepted just before the drain: cutting it would fail a client the roll promised not to.
    const handshakes = tls === null ? 0 : tls.stats.inProgress;
    const counts = this.registry.counts;
    const result: DrainResult = {
      open: this.registry.size + handshakes,
      idle: counts.idle + counts.new + handshakes,
      cut: 0,
    };
    for (const conn of this.registry.snapshot()) conn.drainStarted();
    const finished = (): boolean => this.registry.size === 0 && (tls === null || tls.stats.inProgress === 0);
    return new Promise((resolve) => {
      let ended = false;
      const done = (): void => {
        if (ended || !finished()) return;
        ended = true;
        clearTimeout(deadline);
        this.stopClock();
        for (const socket of this.refused) socket.destroy();
        resolve(result);
      };
      const deadline = setTimeout(() => {
        // A lingering connection has already delivered its last answer: ending it cuts nothing.
        result.cut = this.registry.size - this.registry.counts.linger;
        tls?.abortHandshakes();
        for (const conn of this.registry.snapshot()) conn.cut(CloseReason.DRAIN);
        done();
      }, timeoutMs);
      this.registry.onEmpty = done;
      if (tls !== null) tls.onIdle = done;
      done();
    });
  }

  /** Stops at once: no grace, every connection destroyed. */
  async close(): Promise<void> {
    await this.drain({ graceMs: 0, timeoutMs: 0 });
  }

  /** How many connections are in each state (for tests and metrics). */
  connectionCounts(): Readonly<Record<ConnState, number>> {
    return this.registry.counts;
  }

  private stopClock(): void {
    this.load.stop();
    if (this.dateTimer !== null) clearInterval(this.dateTimer);
    this.dateTimer = null;
  }
}

/** Creates a server for `handler`; call `listen()` to start it. */
export function createServer(handler: Handler, options?: ServerOptions): Server {
  return new Server(handler, options);
}

/**
 * The accept queue's length: the kernel's most (`net.core.somaxconn`, 4096 on current Linux), as
 * Go's net package takes, rather than Node's 511. A burst of connections larger than the queue
 * overflows it, and every handshake the kernel drops waits out TCP's retransmission (1 s, then 3 s):
 * 1,000 wrk connections opening at once against one worker overflowed it 3,581 times in a 6 s run
 * (TcpExtListenOverflows), none with 4096 (issue 19). 511 where the value cannot be read.
 */
export function listenBacklog(): number {
  try {
    const n = Number.parseInt(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'), 10);
    if (Number.isSafeInteger(n) && n > NODE_BACKLOG) return Math.min(n, MAX_BACKLOG);
  } catch {
    // Not Linux, or no /proc: Node's default.
  }
  return NODE_BACKLOG;
}

const NODE_BACKLOG = 511;
/** listen(2)'s backlog is an int; the kernel caps it at somaxconn anyway. */
const MAX_BACKLOG = 65_535;

function onConnection(this: net.Server, socket: Socket): void {
  // Plain and TLS alike: the guards in accept() run on the TCP socket, before any handshake.
  (this as OwnedListener)[SERVER].accept(socket);
}

function onListenerError(this: net.Server, error: NodeJS.ErrnoException): void {
  (this as OwnedListener)[SERVER].acceptFailed(error);
}

function onRefusedClose(this: Socket): void {
  (this as Socket & { [SERVER]: Server })[SERVER].forgetRefused(this);
}

function refreshDate(dates: DateCache): void {
  dates.update(Date.now());
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

function destroySelf(this: Socket): void {
  this.destroy();
}

function ignore(): void {}

const BUSY = ANSWERS.BUSY;
const BUSY_TEXT = BUSY.reason + '\n';
const BUSY_FIELDS = RETRY_AFTER_LINE + 'Content-Type: text/plain; charset=utf-8\r\n';

/** The refusal of a connection over the limit: the table's BUSY answer, through the head encoder. */
function busyAnswer(dateLine: string): string {
  const head = encodeHead(BUSY.status, BUSY_FIELDS, dateLine, BUSY_TEXT.length, false, ConnectionField.CLOSE);
  return head + BUSY_TEXT;
}
