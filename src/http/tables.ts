/**
 * Byte-class lookup tables and interning for the HTTP/1.1 parser (RFC 9110 §5.6.2 token,
 * §5.5 field-value, RFC 3986 §2–§3 for request-targets and hosts).
 *
 * A `Uint8Array(256)` indexed by the byte replaces a RegExp or a chain of comparisons on the hot
 * path. Interning maps the bytes of common methods and header names to shared string constants,
 * so the usual request allocates no string for them and later code can compare with `===`.
 * Must not: do I/O or hold state beyond the constant tables.
 */

import type { Buffer } from 'node:buffer';

/** The bytes the grammar is built from (RFC 9110 §5.6, RFC 9112 §2.2). */
export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
export const EQUALS = 0x3d;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const PERCENT = 0x25;
export const QUESTION = 0x3f;

function table(fill: (byte: number) => number): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = fill(b);
  return t;
}

const isAlpha = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";
const SUB_DELIMS = "!$&'()*+,;=";
const UNRESERVED_SYMBOLS = '-._~';

/** tchar → its lower-case byte (never 0); anything else → 0 (RFC 9110 §5.6.2). */
export const TOKEN_LOWER = table((b) => {
  if (isAlpha(b)) return b | 0x20;
  if (isDigit(b) || TCHAR_SYMBOLS.includes(String.fromCharCode(b))) return b;
  return 0;
});

/** 1 for bytes allowed inside a field value: VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5). */
export const FIELD_VALUE = table((b) => (b === 0x09 || (b >= 0x20 && b !== 0x7f) ? 1 : 0));

/**
 * 1 for bytes allowed in a request-target as sent (RFC 3986 §2–§3): visible ASCII except `#`
 * (a fragment is never sent, RFC 9112 §3.2). Bytes ≥ 0x80 must be percent-encoded. The RFC 3986
 * gen-delims and the "unwise" characters (`"<>\^{|}` and backquote) are tolerated, as llhttp
 * and browsers do, because real clients send them unencoded.
 */
export const TARGET_CHAR = table((b) => (b > 0x20 && b < 0x7f && b !== 0x23 ? 1 : 0));

/** 1 for bytes of a reg-name or IP literal content (unreserved / sub-delims / `%`) (RFC 3986 §3.2.2). */
export const HOST_CHAR = table((b) =>
  isAlpha(b) ||
  isDigit(b) ||
  UNRESERVED_SYMBOLS.includes(String.fromCharCode(b)) ||
  SUB_DELIMS.includes(String.fromCharCode(b)) ||
  b === 0x25
    ? 1
    : 0,
);

/** Hex digit value + 1 (so 0 means "not a hex digit"). */
export const HEX_VALUE = table((b) => {
  if (isDigit(b)) return b - 0x30 + 1;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 11;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 11;
  return 0;
});

/** qdtext and quoted-pair payload inside a quoted-string (RFC 9110 §5.6.4), minus `"` and `\`. */
export const QDTEXT = table((b) =>
  b === 0x09 || (b >= 0x20 && b !== 0x7f && b !== 0x22 && b !== 0x5c) ? 1 : 0,
);

/** Decodes bytes as latin1 without the encoding switch of `toString` (hot path). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);
}

/** The rolling hash the parser computes over (lower-cased, for names) bytes while it scans. */
export function hashStep(hash: number, byte: number): number {
  return (Math.imul(hash, 31) + byte) | 0;
}

const BUCKETS = 256;

/**
 * A fixed set of strings looked up by the bytes that spell them. The caller passes the hash it
 * computed with `hashStep` while scanning, so a lookup is one bucket probe and a byte compare.
 */
export class InternTable {
  private readonly buckets: (readonly string[])[];
  private readonly foldCase: boolean;

  constructor(words: readonly string[], foldCase: boolean) {
    this.foldCase = foldCase;
    const buckets: string[][] = Array.from({ length: BUCKETS }, () => []);
    for (const w of words) {
      let h = 0;
      for (let i = 0; i < w.length; i++) h = hashStep(h, w.charCodeAt(i));
      (buckets[h & (BUCKETS - 1)] as string[]).push(w);
    }
    this.buckets = buckets;
  }

  /** The interned string equal to `buf[start, end)` (case-folded if so built), or undefined. */
  get(buf: Buffer, start: number, end: number, hash: number): string | undefined {
    const bucket = this.buckets[hash & (BUCKETS - 1)] as readonly string[];
    const len = end - start;
    for (let k = 0; k < bucket.length; k++) {
      const w = bucket[k] as string;
      if (w.length === len && (this.foldCase ? sameFolded(buf, start, w) : sameExact(buf, start, w)))
        return w;
    }
    return undefined;
  }
}

function sameFolded(buf: Buffer, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    if (TOKEN_LOWER[buf[start + i] as number] !== word.charCodeAt(i)) return false;
  }
  return true;
}

function sameExact(buf: Buffer, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** Methods of RFC 9110 §9 and RFC 5789 (PATCH). */
export const METHODS = new InternTable(
  ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'],
  false,
);

/**
 * Field names browsers, load balancers and API clients send most. The names the parser acts on
 * (host, content-length, transfer-encoding, connection, expect) must be here: the parser
 * recognises them by identity.
 */
export const HEADER_NAMES = new InternTable(
  [
    'host',
    'content-length',
    'transfer-encoding',
    'connection',
    'expect',
    'accept',
    'accept-encoding',
    'accept-language',
    'authorization',
    'cache-control',
    'content-type',
    'cookie',
    'dnt',
    'forwarded',
    'if-match',
    'if-modified-since',
    'if-none-match',
    'if-range',
    'if-unmodified-since',
    'keep-alive',
    'origin',
    'pragma',
    'priority',
    'range',
    'referer',
    'sec-ch-ua',
    'sec-ch-ua-mobile',
    'sec-ch-ua-platform',
    'sec-fetch-dest',
    'sec-fetch-mode',
    'sec-fetch-site',
    'sec-fetch-user',
    'te',
    'trailer',
    'upgrade',
    'upgrade-insecure-requests',
    'user-agent',
    'via',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-real-ip',
    'x-request-id',
  ],
  true,
);
