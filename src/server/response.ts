/**
 * The response a handler writes: `res.status(201).header('x-a', 'b').send(body)`, `res.json(v)`,
 * `res.stream(iterable)`. It is also the exchange's record in the connection's pipeline queue.
 *
 * Framing is Samovar's, not the handler's (RFC 9112 §6): Content-Length for known bodies,
 * chunked for streams of unknown length on HTTP/1.1, close-delimited on 1.0; no body for HEAD,
 * 1xx, 204 and 304, and no Content-Length on 204 (RFC 9110 §8.6). A header that could split the
 * response throws a TypeError here, at the call (RFC 9110 §5.5).
 * Must not: touch the socket (the connection owns writes and their order), or throw on I/O.
 */

import { Buffer } from 'node:buffer';
import {
  assertHeaderName,
  assertHeaderValue,
  ConnectionField,
  encodeHead,
  joinHeadAndBody,
  LAST_CHUNK_BYTES,
} from '../http/response-head.ts';
import { ANSWERS, type AnswerCode } from '../http/errors.ts';
import { statusForbidsBody } from '../http/status.ts';
import { isHttpError, isRequestAborted } from './http-error.ts';
import { abandonedWhy, Outcome, unsentStatus } from './outcome.ts';
import type { BodyOwner } from './request-body.ts';
import type { BodyInit, Response, StreamOptions, StreamSource } from './api.ts';
import type { ServerRequest } from './request.ts';

/** What a response needs from its connection (implemented by `Connection`). */
export interface ResponseHost {
  readonly dateLine: string;
  /** Whether every answer carries `X-Request-Id` (the server has a request-id source). */
  readonly echoRequestId: boolean;
  decideClose(res: ServerResponse, closeDelimited: boolean): boolean;
  /** `head` is a latin1 string or bytes (with a small body joined in); `body` a large one after it. */
  deliver(res: ServerResponse, head: string | Buffer, body: Uint8Array | null): void;
  turn(res: ServerResponse): Promise<void>;
  writeChunk(prefix: Buffer | null, data: Uint8Array | null, chunked: boolean): boolean;
  drained(): Promise<void>;
  finishStream(res: ServerResponse, tail: Buffer | null): void;
  continueWanted(res: ServerResponse): void;
  bodyDrained(res: ServerResponse): void;
  destroy(): void;
  reportError(res: ServerResponse, error: unknown): void;
}

export const Phase = { OPEN: 0, STARTED: 1, DONE: 2 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1), one state instead of three flags: NONE (nothing to
 * honour: no expectation, HTTP/1.0, no body), EXPECTED (the client waits; the handler has not
 * asked for the body), PENDING (it has, but answers before this one are still being written),
 * SENT (`100 Continue` is out).
 */
export const Continue = { NONE: 0, EXPECTED: 1, PENDING: 2, SENT: 3 } as const;
export type Continue = (typeof Continue)[keyof typeof Continue];

const Flag = { CONTENT_TYPE: 1, DATE: 2, CLOSE: 4 } as const;
const TEXT_TYPE = 'Content-Type: text/plain; charset=utf-8\r\n';
const JSON_TYPE = 'Content-Type: application/json; charset=utf-8\r\n';
const BYTES_TYPE = 'Content-Type: application/octet-stream\r\n';
/** Above this a Buffer body is written after the head (cork, writev) instead of copied into it. */
const JOIN_MAX_BYTES = 16 * 1024;

export class ServerResponse implements Response, BodyOwner {
  readonly req: ServerRequest;
  statusCode = 200;
  phase: Phase = Phase.OPEN;
  /** The connection is gone or the exchange was superseded: further calls are no-ops. */
  aborted = false;
  /** Set by the engine: this exchange's answer must close the connection. */
  forceClose = false;
  /** Decided when the head is encoded: the connection closes after this response. */
  closeAfter = false;
  continueState: Continue = Continue.NONE;
  /** Encoded output waiting for the exchanges before it (pipelining order, RFC 9112 §9.3.2). */
  outHead: string | Buffer | null = null;
  outBody: Uint8Array | null = null;
  turnResolve: (() => void) | null = null;
  /**
   * Body bytes of the answer handed to the socket (after framing is removed; 0 for HEAD, 204,
   * 304, and for an answer that never reached the wire), for metrics and logs.
   */
  bodyBytes = 0;
  /** How the exchange ended (outcome.ts); decided by the engine, read once by the response hook. */
  outcome: Outcome = Outcome.COMPLETED;
  /** The head reached the socket. */
  wrote = false;
  /** The client sent FIN before this answer was complete. */
  peerGone = false;
  private readonly host: ResponseHost;
  private fieldLines = '';
  private flags = 0;
  private explicitLength = -1;
  private reported = false;
  private chunked = false;
  /** The engine answered in the handler's place: the handler's own answer is dropped. */
  private silenced = false;
  /** The source being streamed: closed at once when the client goes away mid-stream. */
  private source: AsyncIterator<unknown> | Iterator<unknown> | null = null;

