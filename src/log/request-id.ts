/**
 * Request ids, unique across the cluster and safe to echo.
 *
 * An inbound `X-Request-Id` (from a load balancer or a calling service) is kept when it is 1 to
 * 128 characters of `A-Z a-z 0-9 - _ . : / + = @ ~` — enough for UUIDs, ULIDs, base64 and
 * `service:id` forms, and nothing that could split a header, break a log line or inject markup.
 * Anything else is replaced, never echoed: an id copied into responses and logs must not be a
 * way for a client to write into them (pino-http echoes whatever arrives).
 * A new id is `<boot>-<worker>-<counter>` (counter base 36): `boot` is random per process start,
 * `worker` the cluster's worker id (unique for the primary's life), so ids never collide across
 * workers, respawns or restarts — pino-http's plain counter repeats in every worker.
 * Must not: allocate for an id it accepts, or use RegExp on the hot path.
 */

import { randomBytes } from 'node:crypto';

/** Longest inbound id kept; longer ones are replaced (a log-line and header-size bound). */
export const MAX_REQUEST_ID_LENGTH = 128;

const SAFE = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) SAFE[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) SAFE[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) SAFE[c] = 1;
for (const ch of '-_.:/+=@~') SAFE[ch.charCodeAt(0)] = 1;

/** Whether `value` may be used (and echoed) as a request id. */
export function isSafeRequestId(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || SAFE[c] === 0) return false;
  }
  return true;
}

/** Six base-36 characters from 31 random bits: a different prefix for every process start. */
export function bootPrefix(): string {
  return (randomBytes(4).readUInt32BE(0) >>> 1).toString(36).padStart(6, '0');
}

/** The request-id source of one process (a `RequestIdSource` for the engine). */
export class RequestIds {
  private readonly prefix: string;
  private seq = 0;

  constructor(workerId: number, boot: string = bootPrefix()) {
    this.prefix = `${boot}-${workerId}-`;
  }

  /** The inbound id when it is safe, else a new one. */
  next(inbound: string | undefined): string {
    if (inbound !== undefined && isSafeRequestId(inbound)) return inbound;
    return this.prefix + (++this.seq).toString(36);
  }
}
