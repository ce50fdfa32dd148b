/**
 * Turning a whole body (a Buffer) into what the Fetch Standard's body mixin promises
 * (§5.2 "consume body"): `text()` UTF-8 decoded without a BOM, `json()` parsed from it (a
 * SyntaxError when it is not JSON), `arrayBuffer()` / `bytes()` over memory the caller owns.
 * Shared by the lazy request and the light response, as plain functions so `.then(fn)` needs
 * no closure.
 * Must not: keep references to the bytes it hands out, or hand out views of memory others see.
 */

import { Buffer } from 'node:buffer';

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

const BOM = 0xfeff;

/** UTF-8 decode (Encoding Standard "UTF-8 decode": a leading BOM is dropped). */
export function decodeText(bytes: Uint8Array): string {
  const text = Buffer.isBuffer(bytes)
    ? bytes.toString('utf8')
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === BOM ? text.slice(1) : text;
}

export function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(decodeText(bytes)) as unknown;
}

/**
 * An ArrayBuffer holding exactly these bytes. A Buffer may be a window on a larger one (a socket
 * read, or the shared allocation pool, which holds other requests' bytes), so only a Buffer that
 * spans its whole ArrayBuffer is handed out as it is; anything else is copied.
 */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = bytes.buffer;
  if (bytes.byteLength === 0) return new ArrayBuffer(0);
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) {
    return buffer;
  }
  return new Uint8Array(bytes).buffer;
}

/** A plain Uint8Array over memory of its own (see `toArrayBuffer`). */
export function toUint8Array(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(toArrayBuffer(bytes));
}

/** The TypeError the standard gives a body read twice (§5.2 "consume body", step 1). */
export function bodyUsedError(): TypeError {
  return new TypeError('Body is unusable: Body has already been read');
}

/** `parts` as one array (`total` bytes); the only part itself when there is one, null for none. */
export function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array | null {
  if (parts.length <= 1) return parts[0] ?? null;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
