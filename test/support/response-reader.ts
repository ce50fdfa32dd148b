/**
 * Test helper: splits the bytes a server sent into responses (RFC 9112 §6.3 message length):
 * no body for 1xx/204/304 and answers to HEAD, else Content-Length, else chunked, else
 * everything until the connection closed. Strict: malformed framing throws, so a framing bug in
 * the server fails the test that reads it.
 */

import { Buffer } from 'node:buffer';

export interface ParsedResponse {
  status: number;
  statusLine: string;
  /** Field lines as sent, names as sent. */
  fields: [string, string][];
  /** First value of a field, any case. */
  get(name: string): string | undefined;
  body: Buffer;
  /** The exact bytes of this response, head and body. */
  raw: string;
  chunked: boolean;
}

export function splitResponses(
  data: Buffer,
  options: { head?: boolean[]; final?: boolean } = {},
): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  let finalIndex = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at, 'latin1');
    if (headEnd < 0) break;
    const lines = data.toString('latin1', at, headEnd).split('\r\n');
    const statusLine = lines[0] as string;
    const status = Number(statusLine.slice(9, 12));
    if (!/^HTTP\/1\.1 \d{3} /.test(statusLine))
      throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const fields = lines.slice(1).map((l): [string, string] => {
      const c = l.indexOf(':');
      if (c <= 0) throw new Error(`bad field line ${JSON.stringify(l)}`);
      return [l.slice(0, c), l.slice(c + 1).trim()];
    });
    const get = (name: string): string | undefined =>
      fields.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
    const isHead = status >= 200 && (options.head?.[finalIndex] ?? false);
    let bodyStart = headEnd + 4;
    let body: Buffer = Buffer.alloc(0);
    let end = bodyStart;
    const te = get('transfer-encoding');
    const cl = get('content-length');
    if (status < 200 || status === 204 || status === 304 || isHead) {
      end = bodyStart;
    } else if (te !== undefined) {
      if (te !== 'chunked') throw new Error(`unexpected Transfer-Encoding ${te}`);
      const parts: Buffer[] = [];
      let p = bodyStart;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', p, 'latin1');
        if (lineEnd < 0) return out;
        const size = parseInt(data.toString('latin1', p, lineEnd), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        if (size === 0) {
          if (data.length < lineEnd + 4) return out;
          if (data.toString('latin1', lineEnd + 2, lineEnd + 4) !== '\r\n')
            throw new Error('trailers not expected');
          end = lineEnd + 4;
          break;
        }
        if (data.length < lineEnd + 2 + size + 2) return out;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        if (data.toString('latin1', lineEnd + 2 + size, lineEnd + 4 + size) !== '\r\n')
          throw new Error('chunk without CRLF');
        p = lineEnd + 4 + size;
      }
      body = Buffer.concat(parts);
    } else if (cl !== undefined) {
      end = bodyStart + Number(cl);
      if (data.length < end) break;
      body = data.subarray(bodyStart, end);
    } else {
      if (!options.final) break;
      end = data.length;
      body = data.subarray(bodyStart, end);
    }
    out.push({
      status,
      statusLine,
      fields,
      get,
      body,
      raw: data.toString('latin1', at, end),
      chunked: te !== undefined,
    });
    if (status >= 200) finalIndex++;
    at = end;
    bodyStart = end;
  }
  return out;
}
