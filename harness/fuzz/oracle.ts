/**
 * The fuzzer's oracles: what a live server may and may not do with the bytes of one input.
 *
 * 1. No worker exits (checked by the runner on the lifecycle log).
 * 2. The connection gets well-formed answers and a clean close within a deadline
 *    (responses.ts reads the bytes strictly; the runner enforces the deadline).
 * 3. Smuggling. Every input hides a request to `/smuggled-<id>` in its tail. The server may
 *    answer it only when a strict reference framing of the same bytes also sees it as a request
 *    of its own. The reference is llhttp (Node's parser, strict flags, harness/parser/llhttp.ts),
 *    adjusted for exactly the leniencies docs/parser-strictness.md documents ("Samovar accepts,
 *    llhttp rejects": extension methods, HTTP/1.2–1.9, scheme characters, a Content-Length list
 *    of equal values, `chunked,` list syntax, BWS in chunk extensions, framing fields in
 *    trailers): where llhttp stops on one of those, the offending line is rewritten to its
 *    canonical form (`FOO` → `POST`, `HTTP/1.5` → `HTTP/1.1`, `Content-Length: 5, 5` →
 *    `Content-Length: 5` …) and llhttp runs again. No other rewrite exists, so a path the server
 *    handled that llhttp never saw is a finding — a real disagreement about where a message ends.
 *    Requests after an `Upgrade` request are read by a fresh llhttp (Samovar does not upgrade;
 *    RFC 9110 §7.8 lets a server ignore Upgrade, and then the next bytes are the next request).
 *    Legitimate pipelines pass: a mutation that leaves two valid requests makes llhttp see both.
 * 4. Engine consistency. Samovar's own parser is run over the same bytes in process, with the
 *    engine's rules for when a connection stops (an error, `Connection: close`, HTTP/1.0, CONNECT,
 *    a 417 before a body); the paths the server answered (its `X-Fuzz-Path` headers) must be
 *    exactly the paths that simulation handles, in order. A difference is an engine bug (or a
 *    bug in this simulation — the finding says which paths differed).
 * Must not: do I/O.
 */

import { Buffer } from 'node:buffer';
import type { ParserLimits } from '../../src/http/request-parser.ts';
import { Outcome, RequestParser } from '../../src/http/request-parser.ts';
import { BodyKind, type RequestHead } from '../../src/http/request-head.ts';
import { LLHTTP_METHODS, runLlhttp } from '../parser/llhttp.ts';
import { readResponses } from './responses.ts';

// ---- Samovar's view: parser + engine stop rules --------------------------------------------

export interface SimMessage {
  readonly start: number;
  readonly method: string;
  readonly path: string;
  readonly keepAlive: boolean;
  readonly expect: string | null;
  readonly hasBody: boolean;
  complete: boolean;
  /** Where the message ended (-1 until it is complete). */
  end: number;
}

export interface Simulation {
  readonly messages: SimMessage[];
  readonly error: string | null;
  /** Paths whose handler the engine runs to completion, in order (the `X-Fuzz-Path` values). */
  readonly handled: string[];
  /** Methods of the requests that get a final answer, in order (for HEAD framing). */
  readonly answeredMethods: string[];
  /**
   * The client asked to close (`Connection: close`, HTTP/1.0) and still sent bytes after that
   * request, against RFC 9112 §9.6's MUST NOT: the server closes once its answer is written
   * without waiting (connection.ts `beginClose`), so those bytes may meet a closed socket.
   */
  readonly sentAfterClose: boolean;
}

interface Parsed {
  messages: SimMessage[];
  error: string | null;
  /** The method of the head an error answer goes to ('' when the error came before a head). */
  errorMethod: string;
}

