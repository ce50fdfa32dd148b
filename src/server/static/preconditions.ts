/**
 * Conditional requests (RFC 9110 §13): entity-tag lists, strong and weak comparison (§8.8.3.2),
 * and the evaluation order of §13.2.2 —
 *   1. If-Match (strong) fails → 412;
 *   2. else If-Unmodified-Since, when If-Match is absent, fails → 412;
 *   3. If-None-Match (weak) matches → 304 for GET/HEAD, else 412;
 *   4. else If-Modified-Since, only when If-None-Match is absent, GET/HEAD, not modified → 304;
 *   5. then If-Range decides whether Range applies (§13.1.5) — `ifRangeAllows`.
 * Must not: touch the file system or write a response; it answers with a status only.
 */

import { parseHttpDate } from './http-date.ts';

/** The validators of the selected representation. */
export interface Validators {
  /** Strong entity-tag, quotes included: `"1a-5f3c…"`. */
  readonly etag: string;
  /** Last-Modified in whole seconds since the epoch. */
  readonly modifiedSec: number;
}

/** What the request's header fields look like to this module. */
export interface ConditionalHeaders {
  getAll(name: string): string[];
}

export const Outcome = { PROCEED: 200, NOT_MODIFIED: 304, FAILED: 412 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** §13.2.2 steps 1–4 for a GET or HEAD on a representation that exists. */
export function evaluatePreconditions(req: ConditionalHeaders, v: Validators): Outcome {
  const ifMatch = joined(req, 'if-match');
  if (ifMatch !== undefined) {
    if (!listMatches(ifMatch, v.etag, true)) return Outcome.FAILED;
  } else {
    const since = single(req, 'if-unmodified-since');
    const date = since === undefined ? null : parseHttpDate(since);
    if (date !== null && v.modifiedSec > date) return Outcome.FAILED;
  }
  const ifNoneMatch = joined(req, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    return listMatches(ifNoneMatch, v.etag, false) ? Outcome.NOT_MODIFIED : Outcome.PROCEED;
  }
  const since = single(req, 'if-modified-since');
  const date = since === undefined ? null : parseHttpDate(since);
  if (date !== null && v.modifiedSec <= date) return Outcome.NOT_MODIFIED;
  return Outcome.PROCEED;
}

/**
 * §13.1.5: whether a Range may be honoured. An entity-tag must match strongly (a weak one never
 * does); a date must equal Last-Modified exactly, and that Last-Modified must itself be strong —
 * at least one second older than now (§8.8.2.2), or a second write could share it.
 */
export function ifRangeAllows(value: string | undefined, v: Validators, nowMs: number): boolean {
  if (value === undefined) return true;
  const text = value.trim();
  if (text.startsWith('"') || text.startsWith('W/')) return strongEqual(text, v.etag);
  const date = parseHttpDate(text, nowMs);
  return date !== null && date === v.modifiedSec && v.modifiedSec + 1 <= Math.floor(nowMs / 1000);
}

/** `*` or a comma-separated list of entity-tags (repeated fields joined, RFC 9110 §5.3). */
export function listMatches(list: string, etag: string, strong: boolean): boolean {
  if (list.trim() === '*') return true;
  let i = 0;
  const n = list.length;
  while (i < n) {
    const c = list.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2c) {
      i++;
      continue;
    }
    const weak = c === 0x57 && list.charCodeAt(i + 1) === 0x2f; // "W/"
    const open = weak ? i + 2 : i;
    if (list.charCodeAt(open) !== 0x22) return false; // not an entity-tag: the list is invalid
    const close = list.indexOf('"', open + 1);
    if (close < 0) return false;
    if ((!strong || !weak) && opaqueEquals(list, open, close + 1, etag)) return true;
    i = close + 1;
  }
  return false;
}

function strongEqual(tag: string, etag: string): boolean {
  return tag === etag;
}

/** Compares `list[start, end)` (an opaque-tag with quotes) with `etag`, ignoring W/ on either. */
function opaqueEquals(list: string, start: number, end: number, etag: string): boolean {
  const bare = etag.startsWith('W/') ? etag.slice(2) : etag;
  return end - start === bare.length && list.startsWith(bare, start);
}

function joined(req: ConditionalHeaders, name: string): string | undefined {
  const all = req.getAll(name);
  return all.length === 0 ? undefined : all.join(',');
}

/** A date field sent more than once is invalid, so it is ignored (§13.1.3). */
function single(req: ConditionalHeaders, name: string): string | undefined {
  const all = req.getAll(name);
  return all.length === 1 ? all[0] : undefined;
}
