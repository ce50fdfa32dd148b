/**
 * The fetch adapter's public types: what a `{ fetch }` application is, what it is handed beside
 * the request, and how the adapter is configured. The WHATWG `Request` and `Response` in these
 * signatures are the global ones (Fetch Standard §5.4, §5.5).
 * Must not: hold values or logic (types only, so importing them costs nothing).
 */

/**
 * What a fetch application receives as its second argument (Hono exposes it as `c.env`). One
 * small object per request, always with these two fields and nothing else.
 */
export interface FetchInfo {
  /** The peer as the engine names it, `address:port` (the socket's, never X-Forwarded-For). */
  readonly remoteAddress: string;
  /** Samovar's id for this request: the `X-Request-Id` echoed and the access log's id. */
  readonly requestId: string;
}

/**
 * A WHATWG fetch application: Hono, itty-router and h3 apps, and Bun/Deno style
 * `{ fetch(request) }` modules, as they are. `fetch` is called as a method, so `this` holds.
 */
export interface FetchApp {
  fetch(request: Request, info: FetchInfo, ctx?: unknown): Response | Promise<Response>;
}

export interface FetchAdapterOptions {
  /**
   * The scheme `request.url` is built with (`${scheme}://${host}${target}`), for every request.
   * Default: each request's own (`req.scheme`): `https` when it came over Samovar's TLS, or
   * through a proxy whose `X-Forwarded-Proto` is trusted (`tls.trustForwardedProto`), else `http`.
   */
  readonly scheme?: 'http' | 'https';
}
