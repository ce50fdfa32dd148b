/**
 * A thin wrapper over Node's own llhttp binding (`require('_http_common').HTTPParser`, the parser
 * `node:http` uses), initialised for requests with no lenient flags, collecting what it parses.
 * Used as the oracle of the differential test and as a contender in load/parser-bench.ts.
 *
 * What this is not: `node:http`. The server adds checks after llhttp (it answers 400 to an
 * HTTP/1.1 request without Host when `requireHostHeader` is on, the default), and those are not
 * applied here; the differential test compares against llhttp itself.
 * Must not: be imported by anything under src/.
 */

import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The surface of the native binding this file uses. */
export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(data: Buffer): number | NativeError;
  finish(): number | NativeError | undefined;
  close(): void;
  free(): void;
  [callback: number]: unknown;
}

export interface NativeError extends Error {
  readonly code: string;
  readonly reason: string;
  readonly bytesParsed: number;
}

export interface NativeParserClass {
  new (): NativeParser;
  readonly REQUEST: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
  readonly kLenientNone: number;
}

const common = require('_http_common') as { HTTPParser: NativeParserClass; methods: string[] };
export const HTTPParser: NativeParserClass = common.HTTPParser;

/** llhttp's header-section cap as node:http sets it by default (`--max-http-header-size`). */
export const LLHTTP_MAX_HEADER_SIZE = 16 * 1024;

const isError = (r: unknown): r is NativeError => r instanceof Error;

/** Method numbers → names, learnt from the binding itself (llhttp's enum has gaps). */
const METHOD_NAMES: ReadonlyMap<number, string> = (() => {
  const names = new Map<number, string>();
  for (const m of common.methods) {
    const p = new HTTPParser();
    p[HTTPParser.kOnHeadersComplete] = (_a: number, _b: number, _h: unknown, method: number): number => {
      names.set(method, m);
      return 0;
    };
    p.initialize(HTTPParser.REQUEST, {}, 0, HTTPParser.kLenientNone);
    p.execute(Buffer.from(`${m} / HTTP/1.1\r\n\r\n`, 'latin1'));
    p.close();
  }
  return names;
})();

/** The methods llhttp accepts in a request (any other token is HPE_INVALID_METHOD). */
export const LLHTTP_METHODS: ReadonlySet<string> = new Set(METHOD_NAMES.values());

export interface LlhttpMessage {
  readonly method: string;
  readonly url: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Raw `[name, value, …]` as llhttp reports them (names not lower-cased). */
  readonly headers: string[];
  body: string;
  trailers: string[];
  readonly keepAlive: boolean;
  /** CONNECT or `Upgrade`: llhttp stops parsing after this head; the rest is another protocol. */
  readonly upgrade: boolean;
  complete: boolean;
}

export interface LlhttpRun {
  readonly messages: LlhttpMessage[];
  readonly error: { readonly code: string; readonly reason: string; readonly bytesParsed: number } | null;
  /** Bytes llhttp consumed (all of them unless it stopped for an upgrade or an error). */
  readonly consumed: number;
}

/**
 * Parses `input` (one buffer, or several fed in order) with a fresh llhttp request parser and
 * returns every message it saw, plus its error if any.
 */
export function runLlhttp(
  input: Buffer | readonly Buffer[],
  maxHeaderSize = LLHTTP_MAX_HEADER_SIZE,
): LlhttpRun {
  const p = new HTTPParser();
  const messages: LlhttpMessage[] = [];
  let current: LlhttpMessage | null = null;
  // node:http's binding flushes headers early (kOnHeaders) when there are many or a read ends
  // mid-head; kOnHeadersComplete then gets `undefined` and the flushed parts must be joined.
  let pendingHeaders: string[] = [];
  let pendingUrl = '';
  p[HTTPParser.kOnHeaders] = (headers: string[], url: string): void => {
    if (current !== null && !current.complete) current.trailers.push(...headers);
    else {
      pendingHeaders.push(...headers);
      pendingUrl += url;
    }
  };
  p[HTTPParser.kOnHeadersComplete] = (
    versionMajor: number,
    versionMinor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: unknown,
    _message: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ): number => {
    current = {
      method: METHOD_NAMES.get(method) ?? `#${method}`,
      url: url ?? pendingUrl,
      versionMajor,
      versionMinor,
      headers: headers ?? pendingHeaders,
      body: '',
      trailers: [],
      keepAlive,
      upgrade,
      complete: false,
    };
    pendingHeaders = [];
    pendingUrl = '';
    messages.push(current);
    return 0; // 0: parse the body as framed (1 would skip it, 2 means upgrade)
  };
  p[HTTPParser.kOnBody] = (chunk: Buffer): void => {
    if (current !== null) current.body += chunk.toString('latin1');
  };
  p[HTTPParser.kOnMessageComplete] = (): void => {
    if (current !== null) current.complete = true;
    current = null;
  };
  p.initialize(HTTPParser.REQUEST, {}, maxHeaderSize, HTTPParser.kLenientNone);
  let consumed = 0;
  let error: LlhttpRun['error'] = null;
  try {
    for (const chunk of Buffer.isBuffer(input) ? [input] : input) {
      const r = p.execute(chunk);
      if (isError(r)) {
        error = { code: r.code, reason: r.reason, bytesParsed: consumed + r.bytesParsed };
        break;
      }
      consumed += r;
      // After CONNECT or an Upgrade, llhttp pauses and leaves the rest unread.
      if (r < chunk.length) break;
    }
  } finally {
    p.close();
  }
  return { messages, error, consumed };
}
