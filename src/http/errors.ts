/**
 * The closed list of HTTP/1.1 protocol errors a request can earn, the answers the engine gives
 * on its own (timeouts, an unknown expectation, shedding, a full server), and the one table that
 * maps each to its status code and fixed answer text (RFC 9110 §15, RFC 9112).
 *
 * Answer texts are constant: they never echo the client's bytes (Go net/http does the same), so
 * an error page cannot be used to reflect attacker-controlled content.
 * Must not: do I/O, log, or know about connections.
 */

export const ProtocolError = {
  /** Request line: method is not a token (RFC 9110 §9.1). */
  INVALID_METHOD: 'INVALID_METHOD',
  /** Request line: not `method SP request-target SP HTTP-version CRLF` (RFC 9112 §3). */
  INVALID_REQUEST_LINE: 'INVALID_REQUEST_LINE',
  /** Request-target has a forbidden byte, a bad percent-escape, or the wrong form (RFC 9112 §3.2). */
  INVALID_TARGET: 'INVALID_TARGET',
  /** Request line longer than the configured limit (RFC 9112 §3). */
  URI_TOO_LONG: 'URI_TOO_LONG',
  /** HTTP-version not of the form `HTTP/DIGIT.DIGIT` (RFC 9112 §2.3). */
  INVALID_VERSION: 'INVALID_VERSION',
  /** A well-formed version other than HTTP/1.0 and HTTP/1.1 (RFC 9110 §15.6.6). */
  VERSION_NOT_SUPPORTED: 'VERSION_NOT_SUPPORTED',
  /** Bare CR or bare LF as a line terminator (RFC 9112 §2.2). */
  INVALID_LINE_ENDING: 'INVALID_LINE_ENDING',
  /** Field name is not a token, is empty, or has whitespace before the colon (RFC 9112 §5.1). */
  INVALID_HEADER_NAME: 'INVALID_HEADER_NAME',
  /** Field value holds a CTL other than HTAB (RFC 9110 §5.5). */
  INVALID_HEADER_VALUE: 'INVALID_HEADER_VALUE',
  /** Line folding (obs-fold) in a request (RFC 9112 §5.2). */
  OBS_FOLD: 'OBS_FOLD',
  /** Header section larger than the configured limit (RFC 6585 §5). */
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  /** More header fields than the configured limit (RFC 6585 §5). */
  TOO_MANY_HEADERS: 'TOO_MANY_HEADERS',
  /** HTTP/1.1 request without Host (RFC 9112 §3.2). */
  MISSING_HOST: 'MISSING_HOST',
  /** More than one Host field line (RFC 9112 §3.2). */
  MULTIPLE_HOST: 'MULTIPLE_HOST',
  /** Host (or the authority of the target) is not a valid `host [ ":" port ]` (RFC 9110 §7.2). */
  INVALID_HOST: 'INVALID_HOST',
  /** Content-Length not plain digits, overflowing, or disagreeing copies (RFC 9112 §6.3). */
  INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  /** Both Content-Length and Transfer-Encoding: a smuggling vector (RFC 9112 §6.1). */
  CONTENT_LENGTH_WITH_TRANSFER_ENCODING: 'CONTENT_LENGTH_WITH_TRANSFER_ENCODING',
  /** Transfer-Encoding malformed, chunked not last or repeated, or sent in HTTP/1.0 (RFC 9112 §6.1, §6.3). */
  INVALID_TRANSFER_ENCODING: 'INVALID_TRANSFER_ENCODING',
  /** A transfer coding Samovar does not implement (RFC 9112 §6.1: 501). */
  UNSUPPORTED_TRANSFER_CODING: 'UNSUPPORTED_TRANSFER_CODING',
  /** Body larger than the configured limit, from Content-Length or while decoding (RFC 9110 §15.5.14). */
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  /** Chunk size is not hex digits, or overflows (RFC 9112 §7.1). */
  INVALID_CHUNK_SIZE: 'INVALID_CHUNK_SIZE',
  /** Chunk extension malformed or longer than the limit (RFC 9112 §7.1.1). */
  INVALID_CHUNK_EXTENSION: 'INVALID_CHUNK_EXTENSION',
  /** Chunk data not followed by CRLF (RFC 9112 §7.1). */
  INVALID_CHUNK_DATA: 'INVALID_CHUNK_DATA',
  /** Trailer section larger than the configured limit (RFC 9112 §7.1.2). */
  TRAILERS_TOO_LARGE: 'TRAILERS_TOO_LARGE',
} as const;

export type ProtocolErrorCode = (typeof ProtocolError)[keyof typeof ProtocolError];

