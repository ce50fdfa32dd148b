/**
 * A lightweight `Response` (Fetch Standard §5.5) for fetch applications served by Samovar.
 * Hono's `c.text()` / `c.json()`, itty-router and most handlers call the global `Response`
 * constructor for every answer, and undici's costs about 5.9 µs (11 µs with a content-type
 * header), more than Samovar spends on the whole request. `LightResponse` keeps `(body, init)`
 * as given and builds an undici `Response` only when something needs one (the body as a stream,
 * `clone()`, `blob()`, `formData()`); its `headers` are a real `Headers` built on first read. The
 * fetch adapter reads the kept status, headers and body directly and writes them in one write.
 *
 * `installFastResponse()` makes it the global `Response` (the worker calls it once, before it
 * imports a fetch app). Both ways of `instanceof` hold: the native prototype is on the chain, and
 * `Symbol.hasInstance` accepts every native response (a rule learnt from @hono/node-server). The
 * native class is remembered under a registry symbol, so a second copy of this module, or a second
 * install, never mistakes the light class for the native one (srvx keeps it the same way).
 * Kept bodies: strings, bytes (kept by reference, not copied as the standard does) and
 * ReadableStreams; any other body (Blob, FormData, URLSearchParams) builds the real response at once.
 * Must not: build an undici `Response` on the fast path, or accept what the real constructor refuses
 * (status outside 200–599, a body on 204/205/304, a locked stream).
 */

import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { bodyUsedError, decodeText, toArrayBuffer } from './body-bytes.ts';
import { failedStream } from './body-stream.ts';

type BodyInit = NonNullable<ConstructorParameters<typeof Response>[0]>;
type HeadersInit = NonNullable<ConstructorParameters<typeof Headers>[0]>;
type ResponseType = Response['type'];

const NATIVE_KEY = Symbol.for('samovar.fetch.nativeResponse');
const registry = globalThis as unknown as Record<symbol, typeof Response | undefined>;
/** undici's `Response`, whatever the global is now. */
export const NativeResponse: typeof Response = (registry[NATIVE_KEY] ??= globalThis.Response);

/** undici's default for a string body (Fetch Standard §5.2 "extract a body"). */
export const TEXT_CONTENT_TYPE = 'text/plain;charset=UTF-8';
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/** A body the fast path writes itself; `null` for none. */
export type LightBody = string | Uint8Array | ReadableStream<Uint8Array> | null;

/**
 * What the adapter reads without building anything: the kept body, or `undefined` when the
 * response was materialized or its body already read (then the adapter takes the general path).
 */
export let lightBody: (r: LightResponse) => LightBody | undefined;
/** The built `Headers` when someone read `headers`, else `init.headers` as given. */
export let lightHeaders: (r: LightResponse) => Headers | HeadersInit | undefined;
let brand: (value: object) => boolean;

