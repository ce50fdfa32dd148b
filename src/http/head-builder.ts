/**
 * Builds a `RequestHead` from the pieces the request parser finds: the request line
 * (RFC 9112 §3), each field line (§5), and at the blank line the decisions that depend on all of
 * them — Host (§3.2), message framing (§6.1, §6.3), persistence (§9.3) — plus the head limits.
 *
 * Kept apart from the byte-level state machine so each stays readable; the parser owns the
 * bytes and positions, this owns the meaning. Must not: do I/O or throw on input.
 */

import type { Buffer } from 'node:buffer';
import { ProtocolError, type ProtocolErrorCode } from './errors.ts';
import {
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  addTransferCodings,
  isValidHost,
  parseConnection,
  parseContentLength,
  type CodingState,
} from './fields.ts';
import type { ParserLimits } from './limits.ts';
import { BodyKind, RequestHead, TargetForm } from './request-head.ts';
import {
  CR,
  HEADER_NAMES,
  HEX_VALUE,
  HTAB,
  LF,
  PERCENT,
  QUESTION,
  SP,
  TARGET_CHAR,
  latin1,
} from './tables.ts';

const NO_LENGTH = -1;

export class HeadBuilder {
  head = new RequestHead();
  /** After `scanTarget`: where the scan stopped. */
  scanned = 0;
  /** Size of the buffer that holds a head line cut by a chunk boundary: one more than any limit. */
  readonly lineCapacity: number;

  private readonly limits: ParserLimits;
  private headerBytes = 0;
  private fields = 0;
  private trailerBytes = 0;
  private trailerFields = 0;
  private trailers: string[] = [];
  private hosts = 0;
  /** Where in `head.headers` the first Host value and the Expect value are (-1: none). */
  private hostIndex = -1;
  private expectIndex = -1;
  /**
   * Field strings not decoded yet: `[index in headers, nameStart, nameEnd, valueStart, valueEnd]…`
   * in the first `deferredCount` slots. The array is reused, never truncated: `length = 0` is a
   * runtime call (two a request, ~50 ns in a perf profile of keep-alive hello).
   */
  private readonly deferred: number[] = [];
  private deferredCount = 0;
  private deferring = false;
  private contentLength = NO_LENGTH;
  private transferEncoding = false;
  private readonly codings: CodingState = {
    chunked: 0,
    lastChunked: false,
    other: false,
    malformed: false,
    count: 0,
  };
  private connection = 0;

  constructor(limits: ParserLimits) {
    this.limits = limits;
    this.lineCapacity =
      Math.max(limits.maxRequestLineBytes, limits.maxHeaderBytes, limits.maxTrailerBytes) + 1;
  }

  /** A new request starts. */
  begin(): void {
    this.head = new RequestHead();
    this.headerBytes = 0;
    this.fields = 0;
    this.trailerBytes = 0;
    this.trailerFields = 0;
    this.hosts = 0;
    this.hostIndex = -1;
    this.expectIndex = -1;
    this.deferredCount = 0;
    this.deferring = true;
    this.contentLength = NO_LENGTH;
    this.transferEncoding = false;
    const c = this.codings;
    c.chunked = 0;
    c.lastChunked = false;
    c.other = false;
    c.malformed = false;
    c.count = 0;
    this.connection = 0;
  }

  fieldCount(): number {
    return this.fields;
  }

  /** Limits on a line that is still unfinished (its length so far). */
  checkLine(isRequestLine: boolean, inTrailers: boolean, length: number): ProtocolErrorCode | null {
    if (isRequestLine) return length > this.limits.maxRequestLineBytes ? ProtocolError.URI_TOO_LONG : null;
    if (inTrailers) {
      return this.trailerBytes + length > this.limits.maxTrailerBytes
        ? ProtocolError.TRAILERS_TOO_LARGE
        : null;
    }
    return this.headerBytes + length > this.limits.maxHeaderBytes ? ProtocolError.HEADERS_TOO_LARGE : null;
  }

  /** Limits on a finished line (CRLF included), which then counts toward its section. */
  addLine(isRequestLine: boolean, inTrailers: boolean, length: number): ProtocolErrorCode | null {
    const code = this.checkLine(isRequestLine, inTrailers, length);
    if (isRequestLine) return code;
    if (inTrailers) this.trailerBytes += length;
    else this.headerBytes += length;
    return code;
  }

