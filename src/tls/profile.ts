/**
 * The TLS profile Samovar serves by default: Mozilla's "intermediate" server configuration
 * (ssl-config.mozilla.org, guidelines 5.7): TLS 1.2 and 1.3, AEAD ciphers with forward secrecy
 * only (ECDHE, and DHE over the RFC 7919 ffdhe2048 group), curves X25519, P-256, P-384; ALPN
 * `http/1.1` alone, since the engine speaks nothing else (RFC 7301 §3.2: a client that offers only
 * other protocols gets the `no_application_protocol` alert instead of a connection it cannot use).
 * Must not: read files or configuration (the defaults file holds the configurable values; these
 * constants are what it is checked against and what the engine falls back to).
 */

/** TLS 1.3 suites first (OpenSSL takes both kinds in one list through Node's `ciphers`). */
export const INTERMEDIATE_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Key-exchange groups, in preference order (Node's `ecdhCurve`). */
export const INTERMEDIATE_CURVES = 'X25519:prime256v1:secp384r1';

/** The one application protocol offered through ALPN. */
export const ALPN_PROTOCOLS: readonly string[] = ['http/1.1'];

/** TLS versions a configuration may set as its floor: nothing older than 1.2 is offered. */
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** Client-certificate verification: none asked, asked and verified if sent, or required. */
export const CLIENT_AUTH = ['off', 'request', 'require'] as const;
export type ClientAuth = (typeof CLIENT_AUTH)[number];

/** A certificate that expires within this many days starts (and reloads) with a warning. */
export const EXPIRY_WARNING_DAYS = 14;
export const DAY_MS = 86_400_000;

/**
 * Session ids of every worker and generation share one context name, so a session made by one
 * worker resumes on another (OpenSSL refuses a session whose id context differs, and Node's
 * default is a hash of argv).
 */
export const SESSION_ID_CONTEXT = 'samovar';
