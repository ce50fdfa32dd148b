/**
 * Response head encoding (RFC 9112 §4 status line, §5 field lines, §6 framing) and the checks
 * that keep a handler from splitting a response.
 *
 * A response head is one string: the cached status line, the handler's field lines (validated
 * and appended as they are set), then the framing fields Samovar owns (Date, Content-Length or
 * Transfer-Encoding, Connection) and the blank line. It goes to the socket in one write with a
 * small body: as one latin1 string when the body is ASCII, else in one Buffer.
 * Must not: do I/O, read the clock, or decide persistence (the connection passes that in).
 */

import { Buffer } from 'node:buffer';
import { FIELD_VALUE, TOKEN_LOWER } from './tables.ts';
import { statusLine } from './status.ts';

/** What the `Connection` field of a response says (RFC 9112 §9.3, §9.6). */
export const ConnectionField = { NONE: 0, CLOSE: 1, KEEP_ALIVE: 2 } as const;
export type ConnectionField = (typeof ConnectionField)[keyof typeof ConnectionField];

const CONNECTION_LINES = ['', 'Connection: close\r\n', 'Connection: keep-alive\r\n'] as const;
const CHUNKED_LINE = 'Transfer-Encoding: chunked\r\n';

/**
 * Throws a TypeError unless `name` is a token (RFC 9110 §5.1). Header injection is a programming
 * error: it must fail at the call that tried it, never reach the wire.
 */
export function assertHeaderName(name: string): void {
  if (name.length === 0) throw new TypeError('header name must not be empty');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f || TOKEN_LOWER[c] === 0) {
      throw new TypeError(`header name ${JSON.stringify(name)} is not an HTTP token (RFC 9110 §5.1)`);
    }
  }
}

/**
 * Throws a TypeError if `value` holds CR, LF, NUL or any other control but HTAB, or a character
 * that does not fit in one octet (RFC 9110 §5.5): such a value would split or corrupt the head.
 */
export function assertHeaderValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE[c] === 0) {
      throw new TypeError(
        `value of header ${JSON.stringify(name)} holds a forbidden character at index ${i}`,
      );
    }
  }
}

/**
 * The whole head as a latin1 string. `fieldLines` are the handler's validated `name: value\r\n`
 * lines; `dateLine` is `Date: …\r\n` (or '' when the handler set its own Date). Framing comes
 * as plain arguments, not an object, so encoding a response allocates only the string.
 * `contentLength` is -1 for none; `chunked` selects the chunked coding (RFC 9112 §7.1).
 */
export function encodeHead(
  status: number,
  fieldLines: string,
  dateLine: string,
  contentLength: number,
  chunked: boolean,
  connection: ConnectionField,
): string {
  let head = statusLine(status) + fieldLines + dateLine;
  if (contentLength >= 0) head += 'Content-Length: ' + contentLength + '\r\n';
  else if (chunked) head += CHUNKED_LINE;
  return head + CONNECTION_LINES[connection] + '\r\n';
}

/**
 * Head and body as one chunk for one socket write. Without a body, or with a body string that is
 * all ASCII (its UTF-8 length is its length), the chunk is a latin1 string: the socket encodes it
 * straight into its write (no Buffer allocated, no second copy). Otherwise one Buffer: one
 * allocation, the head and the body copied in. `bodyBytes` is the body's byte length, already
 * computed for Content-Length.
 */
export function joinHeadAndBody(
  head: string,
  body: string | Uint8Array | null,
  bodyBytes: number,
): string | Buffer {
  if (body === null || bodyBytes === 0) return head;
  if (typeof body === 'string' && bodyBytes === body.length) return head + body;
  const out = Buffer.allocUnsafe(head.length + bodyBytes);
  const at = out.write(head, 0, 'latin1');
  if (typeof body === 'string') out.write(body, at, 'utf8');
  else out.set(body, at);
  return out;
}

/** The 100 (Continue) interim response (RFC 9110 §15.2.1); it carries no fields. */
export const CONTINUE_BYTES: Buffer = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/** Chunk framing: size line before the data (RFC 9112 §7.1). */
export function chunkSizeLine(byteLength: number): string {
  return byteLength.toString(16) + '\r\n';
}

/** The last chunk and an empty trailer section (RFC 9112 §7.1). */
export const LAST_CHUNK_BYTES: Buffer = Buffer.from('0\r\n\r\n', 'latin1');
export const CRLF_BYTES: Buffer = Buffer.from('\r\n', 'latin1');
