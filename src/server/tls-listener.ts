/**
 * HTTPS on the same engine: the TLS layer between the listener and `Connection`. The listener
 * stays a plain `net.Server` (so accepting, the connection cap and the accept pause are the same
 * code as for HTTP); each accepted socket is handed to a `tls.Server` that never listens
 * (`emit('connection')`, the documented way to inject a socket), and the decrypted socket it
 * gives back becomes a `Connection` like any other.
 *
 * Handshakes are work a client can make the server do (RFC 8446 §4; an ECDHE key share and a
 * signature each): so a handshake has a deadline (`handshakeTimeoutMs`, from accept, never
 * reset, unlike Node's idle-style `handshakeTimeout`: a client dripping a byte a second cannot
 * keep one open).
 * Under pressure (many connections mid-handshake, `GATE_SHARE`, or many protocol errors such as
 * garbage or plain HTTP in the last second or two, `FAILURE_WINDOW_MS`), a connection is handed to
 * `node:tls` only once its first TLS record is in whole (tls/first-record.ts): plain HTTP sent to
 * the TLS port gets a plain `400` and a close (as nginx does), garbage a close, and a client that
 * stalls mid-record holds a plain socket, not a TLS one — never a hang, and cheap to refuse at
 * any rate. At ease, connections go to `node:tls` at once (OpenSSL tells plain HTTP, answered
 * the same `400`, and garbage). In `node:tls`, at most `maxHandshakes` run
 * at once in this process, and a newcomer beyond the bound closes the oldest handshake under way
 * instead of being refused: a real client's handshake takes a round trip or two, so the oldest
 * is the likeliest to be stalled, and stalled ones cannot lock real clients out. Refusing
 * newcomers did (26 of 1,400 requests failed when 100 half-ClientHellos held 64 places, before
 * the gate). Clients waiting at the gate are bounded by the connection cap and the deadline
 * only: when they counted, each eviction made a staller reconnect at once, and 100 of them
 * churned ~8,000 connections a second through one worker.
 * Failures are counted by kind (tls/handshake-stats.ts), never logged one by one.
 * Certificates renew in place (`setMaterial` → `setSecureContext`): handshakes from then on use
 * the new pair, open connections keep theirs. Session tickets are sealed with the ring from the
 * primary (tls/ticket-keys.ts), so any worker resumes any worker's sessions.
 * Must not: parse HTTP, read files, know the cluster, or log.
 */

import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { SecureContext, TLSSocket } from 'node:tls';
import {
  ALPN_PROTOCOLS,
  classifyFirstBytes,
  failureKind,
  FirstBytes,
  HandshakeFailure,
  HandshakeStats,
  SESSION_ID_CONTEXT,
  TicketKeyRing,
  TicketKeys,
} from '../tls/index.ts';
import type { ClientAuth, TicketKeyList, TlsMaterial, TlsVersion } from '../tls/index.ts';

/**
 * The engine's TLS settings: the configuration's `tls.*` profile fields plus the material itself.
 * Without `material` the server speaks plain HTTP (a `Config` passed as options, whose `tls` has
 * file paths but no material, is refused when its `tls.cert` is set: the engine reads no files).
 */
export interface ServerTlsOptions {
  /** PEM text (the cluster reads the files in the primary and hands the text to workers). */
  readonly material?: TlsMaterial;
  readonly clientAuth: ClientAuth;
  readonly minVersion: TlsVersion;
  readonly ciphers: string;
  readonly curves: string;
  readonly handshakeTimeoutMs: number;
  readonly maxHandshakes: number;
  /** How long a session ticket lives; the owner of the ticket keys rotates them this often. */
  readonly ticketRotationMs: number;
  /** The shared ticket-key ring `[next, current, previous]`; absent: one made for this server. */
  readonly ticketKeys?: TicketKeyList;
}

/** What the TLS layer needs from its server. */
export interface TlsHost {
  /** A handshake finished: serve the socket (the host checks draining itself). */
  admit(socket: TLSSocket): void;
  /** A handshake failed, timed out, or was refused: the raw connection is closed for `kind`. */
  handshakeEnded(kind: HandshakeFailure | 'drain'): void;
  /** The fixed answer to plain HTTP on the TLS port. */
  plainHttpAnswer(): string;
}

const PENDING = Symbol('samovar.tls.pending');
/**
 * The first-record gate closes while more than `maxHandshakes / GATE_SHARE` connections are mid-
 * handshake (64 of the default 256): the gate's own reading costs a handshake ~8 % (38 µs of
 * ~450 for a resumed one, 8-round A/B of `s_time -reuse`), which a server at ease need not pay,
 * while under a swarm of stallers it is what keeps them out of the bound.
 */
