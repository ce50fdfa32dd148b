/**
 * The fuzzer's strict reader of what a server sent on one connection (RFC 9112 §4, §5, §6):
 * status lines, field lines, framing, and nothing else. Every response must be exactly one of:
 * no content (1xx, 204, 304, an answer to HEAD), Content-Length, chunked, or — only when it says
 * `Connection: close` and the bytes end there — close-delimited. Final responses carry Date
 * (RFC 9110 §6.6.1). A response that says `Connection: close` must be the last; bytes after it,
 * a truncated response, or any malformed line make the read fail with a reason.
 * Must not: be lenient; it is an oracle, not a client.
 */

import { Buffer } from 'node:buffer';

export interface WireResponse {
  readonly status: number;
  readonly fields: readonly (readonly [string, string])[];
  readonly body: Buffer;
  get(name: string): string | undefined;
}

export interface WireRead {
  readonly responses: WireResponse[];
  /** Why the bytes are not a clean sequence of responses, or null. */
  readonly error: string | null;
}

const STATUS_LINE = /^HTTP\/1\.1 ([1-9]\d\d) [\t\x20-\x7e\x80-\xff]*$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

interface Head {
  status: number;
  fields: [string, string][];
  bodyStart: number;
}

function readHead(data: Buffer, at: number): Head | string | null {
  const end = data.indexOf('\r\n\r\n', at, 'latin1');
  if (end < 0) return null;
  const lines = data.toString('latin1', at, end).split('\r\n');
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (m === null) return `bad status line ${JSON.stringify(lines[0]?.slice(0, 80))}`;
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0));
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value) || /[\r\n]/.test(line)) {
      return `bad field line ${JSON.stringify(line.slice(0, 80))}`;
    }
    fields.push([name.toLowerCase(), value]);
  }
  return { status: Number(m[1]), fields, bodyStart: end + 4 };
}

/** The body end of a chunked body starting at `at`, or null when incomplete, or a reason. */
function chunkedEnd(data: Buffer, at: number, parts: Buffer[]): number | string | null {
  let p = at;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', p, 'latin1');
    if (lineEnd < 0) return null;
    const sizeText = data.toString('latin1', p, lineEnd);
    if (!/^[0-9a-f]{1,8}$/i.test(sizeText))
      return `bad chunk size line ${JSON.stringify(sizeText.slice(0, 40))}`;
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      if (data.length < lineEnd + 4) return null;
      if (data.toString('latin1', lineEnd + 2, lineEnd + 4) !== '\r\n') return 'trailers in a response';
      return lineEnd + 4;
    }
    if (data.length < lineEnd + 2 + size + 2) return null;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    if (data.toString('latin1', lineEnd + 2 + size, lineEnd + 4 + size) !== '\r\n')
      return 'chunk without CRLF';
    p = lineEnd + 4 + size;
  }
}

/**
 * Reads every response in `data` (all the bytes of one connection, which has closed).
 * `isHead(i)` says whether the i-th final response answers a HEAD request (it has no content).
 */
export function readResponses(data: Buffer, isHead: (finalIndex: number) => boolean): WireRead {
  const responses: WireResponse[] = [];
  let at = 0;
  let finals = 0;
  const fail = (error: string): WireRead => ({ responses, error });
  while (at < data.length) {
    const head = readHead(data, at);
    if (head === null) return fail(`truncated head after ${responses.length} responses`);
    if (typeof head === 'string') return fail(head);
    const { status, fields } = head;
    const all = (name: string): string[] => fields.filter(([n]) => n === name).map(([, v]) => v);
    const get = (name: string): string | undefined => all(name)[0];
    const cl = all('content-length');
    const te = all('transfer-encoding');
    const close = (get('connection') ?? '').toLowerCase() === 'close';
    if (cl.length > 1 || te.length > 1 || (cl.length > 0 && te.length > 0))
      return fail('conflicting framing fields');
    if (status >= 200 && get('date') === undefined) return fail(`final response ${status} without Date`);
    let end: number;
    let body: Buffer = Buffer.alloc(0);
    const noContent = status < 200 || status === 204 || status === 304 || isHead(finals);
    if ((status < 200 || status === 204) && (cl.length > 0 || te.length > 0))
      return fail(`${status} with framing`);
    if (noContent) end = head.bodyStart;
    else if (te.length === 1) {
      if (te[0] !== 'chunked') return fail(`Transfer-Encoding ${te[0]}`);
      const parts: Buffer[] = [];
      const e = chunkedEnd(data, head.bodyStart, parts);
      if (e === null) return fail('truncated chunked body');
      if (typeof e === 'string') return fail(e);
      end = e;
      body = Buffer.concat(parts);
    } else if (cl.length === 1) {
      if (!/^\d{1,15}$/.test(cl[0] as string)) return fail(`bad Content-Length ${cl[0]}`);
      end = head.bodyStart + Number(cl[0]);
      if (end > data.length) return fail('truncated body');
      body = data.subarray(head.bodyStart, end);
    } else {
      if (!close) return fail(`status ${status} has no framing and does not close`);
      end = data.length;
      body = data.subarray(head.bodyStart);
    }
    responses.push({ status, fields, body, get });
    if (status >= 200) finals++;
    at = end;
    if (close && status >= 200 && at < data.length) return fail('bytes after a Connection: close response');
  }
  return { responses, error: null };
}
