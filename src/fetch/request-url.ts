/**
 * `request.url` for the fetch adapter: `${scheme}://${host}${target}` built from what the parser
 * already validated (Host per RFC 9110 §7.2, the target per RFC 9112 §3.2), in the form the WHATWG
 * URL Standard would serialize it (§4.5), so an app that compares or splits it sees what a real
 * `new Request(url)` would give: lower-case host, no default port, no `.`/`..` segments, the
 * characters the URL parser escapes escaped.
 *
 * Two steps keep it cheap (a Hono app reads `url` on every request): the origin of each distinct
 * Host is canonicalized once by `URL` and cached; a target made only of characters the URL
 * serializer leaves alone, with no dot segment, is appended as it is (one table lookup per byte).
 * Anything else — absolute-form, dot segments, quotes, non-ASCII — goes through `URL`.
 * Must not: trust a target or Host the parser has not seen, or grow the cache without bound.
 */

import { HttpError } from '../server/index.ts';

/** Distinct Host values remembered per adapter: a server has a handful; an attacker many. */
const ORIGIN_CACHE_MAX = 256;
/** A DNS name is at most 253 characters; with a port, this. Longer ones are not remembered. */
const CACHED_HOST_MAX_CHARS = 260;
/** What `request.url` names when an HTTP/1.0 request has no Host (RFC 9112 §3.2 makes it optional). */
const NO_HOST = 'localhost';

/**
 * Bytes the URL serializer keeps as they are in both path and query of a special URL: unreserved,
 * sub-delims except `'` (escaped in special queries), `:`, `@`, `/`, `?`, and `%` (kept even when
 * no escape follows). Everything else is left to `URL`.
 */
const KEPT = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,;=:@/?%') {
  KEPT[c.charCodeAt(0)] = 1;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const QUESTION = 0x3f;

/** Builds `request.url` for one adapter (one scheme), caching canonical origins by Host. */
export class UrlBuilder {
  readonly scheme: string;
  private readonly origins = new Map<string, string>();

  constructor(scheme: string) {
    this.scheme = scheme;
  }

  /** The URL of a request with this method, target and authority (`req.host`). */
  build(method: string, target: string, host: string): string {
    if (target.charCodeAt(0) === SLASH) {
      const origin = this.origin(host);
      return isPlainTarget(target) ? origin + target : parse(origin + target);
    }
    if (target === '*') return this.origin(host) + '/*'; // OPTIONS * (RFC 9112 §3.2.4)
    if (method === 'CONNECT') return this.origin(target) + '/'; // authority-form (§3.2.3)
    return parse(target); // absolute-form (§3.2.2)
  }

  /** `scheme://host[:port]` as `URL` serializes it, computed once per distinct Host. */
  private origin(host: string): string {
    const cached = this.origins.get(host);
    if (cached !== undefined) return cached;
    const url = parse(`${this.scheme}://${host === '' ? NO_HOST : host}/`);
    const origin = url.slice(0, -1);
    if (host.length <= CACHED_HOST_MAX_CHARS) {
      if (this.origins.size >= ORIGIN_CACHE_MAX) this.origins.clear();
      this.origins.set(host, origin);
    }
    return origin;
  }
}

/** Whether `URL` would serialize this origin-form target unchanged. */
function isPlainTarget(target: string): boolean {
  let inPath = true;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c > 0x7f || KEPT[c] === 0) return false;
    if (c === QUESTION) inPath = false;
    else if (inPath && c === SLASH && i + 1 < target.length) {
      // A segment that starts with `.` or `%2e` may be a dot segment (URL Standard §4.4).
      const next = target.charCodeAt(i + 1);
      if (next === DOT || (next === PERCENT && target.charCodeAt(i + 2) === 0x32)) return false;
    }
  }
  return true;
}

/** `URL`'s serialization; a target the parser accepted but URL refuses is a client error. */
function parse(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    throw new HttpError(400, 'Bad Request');
  }
}
