/**
 * The WHATWG `Request` a fetch application receives (Fetch Standard §5.4), built lazily from what
 * Samovar's parser already holds. `new Request(url, { headers })` costs about 1.8 µs on Node 24,
 * a fifth of Samovar's whole budget for a keep-alive request, and most apps read only `method`,
 * `url` and a header or two: here `url` is a string made on first read, `headers` a real
 * `Headers` made on first read, and `text()` / `json()` / `arrayBuffer()` / `bytes()` collect the
 * native body directly. `body` is a pull-based ReadableStream over the native body iterator.
 * What cannot be lazy (`formData()`, `blob()`, `clone()`, members added to `Request` later)
 * materializes one real `Request` whose body is that stream, and delegates to it.
 *
 * `instanceof Request` holds because the real `Request.prototype` is on the chain, so every
 * member is defined here: undici's own getters throw on an object they did not construct.
 * Learnt from srvx: walk the native prototype and delegate whatever the class does not define,
 * so a member added to `Request` later still works. From @hono/node-server: answer the
 * client-policy getters (`cache`, `mode`, …) without building a request — here from one template
 * request made at load, since they are the same for every request a server receives.
 * Must not: read the body before the app asks, buffer the body for a streaming reader, or let a
 * body be read twice (a TypeError, as the standard says).
 */

import type { Request as ServerRequest } from '../server/api.ts';
import {
  bodyUsedError,
  decodeText,
  EMPTY_BYTES,
  parseJson,
  toArrayBuffer,
  toUint8Array,
} from './body-bytes.ts';
import { bodyStream, collect, failedStream, type BodyStream } from './body-stream.ts';
import type { UrlBuilder } from './request-url.ts';

