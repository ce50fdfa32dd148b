/**
 * The access log: one `info` line per answered request (or one in N, sampled), with
 * `event: "access"`, `reqId`, `method`, `route`, `status`, `outcome`, `path`, `bytes` (response
 * body), `reqBytes` (request body), `durationMs`, `remote` and `userAgent`, and over TLS a `tls`
 * object (`protocol`, `cipher`, `sni`, `resumed`, and `clientSubject` for a verified client
 * certificate).
 *
 * The line is the same JSON pino writes (`level`, `time`, the logger's bindings — `pid`, `role`,
 * `workerId` — then the fields and `msg`) and goes to the same destination, so it is ordered and
 * atomic with every other line. Into the worker's LineSink, a request's fields (strings and
 * numbers, never the request) are queued when it is answered, and the lines built together when
 * the sink writes (every 20 ms or 64 KiB in a worker; at the end of a turn that queued 256; before
 * any other line, so the order holds; at exit): the answers leave first, and the builder runs as
 * one tight loop. Built between one request's write and the next parse, it cost a worker two to
 * three times what it costs alone (issue 19, interleaved A/B: keep-alive 1.0 against 0.5 µs a
 * request, pipelined 0.84 against 0.34 µs). Each line is stamped with the time it was answered.
 * A line is built straight into bytes, in the line sink's own buffer
 * (`LineSink.reserve`/`commit`) where the turn's lines wait for their one write(2): no string, no
 * record object, no copy of its own. The constant parts are encoded once; the first hundred-odd
 * bytes (time, bindings) once a millisecond; the fields of few values (method, route, status,
 * outcome — a route is a template from code) once per combination, in a small cache. Strings are
 * copied a character at a time while they are printable ASCII without `"` or `\` (nearly always),
 * and anything else — a control character, a quote, non-ASCII, a lone surrogate — goes through
 * `JSON.stringify` and UTF-8, so no byte a client sends can break the line or forge a field. A
 * destination that is not a LineSink (a test's stream) gets the same bytes as one string, at once.
 * Measured (issue 19, `npm run bench:access-line`: 10 lines a turn to /dev/null, quiet machine):
 * 0.35 µs a line, against 0.70 µs for the string-built line it replaced (the same bench on
 * 07748a4) and 2.2 µs for pino's generic path.
 * Sampling counts requests instead of drawing random numbers: `sampled` with N = 100 logs
 * exactly 1 % per worker and costs one increment for the other 99.
 * Must not: keep the request or response past the call, or throw.
 */

import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { LineSink } from './line-sink.ts';
import { AccessMode } from './settings.ts';

/** The `event` field of access lines (lifecycle lines use other values). */
export const ACCESS_EVENT = 'access';

/** pino's number for `info`: access lines are written while the logger's level is at most this. */
const INFO_LEVEL = 30;

/** What the access line reads of a request (a `ServerRequest` is one). */
export interface AccessRequest {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly route: string;
  /** `address:port` of the peer. */
  readonly remoteAddress: string;
  /** Over TLS: what the handshake negotiated (written as a `tls` object); null over plain HTTP. */
  readonly tls: AccessTls | null;
  /** A request header's first value (only `user-agent` is asked). */
  get(name: string): string | undefined;
}

/** What the access line reads of an answer (a `ServerResponse` is one). */
export interface AccessResponse {
  readonly statusCode: number;
  /** How the exchange ended: `completed`, `client_closed`, `timed_out`, `drain_cut`, `server_error`, `dropped`. */
  readonly outcome: string;
  /** Response body bytes. */
  readonly bodyBytes: number;
}

