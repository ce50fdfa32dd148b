/**
 * The TLS families: what each worker's TLS layer counted (handshakes completed and resumed, and
 * failed by kind: protocol, certificate, timeout, refused, closed), and, from the primary, the
 * served certificate's expiry as a Unix time in seconds (as the blackbox exporter's
 * `probe_ssl_earliest_cert_expiry`): an alert compares it with `time()`, and the value changes
 * only when the certificate does. Every kind is exported from the start, at 0.
 * Must not: know about sockets or handshakes (the engine counts; this only names the numbers).
 */

import { computedFamily } from './family.ts';
import type { FamilySnapshot, Sample } from './family.ts';

/** A worker's TLS counters, read at scrape time (src/tls/handshake-stats.ts keeps them). */
export interface TlsCounts {
  readonly completed: number;
  readonly resumed: number;
  readonly failed: Readonly<Record<string, number>>;
}

/** The certificate the primary serves. */
export interface CertificateGauge {
  /** Milliseconds since the epoch. */
  readonly notAfter: number;
  readonly serial: string;
}

export function tlsFamilies(c: TlsCounts): FamilySnapshot[] {
  const failed: Sample[] = Object.entries(c.failed).map(([kind, value]) => ({ value, labels: { kind } }));
  return [
    computedFamily(
      'samovar_tls_handshakes_total',
      'TLS handshakes completed, by whether they resumed a session (a ticket) or made a new one.',
      'counter',
      [
        { value: c.completed - c.resumed, labels: { resumed: 'false' } },
        { value: c.resumed, labels: { resumed: 'true' } },
      ],
    ),
    computedFamily(
      'samovar_tls_handshake_errors_total',
      'TLS handshakes that failed, by kind (protocol, certificate, timeout, refused, closed).',
      'counter',
      failed,
    ),
  ];
}

export function certificateFamily(cert: CertificateGauge | null): FamilySnapshot[] {
  if (cert === null) return [];
  return [
    computedFamily(
      'samovar_tls_certificate_expiry_seconds',
      'When the served TLS certificate expires, as a Unix time in seconds (compare with time()).',
      'gauge',
      [{ value: Math.floor(cert.notAfter / 1000), labels: { serial: cert.serial } }],
    ),
  ];
}
