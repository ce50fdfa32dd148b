/**
 * What a client sent first on the TLS port, judged before any TLS machinery is made for it: a
 * `TLSSocket` costs tens of microseconds to build and tear down, and a client that sends half a
 * ClientHello, garbage or plain HTTP can make the server build one per connection, as fast as it
 * can reconnect (measured: 100 stalled clients evicted at the handshake bound reopened ~8,000
 * connections a second against one worker). So under pressure the TLS layer waits for the first
 * record whole and hands the connection to `node:tls` only then; anything else is refused here,
 * cheaply (src/server/tls-listener.ts decides when the gate is closed).
 *
 * - A TLS handshake record (RFC 8446 §5.1: type 22, legacy version 3.x, a length of at most
 *   2^14): `TLS` once the whole record is in, `WAIT` before. A ClientHello may continue in later
 *   records; only the first is waited for.
 * - An HTTP request line's start (an upper-case method, then a space): `HTTP` — the port answers
 *   plain HTTP with a plain 400, as nginx does.
 * - Anything else (another record type, an SSLv2-format hello, a zero or oversized length,
 *   binary noise): `GARBAGE`, closed.
 * Must not: keep the bytes, or accept a record longer than TLS allows.
 */

export const FirstBytes = {
  WAIT: 'wait',
  TLS: 'tls',
  HTTP: 'http',
  GARBAGE: 'garbage',
} as const;
export type FirstBytes = (typeof FirstBytes)[keyof typeof FirstBytes];

const HANDSHAKE_RECORD = 22;
const RECORD_HEADER = 5;
/** RFC 8446 §5.1: a plaintext record's length MUST NOT exceed 2^14. */
export const MAX_RECORD_BYTES = 16384;
/** The longest method a request line is recognised by (`OPTIONS`, `CONNECT`, and some room). */
const METHOD_MAX = 16;
const SPACE = 0x20;

/** The verdict on the bytes received so far (`bytes` holds all of them, from the first). */
export function classifyFirstBytes(bytes: Uint8Array): FirstBytes {
  if (bytes.length === 0) return FirstBytes.WAIT;
  const first = bytes[0] as number;
  if (first === HANDSHAKE_RECORD) return handshakeRecord(bytes);
  if (!isUpper(first)) return FirstBytes.GARBAGE;
  const n = Math.min(bytes.length, METHOD_MAX + 1);
  for (let i = 1; i < n; i++) {
    const c = bytes[i] as number;
    if (c === SPACE) return FirstBytes.HTTP;
    if (!isUpper(c)) return FirstBytes.GARBAGE;
  }
  return bytes.length > METHOD_MAX ? FirstBytes.GARBAGE : FirstBytes.WAIT;
}

function handshakeRecord(bytes: Uint8Array): FirstBytes {
  if (bytes.length >= 2 && bytes[1] !== 3) return FirstBytes.GARBAGE;
  if (bytes.length < RECORD_HEADER) return FirstBytes.WAIT;
  const length = ((bytes[3] as number) << 8) | (bytes[4] as number);
  if (length === 0 || length > MAX_RECORD_BYTES) return FirstBytes.GARBAGE;
  return bytes.length >= RECORD_HEADER + length ? FirstBytes.TLS : FirstBytes.WAIT;
}

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
