/**
 * The handler API: what a handler may read from a request and call on a response, as small
 * interfaces. The engine's classes (`ServerRequest`, `ServerResponse`, `IncomingBody`) implement
 * them and keep their own members (queue links, framing state, the socket's host) out of sight,
 * so another engine (TLS, HTTP/2) can implement the same interfaces and serve the same handlers.
 * Must not: import the engine's classes, or name anything a handler should not call.
 */

import type { Buffer } from 'node:buffer';

/** A request body: an async iterable of bytes, or collected whole under a size limit. */
export interface RequestBody extends AsyncIterable<Buffer> {
  /** Bytes received so far (decoded, without chunk framing). */
  readonly received: number;
  /** Whether the last byte has arrived (or the body ended some other way). */
  readonly complete: boolean;
  /** The whole body; a 413 `HttpError` beyond `limit` bytes (checked before reading when declared). */
  bytes(limit?: number): Promise<Buffer>;
  /** The whole body decoded as UTF-8. */
  text(limit?: number): Promise<string>;
  /** The whole body parsed as JSON; a 400 `HttpError` when it is not JSON. */
  json(limit?: number): Promise<unknown>;
}

/** The request a handler receives: the parsed head (RFC 9112 §3, §5), route parameters, the body. */
export interface Request {
  /** Unique across the cluster's workers; echoed as `X-Request-Id` and in the access log. */
  readonly id: string;
  /** The method token, case-sensitive (RFC 9110 §9.1). */
  readonly method: string;
  /** The request-target exactly as sent (RFC 9112 §3.2). */
  readonly target: string;
  /** The path, not percent-decoded. */
  readonly path: string;
  /** The query string after `?`, not decoded, or '' when there is none. */
  readonly rawQuery: string;
  /** The decoded query, parsed on first use. */
  readonly query: URLSearchParams;
  /** The authority the request is for (absolute-form target, else `Host`; RFC 9112 §3.2.2). */
  readonly host: string;
  /** `'1.0'` or `'1.1'`. */
  readonly httpVersion: '1.0' | '1.1';
  /** Header fields with lower-case names; repeated fields joined with `, ` (not Set-Cookie). */
  readonly headers: Readonly<Record<string, string>>;
  /** Field lines in order, flattened: `[name0, value0, name1, value1, …]`, names lower-case. */
  readonly rawHeaders: readonly string[];
  /** Address of the peer. */
  readonly remoteAddress: string;
  /**
   * `https` when the request came over TLS, else `http`; with `tls.trustForwardedProto` on, a
   * plain request's `X-Forwarded-Proto` (its first value, `http` or `https`) decides.
   */
  readonly scheme: 'http' | 'https';
  /** The connection's TLS facts, or null for a plain-HTTP connection. */
  readonly tls: TlsInfo | null;
  /** Path parameters filled by the router (`/users/:id` → `{ id }`), percent-decoded. */
  params: Readonly<Record<string, string>>;
  /**
   * The route template that matched (`/users/:id`): a metrics label, so it must come from code,
   * never from the request. `unmatched` until a router or the handler sets it.
   */
  route: string;
  /** `performance.now()` when the head was parsed. */
  readonly startedAt: number;
  readonly body: RequestBody;
  /**
   * Aborts when the client goes away (a reset, a failed write, or a FIN, which cannot be told from
   * a hang-up) before its answer is completely written, and only then (a normal response never
   * aborts it). Built on first use.
   */
  readonly signal: AbortSignal;
  /** The first value of a header field, any case, or `undefined`. */
  get(name: string): string | undefined;
  /** Every value of a header field, any case, in order. */
  getAll(name: string): string[];
}

/** What a request's TLS connection negotiated (read from the socket on first use). */
export interface TlsInfo {
  /** `TLSv1.3` or `TLSv1.2`. */
  readonly protocol: string;
  /** The cipher suite, as OpenSSL names it (`TLS_AES_128_GCM_SHA256`). */
  readonly cipher: string;
  /** The server name the client asked for through SNI (RFC 6066 §3), or '' when it sent none. */
  readonly servername: string;
  /** Whether the handshake resumed a session (a ticket) instead of a full key exchange. */
  readonly resumed: boolean;
  /** The client certificate's subject (`CN=alice, O=Example`) when one was sent and verified; else ''. */
  readonly clientSubject: string;
}

/** What `res.stream()` reads: an (async) iterable of bytes or strings; a Node Readable is one. */
export type StreamSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
/** What `res.send()` takes: a string (UTF-8), bytes, or nothing. */
export type BodyInit = string | Uint8Array | null | undefined;

export interface StreamOptions {
  /**
   * Send the head at once instead of with the first chunk: server-sent events and other
   * long-lived streams need the client to see the status before any data exists.
   */
  readonly flushHead?: boolean;
  /**
   * `false`: no `Content-Type: application/octet-stream` when the handler set none (the Fetch
   * Standard sends no type for a body without one; the fetch adapter streams this way).
   */
  readonly defaultContentType?: boolean;
}

/** The response a handler writes: `res.status(201).header('x-a', 'b').send(body)`. */
export interface Response {
  /** The status that will be (or was) sent; 200 unless set. */
  readonly statusCode: number;
  /** Whether the status line has been produced (sent, or queued behind earlier answers). */
  readonly headersSent: boolean;
  /** Sets the final status, 200 to 999. */
  status(code: number): this;
  /** Appends a field line; an array appends one line per value (Set-Cookie). Throws on CR/LF/NUL. */
  header(name: string, value: string | number | readonly string[]): this;
  /** Sends the whole response in one write, with `Content-Length`. */
  send(body?: BodyInit): void;
  /** Sends `value` as JSON (`application/json; charset=utf-8` unless a Content-Type was set). */
  json(value: unknown): void;
  /**
   * Streams a body, chunked on HTTP/1.1 unless a Content-Length was set, waiting for the socket
   * between chunks. Never rejects; stops (and closes the source) when the client goes away.
   */
  stream(source: StreamSource, options?: StreamOptions): Promise<void>;
}

/** A handler: answers through `res` before it returns or its promise settles. */
export type Handler = (req: Request, res: Response) => void | Promise<void>;
