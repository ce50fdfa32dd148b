/**
 * The fuzzer's seed corpus: valid requests of every framing Samovar supports, and hostile ones
 * from the request-smuggling literature (CL.TE, TE.CL, TE.TE, duplicated and overflowing
 * lengths, obs-fold, bare line ends, NUL, whitespace before the colon, chunk-extension floods).
 * The mutator starts from these; each input also gets a request to `/smuggled-<n>` hidden in
 * its tail (harness/fuzz/oracle.ts says when handling it is a finding).
 * Kept as escaped strings rather than files so that no editor or formatter changes a CR.
 * Must not: hold anything that depends on the server's configuration.
 */

/** Valid: every one of these is a complete, well-formed request (or pipeline) on its own. */
export const VALID_SEEDS: readonly string[] = [
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /a/b?c=d&e=%20 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nUser-Agent: fuzz\r\n\r\n',
  'HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello',
  'PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n',
  'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n',
  'POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n',
  'POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
  'GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  'GET /o HTTP/1.0\r\n\r\n',
  'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET http://a.example/abs?q HTTP/1.1\r\nHost: a.example\r\n\r\n',
  'DELETE /d HTTP/1.1\r\nHost: a\r\nCookie: a=b; c=d\r\nCookie: e=f\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
  '\r\n\r\nGET /leading-crlf HTTP/1.1\r\nHost: a\r\n\r\n',
  'PATCH /u HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nX-Long: ' + 'v'.repeat(200) + '\r\n\r\n{}',
];

/** Hostile: each one tries to make two parsers disagree about where a message ends. */
export const HOSTILE_SEEDS: readonly string[] = [
  // CL.TE and TE.CL: both framing fields present (RFC 9112 §6.1 says reject or use TE and close).
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n',
  // TE.TE: obfuscated codings.
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  // Content-Length games.
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551619\r\n\r\nabc',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc',
  'POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t3 \r\n\r\nabc',
  // Chunk games.
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\na\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;' +
    'e'.repeat(300) +
    '\r\nabc\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 ; a = "b"\r\nabc\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n',
  // Line ends, controls, folding, whitespace.
  'GET / HTTP/1.1\nHost: a\n\n',
  'GET / HTTP/1.1\rHost: a\r\r',
  'GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n',
  'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
  'GET  / HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1 \r\nHost: a\r\n\r\n',
  'GET /\r\n\r\n',
  'GET / HTTP/2.0\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.9\r\nHost: a\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  'GET / HTTP/1.1\r\n\r\n',
  'GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n',
  'FOO /ext-method HTTP/1.1\r\nHost: a\r\n\r\n',
  // Tunnels and upgrades: the bytes after them must never be read as requests.
  'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n',
  'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nContent-Length: 3\r\n\r\nabc',
  'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  // Expectations.
  'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi',
  'POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\nhi',
];

export const SEEDS: readonly string[] = [...VALID_SEEDS, ...HOSTILE_SEEDS];

/** The request hidden at the tail of every input; `id` makes each one traceable. */
export function smuggledRequest(id: string): string {
  return `GET /smuggled-${id} HTTP/1.1\r\nHost: a\r\n\r\n`;
}