function parseAll(bytes: Buffer, limits: ParserLimits): Parsed {
  const p = new RequestParser(limits);
  const messages: SimMessage[] = [];
  let off = 0;
  let start = 0;
  let current: SimMessage | null = null;
  let lastHead: RequestHead | null = null;
  for (let calls = 0; calls < 4 * bytes.length + 16; calls++) {
    const r = p.execute(bytes, off, bytes.length);
    off = p.offset;
    if (r === Outcome.NEED_MORE) break;
    if (r === Outcome.HEAD) {
      const h = p.head as RequestHead;
      lastHead = h;
      current = {
        start,
        method: h.method,
        path: h.path,
        keepAlive: h.keepAlive,
        expect: h.expect,
        hasBody: h.bodyKind !== BodyKind.NONE,
        complete: false,
        end: -1,
      };
      messages.push(current);
    } else if (r === Outcome.END) {
      if (current !== null) {
        current.complete = true;
        current.end = off;
      }
      current = null;
      start = off;
    } else if (r === Outcome.ERROR) {
      // As connection.ts: a head parsed with the error (a framing field) is the one answered.
      const fresh = p.head !== null && p.head !== lastHead ? p.head.method : '';
      return { messages, error: p.error, errorMethod: fresh };
    }
  }
  return { messages, error: null, errorMethod: '' };
}

/** What the engine does with `bytes` followed by the end of input (FIN or a timeout). */
export function simulate(bytes: Buffer, limits: ParserLimits): Simulation {
  const { messages, error, errorMethod } = parseAll(bytes, limits);
  const handled: string[] = [];
  const answeredMethods: string[] = [];
  let stopped = false;
  let sentAfterClose = false;
  for (const m of messages) {
    answeredMethods.push(m.method);
    if (m.expect !== null && m.expect !== '100-continue') {
      // 417 at once; with a body still to come the connection closes after it.
      stopped = m.hasBody || !m.keepAlive;
    } else if (!m.complete) {
      // Its answer is an error (413, 400, 408) or a 500 for the aborted body.
      stopped = true;
    } else {
      handled.push(m.path);
      stopped = !m.keepAlive;
      sentAfterClose = stopped && m.end < bytes.length;
    }
    if (stopped) break;
  }
  // An error outside any parsed message's body earns one answer of its own.
  if (error !== null && !stopped) answeredMethods.push(errorMethod);
  return { messages, error, handled, answeredMethods, sentAfterClose };
}

// ---- the reference: llhttp, with the documented leniencies canonicalised --------------------

export interface Reference {
  /** Paths of the complete requests llhttp saw, in order. */
  readonly paths: string[];
  /** The same before any rewrite: what strict llhttp saw. */
  readonly strictPaths: string[];
  /** The documented rows applied to get there. */
  readonly rewrites: string[];
  /** llhttp's final error code, if it still stopped on one. */
  readonly error: string | null;
}

/** The path of a request-target as Samovar defines it (request-head.ts). */
export function pathOf(target: string): string {
  if (target.startsWith('/')) {
    const q = target.indexOf('?');
    return q < 0 ? target : target.slice(0, q);
  }
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*([^?]*)/.exec(target);
  if (abs !== null) return abs[1] === '' ? '/' : (abs[1] as string);
  return target;
}

interface Frames {
  paths: string[];
  /** Where llhttp stopped, and where the message it stopped in began (its first byte). */
  error: { code: string; at: number; messageStart: number } | null;
}

const completeCount = (bytes: Buffer): number => runLlhttp(bytes).messages.filter((m) => m.complete).length;