  /**
   * Scans request-target bytes from `i` (RFC 9112 §3.2). At the SP that ends it, validates
   * percent-escapes and decodes it; `scanned` tells where the scan stopped.
   */
  scanTarget(buf: Buffer, i: number, end: number, start: number): ProtocolErrorCode | null {
    let b = 0;
    while (i < end && TARGET_CHAR[(b = buf[i] as number)] !== 0) i++;
    this.scanned = i;
    if (i === end) return null;
    if (b !== SP)
      return b === CR || b === LF ? ProtocolError.INVALID_REQUEST_LINE : ProtocolError.INVALID_TARGET;
    if (i === start) return ProtocolError.INVALID_REQUEST_LINE;
    let query = -1;
    for (let k = start; k < i; k++) {
      const c = buf[k] as number;
      if (c === PERCENT) {
        if (k + 2 >= i || HEX_VALUE[buf[k + 1] as number] === 0 || HEX_VALUE[buf[k + 2] as number] === 0) {
          return ProtocolError.INVALID_TARGET;
        }
        k += 2;
      } else if (c === QUESTION && query < 0) query = k;
    }
    const head = this.head;
    head.target = latin1(buf, start, i);
    if (query < 0) head.path = head.target;
    else {
      head.path = head.target.slice(0, query - start);
      head.query = head.target.slice(query - start + 1);
    }
    return null;
  }

  /** The version `buf[start, end)` ended the request line (RFC 9112 §2.3), then the target's form. */
  finishRequestLine(buf: Buffer, start: number, end: number): ProtocolErrorCode | null {
    if (
      end - start !== 8 ||
      buf[start] !== 0x48 || // H
      buf[start + 1] !== 0x54 || // T
      buf[start + 2] !== 0x54 || // T
      buf[start + 3] !== 0x50 || // P
      buf[start + 4] !== 0x2f || // /
      !isDigit(buf[start + 5] as number) ||
      buf[start + 6] !== 0x2e || // .
      !isDigit(buf[start + 7] as number)
    ) {
      return ProtocolError.INVALID_VERSION;
    }
    if (buf[start + 5] !== 0x31) return ProtocolError.VERSION_NOT_SUPPORTED;
    // RFC 9110 §2.5: a higher minor version of a major we implement is processed as the highest
    // minor we implement, so HTTP/1.2 is read as HTTP/1.1.
    this.head.versionMinor = buf[start + 7] === 0x30 ? 0 : 1;
    return this.classifyTarget();
  }

  /** RFC 9112 §3.2: which form the target has, and whether the method allows it. */
  private classifyTarget(): ProtocolErrorCode | null {
    const head = this.head;
    const target = head.target;
    if (head.method === 'CONNECT') {
      if (!isValidHost(target, true)) return ProtocolError.INVALID_TARGET;
      head.targetForm = TargetForm.AUTHORITY;
      head.path = target;
      head.query = null;
      return null;
    }
    const first = target.charCodeAt(0);
    if (first === 0x2f) return null; // origin-form, already split
    if (target === '*') {
      if (head.method !== 'OPTIONS') return ProtocolError.INVALID_TARGET;
      head.targetForm = TargetForm.ASTERISK;
      return null;
    }
    return this.parseAbsoluteForm(target);
  }

  /** absolute-form (RFC 9112 §3.2.2): `scheme "://" authority path-abempty [ "?" query ]`. */
  private parseAbsoluteForm(target: string): ProtocolErrorCode | null {
    const head = this.head;
    let i = 0;
    for (; i < target.length; i++) {
      const c = target.charCodeAt(i);
      const alpha = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
      if (!(alpha || (i > 0 && (isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)))) break;
    }
    if (i === 0 || !target.startsWith('://', i)) return ProtocolError.INVALID_TARGET;
    const authorityStart = i + 3;
    let authorityEnd = authorityStart;
    while (authorityEnd < target.length) {
      const c = target.charCodeAt(authorityEnd);
      if (c === 0x2f || c === QUESTION) break;
      authorityEnd++;
    }
    const authority = target.slice(authorityStart, authorityEnd);
    if (authority.length === 0 || !isValidHost(authority, false)) return ProtocolError.INVALID_TARGET;
    const query = target.indexOf('?', authorityEnd);
    const pathEnd = query < 0 ? target.length : query;
    head.targetForm = TargetForm.ABSOLUTE;
    head.host = authority;
    head.path = pathEnd > authorityEnd ? target.slice(authorityEnd, pathEnd) : '/';
    head.query = query < 0 ? null : target.slice(query + 1);
    return null;
  }

