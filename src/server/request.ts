/**
 * The request a handler receives: the parsed head (RFC 9112 §3, §5) with friendly accessors,
 * route parameters, and the body stream.
 *
 * Fixed shape and lazy extras: the query is parsed and the header map built only when a handler
 * asks, so a request that reads only `method` and `path` allocates nothing beyond this object.
 * Must not: write to the socket or change the head the parser produced.
 */

import { performance } from 'node:perf_hooks';
import type { RequestHead } from '../http/request-head.ts';
import type { Request, TlsInfo } from './api.ts';
import { RequestAbortedError } from './http-error.ts';
import { EMPTY_BODY, type IncomingBody } from './request-body.ts';

/** Where a request's peer address comes from (its connection), read on first use. */
export interface PeerSource {
  readonly remote: string;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** The route label of a request no route matched (metrics never label by raw path). */
export const UNMATCHED_ROUTE = 'unmatched';

export class ServerRequest implements Request {
  /** Unique within this process; names the request in error reports. */
  readonly id: string;
  /** The method token, case-sensitive (RFC 9110 §9.1). */
  readonly method: string;
  /** The path, not percent-decoded. */
  readonly path: string;
  /** The parser's head: raw target, flattened header list, version, framing. */
  readonly head: RequestHead;
  /** The connection's TLS facts (shared by its requests), or null over plain HTTP. */
  readonly tls: TlsInfo | null;
  /** Whether a plain request's `X-Forwarded-Proto` is believed (`tls.trustForwardedProto`). */
  private readonly forwardedProto: boolean;
  private readonly peer: PeerSource;
  /** Path parameters filled by the router (`/users/:id` → `{ id }`), percent-decoded. */
  params: Readonly<Record<string, string>> = NO_PARAMS;
  /**
   * The route template that matched (`/users/:id`), set by the router or a handler; a metrics
   * label, so it must come from code, never from the request. `unmatched` until set.
   */
  route: string = UNMATCHED_ROUTE;
  /** `performance.now()` when the head was parsed: the start of the request's duration. */
  readonly startedAt: number;
  body: IncomingBody = EMPTY_BODY;
  private searchParams: URLSearchParams | null = null;
  private headerMap: Record<string, string> | null = null;
  /** Built on first read of `signal`, or when the client leaves while someone listens. */
  private abort: AbortController | null = null;
  /** Why the exchange ended before its answer was complete, once it has (whether or not anyone asked). */
  private left: string | null = null;

  constructor(
    head: RequestHead,
    id: string,
    peer: PeerSource,
    tls: TlsInfo | null = null,
    forwardedProto = false,
  ) {
    this.id = id;
    this.method = head.method;
    this.path = head.path;
    this.head = head;
    this.peer = peer;
    this.tls = tls;
    this.forwardedProto = forwardedProto;
    this.startedAt = performance.now();
  }

  /**
   * `https` over TLS. A plain request says `http` unless `X-Forwarded-Proto` is trusted (a proxy
   * in front that terminates TLS and overwrites the field): then its first value decides, when it
   * is `http` or `https`. Untrusted, the field is the client's to forge, so it is never read.
   */
  get scheme(): 'http' | 'https' {
    if (this.tls !== null) return 'https';
    if (!this.forwardedProto) return 'http';
    const value = this.head.get('x-forwarded-proto');
    if (value === undefined) return 'http';
    const comma = value.indexOf(',');
    const first = (comma < 0 ? value : value.slice(0, comma)).trim().toLowerCase();
    return first === 'https' ? 'https' : 'http';
  }

  /**
   * `address:port` of the peer, read from the connection on first use (with the access log on,
   * at the connection's first request). '' when the client reset the connection before anyone
   * asked.
   */
  get remoteAddress(): string {
    return this.peer.remote;
  }

  /** The request-target exactly as sent. */
  get target(): string {
    return this.head.target;
  }

  /** The absolute-form target's authority, else the Host field value (RFC 9112 §3.2.2). */
  get host(): string {
    return this.head.host;
  }

  /** Field lines in order, flattened `[name, value, …]`, names lower-case. */
  get rawHeaders(): readonly string[] {
    return this.head.headers;
  }

  /**
   * Aborts when the client goes away before the answer is completely written. Most handlers
   * never read it, so the controller (about 1 µs) is built only on first use.
   */
  get signal(): AbortSignal {
    if (this.abort === null) {
      this.abort = new AbortController();
      if (this.left !== null) this.abort.abort(new RequestAbortedError(this.left));
    }
    return this.abort.signal;
  }

  /**
   * The engine's call: the client left before the answer was complete. Nothing is built when
   * nobody has read `signal` (most handlers never do): a flag, and the signal is made aborted if
   * it is read later.
   */
  clientGone(why = CLIENT_LEFT): void {
    if (this.left !== null) return;
    this.left = why;
    this.abort?.abort(new RequestAbortedError(why));
  }

  /** `'1.0'` or `'1.1'`. */
  get httpVersion(): '1.0' | '1.1' {
    return this.head.versionMinor === 0 ? '1.0' : '1.1';
  }

  /** The query string after `?`, not decoded, or '' when there is none. */
  get rawQuery(): string {
    return this.head.query ?? '';
  }

  /** The decoded query, parsed on first use. */
  get query(): URLSearchParams {
    if (this.searchParams === null) this.searchParams = new URLSearchParams(this.head.query ?? '');
    return this.searchParams;
  }

  /**
   * Header fields as an object with lower-case names, built on first use. Repeated fields are
   * joined with `, ` (RFC 9110 §5.3), except Set-Cookie, which cannot be; use `getAll` for it.
   */
  get headers(): Readonly<Record<string, string>> {
    if (this.headerMap !== null) return this.headerMap;
    const map: Record<string, string> = Object.create(null) as Record<string, string>;
    const h = this.head.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i] as string;
      const prev = map[name];
      map[name] = prev === undefined ? (h[i + 1] as string) : `${prev}, ${h[i + 1] as string}`;
    }
    this.headerMap = map;
    return map;
  }

  /** The first value of a header field, any case, or `undefined`. */
  get(name: string): string | undefined {
    return this.head.get(lowerAscii(name));
  }

  /** Every value of a header field, any case, in order. */
  getAll(name: string): string[] {
    return this.head.getAll(lowerAscii(name));
  }
}

const CLIENT_LEFT = 'the client went away before the answer was complete';

/** Lower-cases only when needed: handlers usually pass lower-case names already. */
function lowerAscii(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase();
  }
  return name;
}