/** The TLS facts of an access line (read lazily from the connection). */
export interface AccessTls {
  readonly protocol: string;
  readonly cipher: string;
  /** SNI server name, '' when none was sent. */
  readonly servername: string;
  readonly resumed: boolean;
  /** The verified client certificate's subject, '' when none. */
  readonly clientSubject: string;
}

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const K_TIME = ascii('{"level":"info","time":');
const K_METHOD = ascii(',"method":');
const K_PATH = ascii(',"path":');
const K_ROUTE = ascii(',"route":');
const K_STATUS = ascii(',"status":');
const K_OUTCOME = ascii(',"outcome":');
const K_BYTES = ascii(',"bytes":');
const K_REQ_BYTES = ascii(',"reqBytes":');
const K_DURATION = ascii(',"durationMs":');
const K_REMOTE = ascii(',"remote":');
const K_USER_AGENT = ascii(',"userAgent":');
const K_TLS = ascii(',"tls":{"protocol":');
const K_CIPHER = ascii(',"cipher":');
const K_SNI = ascii(',"sni":');
const K_RESUMED_TRUE = ascii(',"resumed":true');
const K_RESUMED_FALSE = ascii(',"resumed":false');
const K_CLIENT = ascii(',"clientSubject":');
const K_TLS_END = ascii('}');
const K_END = ascii(',"msg":"request"}\n');
/** Every constant part together, and the digits of the numbers: a line's length bound less its strings. */
const FIXED_BOUND = 512;
/** Bytes a string's character may take written as JSON (`\u00XX`; UTF-8 takes at most 3). */
const WORST_PER_CHAR = 6;
const QUOTE = 0x22;

const SHAPE_SLOTS = 16;
const SHAPE_MASK = SHAPE_SLOTS - 1;

/** A turn that queues this many builds them at its end, not at the sink's next write. */
const SOON_QUEUED = 256;
/** Lines built at once past this many queued requests (a pipelined turn can answer thousands). */
const MAX_QUEUED = 4096;

/** The queued fields, one array per field (no object per request), reused batch after batch. */
class Queue {
  readonly id: string[] = [];
  readonly method: string[] = [];
  readonly path: string[] = [];
  readonly route: string[] = [];
  readonly remote: string[] = [];
  readonly agent: (string | undefined)[] = [];
  readonly tls: (AccessTls | null)[] = [];
  readonly tlsChars: number[] = [];
  readonly status: number[] = [];
  readonly outcome: string[] = [];
  readonly bytes: number[] = [];
  readonly reqBytes: number[] = [];
  readonly ms: number[] = [];
  readonly at: number[] = [];
}

/** One slot of the shape cache: a combination of method, route, status and outcome, encoded. */
class Shape {
  method = '';
  route = '';
  status = -1;
  outcome = '';
  bytes: Uint8Array = new Uint8Array(0);
}

export class AccessLog {
  private readonly logger: Logger;
  /** The logger's sink when it is Samovar's (production): lines are built in its buffer. */
  private readonly sink: LineSink | null;
  private readonly stream: DestinationStream;
  private readonly mode: AccessMode;
  private readonly every: number;
  /** `,"pid":…,"role":…,"workerId":…,"event":"access","reqId":` — serialised once. */
  private readonly prefix: Uint8Array;
  /**
   * `{"level":"info","time":<ms>` then `prefix`: a line's first hundred-odd bytes, which change
   * only with the millisecond, so they are built once a millisecond and copied whole.
   */
  private lead: Uint8Array = new Uint8Array(0);
  private leadTime = -1;
  /** Where a line is built for a destination that is not a LineSink. */
  private scratch: Buffer | null = null;
  private skipped = 0;
  private readonly shapes: Shape[] = Array.from({ length: SHAPE_SLOTS }, () => new Shape());
  /** Requests answered whose lines are not built yet (since the sink last wrote): slots `[0, queued)` of `q`. */
  private queued = 0;
  private readonly q = new Queue();
  /** The time of the last line built from the queue: stamps do not go back by the offset's jitter. */
  private lastStamp = 0;

