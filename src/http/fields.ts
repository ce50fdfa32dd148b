/**
 * Parsers for the few field values that decide framing and routing: Content-Length
 * (RFC 9112 §6.3, RFC 9110 §8.6), Transfer-Encoding (RFC 9112 §6.1), Connection
 * (RFC 9110 §7.6.1) and Host (RFC 9110 §7.2, RFC 3986 §3.2.2).
 *
 * They read bytes in place, never call `Number()`, `parseInt()` or `trim()` (each accepts
 * forms the RFC forbids: signs, hex, exponents, other whitespace), and return plain values.
 * Must not: allocate on the common path, do I/O, or throw on input.
 */

import type { Buffer } from 'node:buffer';
import { COMMA, HEX_VALUE, HOST_CHAR, HTAB, SP, TOKEN_LOWER } from './tables.ts';

/** Returned by `parseContentLength` for a value that is not a list of equal decimal numbers. */
export const INVALID_LENGTH = -1;

/**
 * Content-Length: `1*DIGIT`, or a comma-list of identical values ("42, 42", which RFC 9110
 * §8.6 lets a recipient accept). Overflow past 2^53 - 1 is invalid rather than rounded.
 */
export function parseContentLength(buf: Buffer, start: number, end: number): number {
  let value = INVALID_LENGTH;
  let i = start;
  while (i < end) {
    let b = buf[i] as number;
    while ((b === SP || b === HTAB) && i < end) b = buf[++i] as number;
    let n = 0;
    const digitsStart = i;
    while (i < end && (b = buf[i] as number) >= 0x30 && b <= 0x39) {
      if (n > (Number.MAX_SAFE_INTEGER - (b - 0x30)) / 10) return INVALID_LENGTH;
      n = n * 10 + (b - 0x30);
      i++;
    }
    if (i === digitsStart) return INVALID_LENGTH;
    while (i < end && ((b = buf[i] as number) === SP || b === HTAB)) i++;
    if (i < end && buf[i++] !== COMMA) return INVALID_LENGTH;
    if (i === end && buf[end - 1] === COMMA) return INVALID_LENGTH;
    if (value !== INVALID_LENGTH && value !== n) return INVALID_LENGTH;
    value = n;
  }
  return value;
}

/** Accumulates Transfer-Encoding field lines (a list that may span several lines). */
export interface CodingState {
  /** How many times `chunked` appeared. */
  chunked: number;
  /** Whether the last coding seen so far is `chunked`. */
  lastChunked: boolean;
  /** Whether a coding other than chunked appeared. */
  other: boolean;
  /** Whether the syntax was broken (or chunked carried parameters). */
  malformed: boolean;
  /** How many codings were seen in all. */
  count: number;
}

const CHUNKED = 'chunked';

/**
 * Adds one Transfer-Encoding line: `#transfer-coding`, each `token *( OWS ";" OWS param )`,
 * names compared case-insensitively; empty list elements are skipped (RFC 9110 §5.6.1).
 */
export function addTransferCodings(state: CodingState, buf: Buffer, start: number, end: number): void {
  let i = start;
  while (i < end) {
    let b = buf[i] as number;
    if (b === SP || b === HTAB || b === COMMA) {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < end && TOKEN_LOWER[buf[i] as number] !== 0) i++;
    if (i === nameStart) {
      state.malformed = true;
      return;
    }
    const isChunked = equalsLower(buf, nameStart, i, CHUNKED);
    // Parameters: only syntax-checked loosely; chunked defines none, so any on it is malformed.
    while (i < end && (b = buf[i] as number) !== COMMA) {
      if (isChunked && b !== SP && b !== HTAB) state.malformed = true;
      if (TOKEN_LOWER[b] === 0 && b !== SP && b !== HTAB && b !== 0x3b && b !== 0x3d && b !== 0x22) {
        state.malformed = true;
      }
      i++;
    }
    state.count++;
    if (isChunked) state.chunked++;
    else state.other = true;
    state.lastChunked = isChunked;
  }
}

