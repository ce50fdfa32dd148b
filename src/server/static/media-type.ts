/**
 * Content-Type and compressibility of a file, from its extension, by the maintained tables of
 * jshttp: `mime-types` for the type (RFC 9110 §8.3), `mime-db` for whether compressing it pays.
 * Text types (`text/*`, JSON, JavaScript… — whatever mime-db gives a UTF-8 charset) are sent with
 * `charset=utf-8`; an unknown extension is `application/octet-stream` (RFC 9110 §8.3: a sender
 * that does not know the type may send none, but browsers would then sniff).
 * Results are memoised per extension: the tables are large and the set of extensions small.
 * Must not: look at file contents (no sniffing).
 */

import { extname } from 'node:path';
import mimeDb from 'mime-db';
import { charset, lookup } from 'mime-types';

export interface MediaType {
  /** The Content-Type field value. */
  readonly contentType: string;
  /** Worth compressing: text-like, not already compressed (PNG, WOFF2, ZIP…). */
  readonly compressible: boolean;
}

const UNKNOWN: MediaType = Object.freeze({ contentType: 'application/octet-stream', compressible: false });
const MAX_MEMO = 1024;
const memo = new Map<string, MediaType>();

export function mediaTypeOf(fileName: string): MediaType {
  const ext = extname(fileName).toLowerCase();
  let found = memo.get(ext);
  if (found === undefined) {
    found = computeMediaType(ext);
    // Extensions come from request paths; the memo must not grow with an attacker's inventions.
    if (memo.size < MAX_MEMO) memo.set(ext, found);
  }
  return found;
}

function computeMediaType(ext: string): MediaType {
  const type = ext === '' ? false : lookup(ext);
  if (type === false) return UNKNOWN;
  const text = charset(type) !== false;
  return {
    contentType: text ? `${type}; charset=utf-8` : type,
    compressible: mimeDb[type]?.compressible ?? (text || /\+(?:json|xml)$/.test(type)),
  };
}