export class LightResponse implements Response {
  #body: LightBody;
  readonly #status: number;
  readonly #statusText: string;
  readonly #init: HeadersInit | undefined;
  #headers: Headers | null = null;
  #used = false;
  #real: Response | null = null;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    const status = init?.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive; got ${status}`);
    }
    this.#status = status;
    this.#statusText = init?.statusText === undefined ? '' : String(init.statusText);
    this.#init = init?.headers;
    this.#body = null;
    if (body == null) return;
    if (status === 204 || status === 205 || status === 304) {
      throw new TypeError(`Response constructor: a ${status} response cannot have a body`);
    }
    const kept = keptBody(body);
    if (kept !== undefined) this.#body = kept;
    else this.#real = new NativeResponse(body, init);
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== LightResponse) return Function.prototype[Symbol.hasInstance].call(this, value);
    return Function.prototype[Symbol.hasInstance].call(NativeResponse, value);
  }

  /** Fetch Standard §5.5 `Response.json()`: JSON text and `application/json` unless one is set. */
  static json(data: unknown, init?: ResponseInit): Response {
    const text = JSON.stringify(data) as string | undefined;
    if (text === undefined) throw new TypeError('Response.json: the value is not JSON serializable');
    let headers: HeadersInit = JSON_HEADERS;
    if (init?.headers !== undefined) {
      const merged = new Headers(init.headers);
      if (!merged.has('content-type')) merged.set('content-type', 'application/json');
      headers = merged;
    }
    return new LightResponse(text, { status: init?.status, statusText: init?.statusText, headers });
  }

  static error(): Response {
    return NativeResponse.error();
  }

  static redirect(url: string | URL, status?: number): Response {
    return NativeResponse.redirect(url, status as Parameters<typeof NativeResponse.redirect>[1]);
  }

  get status(): number {
    return this.#real !== null ? this.#real.status : this.#status;
  }
  get statusText(): string {
    return this.#real !== null ? this.#real.statusText : this.#statusText;
  }
  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }
  get type(): ResponseType {
    return this.#real !== null ? this.#real.type : 'default';
  }
  get url(): string {
    return this.#real !== null ? this.#real.url : '';
  }
  get redirected(): boolean {
    return this.#real !== null ? this.#real.redirected : false;
  }

  get headers(): Headers {
    if (this.#real !== null) return this.#real.headers;
    if (this.#headers === null) {
      const headers = new Headers(this.#init);
      if (typeof this.#body === 'string' && !headers.has('content-type')) {
        headers.set('content-type', TEXT_CONTENT_TYPE);
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#real !== null) return this.#real.body;
    const body = this.#body;
    if (body === null || body instanceof ReadableStream) return body;
    if (this.#used) return failedStream(bodyUsedError());
    return this.#materialize().body;
  }

  get bodyUsed(): boolean {
    if (this.#real !== null) return this.#real.bodyUsed;
    return this.#body instanceof ReadableStream ? disturbed(this.#body) : this.#used;
  }

  text(): Promise<string> {
    const body = this.#take();
    if (body === undefined) return this.#materialize().text();
    if (body instanceof Error) return Promise.reject(body);
    return Promise.resolve(typeof body === 'string' ? body : decodeText(body));
  }

  json(): Promise<unknown> {
    return this.text().then(JSON.parse);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    const body = this.#take();
    if (body === undefined) return this.#materialize().arrayBuffer();
    if (body instanceof Error) return Promise.reject(body);
    return Promise.resolve(typeof body === 'string' ? toArrayBuffer(Buffer.from(body)) : copy(body).buffer);
  }

  bytes(): Promise<Uint8Array> {
    return this.arrayBuffer().then(toBytes);
  }

  blob(): Promise<Blob> {
    if (this.#used && this.#real === null) return Promise.reject(bodyUsedError());
    return this.#materialize().blob();
  }

  formData(): Promise<FormData> {
    if (this.#used && this.#real === null) return Promise.reject(bodyUsedError());
    return this.#materialize().formData();
  }

  clone(): Response {
    if (this.#used) throw bodyUsedError();
    return this.#materialize().clone();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Response (light) ${this.status} ${this.#real !== null ? '(materialized)' : describe(this.#body)}`;
  }

  /** The kept string or bytes, marking the body used; `undefined`: ask the real response. */
  #take(): string | Uint8Array | Error | undefined {
    if (this.#real !== null) return undefined;
    const body = this.#body;
    if (body === null) return '';
    if (body instanceof ReadableStream) return undefined;
    if (this.#used) return bodyUsedError();
    this.#used = true;
    return body;
  }

  #materialize(): Response {
    if (this.#real === null) {
      const headers = this.#headers ?? this.#init;
      this.#real = new NativeResponse(this.#body, {
        status: this.#status,
        statusText: this.#statusText,
        headers,
      });
      this.#body = null;
    }
    return this.#real;
  }

  static {
    Object.setPrototypeOf(LightResponse, NativeResponse);
    Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);
    brand = (value) => #body in value;
    lightBody = (r) => (r.#real !== null || r.#used ? undefined : r.#body);
    lightHeaders = (r) => r.#headers ?? r.#init;
  }
}

/** Whether `value` is a light response (a brand check: subclasses count, look-alikes do not). */
export function isLight(value: unknown): value is LightResponse {
  return typeof value === 'object' && value !== null && brand(value);
}

/** The body as kept, or `undefined` for a kind only the real constructor knows how to read. */
function keptBody(body: BodyInit): LightBody | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ReadableStream) {
    if (body.locked || disturbed(body))
      throw new TypeError('Response body object should not be disturbed or locked');
    return body as ReadableStream<Uint8Array>;
  }
  return undefined;
}

/** Node's `isDisturbed` reads web streams too; its types only name Node streams. */
function disturbed(stream: ReadableStream): boolean {
  return Readable.isDisturbed(stream as unknown as Readable);
}

function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

function toBytes(buffer: ArrayBuffer): Uint8Array {
  return new Uint8Array(buffer);
}

function describe(body: LightBody): string {
  if (body === null) return 'no body';
  if (typeof body === 'string') return `text (${body.length} chars)`;
  return body instanceof Uint8Array ? `bytes (${body.byteLength})` : 'stream';
}

/** What `Response` now is: the light class when installed. */
export function installFastResponse(): void {
  if (globalThis.Response !== (LightResponse as unknown as typeof Response)) {
    globalThis.Response = LightResponse;
  }
}

/** Puts undici's `Response` back (tests; a worker never needs to). */
export function uninstallFastResponse(): void {
  if (globalThis.Response === (LightResponse as unknown as typeof Response))
    globalThis.Response = NativeResponse;
}
