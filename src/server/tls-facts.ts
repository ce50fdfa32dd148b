/**
 * What a handler (and the access line) may know about a request's TLS connection: the protocol
 * version, the cipher suite, the SNI server name (RFC 6066 §3), whether the session was resumed,
 * and the client certificate's subject when one was sent and verified (mutual TLS). One object
 * per connection, shared by its requests; each fact is read from the socket on first use only,
 * since most requests never ask (and a peer certificate costs a parse).
 * Must not: expose the socket, or report a client certificate that did not verify.
 */

import type { TLSSocket } from 'node:tls';
import type { TlsInfo } from './api.ts';

export class TlsFacts implements TlsInfo {
  private readonly socket: TLSSocket;
  private protocolName: string | null = null;
  private cipherName: string | null = null;
  private subject: string | null = null;
  readonly servername: string;
  readonly resumed: boolean;

  constructor(socket: TLSSocket) {
    this.socket = socket;
    const name = (socket as TLSSocket & { servername?: string | false }).servername;
    this.servername = typeof name === 'string' ? name : '';
    this.resumed = socket.isSessionReused();
  }

  get protocol(): string {
    return (this.protocolName ??= this.socket.getProtocol() ?? '');
  }

  get cipher(): string {
    return (this.cipherName ??= this.socket.getCipher()?.name ?? '');
  }

  get clientSubject(): string {
    if (this.subject !== null) return this.subject;
    this.subject = '';
    // `authorized` is true only when the client's certificate verified against `tls.ca`.
    if (this.socket.authorized) {
      const subject = this.socket.getPeerCertificate().subject as
        Record<string, string | string[]> | undefined;
      if (subject !== undefined) this.subject = formatName(subject);
    }
    return this.subject;
  }
}

/** `{ CN: 'alice', O: 'Example' }` as `CN=alice, O=Example` (RFC 4514's attribute=value form). */
function formatName(name: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(name)) {
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${key}=${v}`);
  }
  return parts.join(', ');
}