const GATE_SHARE = 4;
/**
 * The gate also closes while more than that many connections (`maxHandshakes / GATE_SHARE`)
 * failed with a protocol error (garbage, plain HTTP, a version or cipher this server does not
 * speak: counted `protocol`) in this window and the one before: the gate refuses garbage and
 * plain HTTP with no TLS socket built, so a flood of them costs the worker less there (it refused
 * 9.5–11.3k a second instead of 7.7–9.5k, and normal clients' p99 under the flood was 2.1–4.0
 * against 7.7–10.3 ms; docs/tls.md). It reopens once a window or two pass quietly.
 */
const FAILURE_WINDOW_MS = 1_000;
/** The bytes a raw connection sent before it was handed to `node:tls` (first-record.ts). */
const FIRST = Symbol('samovar.tls.first');

const LISTENER = Symbol('samovar.tls.listener');
const OWNER = Symbol('samovar.tls.owner');
type RawSocket = Socket & {
  [PENDING]?: NodeJS.Timeout | null;
  [OWNER]?: TlsListener;
  [FIRST]?: Buffer | null;
};
type OwnedTlsServer = tls.Server & { [LISTENER]: TlsListener };
/** Node's link from a server-side TLSSocket to the TCP socket it wraps. */
type WrappedSocket = TLSSocket & { _parent?: RawSocket | null };

export class TlsListener {
  readonly stats = new HandshakeStats();
  /** Whether tickets open with the whole ring (true) or only the current key (Node without the hook). */
  ringMode = false;
  /** Called whenever the last handshake under way ends (a drain waits for it). */
  onIdle: (() => void) | null = null;
  private readonly options: ServerTlsOptions;
  private readonly host: TlsHost;
  private readonly server: tls.Server;
  private readonly keys: TicketKeys;
  /** Connections accepted whose handshake has not ended, oldest first. */
  private readonly pending = new Set<RawSocket>();
  /** Of those, the ones handed to `node:tls`, oldest first (bounded by `maxHandshakes`). */
  private readonly inTls = new Set<RawSocket>();
  /** Connections mid-handshake beyond which newcomers wait at the first-record gate. */
  private readonly gateAbove: number;
  /** Handshakes failed with a protocol error in this failure window, and in the one before. */
  private refusedNow = 0;
  private refusedBefore = 0;
  private windowStart = 0;

  constructor(options: ServerTlsOptions, material: TlsMaterial, host: TlsHost, highWaterMark: number) {
    this.options = options;
    this.host = host;
    this.gateAbove = Math.floor(options.maxHandshakes / GATE_SHARE);
    this.keys = new TicketKeys(options.ticketKeys ?? new TicketKeyRing().list());
    this.server = tls.createServer({
      ...contextOptions(options, material),
      requestCert: options.clientAuth !== 'off',
      // `require`: OpenSSL refuses a client without a certificate (alert certificate_required);
      // one whose certificate does not verify is closed by Node when the handshake ends.
      rejectUnauthorized: options.clientAuth === 'require',
      ALPNProtocols: [...ALPN_PROTOCOLS],
      // Seconds; a ticket must not outlive the ring's oldest key (see tls/ticket-keys.ts).
      sessionTimeout: Math.max(1, Math.floor(options.ticketRotationMs / 1000)),
      allowHalfOpen: true,
      highWaterMark,
    });
    (this.server as OwnedTlsServer)[LISTENER] = this;
    this.server.on('secureConnection', onSecure);
    this.server.on('tlsClientError', onClientError);
    this.attachKeys();
  }

  /** Handshakes in `node:tls` now (past the gate, if it was closed): what `maxHandshakes` bounds. */
  get handshaking(): number {
    return this.inTls.size;
  }

  /** A raw connection the server accepted: into `node:tls` at once, or under pressure through the gate (`firstBytes`). */
  begin(raw: RawSocket): void {
    this.stats.inProgress++;
    raw[PENDING] = setTimeout(onHandshakeTimeout, this.options.handshakeTimeoutMs, this, raw);
    raw[OWNER] = this;
    this.pending.add(raw);
    raw.once('close', onRawClose);
    // The TLS socket takes this from the TCP one. Half-open during the handshake would keep a
    // client's FIN from closing it (until the deadline); once secure, HTTP needs half-open again.
    raw.allowHalfOpen = false;
    if (this.pending.size <= this.gateAbove && !this.flooded()) return this.handOver(raw);
    // Under pressure, no TLS socket until the first record is in whole (first-record.ts): a
    // stalled, garbage or plain-HTTP client costs a plain socket and is refused here.
    raw[FIRST] = null;
    raw.on('data', onFirstBytes);
  }

