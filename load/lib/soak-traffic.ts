/**
 * The soak's well-formed traffic, at a moderate rate (a soak looks for drift, not for the peak):
 * lanes of keep-alive GETs, one-shot `Connection: close` GETs, pipelined bursts, bodies (Content-
 * Length and chunked, to the fixture's `/sink`), streamed answers (`/big`), handler errors
 * (`/fail` → 500) and malformed requests (→ 400 and a close). Every answer is checked: status,
 * framing, body size. A request is failed when its answer is missing or wrong.
 *
 * One retry is allowed, and counted apart: an idempotent request sent on a reused keep-alive
 * connection that closes before a single byte of its answer (the server closed the idle
 * connection as the request was on its way — the race RFC 9112 §9.3.1 lets a client retry; a
 * rolling restart makes it happen when a draining worker closes its idle connections).
 * Must not: measure latency, or run forever (stop() ends every lane).
 */

import { Buffer } from 'node:buffer';
import net from 'node:net';

export interface TrafficCounts {
  requests: number;
  ok: number;
  failed: number;
  retriedOnStaleConnection: number;
  /** The first failures, for the report. */
  readonly failures: string[];
  readonly byKind: Record<string, number>;
}

interface Answer {
  status: number;
  bodyBytes: number;
  close: boolean;
}

/** Reads whole responses off a socket as they come (Content-Length or chunked, no HEAD). */
class AnswerReader {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: { resolve: (a: Answer | null) => void }[] = [];
  private ended = false;
  /** Bytes of the answer currently awaited that have arrived (0: none yet). */
  started = 0;

  constructor(socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.started += d.length;
      this.drain();
    });
    socket.on('close', () => {
      this.ended = true;
      this.drain();
    });
    socket.on('error', () => {});
  }

  next(): Promise<Answer | null> {
    return new Promise((resolve) => {
      this.waiters.push({ resolve });
      this.drain();
    });
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const a = this.take();
      if (a === undefined) {
        if (!this.ended) return;
        this.waiters.shift()?.resolve(null);
        continue;
      }
      this.started = this.buf.length;
      this.waiters.shift()?.resolve(a);
    }
  }

  /** One whole response from the buffer, or undefined when more bytes are needed. */
  private take(): Answer | undefined {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const lower = head.toLowerCase();
    const close = lower.includes('\r\nconnection: close');
    const cl = /\r\ncontent-length: (\d+)/.exec(lower);
    let bodyEnd: number;
    let bodyBytes: number;
    if (cl !== null) {
      bodyBytes = Number(cl[1]);
      bodyEnd = end + 4 + bodyBytes;
      if (this.buf.length < bodyEnd) return undefined;
    } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
      const last = this.buf.indexOf('\r\n0\r\n\r\n', end + 2);
      if (last < 0) return undefined;
      bodyEnd = last + 7;
      bodyBytes = 0;
      for (let p = end + 4; p < last;) {
        const lineEnd = this.buf.indexOf('\r\n', p);
        const size = parseInt(this.buf.toString('latin1', p, lineEnd), 16);
        bodyBytes += size;
        p = lineEnd + 2 + size + 2;
      }
    } else {
      if (!this.ended) return undefined;
      bodyEnd = this.buf.length;
      bodyBytes = bodyEnd - end - 4;
    }
    this.buf = this.buf.subarray(bodyEnd);
    return { status, bodyBytes, close };
  }
}

function connect(port: number): Promise<{ socket: net.Socket; reader: AnswerReader } | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const reader = new AnswerReader(socket);
    socket.once('connect', () => resolve({ socket, reader }));
    socket.once('error', () => resolve(null));
  });
}

interface Spec {
  readonly kind: string;
  readonly bytes: string | Buffer;
  readonly status: number;
  /** Expected body size, or -1 for any. */
  readonly bodyBytes: number;
}