  constructor(logger: Logger, mode: AccessMode, sampleEvery: number) {
    this.logger = logger;
    const own = logger as unknown as Record<symbol, unknown>;
    this.stream = own[pino.symbols.streamSym] as DestinationStream;
    this.sink = this.stream instanceof LineSink ? this.stream : null;
    this.mode = mode;
    this.every = Math.max(1, Math.floor(sampleEvery));
    // pino's own serialised bindings (`,"pid":…,"role":…`), exactly as on its other lines.
    const bindings = own[pino.symbols.chindingsSym] as string;
    this.prefix = Buffer.from(`${bindings},"event":"${ACCESS_EVENT}","reqId":`, 'utf8');
  }

  /** Whether the next request is to be logged (counts it when sampling, checks the level). */
  wanted(): boolean {
    if (this.mode === AccessMode.OFF || this.logger.levelVal > INFO_LEVEL) return false;
    if (this.mode === AccessMode.ON) return true;
    if (++this.skipped < this.every) return false;
    this.skipped = 0;
    return true;
  }

  /**
   * The line of `req` answered by `res` (`reqBytes` of request body, `ms` milliseconds, answered
   * at `at`, a `performance.now()` time). Into a LineSink the fields are queued and the lines
   * built together when the sink writes (every 20 ms in a worker), or at the end of a turn that
   * queued `SOON_QUEUED`: the answers leave before any line is built, the builder runs as one
   * tight loop, and a turn that answers one request costs no extra callback. Built between one
   * request's write and the next parse, a line cost a worker two to three times what it costs
   * alone (issue 19). The queue keeps strings and numbers, never the request or response.
   * Another destination (a test's stream) gets the line at once.
   */
  write(req: AccessRequest, res: AccessResponse, reqBytes: number, ms: number, at = performance.now()): void {
    const i = this.take(req, res, reqBytes, ms, at);
    const sink = this.sink;
    if (sink === null) {
      this.build(i, Date.now());
      this.queued = 0;
      this.q.tls[i] = null;
      return;
    }
    if (i === 0) sink.hold(this);
    else if (i === SOON_QUEUED) setImmediate(drainHeld, sink);
    else if (i + 1 >= MAX_QUEUED) sink.drainHeld();
  }

  /** Builds the queued lines (the sink calls this before it writes anything else). */
  drain(): void {
    const n = this.queued;
    if (n === 0) return;
    this.queued = 0;
    const q = this.q;
    // Each line is stamped with the wall-clock time it was answered: its `performance.now()` time
    // moved by the clocks' offset now (one reading of each for the batch). The offset, read from
    // a whole-millisecond clock, moves by under 1 ms from batch to batch: a line that would go
    // back by that much keeps the time before it (a wall clock set back moves lines back).
    const offset = Date.now() - performance.now();
    let last = this.lastStamp;
    for (let i = 0; i < n; i++) {
      const stamp = Math.floor((q.at[i] as number) + offset);
      if (stamp > last || last - stamp > 1) last = stamp;
      this.build(i, last);
    }
    this.lastStamp = last;
    // Nothing is kept once built: a connection's TLS facts would hold its socket.
    for (let i = 0; i < n; i++) q.tls[i] = null;
  }

  /** Copies what the line needs of `req` and `res` into the queue; the slot's index. */
  private take(req: AccessRequest, res: AccessResponse, reqBytes: number, ms: number, at: number): number {
    const i = this.queued++;
    const q = this.q;
    q.id[i] = req.id;
    q.method[i] = req.method;
    q.path[i] = req.path;
    q.route[i] = req.route;
    q.remote[i] = req.remoteAddress;
    q.agent[i] = req.get('user-agent');
    const tls = req.tls;
    q.tls[i] = tls;
    // The facts are read now (TlsFacts keeps them): read later, they could meet a socket gone.
    q.tlsChars[i] = tls === null ? 0 : tlsLength(tls);
    q.status[i] = res.statusCode;
    q.outcome[i] = res.outcome;
    q.bytes[i] = res.bodyBytes;
    q.reqBytes[i] = reqBytes;
    q.ms[i] = ms;
    q.at[i] = at;
    return i;
  }

