/**
 * What the TLS layer counts: handshakes completed (full or resumed) and handshakes that failed, by
 * kind. The kinds are few and fixed, so they can be metric labels:
 *   - `protocol`: not TLS at all (plain HTTP, garbage), no shared version, cipher or ALPN protocol;
 *   - `certificate`: a client certificate missing, unverifiable or refused (mutual TLS), or a
 *     client that rejected ours (its `bad_certificate` / `unknown_ca` alert);
 *   - `timeout`: not finished within the handshake timeout (half a ClientHello, then silence);
 *   - `refused`: closed to make room at the bound on concurrent handshakes (the oldest one goes);
 *     only handshakes past the client's first record count against the bound;
 *   - `closed`: the client left mid-handshake (a port scan, a client that gave up).
 * A failed handshake is counted, never logged at info: a scanner must not fill the disk.
 * Must not: hold sockets, or read anything but an error's code.
 */

export const HandshakeFailure = {
  PROTOCOL: 'protocol',
  CERTIFICATE: 'certificate',
  TIMEOUT: 'timeout',
  REFUSED: 'refused',
  CLOSED: 'closed',
} as const;
export type HandshakeFailure = (typeof HandshakeFailure)[keyof typeof HandshakeFailure];

export const HANDSHAKE_FAILURES: readonly HandshakeFailure[] = Object.values(HandshakeFailure);

/** OpenSSL reasons (as Node's `ERR_SSL_<REASON>` codes) and verify errors about certificates. */
const CERTIFICATE_CODE = /CERT|_CA$|_CA_|PEER_DID_NOT_RETURN|SIGNATURE|ISSUER/;
/** The peer went away: Node reports a TLS socket closed before its handshake as ECONNRESET. */
const CLOSED_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

/**
 * The kind of a failed handshake from Node's error code. `authorizationError` is set when the
 * handshake finished but the client's certificate did not verify (Node then closes the socket,
 * which it reports as a reset).
 */
export function failureKind(code: string | undefined, authorizationError?: string | null): HandshakeFailure {
  if (authorizationError) return HandshakeFailure.CERTIFICATE;
  if (code === undefined) return HandshakeFailure.PROTOCOL;
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return HandshakeFailure.TIMEOUT;
  if (CLOSED_CODES.has(code)) return HandshakeFailure.CLOSED;
  if (CERTIFICATE_CODE.test(code)) return HandshakeFailure.CERTIFICATE;
  return HandshakeFailure.PROTOCOL;
}

/** Plain counters, read at scrape time (the engine's connection counters work the same way). */
export class HandshakeStats {
  /** Handshakes completed, resumed ones included. */
  completed = 0;
  /** Of those, how many resumed a session (a ticket or a session id). */
  resumed = 0;
  /** Handshakes under way now: every connection accepted and not yet served or closed. */
  inProgress = 0;
  readonly failed: Record<HandshakeFailure, number> = {
    protocol: 0,
    certificate: 0,
    timeout: 0,
    refused: 0,
    closed: 0,
  };
}
