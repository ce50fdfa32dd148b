/**
 * The limits a request is parsed under (RFC 9112 leaves them to the server; RFC 9110 §15.5,
 * RFC 6585 §5 name the answers). A module of its own so that the parser and the head builder
 * both use it without importing each other; the values live in config/defaults.json.
 * Must not: hold values.
 */

export interface ParserLimits {
  /** Longest request line, CRLF included (→ 414). nginx's default buffer is 8 KiB. */
  readonly maxRequestLineBytes: number;
  /** Longest header section after the request line, CRLFs included (→ 431). */
  readonly maxHeaderBytes: number;
  /** Most header field lines; also applies to trailers (→ 431). */
  readonly maxHeaderCount: number;
  /** Largest body, by Content-Length or decoded chunk sizes (→ 413). */
  readonly maxBodyBytes: number;
  /** Longest chunk-extension part of one chunk-size line (→ 400; CVE-2024-22019 class). */
  readonly maxChunkExtensionBytes: number;
  /** Largest trailer section (→ 431). */
  readonly maxTrailerBytes: number;
}