  /** Builds queue slot `i`'s line, stamped `now`. */
  private build(i: number, now: number): void {
    const q = this.q;
    const reqId = q.id[i] as string;
    const method = q.method[i] as string;
    const path = q.path[i] as string;
    const route = q.route[i] as string;
    const remote = q.remote[i] as string;
    const userAgent = q.agent[i];
    const tls = q.tls[i] as AccessTls | null;
    let chars =
      reqId.length + method.length + path.length + String(route).length + remote.length + this.prefix.length;
    if (userAgent !== undefined) chars += userAgent.length;
    chars += q.tlsChars[i] as number;
    const bound = FIXED_BOUND + WORST_PER_CHAR * chars;
    const sink = this.sink;
    let buf: Buffer;
    let o: number;
    if (sink !== null) {
      const room = sink.reserve(bound);
      if (room === null) return;
      buf = room;
      o = sink.end;
    } else {
      if (this.scratch === null || this.scratch.length < bound)
        this.scratch = Buffer.allocUnsafe(Math.max(bound, 4096));
      buf = this.scratch;
      o = 0;
    }
    if (now !== this.leadTime) this.buildLead(now);
    buf.set(this.lead, o);
    o += this.lead.length;
    o = putString(buf, o, reqId);
    o = this.putShape(buf, o, method, route, q.status[i] as number, q.outcome[i] as string);
    o = putString(buf, o, path);
    o = put(buf, o, K_BYTES);
    o = putUint(buf, o, q.bytes[i] as number);
    o = put(buf, o, K_REQ_BYTES);
    o = putUint(buf, o, q.reqBytes[i] as number);
    o = put(buf, o, K_DURATION);
    o = putMillis(buf, o, q.ms[i] as number);
    o = put(buf, o, K_REMOTE);
    o = putString(buf, o, remote);
    if (userAgent !== undefined) {
      o = put(buf, o, K_USER_AGENT);
      o = putString(buf, o, userAgent);
    }
    if (tls !== null) o = putTls(buf, o, tls);
    o = put(buf, o, K_END);
    if (sink !== null) sink.commit(o);
    else this.stream.write(buf.toString('utf8', 0, o));
  }

  /**
   * `,"method":…,"route":…,"status":…,"outcome":…,"path":` — the fields of few values (a route is
   * a template from code, never the raw path), so one run of bytes per combination, kept in a
   * small cache (16 slots, the last combination of each) and copied whole.
   */
  private putShape(
    buf: Buffer,
    o: number,
    method: string,
    route: string,
    status: number,
    outcome: string,
  ): number {
    // A JavaScript handler may have set `req.route` to anything: only a string's length is read.
    const routeLength = typeof route === 'string' ? route.length : 0;
    const slot = this.shapes[(status + 7 * (method.length + routeLength)) & SHAPE_MASK] as Shape;
    if (
      slot.status === status &&
      slot.method === method &&
      slot.route === route &&
      slot.outcome === outcome
    ) {
      buf.set(slot.bytes, o);
      return o + slot.bytes.length;
    }
    const start = o;
    o = put(buf, o, K_METHOD);
    o = putString(buf, o, method);
    o = put(buf, o, K_ROUTE);
    o = putString(buf, o, route);
    o = put(buf, o, K_STATUS);
    o = putUint(buf, o, status);
    o = put(buf, o, K_OUTCOME);
    o = putString(buf, o, outcome);
    o = put(buf, o, K_PATH);
    slot.method = method;
    slot.route = route;
    slot.status = status;
    slot.outcome = outcome;
    // A copy: the line's buffer is the sink's, reused once written.
    slot.bytes = new Uint8Array(o - start);
    slot.bytes.set(buf.subarray(start, o));
    return o;
  }

  private buildLead(now: number): void {
    const lead = Buffer.allocUnsafe(K_TIME.length + 20 + this.prefix.length);
    let o = put(lead, 0, K_TIME);
    o = putUint(lead, o, now);
    lead.set(this.prefix, o);
    this.lead = lead.subarray(0, o + this.prefix.length);
    this.leadTime = now;
  }
}