/** Answers the engine gives in a handler's place, beside protocol errors. */
export const EngineAnswer = {
  /**
   * The head not complete within `headersTimeoutMs` (RFC 9110 §15.5.9): of the accept for a new
   * connection's first request, of its first byte for a later one on a kept-alive connection.
   */
  HEADERS_TIMEOUT: 'HEADERS_TIMEOUT',
  /** No body bytes for `bodyTimeoutMs`. */
  BODY_TIMEOUT: 'BODY_TIMEOUT',
  /** The whole request not in within `requestTimeoutMs`. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** An `Expect` other than `100-continue` (RFC 9110 §10.1.1). */
  EXPECTATION_FAILED: 'EXPECTATION_FAILED',
  /** The client is over its rate (RFC 6585 §4). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** This process is overloaded: the request is shed (RFC 9110 §15.6.4). */
  OVERLOADED: 'OVERLOADED',
  /** A connection over `maxConnections`, refused before any request is read. */
  BUSY: 'BUSY',
  /** Plain HTTP sent to a TLS port: answered in plain text, then closed (nginx's 400 does the same). */
  TLS_REQUIRED: 'TLS_REQUIRED',
} as const;

export type EngineAnswerCode = (typeof EngineAnswer)[keyof typeof EngineAnswer];
/** The 408s, as the protocol-error hook hears them. */
export type TimeoutCode = Extract<EngineAnswerCode, `${string}_TIMEOUT`>;
/** Every answer the engine makes itself. */
export type AnswerCode = ProtocolErrorCode | EngineAnswerCode;

/** Statuses a protocol error can earn: literal types, so a typo is a compile error. */
export type ProtocolErrorStatus = 400 | 413 | 414 | 431 | 501 | 505;
export type AnswerStatus = ProtocolErrorStatus | 408 | 417 | 429 | 503;

interface ErrorAnswer {
  readonly status: AnswerStatus;
  /** Fixed, client-independent text for the response body and the log line. */
  readonly reason: string;
}

/** The protocol errors' part of the answer table (`ANSWERS` below is the whole of it). */
export const PROTOCOL_ERRORS: Readonly<Record<ProtocolErrorCode, ErrorAnswer>> = {
  INVALID_METHOD: { status: 400, reason: 'Invalid request method' },
  INVALID_REQUEST_LINE: { status: 400, reason: 'Malformed request line' },
  INVALID_TARGET: { status: 400, reason: 'Invalid request target' },
  URI_TOO_LONG: { status: 414, reason: 'Request line too long' },
  INVALID_VERSION: { status: 400, reason: 'Malformed HTTP version' },
  VERSION_NOT_SUPPORTED: { status: 505, reason: 'Only HTTP/1.0 and HTTP/1.1 are supported' },
  INVALID_LINE_ENDING: { status: 400, reason: 'Lines must end with CRLF' },
  INVALID_HEADER_NAME: { status: 400, reason: 'Invalid header field name' },
  INVALID_HEADER_VALUE: { status: 400, reason: 'Invalid header field value' },
  OBS_FOLD: { status: 400, reason: 'Obsolete line folding is not accepted' },
  HEADERS_TOO_LARGE: { status: 431, reason: 'Request header section too large' },
  TOO_MANY_HEADERS: { status: 431, reason: 'Too many request header fields' },
  MISSING_HOST: { status: 400, reason: 'Missing Host header' },
  MULTIPLE_HOST: { status: 400, reason: 'More than one Host header' },
  INVALID_HOST: { status: 400, reason: 'Invalid Host header' },
  INVALID_CONTENT_LENGTH: { status: 400, reason: 'Invalid Content-Length' },
  CONTENT_LENGTH_WITH_TRANSFER_ENCODING: {
    status: 400,
    reason: 'Content-Length and Transfer-Encoding together',
  },
  INVALID_TRANSFER_ENCODING: { status: 400, reason: 'Invalid Transfer-Encoding' },
  UNSUPPORTED_TRANSFER_CODING: { status: 501, reason: 'Unsupported transfer coding' },
  BODY_TOO_LARGE: { status: 413, reason: 'Request body too large' },
  INVALID_CHUNK_SIZE: { status: 400, reason: 'Invalid chunk size' },
  INVALID_CHUNK_EXTENSION: { status: 400, reason: 'Invalid chunk extension' },
  INVALID_CHUNK_DATA: { status: 400, reason: 'Chunk data not followed by CRLF' },
  TRAILERS_TOO_LARGE: { status: 431, reason: 'Trailer section too large' },
};

const ENGINE_ANSWERS: Readonly<Record<EngineAnswerCode, ErrorAnswer>> = {
  HEADERS_TIMEOUT: { status: 408, reason: 'Request header timeout' },
  BODY_TIMEOUT: { status: 408, reason: 'Request body timeout' },
  REQUEST_TIMEOUT: { status: 408, reason: 'Request timeout' },
  EXPECTATION_FAILED: { status: 417, reason: 'Expectation not supported' },
  RATE_LIMITED: { status: 429, reason: 'Too many requests, retry later' },
  OVERLOADED: { status: 503, reason: 'Server overloaded, retry later' },
  BUSY: { status: 503, reason: 'Server busy, retry later' },
  TLS_REQUIRED: { status: 400, reason: 'This port speaks HTTPS: plain HTTP was sent to it' },
};

/** Every answer the engine makes itself, protocol errors and its own, in one table. */
export const ANSWERS: Readonly<Record<AnswerCode, ErrorAnswer>> = { ...PROTOCOL_ERRORS, ...ENGINE_ANSWERS };
