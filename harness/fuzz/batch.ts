/**
 * Deep pipelined batches for the fuzzer (issue 16 §3; RFC 9112 §9.3.2 pipelining, §9.6 a client
 * may half-close after sending): a seeded generator of batches of 1 to ~100 valid requests — far
 * past `connections.maxPipelinedRequests` — to the fixture's sync and async routes (the path
 * echo, `/slow?ms=N`, `/sink`, `/big?kb=N`, `/fail`), GET/HEAD and bodies with Content-Length and
 * chunked framing (extensions, trailers, `Expect: 100-continue`, a request hidden in a body),
 * HTTP/1.1 and HTTP/1.0 keep-alive. Each batch ends one of four ways:
 *   - `fin`: the client half-closes after the last request; every request is owed its answer;
 *   - `close`: request k asks to close (`Connection: close`, or HTTP/1.0 without keep-alive);
 *     answers 1..k, the last one saying close, and nothing after;
 *   - `invalid`: the last request is malformed; answers for those before it, then exactly one
 *     error status (the one the error table gives), then close;
 *   - `cut`: the client half-closes inside the last request (its body, or its head); answers for
 *     those before it, and the partial one is never answered 2xx (no answer, or 400).
 * Requests after the one that ends the connection, and requests hidden in bodies, go to
 * `/smuggled-<id>-…`: the fixture logs every one it handles, and no one of them may be.
 * The whole batch is written in one piece, at random byte boundaries, one write per request,
 * in tiny segments (around a random point or the half-close), or one byte at a time.
 * Must not: talk to a server, or know what the server answered (batch-oracle.ts judges).
 */

import { Buffer } from 'node:buffer';
import { prng } from '../prng.ts';
import type { FuzzInput } from './mutator.ts';