function drainHeld(sink: LineSink): void {
  sink.drainHeld();
}

function tlsLength(t: AccessTls): number {
  return t.protocol.length + t.cipher.length + t.servername.length + t.clientSubject.length;
}

/** `,"tls":{…}`: protocol, cipher, SNI name, resumed, and the client certificate's subject if any. */
function putTls(buf: Buffer, o: number, t: AccessTls): number {
  o = put(buf, o, K_TLS);
  o = putString(buf, o, t.protocol);
  o = put(buf, o, K_CIPHER);
  o = putString(buf, o, t.cipher);
  o = put(buf, o, K_SNI);
  o = putString(buf, o, t.servername);
  o = put(buf, o, t.resumed ? K_RESUMED_TRUE : K_RESUMED_FALSE);
  const client = t.clientSubject;
  if (client !== '') {
    o = put(buf, o, K_CLIENT);
    o = putString(buf, o, client);
  }
  return put(buf, o, K_TLS_END);
}

/** Copies constant bytes: these are short, and for fewer than ~30 bytes a loop beats `set`'s call. */
function put(buf: Buffer, o: number, bytes: Uint8Array): number {
  const n = bytes.length;
  for (let i = 0; i < n; i++) buf[o + i] = bytes[i] as number;
  return o + n;
}

/** A non-negative integer in decimal (a request's sizes, the status, the time). */
function putUint(buf: Buffer, o: number, n: number): number {
  // Never expected (sizes and statuses are counts), but the line must stay JSON.
  if (!Number.isSafeInteger(n) || n < 0) return putAscii(buf, o, JSON.stringify(n) ?? 'null');
  if (n < 10) {
    buf[o] = 0x30 + n;
    return o + 1;
  }
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  let at = o + digits;
  for (let rest = n; at > o; rest = Math.floor(rest / 10)) buf[--at] = 0x30 + (rest % 10);
  return o + digits;
}

/**
 * Milliseconds rounded to microseconds, printed as JavaScript prints the rounded number
 * (`0.25`, `12`, `1.007`): the integer part, then up to three decimals without trailing zeros.
 */
function putMillis(buf: Buffer, o: number, ms: number): number {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0) || micros > Number.MAX_SAFE_INTEGER) return putAscii(buf, o, String(roundMs(ms)));
  const whole = Math.floor(micros / 1000);
  let frac = micros - whole * 1000;
  o = putUint(buf, o, whole);
  if (frac === 0) return o;
  buf[o++] = 0x2e;
  buf[o++] = 0x30 + Math.floor(frac / 100);
  frac %= 100;
  if (frac === 0) return o;
  buf[o++] = 0x30 + Math.floor(frac / 10);
  frac %= 10;
  if (frac === 0) return o;
  buf[o++] = 0x30 + frac;
  return o;
}

/** Printable ASCII already known to need no escaping. */
function putAscii(buf: Buffer, o: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[o + i] = s.charCodeAt(i);
  return o + s.length;
}

/**
 * `s` as a JSON string: copied as it is while it is printable ASCII without `"` or `\` (the
 * fields here nearly always are); otherwise `JSON.stringify` escapes it and it is written as
 * UTF-8 (a lone surrogate comes out escaped, so it round-trips).
 */
function putString(buf: Buffer, o: number, s: string): number {
  // A JavaScript handler may have set `req.route` to anything; the line must still be written.
  if (typeof s !== 'string') return o + buf.write(JSON.stringify(String(s)), o, 'utf8');
  const n = s.length;
  buf[o] = QUOTE;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === QUOTE || c === 0x5c || c > 0x7e) return o + buf.write(JSON.stringify(s), o, 'utf8');
    buf[o + 1 + i] = c;
  }
  buf[o + 1 + n] = QUOTE;
  return o + n + 2;
}

/** Milliseconds rounded to microseconds: enough for a log line, shorter than a raw double. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