  /**
   * One field line: name `buf[nameStart, nameEnd)`, value from `valueStart` to `valueEnd` (the
   * CR), trailing OWS trimmed here (leading OWS the parser skipped).
   */
  addField(
    buf: Buffer,
    nameStart: number,
    nameEnd: number,
    valueStart: number,
    valueEnd: number,
    hash: number,
    inTrailers: boolean,
  ): ProtocolErrorCode | null {
    let end = valueEnd;
    let b = 0;
    while (end > valueStart && ((b = buf[end - 1] as number) === SP || b === HTAB)) end--;
    // Every name the parser acts on is interned, so `known` alone decides the special cases.
    const known = HEADER_NAMES.get(buf, nameStart, nameEnd, hash);
    if (inTrailers) {
      if (++this.trailerFields > this.limits.maxHeaderCount) return ProtocolError.TOO_MANY_HEADERS;
      this.trailers.push(
        known ?? latin1(buf, nameStart, nameEnd).toLowerCase(),
        latin1(buf, valueStart, end),
      );
      return null;
    }
    if (++this.fields > this.limits.maxHeaderCount) return ProtocolError.TOO_MANY_HEADERS;
    const headers = this.head.headers;
    const index = headers.length;
    if (this.deferring) {
      headers.push(known ?? '', '');
      const d = this.deferred;
      const n = this.deferredCount;
      d[n] = index;
      d[n + 1] = nameStart;
      d[n + 2] = nameEnd;
      d[n + 3] = valueStart;
      d[n + 4] = end;
      this.deferredCount = n + 5;
    } else {
      headers.push(known ?? latin1(buf, nameStart, nameEnd).toLowerCase(), latin1(buf, valueStart, end));
    }
    if (known === undefined) return null;
    if (known === 'host') {
      if (this.hosts++ === 0) this.hostIndex = index + 1;
    } else if (known === 'content-length') {
      const n = parseContentLength(buf, valueStart, end);
      if (n < 0 || (this.contentLength !== NO_LENGTH && n !== this.contentLength)) {
        return ProtocolError.INVALID_CONTENT_LENGTH;
      }
      this.contentLength = n;
    } else if (known === 'transfer-encoding') {
      this.transferEncoding = true;
      addTransferCodings(this.codings, buf, valueStart, end);
    } else if (known === 'connection') {
      this.connection |= parseConnection(buf, valueStart, end);
    } else if (known === 'expect') {
      this.expectIndex = index + 1;
    }
    return null;
  }

  /**
   * Decodes the field lines whose strings were deferred, all from `buf`, with one latin1 call
   * for the whole run of lines and a `slice` per name and value: a C++ call per value was a
   * quarter of the parse time of a browser request. Called when the head ends, and when the
   * chunk that holds those lines ends first (from then on this head decodes line by line).
   */
  materialize(buf: Buffer): void {
    this.deferring = false;
    const d = this.deferred;
    const count = this.deferredCount;
    if (count === 0) return;
    this.deferredCount = 0;
    const base = d[1] as number;
    const text = latin1(buf, base, d[count - 1] as number);
    const headers = this.head.headers;
    for (let k = 0; k < count; k += 5) {
      const index = d[k] as number;
      if (headers[index] === '') {
        headers[index] = text.slice((d[k + 1] as number) - base, (d[k + 2] as number) - base).toLowerCase();
      }
      headers[index + 1] = text.slice((d[k + 3] as number) - base, (d[k + 4] as number) - base);
    }
  }

  /** The header section ended: Host, framing and persistence, or the error they earn. */
  finish(): ProtocolErrorCode | null {
    const head = this.head;
    if (this.expectIndex >= 0) head.expect = (head.headers[this.expectIndex] as string).toLowerCase();
    const hostValue = this.hostIndex >= 0 ? (head.headers[this.hostIndex] as string) : '';
    if (this.hosts > 1) return ProtocolError.MULTIPLE_HOST;
    if (this.hosts === 0) {
      if (head.versionMinor === 1) return ProtocolError.MISSING_HOST;
    } else if (!isValidHost(hostValue, false)) {
      return ProtocolError.INVALID_HOST;
    }
    if (head.targetForm !== TargetForm.ABSOLUTE) head.host = hostValue;
    const conn = this.connection;
    // Samovar never tunnels: after a CONNECT the client may already be sending tunnel bytes,
    // which must not be parsed as a next request, so such a connection ends with its answer.
    head.keepAlive =
      (conn & CONNECTION_CLOSE) === 0 &&
      (head.versionMinor === 1 || (conn & CONNECTION_KEEP_ALIVE) !== 0) &&
      head.targetForm !== TargetForm.AUTHORITY;
    if (this.transferEncoding) return this.chooseChunked();
    if (this.contentLength !== NO_LENGTH) {
      head.bodyKind = BodyKind.LENGTH;
      head.contentLength = this.contentLength;
      if (this.contentLength > this.limits.maxBodyBytes) return ProtocolError.BODY_TOO_LARGE;
    }
    return null;
  }

  /** RFC 9112 §6.1 and §6.3 (items 3 and 4) for a request that carries Transfer-Encoding. */
  private chooseChunked(): ProtocolErrorCode | null {
    const c = this.codings;
    // HTTP/1.0 has no transfer codings: its framing cannot be trusted (RFC 9112 §6.1).
    if (this.head.versionMinor === 0) return ProtocolError.INVALID_TRANSFER_ENCODING;
    if (this.contentLength !== NO_LENGTH) return ProtocolError.CONTENT_LENGTH_WITH_TRANSFER_ENCODING;
    if (c.malformed || c.chunked !== 1 || !c.lastChunked) return ProtocolError.INVALID_TRANSFER_ENCODING;
    if (c.other) return ProtocolError.UNSUPPORTED_TRANSFER_CODING;
    this.head.bodyKind = BodyKind.CHUNKED;
    return null;
  }

  /** The trailer fields of the body that just ended (a fresh list for the next one). */
  takeTrailers(): string[] {
    const t = this.trailers;
    this.trailers = [];
    return t;
  }
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}