export const Role = {
  /** Complete, keep-alive: owed its answer. */
  OK: 'ok',
  /** Complete and asks to close: owed its answer, which says close; nothing after. */
  CLOSE: 'close',
  /** Malformed: owed exactly one error answer, then close. */
  INVALID: 'invalid',
  /** Cut by the half-close: no answer, or 400; never 2xx. */
  CUT: 'cut',
  /** Sent after the request that ends the connection: never handled, never answered. */
  AFTER: 'after',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export const BatchEnd = { FIN: 'fin', CLOSE: 'close', INVALID: 'invalid', CUT: 'cut' } as const;
export type BatchEnd = (typeof BatchEnd)[keyof typeof BatchEnd];

export interface BatchRequest {
  /** The request's bytes, latin1. */
  readonly text: string;
  readonly method: string;
  readonly role: Role;
  /** The key its answer must have (batch-oracle.ts `answerKey`); '' when none is owed. */
  readonly answer: string;
}

export interface BatchSpec {
  readonly end: BatchEnd;
  /** The server's `connections.maxPipelinedRequests` when generated (replays use the same). */
  readonly limit: number;
  readonly requests: readonly BatchRequest[];
  /** How the batch was written, for the report and for the shrinker. */
  readonly split: Split;
}

export type Split = 'whole' | 'cuts' | 'many' | 'requests' | 'tiny' | 'bytes';

export interface BatchOptions {
  /** The server's pipelining limit. */
  readonly limit: number;
  readonly maxDepth?: number;
}

/** The deepest batch by default: well past the default limit (16). */
export const MAX_DEPTH = 100;
const BYTES_WRITE_MAX = 400;
const TINY_WINDOW_MAX = 400;
const BODY_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789 \r\n:;,{}"=\t';

/** The errors a last request can earn, with the status the error table gives (FUZZ_LIMITS). */
const INVALID: readonly ((path: string) => [text: string, status: number])[] = [
  (p) => [`GET ${p} HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n`, 400],
  (p) => [`GET ${p} HTTP/1.1\r\nHost: a\r\nX-C: a\x01b\r\n\r\n`, 400],
  (p) => [`GET ${p} HTTP/1.1\r\nAccept: */*\r\n\r\n`, 400],
  (p) => [`GET ${p} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`, 400],
  (p) => [`GET ${p} HTTP/1.1\r\nHost: a\r\nX-F: a\r\n folded\r\n\r\n`, 400],
  (p) => [`GET ${p} HTTP/1.1\nHost: a\n\n`, 400],
  (p) => [`GET ${p} HTTP/1.1 x\r\nHost: a\r\n\r\n`, 400],
  (p) => [`G(T ${p} HTTP/1.1\r\nHost: a\r\n\r\n`, 400],
  (p) => [`GET ${p}\x7f HTTP/1.1\r\nHost: a\r\n\r\n`, 400],
  (p) => [`POST ${p} HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n`, 400],
  (p) => [`POST ${p} HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`, 400],
  (p) => [
    `POST ${p} HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
  ],
  (p) => [`POST ${p} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, 400],
  (p) => [`POST ${p} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n`, 400],
  (p) => [`POST ${p} HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\nabc`, 413],
  (p) => [`GET ${p}?${'q'.repeat(1100)} HTTP/1.1\r\nHost: a\r\n\r\n`, 414],
  (p) => [`GET ${p} HTTP/1.1\r\nHost: a\r\nX-Big: ${'v'.repeat(4200)}\r\n\r\n`, 431],
  (p) => [`GET ${p} HTTP/1.1\r\nHost: a\r\n${'X-N: 1\r\n'.repeat(40)}\r\n`, 431],
  (p) => [`POST ${p} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n`, 400],
  (p) => [`POST ${p} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501],
  (p) => [`GET ${p} HTTP/2.0\r\nHost: a\r\n\r\n`, 505],
];

const END_BAG: readonly BatchEnd[] = [
  ...Array.from({ length: 11 }, () => BatchEnd.FIN),
  ...[BatchEnd.CLOSE, BatchEnd.INVALID, BatchEnd.CUT].flatMap((end) => [end, end, end]),
];

interface Body {
  /** The framing field line(s) and the body bytes as sent. */
  readonly fields: string;
  readonly wire: string;
  /** The content length once decoded. */
  readonly length: number;
}

export class BatchGenerator {
  private readonly rnd: () => number;
  private readonly options: Required<BatchOptions>;
  private readonly ends: BatchEnd[] = [];

  constructor(seed: number, options: BatchOptions) {
    this.rnd = prng(seed);
    this.options = { maxDepth: MAX_DEPTH, ...options };
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private chance(p: number): boolean {
    return this.rnd() < p;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** The next batch as a fuzz input; `id` must be unique in the run. */
  next(id: string): FuzzInput {
    const { limit, maxDepth } = this.options;
    const end = this.nextEnd();
    // A quarter within the limit, the rest past it (held back until answers drain).
    let depth = this.chance(0.25) ? 1 + this.int(limit) : limit + 1 + this.int(Math.max(1, maxDepth - limit));
    // The request that ends the batch (the close one, the invalid one, the cut one) is the last.
    if (end === BatchEnd.CLOSE) depth = 1 + this.int(depth);
    const requests: BatchRequest[] = [];
    for (let k = 0; k < depth - 1; k++) requests.push(this.request(id, k, false));
    const k = depth - 1;
    if (end === BatchEnd.FIN) requests.push(this.request(id, k, false));
    else if (end === BatchEnd.CLOSE) requests.push(this.request(id, k, true));
    else if (end === BatchEnd.CUT) requests.push(this.cut(id, k));
    else {
      const [text, status] = this.pick(INVALID)(`/b/${id}/${k}`);
      const method = text.slice(0, text.indexOf(' '));
      requests.push({ text, method, role: Role.INVALID, answer: `status:${status}` });
    }
    if (end === BatchEnd.CLOSE || end === BatchEnd.INVALID) {
      for (let j = this.int(4); j > 0; j--) {
        const text = `GET /smuggled-${id}-a${j} HTTP/1.1\r\nHost: a\r\n\r\n`;
        requests.push({ text, method: 'GET', role: Role.AFTER, answer: '' });
      }
    }
    const split = this.split();
    const fin = end === BatchEnd.FIN || end === BatchEnd.CUT || this.chance(0.7);
    return batchInput(id, { end, limit, requests, split }, fin, fin && this.chance(0.5), this.rnd);
  }

  /**
   * How the next batch ends, drawn without replacement from a bag of 20 (11 `fin`, 3 of each
   * other): a run's batches come in blocks of 20 that each hold every ending.
   */
  private nextEnd(): BatchEnd {
    if (this.ends.length === 0) {
      this.ends.push(...END_BAG);
      for (let i = this.ends.length - 1; i > 0; i--) {
        const j = this.int(i + 1);
        [this.ends[i], this.ends[j]] = [this.ends[j] as BatchEnd, this.ends[i] as BatchEnd];
      }
    }
    return this.ends.pop() as BatchEnd;
  }

  /** One valid request; `close` makes it the last (Connection: close, or HTTP/1.0 without keep-alive). */
  private request(id: string, k: number, close: boolean): BatchRequest {
    const r = this.int(100);
    const v10 = this.chance(0.08);
    let method = 'GET';
    let target: string;
    let answer: string;
    let body: Body | null = null;
    if (r < 25) {
      const ms = this.int(16);
      target = `/slow?ms=${ms}`;
      answer = `slept:${ms}`;
      if (this.chance(0.15)) [method, body] = ['POST', this.body(v10)];
    } else if (r < 37) {
      target = '/sink';
      method = this.pick(['POST', 'PUT', 'GET']);
      if (method !== 'GET' || this.chance(0.3)) body = this.body(v10);
      answer = `received:${body?.length ?? 0}`;
    } else if (r < 42 && (close || !v10)) {
      // A stream of unknown length to HTTP/1.0 is close-delimited (no chunked in 1.0): it ends
      // the connection, so only a closing HTTP/1.0 request goes there.
      const kb = this.int(3);
      target = `/big?kb=${kb}`;
      answer = `big:${kb * 1024}`;
    } else if (r < 44) {
      target = '/fail';
      answer = 'status:500';
    } else {
      const path = `/b/${id}/${k}`;
      target = this.chance(0.2) ? `${path}?k=${k}&x=%20` : path;
      method = this.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
      if (method !== 'GET' && method !== 'HEAD' && this.chance(0.7)) body = this.body(v10, id, k);
      answer = `path:${path}`;
    }
    let head = `${method} ${target} HTTP/1.${v10 ? 0 : 1}\r\nHost: a\r\n`;
    if (this.chance(0.2)) head += `X-Pad: ${'p'.repeat(this.int(200))}\r\n`;
    // HTTP/1.0 persists only when asked (RFC 9112 §9.3); HTTP/1.1 closes only when asked.
    if (close) head += v10 ? '' : 'Connection: close\r\n';
    else if (v10 || this.chance(0.1)) head += 'Connection: keep-alive\r\n';
    if (body !== null && !v10 && this.chance(0.05)) head += 'Expect: 100-continue\r\n';
    const text = `${head}${body?.fields ?? ''}\r\n${body?.wire ?? ''}`;
    return { text, method, role: close ? Role.CLOSE : Role.OK, answer };
  }

  /** A body: Content-Length or chunked (HTTP/1.1 only); sometimes a request hidden inside. */
  private body(v10: boolean, id?: string, k?: number): Body {
    let content: string;
    if (id !== undefined && this.chance(0.08))
      content = `GET /smuggled-${id}-h${k} HTTP/1.1\r\nHost: a\r\n\r\n`;
    else {
      const n = this.chance(0.08) ? 1000 + this.int(3000) : this.int(80);
      content = Array.from({ length: n }, () => this.pick([...BODY_CHARS])).join('');
    }
    if (v10 || this.chance(0.5)) {
      return { fields: `Content-Length: ${content.length}\r\n`, wire: content, length: content.length };
    }
    let wire = '';
    for (let at = 0; at < content.length;) {
      const size = Math.min(content.length - at, 1 + this.int(content.length));
      const hex = size.toString(16);
      const ext = this.chance(0.1) ? ';e=1' : '';
      wire += `${this.chance(0.5) ? hex : hex.toUpperCase()}${ext}\r\n${content.slice(at, at + size)}\r\n`;
      at += size;
    }
    wire += this.chance(0.1) ? '0\r\nX-T: 1\r\n\r\n' : '0\r\n\r\n';
    return { fields: 'Transfer-Encoding: chunked\r\n', wire, length: content.length };
  }

  /** A body request cut by the half-close: in its body (usually) or in its head. */
  private cut(id: string, k: number): BatchRequest {
    const path = `/b/${id}/${k}`;
    const target = this.chance(0.7) ? path : '/sink';
    const body = this.body(false);
    const head = `POST ${target} HTTP/1.1\r\nHost: a\r\n${body.fields}\r\n`;
    const full = head + body.wire;
    // Content-Length: 0 has no body to cut in; a chunked body can still be cut before its end.
    const at =
      this.chance(0.2) || full.length === head.length
        ? 1 + this.int(head.length - 1)
        : head.length + this.int(full.length - head.length);
    return { text: full.slice(0, at), method: 'POST', role: Role.CUT, answer: '' };
  }

  private split(): Split {
    const r = this.int(20);
    return r < 6
      ? 'whole'
      : r < 11
        ? 'cuts'
        : r < 14
          ? 'many'
          : r < 16
            ? 'requests'
            : r < 19
              ? 'tiny'
              : 'bytes';
  }
}

/** Builds the input for `spec`: its bytes and its writes (cut as `spec.split` says, from `rnd`). */
export function batchInput(
  id: string,
  spec: BatchSpec,
  fin: boolean,
  endWithLast: boolean,
  rnd: () => number,
): FuzzInput {
  const bytes = Buffer.from(spec.requests.map((r) => r.text).join(''), 'latin1');
  const pieces = splitBatch(spec, bytes.length, rnd);
  const depth = spec.requests.filter((r) => r.role !== Role.AFTER).length;
  const recipe = JSON.stringify({
    batch: spec.end,
    depth,
    limit: spec.limit,
    split: spec.split,
    writes: pieces.length,
    fin,
    endWithLast,
  });
  return { id, bytes, pieces, fin, endWithLast, recipe, batch: spec };
}

/** Write lengths for a batch of `length` bytes. */
function splitBatch(spec: BatchSpec, length: number, rnd: () => number): number[] {
  const int = (n: number): number => Math.floor(rnd() * n);
  const cutsAt = (points: number[]): number[] => {
    const sorted = [...new Set(points.filter((p) => p > 0 && p < length))].sort((a, b) => a - b);
    return [...sorted, length].map((p, i) => p - (i === 0 ? 0 : (sorted[i - 1] as number)));
  };
  // Too long to write byte by byte: tiny segments in a window instead.
  const split =
    length <= 1 ? 'whole' : spec.split === 'bytes' && length > BYTES_WRITE_MAX ? 'tiny' : spec.split;
  switch (split) {
    case 'whole':
      return [length];
    case 'cuts':
      return cutsAt(Array.from({ length: 1 + int(8) }, () => 1 + int(length - 1)));
    case 'many':
      return cutsAt(Array.from({ length: 9 + int(52) }, () => 1 + int(length - 1)));
    case 'requests':
      return spec.requests.map((r) => r.text.length).filter((n) => n > 0);
    case 'bytes':
      return Array.from({ length }, () => 1);
    case 'tiny': {
      const window = Math.min(length, 1 + int(TINY_WINDOW_MAX));
      // Half of the time the window ends at the half-close.
      const from = rnd() < 0.5 ? length - window : int(length - window + 1);
      const points = [from, from + window];
      for (let p = from; p < from + window; p += 1 + int(3)) points.push(p);
      return cutsAt(points);
    }
  }
}

/** How long a batch may take to be answered and closed: slow routes' sleeps on top of the base. */
export function batchDeadlineMs(spec: BatchSpec, baseMs: number): number {
  let sleeps = 0;
  for (const r of spec.requests) if (r.answer.startsWith('slept:')) sleeps += Number(r.answer.slice(6));
  return baseMs + sleeps;
}