  constructor(host: ResponseHost, req: ServerRequest) {
    this.host = host;
    this.req = req;
  }

  /** Whether the client holds its body back until `100 Continue`, which has not gone out. */
  get awaitingContinue(): boolean {
    return this.continueState === Continue.EXPECTED || this.continueState === Continue.PENDING;
  }

  /** Whether the status line has been produced (sent or queued in order). */
  get headersSent(): boolean {
    return this.phase !== Phase.OPEN;
  }

  status(code: number): this {
    if (!Number.isInteger(code) || code < 200 || code > 999) {
      throw new RangeError(`final status must be an integer from 200 to 999, got ${code}`);
    }
    this.statusCode = code;
    return this;
  }

  /** Appends a field line; arrays append one line per value (Set-Cookie). */
  header(name: string, value: string | number | readonly string[]): this {
    assertHeaderName(name);
    if (typeof value === 'object') {
      for (const v of value) this.header(name, v);
      return this;
    }
    const text = typeof value === 'number' ? String(value) : value;
    assertHeaderValue(name, text);
    if (this.special(name, text)) this.fieldLines += name + ': ' + text + '\r\n';
    return this;
  }

  /** Sends the whole response; `string` bodies are UTF-8. */
  send(body?: BodyInit): void {
    if (!this.mayStart()) return;
    const status = this.statusCode;
    const bytes = body == null ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const noBody = statusForbidsBody(status);
    if (noBody && bytes > 0)
      throw new TypeError(`a ${status} response cannot have content (RFC 9110 §6.4.1)`);
    if (bytes > 0 && (this.flags & Flag.CONTENT_TYPE) === 0) {
      this.fieldLines += typeof body === 'string' ? TEXT_TYPE : BYTES_TYPE;
    }
    this.phase = Phase.STARTED;
    const close = this.host.decideClose(this, false);
    const length = status === 204 ? -1 : status === 304 ? this.explicitLength : bytes;
    const head = encodeHead(status, this.lines(), this.dateLine(), length, false, this.connection(close));
    const omit = noBody || this.req.method === 'HEAD' || bytes === 0;
    this.bodyBytes = omit ? 0 : bytes;
    if (!omit && typeof body !== 'string' && bytes > JOIN_MAX_BYTES) {
      this.host.deliver(this, head, body as Uint8Array);
    } else {
      this.host.deliver(
        this,
        joinHeadAndBody(head, omit ? null : (body as string | Uint8Array), omit ? 0 : bytes),
        null,
      );
    }
  }

  /** Sends `value` as JSON (`application/json; charset=utf-8` unless a Content-Type was set). */
  json(value: unknown): void {
    if ((this.flags & Flag.CONTENT_TYPE) === 0 && this.phase === Phase.OPEN) {
      this.fieldLines += JSON_TYPE;
      this.flags |= Flag.CONTENT_TYPE;
    }
    this.send(JSON.stringify(value) ?? 'null');
  }

  /**
   * Streams a body from an (async) iterable — a Node Readable is one. Waits for the socket to
   * drain between chunks. Never rejects: a source that fails before its first chunk earns a 500,
   * after it the connection is cut (the framing cannot say "failed"); both are reported once.
   * Content-Length is used when the handler set one, else chunked (1.1) or close-delimited (1.0).
   * With `flushHead` the head leaves as soon as this answer's turn comes, before the first chunk
   * exists (server-sent events); a source that then fails before its first chunk cuts the
   * connection instead of earning a 500.
   */
  async stream(source: StreamSource, options?: StreamOptions): Promise<void> {
    if (!this.mayStart()) {
      // The client left, or the engine answered in the handler's place: the source still learns
      // it will not be read.
      closeIterator(iteratorOf(source));
      return;
    }
    this.phase = Phase.STARTED;
    const it = iteratorOf(source);
    this.source = it;
    const flush = options?.flushHead === true;
    let step: IteratorResult<Uint8Array | string> | null = null;
    if (!flush) {
      try {
        step = await it.next();
      } catch (error) {
        this.phase = Phase.OPEN;
        this.fail(error);
        return;
      }
    }
    await this.host.turn(this);
    if (this.aborted) return closeIterator(it);
    const omit = statusForbidsBody(this.statusCode) || this.req.method === 'HEAD';
    const head = this.streamHead(omit, options?.defaultContentType !== false);
    if (omit) {
      closeIterator(it);
      return this.host.finishStream(this, head);
    }
    if (step !== null) return this.pump(it, step, head);
    this.wrote = true;
    const ok = this.host.writeChunk(head, null, false);
    if (!ok) await this.host.drained();
    const first = await this.nextStep(it);
    if (first !== null) return this.pump(it, first, null);
  }

