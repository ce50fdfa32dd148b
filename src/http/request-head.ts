/**
 * A parsed request head (RFC 9112 §3, §5): what the parser hands the connection engine once the
 * blank line that ends the header section has arrived.
 *
 * One class with a fixed shape (V8 keeps it monomorphic). Strings are latin1-decoded once, when
 * the head completes, and hold no reference to the socket's buffers. Header names are lower-cased
 * once; duplicates are kept, in order.
 * Must not: do I/O or decide anything about the connection beyond what the bytes say.
 */

/** How the request-target was written (RFC 9112 §3.2). */
export const TargetForm = {
  ORIGIN: 'origin',
  ABSOLUTE: 'absolute',
  AUTHORITY: 'authority',
  ASTERISK: 'asterisk',
} as const;
export type TargetForm = (typeof TargetForm)[keyof typeof TargetForm];

/** How the message body is delimited (RFC 9112 §6.3). */
export const BodyKind = { NONE: 0, LENGTH: 1, CHUNKED: 2 } as const;
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

export class RequestHead {
  /** The method token, case-sensitive (RFC 9110 §9.1). Common methods are interned. */
  method = '';
  /** The request-target exactly as sent. */
  target = '';
  targetForm: TargetForm = TargetForm.ORIGIN;
  /**
   * The path, not percent-decoded: for origin-form the part before `?`, for absolute-form the
   * path of the URI (`/` when empty), for authority- and asterisk-form the target itself.
   */
  path = '';
  /** The query after `?` (without it), not decoded; `null` when there was no `?`. */
  query: string | null = null;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  versionMinor = 1;
  /** Field lines in order, flattened: `[name0, value0, name1, value1, …]`, names lower-case. */
  headers: string[] = [];
  /**
   * The authority the request is for: the absolute-form target's authority when present
   * (RFC 9112 §3.2.2: it overrides Host), else the Host field value (may be empty).
   */
  host = '';
  bodyKind: BodyKind = BodyKind.NONE;
  /** The Content-Length when `bodyKind` is LENGTH, else -1. */
  contentLength = -1;
  /** Whether the connection may persist after this exchange (RFC 9112 §9.3). */
  keepAlive = true;
  /** The Expect field value lower-cased, or `null` (RFC 9110 §10.1.1). */
  expect: string | null = null;
  /** Trailer field lines of a chunked body, flattened like `headers`; filled when the body ends. */
  trailers: string[] = [];

  /** The first value of the field `name` (lower-case), or `undefined`. */
  get(name: string): string | undefined {
    const h = this.headers;
    for (let i = 0; i < h.length; i += 2) if (h[i] === name) return h[i + 1];
    return undefined;
  }

  /** Every value of the field `name` (lower-case), in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    const h = this.headers;
    for (let i = 0; i < h.length; i += 2) if (h[i] === name) out.push(h[i + 1] as string);
    return out;
  }
}