  /**
   * At the connection cap: closes the oldest connection waiting at the gate (the likeliest to be
   * stalled), counted as refused; false when none waits. Gate-waiters are not evicted at the
   * handshake bound, so without this a swarm of stallers larger than the cap would shut new
   * clients out until the deadline.
   */
  evictWaiting(): boolean {
    for (const raw of this.pending) if (!this.inTls.has(raw)) return this.evict(raw);
    return false;
  }

  /** Into `node:tls`, making room at the bound. */
  private handOver(raw: RawSocket): void {
    this.makeRoom();
    this.inTls.add(raw);
    this.server.emit('connection', raw);
  }

  /** Bytes before the hand-over to `node:tls`: wait for the first record, or refuse the client. */
  firstBytes(raw: RawSocket, chunk: Buffer): void {
    if (!this.pending.has(raw)) return void raw.off('data', onFirstBytes);
    const before = raw[FIRST];
    const bytes = before == null ? chunk : Buffer.concat([before, chunk]);
    const verdict = classifyFirstBytes(bytes);
    if (verdict === FirstBytes.WAIT) return void (raw[FIRST] = bytes);
    raw.off('data', onFirstBytes);
    raw[FIRST] = null;
    if (verdict === FirstBytes.TLS) {
      // node:tls reads what the TCP socket holds before its own reads (its initRead).
      raw.pause();
      raw.unshift(bytes);
      return this.handOver(raw);
    }
    this.finish(raw);
    this.ended(HandshakeFailure.PROTOCOL);
    if (verdict === FirstBytes.HTTP) {
      // Whatever else it sends is read and dropped until it closes (allowHalfOpen is off).
      raw.resume();
      raw.end(this.host.plainHttpAnswer());
    } else raw.destroy();
  }

  /** New certificate material: handshakes from now on present it; open connections are untouched. */
  setMaterial(material: TlsMaterial): void {
    this.server.setSecureContext(contextOptions(this.options, material));
    this.attachKeys();
  }

  /** The ring after a rotation in the primary. */
  setTicketKeys(list: TicketKeyList): void {
    this.keys.update(list);
    if (!this.ringMode) this.server.setTicketKeys(this.keys.current());
  }

  /** The drain's deadline: handshakes still under way are closed with the connections. */
  abortHandshakes(): void {
    for (const raw of [...this.pending]) {
      this.finish(raw);
      this.host.handshakeEnded('drain');
      raw.destroy();
    }
  }

  secured(socket: WrappedSocket): void {
    const raw = socket._parent;
    if (raw == null || !this.finish(raw)) return void socket.destroy();
    // A client may send its request, then FIN, and still wait for the answer (RFC 9112 §9.6).
    socket.allowHalfOpen = true;
    this.stats.completed++;
    if (socket.isSessionReused()) this.stats.resumed++;
    this.host.admit(socket);
  }

  failed(error: NodeJS.ErrnoException, socket: WrappedSocket): void {
    const raw = socket._parent;
    // Already counted (our own timeout or the drain closed it), or never ours.
    if (raw == null || !this.finish(raw)) return;
    this.ended(failureKind(error.code, socket.authorizationError as unknown as string | undefined));
    if (error.code === 'ERR_SSL_HTTP_REQUEST' && raw.writable) {
      // Plain HTTP that came in while the gate was open: OpenSSL has not written a byte, so the
      // client reads a plain HTTP answer, as through the gate.
      raw.end(this.host.plainHttpAnswer());
    }
  }

  /**
   * The TCP connection closed. Node reports most handshakes that end so through `tlsClientError`
   * (with the cause), just after; one that never sent a byte it does not report at all. So the
   * check waits a turn, and whatever is still pending then is a client that left.
   */
  rawClosed(raw: RawSocket): void {
    if (this.pending.has(raw)) setImmediate(onClosedLater, this, raw);
  }

  closedLater(raw: RawSocket): void {
    if (this.finish(raw)) this.ended(HandshakeFailure.CLOSED);
  }

  timedOut(raw: RawSocket): void {
    raw[PENDING] = null;
    if (!this.finish(raw)) return;
    this.ended(raw.destroyed ? HandshakeFailure.CLOSED : HandshakeFailure.TIMEOUT);
    raw.destroy();
  }

