/**
 * The fetch adapter: turns a WHATWG fetch application (`{ fetch(request, info) }`, Fetch
 * Standard §5.4–5.5; Hono, itty-router, h3 as they are) into a native Samovar handler. Per
 * request it makes one lazy `Request` and one two-field `info`, calls `app.fetch` as a method,
 * and writes the `Response` it returns. The route label is `fetch` (metrics never label by raw
 * path) unless something before the adapter already set one.
 * Errors stay the engine's: a throw or a rejection from `fetch` is rethrown (one 500, logged once
 * by the engine), and so is a value that is not a Response, with a message that names it.
 * Must not: know the engine's classes (it uses only the handler API in src/server/api.ts), or
 * allocate a closure per request.
 */

import type { Handler, Request as ServerRequest, Response as ServerResponse } from '../server/api.ts';
import { UNMATCHED_ROUTE } from '../server/index.ts';
import { LazyRequest } from './lazy-request.ts';
import { UrlBuilder } from './request-url.ts';
import type { FetchAdapterOptions, FetchApp, FetchInfo } from './types.ts';
import { writeResponse } from './write-response.ts';

/** The bounded route label of every request the adapter serves. */
export const FETCH_ROUTE = 'fetch';

/** A native handler that serves `app` through the fetch API. */
export function fetchHandler(app: FetchApp, options: FetchAdapterOptions = {}): Handler {
  if (typeof (app as Partial<FetchApp> | null)?.fetch !== 'function') {
    throw new TypeError('fetchHandler: the app must have a fetch(request) method');
  }
  const scheme = options.scheme;
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new TypeError(`fetchHandler: scheme must be 'http' or 'https', got ${JSON.stringify(scheme)}`);
  }
  // One builder per scheme (each caches its origins): forced by the option, else the request's own.
  const http = new UrlBuilder(scheme ?? 'http');
  const https = scheme === undefined ? new UrlBuilder('https') : http;
  return (req, res) => serve(app, req.scheme === 'https' ? https : http, req, res);
}

function serve(
  app: FetchApp,
  urls: UrlBuilder,
  req: ServerRequest,
  res: ServerResponse,
): void | Promise<void> {
  if (req.route === UNMATCHED_ROUTE) req.route = FETCH_ROUTE;
  const info: FetchInfo = { remoteAddress: req.remoteAddress, requestId: req.id };
  const result: unknown = app.fetch(new LazyRequest(req, urls), info);
  if (isThenable(result)) return settle(result, req, res);
  return writeResponse(result, req, res);
}

async function settle(pending: PromiseLike<unknown>, req: ServerRequest, res: ServerResponse): Promise<void> {
  return writeResponse(await pending, req, res);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