  /**
   * The source's next step; null when the stream ends early: the client is gone (the source is
   * closed) or the source failed (answered by `fail`).
   */
  private async nextStep(
    it: AsyncIterator<Uint8Array | string> | Iterator<Uint8Array | string>,
  ): Promise<IteratorResult<Uint8Array | string> | null> {
    let step: IteratorResult<Uint8Array | string> | null = null;
    if (!this.aborted) {
      try {
        step = await it.next();
      } catch (error) {
        this.fail(error);
        return null;
      }
    }
    if (!this.aborted) return step;
    closeIterator(it);
    return null;
  }

  /** The engine's answer for a handler that threw or rejected; reports non-HttpErrors once. */
  fail(error: unknown): void {
    if (!this.reported) {
      this.reported = true;
      if (!(isHttpError(error) || isRequestAborted(error))) this.host.reportError(this, error);
    }
    if (this.aborted) return;
    const http = isHttpError(error);
    const gone = !http && isRequestAborted(error);
    if (!http && !gone) this.outcome = Outcome.SERVER_ERROR;
    if (this.phase !== Phase.OPEN) {
      if (this.phase === Phase.STARTED) this.host.destroy();
      return;
    }
    this.fieldLines = '';
    this.flags = 0;
    this.explicitLength = -1;
    // A body the client stopped sending (FIN mid-body) is the client's doing: 400, never 5xx.
    this.statusCode = http ? error.status : gone ? 400 : 500;
    if (gone) this.forceClose = true;
    this.send(http ? error.message + '\n' : gone ? 'Request body incomplete\n' : 'Internal Server Error\n');
  }

  /** Called when the handler's function returned or its promise settled without error. */
  handlerDone(): void {
    if (this.phase === Phase.OPEN && !this.aborted) {
      this.fail(new Error(`handler for ${this.req.method} ${this.req.path} returned without responding`));
    }
  }

  /**
   * An answer produced by the engine itself (protocol error, 408, 417, 429, 503): the status and
   * fixed text of its code in the answer table (http/errors.ts), `fieldLines` (engine-made
   * `Name: value\r\n` lines, e.g. Retry-After) and nothing else.
   */
  answer(code: AnswerCode, close: boolean, fieldLines = ''): void {
    const { status, reason } = ANSWERS[code];
    this.forceClose = close;
    this.fieldLines = fieldLines;
    this.flags = 0;
    this.statusCode = status;
    this.phase = Phase.OPEN;
    this.send(reason + '\n');
    this.silenced = true;
  }

  /**
   * The exchange ends unanswered or half-written (its connection closed for a reason that gives
   * `outcome`): what reached the wire is what is recorded.
   */
  abandoned(outcome: Outcome): void {
    if (this.outcome === Outcome.COMPLETED) this.outcome = this.peerGone ? Outcome.CLIENT_CLOSED : outcome;
    if (!this.wrote) {
      this.statusCode = unsentStatus(this.outcome);
      this.bodyBytes = 0;
    }
    this.req.clientGone(abandonedWhy(this.outcome));
    this.abort();
  }

  /**
   * The client sent FIN before this answer was complete: taken as a hang-up (outcome.ts). Its
   * handler hears it through the signal, and a stream in progress stops (its source is closed);
   * an answer still to come is written if the handler gives one.
   */
  gone(): void {
    this.req.clientGone();
    if (this.source !== null && this.phase === Phase.STARTED) closeIterator(this.source);
  }

  /** The connection is gone (or cut) before this answer was completely written. */
  abort(): void {
    this.aborted = true;
    this.req.clientGone();
    // A source waiting for its next chunk (an event stream between events) hears it now.
    if (this.source !== null && this.phase === Phase.STARTED) closeIterator(this.source);
    const resolve = this.turnResolve;
    if (resolve !== null) {
      this.turnResolve = null;
      resolve();
    }
  }

  bodyWanted(): void {
    this.host.continueWanted(this);
  }

  bodyDrained(): void {
    this.host.bodyDrained(this);
  }

  // ---- internals ----

  private mayStart(): boolean {
    if (this.aborted || this.silenced) return false;
    if (this.phase !== Phase.OPEN) throw new Error('response already sent');
    return true;
  }