const get = (path: string, close = false): string =>
  `GET ${path} HTTP/1.1\r\nHost: a\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
const BODY_64K = Buffer.alloc(64 * 1024, 0x62);
const CL_POST = Buffer.concat([
  Buffer.from(
    `POST /sink HTTP/1.1\r\nHost: a\r\nContent-Length: ${BODY_64K.length}\r\nConnection: close\r\n\r\n`,
  ),
  BODY_64K,
]);
const CHUNKED_POST = Buffer.concat([
  Buffer.from('POST /sink HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'),
  ...Array.from({ length: 4 }, () => [Buffer.from('10000\r\n'), BODY_64K, Buffer.from('\r\n')]).flat(),
  Buffer.from('0\r\n\r\n'),
]);
const MALFORMED = [
  'GET / HTTP/1.1\nHost: a\n\n',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
  'GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n',
  'GET / HTTP/1.1\r\n\r\n',
];

export class SoakTraffic {
  readonly counts: TrafficCounts = {
    requests: 0,
    ok: 0,
    failed: 0,
    retriedOnStaleConnection: 0,
    failures: [],
    byKind: {},
  };
  private readonly port: number;
  private stopped = false;
  private readonly lanes: Promise<void>[] = [];
  private readonly open = new Set<net.Socket>();

  constructor(port: number) {
    this.port = port;
  }

  /** Starts every lane; `pauseMs` is each lane's pause between its requests. */
  start(pauseMs = 10): void {
    for (let i = 0; i < 6; i++) this.lanes.push(this.keepAliveLane(pauseMs));
    this.lanes.push(this.pipelinedLane(pauseMs * 5));
    for (let i = 0; i < 2; i++) this.lanes.push(this.oneShotLane(pauseMs * 2));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.lanes);
    for (const s of this.open) s.destroy();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  private record(spec: Spec, answer: Answer | null, why = ''): void {
    const c = this.counts;
    c.requests++;
    c.byKind[spec.kind] = (c.byKind[spec.kind] ?? 0) + 1;
    const ok =
      answer !== null &&
      answer.status === spec.status &&
      (spec.bodyBytes < 0 || answer.bodyBytes === spec.bodyBytes);
    if (ok) return void c.ok++;
    c.failed++;
    if (c.failures.length < 20) {
      const got = answer === null ? `no answer ${why}` : `${answer.status} with ${answer.bodyBytes} bytes`;
      c.failures.push(`${new Date().toISOString()} ${spec.kind}: wanted ${spec.status}, got ${got}`);
    }
  }

  /** GETs on one keep-alive connection, reconnecting when the server closes it. */
  private async keepAliveLane(pauseMs: number): Promise<void> {
    let conn: Awaited<ReturnType<typeof connect>> = null;
    let reused = false;
    const spec: Spec = { kind: 'keep-alive', bytes: get('/'), status: 200, bodyBytes: 3 };
    while (!this.stopped) {
      if (conn === null || conn.socket.destroyed) {
        conn = await connect(this.port);
        reused = false;
        if (conn === null) {
          this.record(spec, null, '(connect failed)');
          await this.sleep(pauseMs);
          continue;
        }
        this.open.add(conn.socket);
      }
      conn.reader.started = 0;
      conn.socket.write(spec.bytes);
      const answer = await conn.reader.next();
      if (answer === null && reused && conn.reader.started === 0) {
        // Closed under a request sent on a reused connection, not a byte back: retry once, fresh.
        this.counts.retriedOnStaleConnection++;
        conn.socket.destroy();
        conn = null;
        continue;
      }
      this.record(spec, answer);
      reused = true;
      if (answer === null || answer.close) {
        conn.socket.destroy();
        conn = null;
      }
      await this.sleep(pauseMs);
    }
    conn?.socket.destroy();
  }

  /** Bursts of 8 pipelined GETs on one connection (a fresh one per burst: no stale-reuse race). */
  private async pipelinedLane(pauseMs: number): Promise<void> {
    const spec: Spec = { kind: 'pipelined', bytes: get('/p'), status: 200, bodyBytes: 3 };
    while (!this.stopped) {
      const conn = await connect(this.port);
      if (conn === null) {
        this.record(spec, null, '(connect failed)');
      } else {
        this.open.add(conn.socket);
        conn.socket.write((spec.bytes as string).repeat(7) + get('/p', true));
        for (let i = 0; i < 8; i++) this.record(spec, await conn.reader.next());
        conn.socket.destroy();
        this.open.delete(conn.socket);
      }
      await this.sleep(pauseMs);
    }
  }

  /** One request per connection, cycling through closes, bodies, streams, errors and malformed input. */
  private async oneShotLane(pauseMs: number): Promise<void> {
    const specs: Spec[] = [
      { kind: 'close', bytes: get('/c', true), status: 200, bodyBytes: 3 },
      { kind: 'body-length', bytes: CL_POST, status: 200, bodyBytes: -1 },
      { kind: 'body-chunked', bytes: CHUNKED_POST, status: 200, bodyBytes: -1 },
      { kind: 'stream', bytes: get('/big?kb=256', true), status: 200, bodyBytes: 256 * 1024 },
      { kind: 'handler-error', bytes: get('/fail', true), status: 500, bodyBytes: -1 },
      ...MALFORMED.map((bytes) => ({ kind: 'malformed', bytes, status: 400, bodyBytes: -1 })),
    ];
    for (let i = 0; !this.stopped; i++) {
      const spec = specs[i % specs.length] as Spec;
      const conn = await connect(this.port);
      if (conn === null) this.record(spec, null, '(connect failed)');
      else {
        this.open.add(conn.socket);
        conn.socket.write(spec.bytes);
        this.record(spec, await conn.reader.next());
        conn.socket.destroy();
        this.open.delete(conn.socket);
      }
      await this.sleep(pauseMs);
    }
  }
}