/** Whether `buf[start, end)` equals the lower-case ASCII `word`, ignoring case. */
export function equalsLower(buf: Buffer, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if (TOKEN_LOWER[buf[start + i] as number] !== word.charCodeAt(i)) return false;
  }
  return true;
}

export const CONNECTION_CLOSE = 1;
export const CONNECTION_KEEP_ALIVE = 2;

/** Connection options: a bit set of CONNECTION_CLOSE / CONNECTION_KEEP_ALIVE found in the list. */
export function parseConnection(buf: Buffer, start: number, end: number): number {
  let flags = 0;
  let i = start;
  while (i < end) {
    const b = buf[i] as number;
    if (b === SP || b === HTAB || b === COMMA) {
      i++;
      continue;
    }
    const s = i;
    while (i < end && TOKEN_LOWER[buf[i] as number] !== 0) i++;
    if (i === s)
      i++; // not a token byte: skip it, the option list is advisory beyond these two
    else if (equalsLower(buf, s, i, 'close')) flags |= CONNECTION_CLOSE;
    else if (equalsLower(buf, s, i, 'keep-alive')) flags |= CONNECTION_KEEP_ALIVE;
  }
  return flags;
}

/**
 * `uri-host [ ":" port ]` (RFC 9110 §7.2 via RFC 3986 §3.2.2): an IP-literal in brackets, or a
 * reg-name / IPv4 of unreserved, sub-delims and valid percent-escapes; a port of up to five
 * digits. Userinfo (`@`) is rejected, as RFC 9110 §4.2.4 asks of recipients. With
 * `requirePort` (CONNECT's authority-form, RFC 9112 §3.2.3) both host and port must be present.
 */
export function isValidHost(s: string, requirePort: boolean): boolean {
  let i = 0;
  const n = s.length;
  if (n > 0 && s.charCodeAt(0) === 0x5b) {
    const close = s.indexOf(']');
    if (close < 2 || !isIpLiteral(s, 1, close)) return false;
    i = close + 1;
  } else {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x3a) break;
      if (c > 0x7f || HOST_CHAR[c] === 0) return false;
      if (c === 0x25 && !(isHex(s, i + 1) && isHex(s, i + 2))) return false;
      i += c === 0x25 ? 3 : 1;
    }
  }
  const hostEnd = i;
  if (i === n) return !requirePort;
  if (s.charCodeAt(i) !== 0x3a) return false;
  const portStart = ++i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  const portLength = n - portStart;
  if (portLength > 5) return false;
  return !requirePort || (hostEnd > 0 && portLength > 0);
}

/**
 * The inside of `[…]` (RFC 3986 §3.2.2): IPvFuture (`v` 1*HEXDIG "." 1*( unreserved / sub-delims
 * / ":" )) or an IPv6 address — hex digits, colons and the dots of an embedded IPv4, with at least
 * two colons. The exact IPv6 grammar is left to whoever resolves the name; this keeps out
 * anything that is not even shaped like one (`[zz]`).
 */
function isIpLiteral(s: string, start: number, end: number): boolean {
  if ((s.charCodeAt(start) | 0x20) === 0x76) {
    const dot = s.indexOf('.', start);
    if (dot < start + 2 || dot >= end - 1) return false;
    for (let i = start + 1; i < dot; i++) if (!isHex(s, i)) return false;
    for (let i = dot + 1; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f || c === 0x25 || (HOST_CHAR[c] === 0 && c !== 0x3a)) return false;
    }
    return true;
  }
  let colons = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3a) colons++;
    else if (c !== 0x2e && !isHex(s, i)) return false;
  }
  return colons >= 2;
}

function isHex(s: string, i: number): boolean {
  return i < s.length && HEX_VALUE[s.charCodeAt(i) & 0xff] !== 0 && s.charCodeAt(i) < 0x80;
}