  /** Encodes a stream's head and chooses its framing; `omit` when no body follows (HEAD, 204, 304). */
  private streamHead(omit: boolean, defaultType: boolean): Buffer {
    const status = this.statusCode;
    const known = this.explicitLength >= 0 && status !== 204;
    const v10 = this.req.head.versionMinor === 0;
    if (defaultType && (this.flags & Flag.CONTENT_TYPE) === 0 && !statusForbidsBody(status))
      this.fieldLines += BYTES_TYPE;
    const close = this.host.decideClose(this, !omit && !known && v10);
    const chunked = !known && !v10 && !statusForbidsBody(status);
    const length = known ? this.explicitLength : -1;
    const head = encodeHead(status, this.lines(), this.dateLine(), length, chunked, this.connection(close));
    this.chunked = chunked;
    return Buffer.from(head, 'latin1');
  }

  private async pump(
    it: AsyncIterator<Uint8Array | string> | Iterator<Uint8Array | string>,
    first: IteratorResult<Uint8Array | string>,
    head: Buffer | null,
  ): Promise<void> {
    let prefix: Buffer | null = head;
    let sent = 0;
    for (let step = first; !step.done;) {
      const data = typeof step.value === 'string' ? Buffer.from(step.value) : step.value;
      sent += data.byteLength;
      if (this.explicitLength >= 0 && sent > this.explicitLength) {
        closeIterator(it);
        return this.fail(new Error(`streamed body longer than its Content-Length ${this.explicitLength}`));
      }
      if (data.byteLength > 0 || prefix !== null) {
        if (prefix !== null) this.wrote = true;
        const ok = this.host.writeChunk(prefix, data.byteLength > 0 ? data : null, this.chunked);
        prefix = null;
        this.bodyBytes = sent;
        if (!ok) await this.host.drained();
      }
      const next = await this.nextStep(it);
      if (next === null) return;
      step = next;
    }
    if (this.explicitLength >= 0 && sent !== this.explicitLength) {
      return this.fail(new Error(`streamed body shorter than its Content-Length ${this.explicitLength}`));
    }
    this.bodyBytes = sent;
    this.host.finishStream(
      this,
      prefix !== null ? joinBuffers(prefix, this.chunked) : this.chunked ? LAST_CHUNK_BYTES : null,
    );
  }

  /** The handler's field lines, plus the request id when the server echoes it. */
  private lines(): string {
    if (!this.host.echoRequestId) return this.fieldLines;
    // The id is safe to echo: the id source accepts only short ids of token characters.
    return this.fieldLines + 'X-Request-Id: ' + this.req.id + '\r\n';
  }

  private dateLine(): string {
    return (this.flags & Flag.DATE) !== 0 ? '' : this.host.dateLine;
  }

  private connection(close: boolean): ConnectionField {
    if (close) return ConnectionField.CLOSE;
    return this.req.head.versionMinor === 0 ? ConnectionField.KEEP_ALIVE : ConnectionField.NONE;
  }

  /** Handles the fields Samovar owns; returns whether the line should still be appended. */
  private special(name: string, value: string): boolean {
    const n = name.length;
    if (n !== 4 && n !== 10 && n !== 12 && n !== 14 && n !== 17) return true;
    const lower = name.toLowerCase();
    if (lower === 'content-type') this.flags |= Flag.CONTENT_TYPE;
    else if (lower === 'date') this.flags |= Flag.DATE;
    else if (lower === 'content-length') {
      this.explicitLength = parseLength(value);
      return false;
    } else if (lower === 'connection') {
      if (value.toLowerCase().includes('close')) this.flags |= Flag.CLOSE;
      return false;
    } else if (lower === 'transfer-encoding') {
      throw new TypeError('Transfer-Encoding is chosen by Samovar (RFC 9112 §6.1); do not set it');
    }
    return true;
  }

  /** Whether the handler asked to close (`Connection: close`). */
  get wantsClose(): boolean {
    return (this.flags & Flag.CLOSE) !== 0;
  }
}

/** Content-Length set by a handler: 1 to 15 digits (below 2^53), else a TypeError. */
function parseLength(value: string): number {
  let n = 0;
  if (value.length === 0 || value.length > 15)
    throw new TypeError(`Content-Length must be digits, got ${JSON.stringify(value)}`);
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) throw new TypeError(`Content-Length must be digits, got ${JSON.stringify(value)}`);
    n = n * 10 + d;
  }
  return n;
}

function joinBuffers(head: Buffer, chunked: boolean): Buffer {
  return chunked ? Buffer.concat([head, LAST_CHUNK_BYTES]) : head;
}

function iteratorOf(
  source: StreamSource,
): AsyncIterator<Uint8Array | string> | Iterator<Uint8Array | string> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  return source[Symbol.iterator]();
}

/** Lets a source clean up (a Readable is destroyed) when the stream stops early. */
function closeIterator(it: AsyncIterator<unknown> | Iterator<unknown>): void {
  try {
    const r = it.return?.();
    if (r instanceof Promise) r.catch(ignore);
  } catch {
    // The source failed while closing: the stream is already over; nothing to answer.
  }
}

function ignore(): void {}