const WebRequest = globalThis.Request;
/** A request as a server receives it: the source of the client-policy getters' values. */
const TEMPLATE = new WebRequest('http://localhost/');
/** Fetch Standard §2.2.1: these methods are upper-cased whatever case they came in. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

export class LazyRequest implements Request {
  readonly #req: ServerRequest;
  readonly #urls: UrlBuilder;
  #url: string | null = null;
  #headers: Headers | null = null;
  #stream: BodyStream | null = null;
  /** The body was collected through the fast path (`text()` and friends). */
  #used = false;
  #real: Request | null = null;

  constructor(req: ServerRequest, urls: UrlBuilder) {
    this.#req = req;
    this.#urls = urls;
  }

  get method(): string {
    const method = this.#req.method;
    if (NORMALIZED_METHODS.has(method)) return method;
    const upper = method.toUpperCase();
    return NORMALIZED_METHODS.has(upper) ? upper : method;
  }

  get url(): string {
    if (this.#url === null) this.#url = this.#urls.build(this.#req.method, this.#req.target, this.#req.host);
    return this.#url;
  }

  get headers(): Headers {
    if (this.#headers === null) this.#headers = headersOf(this.#req.rawHeaders);
    return this.#headers;
  }

  /** The native signal: aborts when the client goes away before its answer is complete. */
  get signal(): AbortSignal {
    return this.#req.signal;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#real !== null) return this.#real.body;
    if (!this.#hasBody()) return null;
    if (this.#stream === null) {
      if (this.#used) return failedStream(bodyUsedError());
      this.#stream = bodyStream(this.#req.body);
    }
    return this.#stream.stream;
  }

  get bodyUsed(): boolean {
    if (this.#real !== null) return this.#real.bodyUsed;
    return this.#used || (this.#stream !== null && this.#stream.source.disturbed);
  }

  text(): Promise<string> {
    return this.#real !== null ? this.#real.text() : this.#collect().then(decodeText);
  }

  json(): Promise<unknown> {
    return this.#real !== null ? this.#real.json() : this.#collect().then(parseJson);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#real !== null ? this.#real.arrayBuffer() : this.#collect().then(toArrayBuffer);
  }

  bytes(): Promise<Uint8Array> {
    return this.#real !== null ? this.#real.bytes() : this.#collect().then(toUint8Array);
  }

  async blob(): Promise<Blob> {
    if (this.bodyUsed) throw bodyUsedError();
    return this.#materialize().blob();
  }

  async formData(): Promise<FormData> {
    if (this.bodyUsed) throw bodyUsedError();
    return this.#materialize().formData();
  }

  clone(): Request {
    if (this.bodyUsed) throw bodyUsedError();
    return this.#materialize().clone();
  }

  // Client policy (Fetch Standard §5.4): fixed for every request a server receives.
  get cache(): RequestCache {
    return TEMPLATE.cache;
  }
  get credentials(): RequestCredentials {
    return TEMPLATE.credentials;
  }
  get destination(): RequestDestination {
    return TEMPLATE.destination;
  }
  get integrity(): string {
    return TEMPLATE.integrity;
  }
  get keepalive(): boolean {
    return TEMPLATE.keepalive;
  }
  get mode(): RequestMode {
    return TEMPLATE.mode;
  }
  get redirect(): RequestRedirect {
    return TEMPLATE.redirect;
  }
  get referrer(): string {
    return TEMPLATE.referrer;
  }
  get referrerPolicy(): ReferrerPolicy {
    return TEMPLATE.referrerPolicy;
  }
  get duplex(): RequestDuplex {
    return TEMPLATE.duplex;
  }

  /** Node's `util.inspect`: undici's own would throw on this object. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Request (lazy) ${this.method} ${this.url}`;
  }

  /** The real `Request` for what cannot be lazy; its body is the native body stream. */
  #materialize(): Request {
    if (this.#real !== null) return this.#real;
    const body = this.body;
    this.#real = new WebRequest(this.url, {
      method: this.#req.method,
      headers: this.headers,
      body,
      duplex: 'half',
      signal: this.#req.signal,
    });
    this.#stream = null;
    return this.#real;
  }

  /** The whole body, once: straight from the native body unless the app already took `body`. */
  #collect(): Promise<Uint8Array> {
    if (this.bodyUsed) return Promise.reject(bodyUsedError());
    if (!this.#hasBody()) return Promise.resolve(EMPTY_BYTES);
    if (this.#stream !== null) {
      const stream = this.#stream.stream;
      if (stream.locked) return Promise.reject(new TypeError('Body is unusable: the body stream is locked'));
      return collect(stream);
    }
    this.#used = true;
    return this.#req.body.bytes();
  }

  /** GET and HEAD never have a body (Fetch Standard §5.4 step 34); nor does an empty one. */
  #hasBody(): boolean {
    const method = this.#req.method;
    if (method === 'GET' || method === 'HEAD') return false;
    const body = this.#req.body;
    return !(body.complete && body.received === 0);
  }

  static {
    Object.setPrototypeOf(LazyRequest.prototype, WebRequest.prototype);
    delegateTheRest(LazyRequest.prototype, (request) => request.#materialize());
  }
}

type RequestCache = Request['cache'];
type RequestCredentials = Request['credentials'];
type RequestDestination = Request['destination'];
type RequestMode = Request['mode'];
type RequestRedirect = Request['redirect'];
type ReferrerPolicy = Request['referrerPolicy'];
type RequestDuplex = Request['duplex'];

/** A real `Headers` from the parser's flattened, lower-cased field list (order kept). */
function headersOf(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

/**
 * Members of the native prototype the class does not define (`isReloadNavigation`, whatever a
 * later Node adds): getters answer from the template, methods from the materialized request.
 */
function delegateTheRest(proto: LazyRequest, materialize: (request: LazyRequest) => Request): void {
  for (const key of Object.getOwnPropertyNames(WebRequest.prototype)) {
    if (key === 'constructor' || Object.hasOwn(proto, key)) continue;
    const native = Object.getOwnPropertyDescriptor(WebRequest.prototype, key);
    if (native?.get !== undefined) {
      const value: unknown = Reflect.get(TEMPLATE, key);
      Object.defineProperty(proto, key, { get: () => value, configurable: true });
    } else if (typeof native?.value === 'function') {
      const method = native.value as (...args: unknown[]) => unknown;
      Object.defineProperty(proto, key, {
        value(this: LazyRequest, ...args: unknown[]): unknown {
          return Reflect.apply(method, materialize(this), args);
        },
        configurable: true,
        writable: true,
      });
    }
  }
}