  /**
   * At the bound, the oldest handshake in `node:tls` is closed for the newcomer. Clients waiting
   * at the gate are not counted: they hold a plain socket, bounded by the connection cap and the
   * deadline, and evicting them only made stallers reconnect faster.
   */
  private makeRoom(): void {
    if (this.inTls.size < this.options.maxHandshakes) return;
    const oldest = this.inTls.values().next().value;
    if (oldest !== undefined) this.evict(oldest);
  }

  /** Closes a handshake to make room (the bound, the connection cap), counted as refused. */
  private evict(raw: RawSocket): boolean {
    if (!this.finish(raw)) return false;
    this.ended(HandshakeFailure.REFUSED);
    raw.destroy();
    return true;
  }

  /** A handshake failed: counted by kind, and the server told (never logged one by one). */
  private ended(kind: HandshakeFailure): void {
    this.stats.failed[kind]++;
    if (kind === HandshakeFailure.PROTOCOL) {
      this.rollWindow(performance.now());
      this.refusedNow++;
    }
    this.host.handshakeEnded(kind);
  }

  /** Whether protocol errors came often enough of late to send newcomers through the gate. */
  private flooded(): boolean {
    // The clock is read only when the counts could say yes.
    if (this.refusedNow + this.refusedBefore <= this.gateAbove) return false;
    this.rollWindow(performance.now());
    return this.refusedNow + this.refusedBefore > this.gateAbove;
  }

  private rollWindow(now: number): void {
    const age = now - this.windowStart;
    if (age < FAILURE_WINDOW_MS) return;
    this.refusedBefore = age < 2 * FAILURE_WINDOW_MS ? this.refusedNow : 0;
    this.refusedNow = 0;
    this.windowStart = now;
  }

  /** Ends `raw`'s handshake bookkeeping; false when it had already ended. */
  private finish(raw: RawSocket): boolean {
    if (!this.pending.delete(raw)) return false;
    this.inTls.delete(raw);
    const timer = raw[PENDING];
    if (timer != null) clearTimeout(timer);
    raw[PENDING] = null;
    this.stats.inProgress--;
    // After the caller has admitted or counted the socket: a drain then sees it in the registry.
    if (this.stats.inProgress === 0 && this.onIdle !== null) queueMicrotask(this.onIdle);
    return true;
  }

  /** Tickets sealed and opened with the ring, on the server's current context. */
  private attachKeys(): void {
    const context = (this.server as tls.Server & { _sharedCreds?: SecureContext })._sharedCreds;
    this.ringMode = context !== undefined && this.keys.attach(context);
    if (!this.ringMode) this.server.setTicketKeys(this.keys.current());
  }
}

/** What `tls.createSecureContext` takes from the settings and the material. */
function contextOptions(options: ServerTlsOptions, material: TlsMaterial): tls.SecureContextOptions {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === '' ? {} : { ca: material.ca }),
    minVersion: options.minVersion,
    ciphers: options.ciphers,
    ecdhCurve: options.curves,
    // RFC 7919 ffdhe2048 for the DHE suites of the profile; ECDHE is preferred anyway.
    dhparam: 'auto',
    honorCipherOrder: true,
    sessionIdContext: SESSION_ID_CONTEXT,
  };
}

/** The TLS layer `options` ask for, or null for plain HTTP; throws on paths without material. */
export function tlsListenerFor(
  options: ServerTlsOptions | undefined,
  host: TlsHost,
  highWaterMark: number,
): TlsListener | null {
  if (options === undefined) return null;
  const material = options.material;
  if (material !== undefined) return new TlsListener(options, material, host, highWaterMark);
  const cert = (options as { cert?: unknown }).cert;
  if (typeof cert === 'string' && cert !== '')
    throw new TypeError(
      'createServer: tls.cert names a file, but the engine reads no files: pass the PEM text as tls.material (loadMaterial in samovar/tls reads and checks it)',
    );
  return null;
}

function onSecure(this: tls.Server, socket: TLSSocket): void {
  (this as OwnedTlsServer)[LISTENER].secured(socket);
}

function onClientError(this: tls.Server, error: Error, socket: TLSSocket): void {
  (this as OwnedTlsServer)[LISTENER].failed(error, socket);
}

function onFirstBytes(this: Socket, chunk: Buffer): void {
  (this as RawSocket)[OWNER]?.firstBytes(this, chunk);
}

function onRawClose(this: Socket): void {
  const owner = (this as RawSocket)[OWNER];
  owner?.rawClosed(this);
}

function onClosedLater(listener: TlsListener, raw: RawSocket): void {
  listener.closedLater(raw);
}

function onHandshakeTimeout(listener: TlsListener, raw: RawSocket): void {
  listener.timedOut(raw);
}