/** The offset where llhttp's message number `index` begins in `bytes` (the end of the one before). */
function llhttpMessageStart(bytes: Buffer, index: number): number {
  if (index === 0) return 0;
  let lo = 1;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (completeCount(bytes.subarray(0, mid)) >= index) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * llhttp over `bytes`. Where it stops without a framing verdict, a fresh llhttp goes on at the
 * next message: after a completed Upgrade request (not CONNECT), and after data that follows a
 * message it took as the last (HPE_CLOSED_CONNECTION: both parsers agree where that message
 * ended and only disagree on persistence — the `connection-options` row).
 */
function llhttpFrames(bytes: Buffer, rewrites: string[]): Frames {
  const paths: string[] = [];
  let off = 0;
  for (let round = 0; round < 64; round++) {
    const rest = bytes.subarray(off);
    const run = runLlhttp(rest);
    const complete = run.messages.filter((m) => m.complete);
    for (const m of complete) paths.push(pathOf(m.url));
    if (run.error !== null) {
      const messageStart = off + llhttpMessageStart(rest, complete.length);
      if (run.error.code !== 'HPE_CLOSED_CONNECTION' || messageStart >= bytes.length) {
        return { paths, error: { code: run.error.code, at: off + run.error.bytesParsed, messageStart } };
      }
      rewrites.push('connection-options');
      off = messageStart;
      continue;
    }
    const last = run.messages[run.messages.length - 1];
    const resumable = last?.upgrade === true && last.complete && last.method !== 'CONNECT';
    if (!resumable || off + run.consumed >= bytes.length) break;
    off += run.consumed;
  }
  return { paths, error: null };
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
/** A chunk-size line with RFC 9112 §7.1.1 extensions, BWS allowed around `;` and `=`. */
const CHUNK_LINE_BWS = new RegExp(
  `^[0-9A-Fa-f]+(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*[ \\t]*$`,
);
const REQUEST_LINE = /^([^ ]+) ([^ ]+) (HTTP\/\d\.\d)$/;

interface Line {
  readonly start: number;
  /** Index of the CR of the line's CRLF (or of the LF, or the end of the input). */
  readonly end: number;
  readonly text: string;
}

/** The line containing `at`, not reaching back before `floor`. */
function lineAt(bytes: Buffer, at: number, floor: number): Line {
  let start = Math.max(at, floor);
  while (start > floor && bytes[start - 1] !== 0x0a) start--;
  let end = bytes.indexOf(0x0a, start);
  if (end < 0) end = bytes.length;
  if (end > start && bytes[end - 1] === 0x0d) end--;
  return { start, end, text: bytes.toString('latin1', start, end) };
}

/** The lines between `floor` and `line` that belong to the same section (no empty line between). */
function sectionBefore(bytes: Buffer, line: Line, floor: number): string[] {
  const lines: string[] = [];
  let at = line.start;
  while (at > floor) {
    const prev = lineAt(bytes, at - 1, floor);
    if (prev.text === '' || prev.start >= at) break;
    lines.push(prev.text);
    at = prev.start;
  }
  return lines;
}

function fieldOf(text: string): { name: string; value: string } | null {
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(text);
  return m === null ? null : { name: (m[1] as string).toLowerCase(), value: m[2] as string };
}

/** The numbers of a Content-Length value when it is a list of digit strings, else null. */
function lengths(value: string): bigint[] | null {
  const parts = value.split(',').map((v) => v.trim());
  if (parts.some((v) => !/^\d+$/.test(v))) return null;
  return parts.map((v) => BigInt(v));
}

const allEqual = (ns: bigint[]): boolean => ns.every((n) => n === ns[0]);

interface Fix {
  readonly row: string;
  readonly bytes: Buffer;
}

/** Rewrites `line` (null: drops it with its line end); null when that would change nothing. */
function replaceLine(bytes: Buffer, line: Line, row: string, text: string | null): Fix | null {
  if (text === line.text) return null;
  const middle = text === null ? Buffer.alloc(0) : Buffer.from(text, 'latin1');
  const end = text === null ? line.end + 2 : line.end;
  return { row, bytes: Buffer.concat([bytes.subarray(0, line.start), middle, bytes.subarray(end)]) };
}

/** The request-line rows: extension method, HTTP/1.2–1.9, a scheme with digits or `+-.`. */
function canonicaliseRequestLine(bytes: Buffer, code: string, line: Line): Fix | null {
  const req = REQUEST_LINE.exec(line.text);
  if (req === null) return null;
  const [, method = '', target = '', version = ''] = req;
  if (code === 'HPE_INVALID_METHOD' && new RegExp(`^${TOKEN}$`).test(method) && !LLHTTP_METHODS.has(method))
    return replaceLine(bytes, line, 'extension-method', `POST ${target} ${version}`);
  if (code === 'HPE_INVALID_VERSION' && /^HTTP\/1\.[2-9]$/.test(version))
    return replaceLine(bytes, line, 'http-version', `${method} ${target} HTTP/1.1`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(target)?.[1];
  if (code === 'HPE_INVALID_URL' && scheme !== undefined && /[^A-Za-z]/.test(scheme))
    return replaceLine(
      bytes,
      line,
      'absolute-form-scheme',
      `${method} http${target.slice(scheme.length)} ${version}`,
    );
  return null;
}

/** The field rows: a Content-Length list of equal values, `chunked` with list syntax, framing trailers. */
function canonicaliseField(bytes: Buffer, code: string, line: Line, floor: number): Fix | null {
  const field = fieldOf(line.text);
  if (field === null) return null;
  const section = sectionBefore(bytes, line, floor);
  const inTrailers = /^0+(?:[ \t;].*)?$/.test(section[section.length - 1] ?? '');
  if (inTrailers && (field.name === 'content-length' || field.name === 'transfer-encoding'))
    return replaceLine(bytes, line, 'framing-fields-in-trailers', null);
  if (inTrailers) return null;
  if (field.name === 'content-length' && code.endsWith('CONTENT_LENGTH')) {
    const mine = lengths(field.value);
    if (mine === null || !allEqual(mine)) return null;
    const earlier = section.map(fieldOf).filter((f) => f?.name === 'content-length');
    const before = earlier.map((f) => lengths(f?.value ?? ''));
    if (before.some((ns) => ns === null || ns[0] !== mine[0] || !allEqual(ns))) return null;
    const text = earlier.length > 0 ? null : `Content-Length: ${String(mine[0])}`;
    return replaceLine(bytes, line, 'content-length-list', text);
  }
  if (field.name === 'transfer-encoding' && code === 'HPE_INVALID_TRANSFER_ENCODING') {
    const codings = field.value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (codings.length === 1 && codings[0]?.toLowerCase() === 'chunked')
      return replaceLine(bytes, line, 'transfer-encoding-list-syntax', 'Transfer-Encoding: chunked');
  }
  return null;
}

/** The field lines of the head whose request line starts at `first`, up to its empty line. */
function headLines(bytes: Buffer, first: number): Line[] {
  const lines: Line[] = [];
  let at = bytes.indexOf(0x0a, first) + 1;
  while (at > 0 && at < bytes.length) {
    const line = lineAt(bytes, at, at);
    if (line.text === '') break;
    lines.push(line);
    at = bytes.indexOf(0x0a, at) + 1;
  }
  return lines;
}

/** One documented leniency, canonicalised where llhttp stopped; null when none applies. */
function canonicalise(bytes: Buffer, stop: NonNullable<Frames['error']>): Fix | null {
  let first = stop.messageStart;
  while (bytes[first] === 0x0d || bytes[first] === 0x0a) first++;
  const line = lineAt(bytes, Math.min(stop.at, bytes.length - 1), first);
  if (line.start === first) return canonicaliseRequestLine(bytes, stop.code, line);
  const field = canonicaliseField(bytes, stop.code, line, first);
  if (field !== null) return field;
  // llhttp may report a framing field where the head ends (`chunked<HTAB>`): try each field line.
  if (stop.code === 'HPE_INVALID_TRANSFER_ENCODING' || stop.code.endsWith('CONTENT_LENGTH')) {
    for (const l of headLines(bytes, first)) {
      const fix = canonicaliseField(bytes, stop.code, l, first);
      if (fix !== null) return fix;
    }
  }
  if (CHUNK_LINE_BWS.test(line.text) && /[ \t]/.test(line.text))
    return replaceLine(bytes, line, 'chunk-extension-whitespace', line.text.replace(/[ \t]/g, ''));
  return null;
}

/** The reference framing of `bytes` (see the file comment). */
export function reference(bytes: Buffer): Reference {
  let b = bytes;
  const rewrites: string[] = [];
  const strictPaths = runLlhttp(bytes)
    .messages.filter((m) => m.complete)
    .map((m) => pathOf(m.url));
  for (let round = 0; round < 16; round++) {
    const frames = llhttpFrames(b, rewrites);
    if (frames.error === null) return { paths: frames.paths, strictPaths, rewrites, error: null };
    const fix = canonicalise(b, frames.error);
    if (fix === null) return { paths: frames.paths, strictPaths, rewrites, error: frames.error.code };
    b = fix.bytes;
    rewrites.push(fix.row);
  }
  const paths = llhttpFrames(b, rewrites).paths;
  return { paths, strictPaths, rewrites, error: 'too many rewrites' };
}

// ---- judging one exchange ------------------------------------------------------------------

export const FindingKind = {
  SMUGGLED: 'smuggled',
  ENGINE_MISMATCH: 'engine-mismatch',
  BAD_RESPONSE: 'bad-response',
  HANG: 'hang',
  RESET: 'reset',
  WORKER_EXIT: 'worker-exit',
  /** A pipelined batch's answers are not the ones its requests are owed (batch-oracle.ts). */
  BATCH: 'batch-mismatch',
} as const;
export type FindingKind = (typeof FindingKind)[keyof typeof FindingKind];

export interface Verdict {
  readonly findings: { kind: FindingKind; detail: string }[];
  /**
   * Documented rows the reference needed before it saw a `/smuggled-*` request the server
   * answered (a documented divergence, not a finding); empty when strict llhttp saw it too.
   */
  readonly rewrites: string[];
  /** Paths the server answered with `X-Fuzz-Path`. */
  readonly served: string[];
  /** Paths of the requests the reference framing saw. */
  readonly reference: string[];
}

export interface Exchange {
  readonly bytes: Buffer;
  /** Everything the server sent. */
  readonly received: Buffer;
  /** The connection ended (FIN or reset) before the deadline. */
  readonly closed: boolean;
  /** It ended with a reset (ECONNRESET, or EPIPE when a write met it first). */
  readonly reset: boolean;
}

/** Judges one exchange against oracles 2–4 (the runner adds 1 and the deadline). */
export function judge(x: Exchange, limits: ParserLimits): Verdict {
  const findings: Verdict['findings'] = [];
  const sim = simulate(x.bytes, limits);
  const read = readResponses(x.received, (i) => sim.answeredMethods[i] === 'HEAD');
  // A client that sent past its own close may lose answers to the reset (`sentAfterClose`).
  const cutByReset = x.reset && sim.sentAfterClose;
  if (read.error !== null && !(cutByReset && read.error.startsWith('truncated')))
    findings.push({ kind: FindingKind.BAD_RESPONSE, detail: read.error });
  if (!x.closed) findings.push({ kind: FindingKind.HANG, detail: 'no close before the deadline' });
  const served = read.responses
    .map((r) => r.get('x-fuzz-path'))
    .filter((p): p is string => p !== undefined)
    .map((p) => decodeURIComponent(p));
  // A reset is only a finding when it cost the client part of an answer it was owed.
  if (x.reset && !cutByReset && served.length < sim.handled.length)
    findings.push({ kind: FindingKind.RESET, detail: `reset after ${served.length}/${sim.handled.length}` });
  const ref = reference(x.bytes);
  const smuggled = served.filter((p) => p.startsWith('/smuggled-') && !ref.paths.includes(p));
  if (smuggled.length > 0) {
    const detail = `served ${smuggled.join(' ')}; llhttp saw [${ref.paths.join(' ')}] (stopped: ${ref.error ?? 'no'})`;
    findings.push({ kind: FindingKind.SMUGGLED, detail });
  }
  // Cut by that reset, what was served must still be the beginning of what the engine handles.
  const expected = cutByReset ? sim.handled.slice(0, served.length) : sim.handled;
  if (
    (read.error === null || cutByReset) &&
    (!x.reset || cutByReset) &&
    served.join('\n') !== expected.join('\n')
  ) {
    const detail = `server [${served.join(' ')}] vs Samovar's parser [${sim.handled.join(' ')}]`;
    findings.push({ kind: FindingKind.ENGINE_MISMATCH, detail });
  }
  const needed = served.some((p) => p.startsWith('/smuggled-') && !ref.strictPaths.includes(p));
  return { findings, rewrites: needed ? ref.rewrites : [], served, reference: ref.paths };
}

/** Whether the server handling `path` (seen as a `smuggled-hit` log line) is justified by `bytes`. */
export function hitJustified(bytes: Buffer, path: string): boolean {
  return reference(bytes).paths.includes(path);
}
