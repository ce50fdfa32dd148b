/**
 * Table-driven tests of the request parser: raw bytes in, parsed messages or an error code out.
 * Every case runs on the whole buffer, split at every byte into two pieces, and one byte at a
 * time; all must give the expected result (RFC 9112 §2–§7, RFC 9110 §5).
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERRORS, type ProtocolErrorCode } from '../../src/http/errors.ts';
import { BodyKind } from '../../src/http/request-head.ts';
import { Outcome, RequestParser, type ParserLimits } from '../../src/http/request-parser.ts';
import { feed, splits, type FeedResult, type ParsedMessage } from './parser-feed.ts';
import { parserLimits } from '../../harness/parser/limits.ts';

interface Case {
  name: string;
  input: string;
  limits?: Partial<ParserLimits>;
  /** Expected messages (each compared with toMatchObject), when no error is expected. */
  messages?: Partial<ParsedMessage>[];
  error?: ProtocolErrorCode;
  /** How many complete messages precede the error. */
  before?: number;
  /** The input ends inside a message (default false). */
  incomplete?: boolean;
}

const H = 'Host: example.com\r\n';
const get = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\n${H}${extra}\r\n`;
const post = (headers: string, body: string): string => `POST /p HTTP/1.1\r\n${H}${headers}\r\n${body}`;
const chunked = (body: string): string => post('Transfer-Encoding: chunked\r\n', body);

const VALID: Case[] = [
  {
    name: 'minimal GET',
    input: get('/'),
    messages: [
      {
        method: 'GET',
        target: '/',
        targetForm: 'origin',
        path: '/',
        query: null,
        versionMinor: 1,
        headers: ['host', 'example.com'],
        host: 'example.com',
        keepAlive: true,
        bodyKind: BodyKind.NONE,
        body: '',
      },
    ],
  },
  {
    name: 'empty lines before the request line (§2.2)',
    input: `\r\n\r\n${get('/')}`,
    messages: [{ path: '/' }],
  },
  {
    name: 'path and query kept apart, undecoded',
    input: get('/a%20b/c?x=1&y=%2F'),
    messages: [{ path: '/a%20b/c', query: 'x=1&y=%2F' }],
  },
  { name: 'empty query', input: get('/p?'), messages: [{ path: '/p', query: '' }] },
  { name: 'second ? belongs to the query', input: get('/p?a?b'), messages: [{ path: '/p', query: 'a?b' }] },
  {
    name: 'tolerated unwise characters',
    input: get('/a|b{c}^`"<>\\'),
    messages: [{ path: '/a|b{c}^`"<>\\' }],
  },
  {
    name: 'lower-case method is a token like any other',
    input: get('/').replace('GET', 'get'),
    messages: [{ method: 'get' }],
  },
  {
    name: 'extension method',
    input: get('/').replace('GET', 'PROPFIND'),
    messages: [{ method: 'PROPFIND' }],
  },
  {
    name: 'OWS around values trimmed, inner spaces kept',
    input: get('/', 'X-A:  one  two \t\r\nX-B:\tv\r\nX-C:\r\nX-D: \r\n'),
    messages: [{ headers: ['host', 'example.com', 'x-a', 'one  two', 'x-b', 'v', 'x-c', '', 'x-d', ''] }],
  },
  {
    name: 'names lower-cased, duplicates kept in order',
    input: get('/', 'ACCEPT: a\r\nX-Custom-Thing: 1\r\naccept: b\r\nCoNtEnT-TyPe: t\r\n'),
    messages: [
      {
        headers: [
          'host',
          'example.com',
          'accept',
          'a',
          'x-custom-thing',
          '1',
          'accept',
          'b',
          'content-type',
          't',
        ],
      },
    ],
  },
  {
    name: 'obs-text in values is kept as latin1',
    input: get('/', 'X-L: caf\xe9 \xff\r\n'),
    messages: [{ headers: ['host', 'example.com', 'x-l', 'caf\xe9 \xff'] }],
  },
  {
    name: 'HTTP/1.0 needs no Host and closes',
    input: 'GET / HTTP/1.0\r\n\r\n',
    messages: [{ versionMinor: 0, host: '', keepAlive: false }],
  },
  {
    name: 'HTTP/1.0 keep-alive',
    input: 'GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n',
    messages: [{ versionMinor: 0, keepAlive: true }],
  },
  {
    name: 'HTTP/1.1 Connection: close in a list',
    input: get('/', 'Connection: upgrade, CLOSE\r\n'),
    messages: [{ keepAlive: false }],
  },
  {
    name: 'HTTP/1.2 is read as HTTP/1.1 (RFC 9110 §2.5)',
    input: get('/').replace('1.1', '1.2'),
    messages: [{ versionMinor: 1 }],
  },
  {
    name: 'Expect lower-cased',
    input: get('/', 'Expect: 100-Continue\r\n'),
    messages: [{ expect: '100-continue' }],
  },
  {
    name: 'empty Host is valid (RFC 9110 §7.2)',
    input: 'GET / HTTP/1.1\r\nHost:\r\n\r\n',
    messages: [{ host: '' }],
  },
  {
    name: 'IPv6 Host with port',
    input: 'GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n',
    messages: [{ host: '[::1]:8080' }],
  },
  {
    name: 'IPv6 with embedded IPv4, and IPvFuture',
    input: 'GET / HTTP/1.1\r\nHost: [::ffff:192.0.2.1]\r\n\r\nGET / HTTP/1.1\r\nHost: [v1.fe:x]:1\r\n\r\n',
    messages: [{ host: '[::ffff:192.0.2.1]' }, { host: '[v1.fe:x]:1' }],
  },
  {
    name: 'Host with percent-escape and sub-delims',
    input: "GET / HTTP/1.1\r\nHost: a%41b!$&'()*+,;=.c\r\n\r\n",
    messages: [{}],
  },
  {
    name: 'absolute-form overrides Host (RFC 9112 §3.2.2)',
    input: 'GET http://origin.test:81/a/b?q=1 HTTP/1.1\r\nHost: other\r\n\r\n',
    messages: [{ targetForm: 'absolute', host: 'origin.test:81', path: '/a/b', query: 'q=1' }],
  },
  {
    name: 'absolute-form without a path',
    input: 'GET https://origin.test HTTP/1.1\r\nHost: other\r\n\r\n',
    messages: [{ targetForm: 'absolute', host: 'origin.test', path: '/', query: null }],
  },
  {
    name: 'asterisk-form for OPTIONS',
    input: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
    messages: [{ targetForm: 'asterisk', path: '*' }],
  },
  {
    name: 'authority-form for CONNECT, which never keeps the connection (no tunnels)',
    input: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    messages: [{ targetForm: 'authority', path: 'example.com:443', keepAlive: false }],
  },
  {
    name: 'Content-Length body',
    input: post('Content-Length: 5\r\n', 'hello'),
    messages: [{ bodyKind: BodyKind.LENGTH, contentLength: 5, body: 'hello' }],
  },
  {
    name: 'Content-Length 0',
    input: post('Content-Length: 0\r\n', ''),
    messages: [{ contentLength: 0, body: '' }],
  },
  {
    name: 'Content-Length leading zeros',
    input: post('Content-Length: 005\r\n', 'hello'),
    messages: [{ contentLength: 5 }],
  },
  {
    name: 'Content-Length list of equal values',
    input: post('Content-Length: 5 , 5\r\n', 'hello'),
    messages: [{ body: 'hello' }],
  },
  {
    name: 'Content-Length repeated with equal values',
    input: post('Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'),
    messages: [{ body: 'hello' }],
  },
  {
    name: 'chunked body with extensions and trailers',
    input: chunked(
      '5;name=value;flag\r\nhello\r\nA ; q="a \\"quoted\\" ;x" \t;z\r\n0123456789\r\n0\r\nX-Sum: 1\r\nx-more:  two \r\n\r\n',
    ),
    messages: [
      { bodyKind: BodyKind.CHUNKED, body: 'hello0123456789', trailers: ['x-sum', '1', 'x-more', 'two'] },
    ],
  },
  {
    name: 'chunk sizes in either case, with leading zeros',
    input: chunked('0000a\r\n0123456789\r\nB\r\n0123456789a\r\n00\r\n\r\n'),
    messages: [{ body: '01234567890123456789a' }],
  },
  {
    name: 'Transfer-Encoding is case-insensitive',
    input: post('Transfer-Encoding: ChUnKeD\r\n', '0\r\n\r\n'),
    messages: [{ bodyKind: BodyKind.CHUNKED }],
  },
  {
    name: 'Transfer-Encoding list across lines with empty elements',
    input: post('Transfer-Encoding: ,\r\nTransfer-Encoding: , chunked\r\n', '0\r\n\r\n'),
    messages: [{ bodyKind: BodyKind.CHUNKED }],
  },
  {
    name: 'pipelined requests, nothing swallowed from the next',
    input: `${get('/1')}${post('Content-Length: 3\r\n', 'abc')}${chunked('3\r\nxyz\r\n0\r\n\r\n')}${get('/4')}`,
    messages: [{ path: '/1' }, { body: 'abc' }, { body: 'xyz', trailers: [] }, { path: '/4' }],
  },
  {
    name: 'a partial second request is held, not reported',
    input: `${get('/1')}GET /2 HT`,
    messages: [{ path: '/1' }],
    incomplete: true,
  },
  {
    name: 'a body cut short is incomplete, not an error',
    input: post('Content-Length: 10\r\n', 'abc'),
    messages: [],
    incomplete: true,
  },
  {
    name: 'headers at exactly the limits',
    input: `GET /${'a'.repeat(15)} HTTP/1.1\r\nHost: h\r\nX: ${'v'.repeat(2)}\r\n\r\n`,
    limits: { maxRequestLineBytes: 32, maxHeaderBytes: 9 + 8 + 2, maxHeaderCount: 2 },
    messages: [{ path: `/${'a'.repeat(15)}` }],
  },
  {
    name: 'body at exactly the limit, by length and by chunks',
    input: `${post('Content-Length: 4\r\n', 'abcd')}${chunked('2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n')}`,
    limits: { maxBodyBytes: 4 },
    messages: [{ body: 'abcd' }, { body: 'abcd' }],
  },
];

const E = (name: string, input: string, error: ProtocolErrorCode, extra: Partial<Case> = {}): Case => ({
  name,
  input,
  error,
  ...extra,
});

const INVALID: Case[] = [
  // Request line (RFC 9112 §3)
  E('method with a non-token byte', 'GE(T / HTTP/1.1\r\n', 'INVALID_METHOD'),
  E('request line starting with a space', ' GET / HTTP/1.1\r\n', 'INVALID_METHOD'),
  E('two spaces after the method', 'GET  / HTTP/1.1\r\n', 'INVALID_REQUEST_LINE'),
  E('two spaces before the version', 'GET /  HTTP/1.1\r\n', 'INVALID_REQUEST_LINE'),
  E('HTTP/0.9 simple request', 'GET /\r\n', 'INVALID_REQUEST_LINE'),
  E('method alone', 'GET\r\n', 'INVALID_REQUEST_LINE'),
  E('tab as a separator', 'GET\t/ HTTP/1.1\r\n', 'INVALID_METHOD'),
  E('trailing space after the version', 'GET / HTTP/1.1 \r\n', 'INVALID_REQUEST_LINE'),
  E('lower-case version', 'GET / http/1.1\r\n', 'INVALID_VERSION'),
  E('version with two digits', 'GET / HTTP/1.10\r\n', 'INVALID_VERSION'),
  E('version without minor', 'GET / HTTP/1\r\n', 'INVALID_VERSION'),
  E('HTTP/2.0 is well-formed but unsupported', 'GET / HTTP/2.0\r\n', 'VERSION_NOT_SUPPORTED'),
  E('HTTP/0.9 with a version', 'GET / HTTP/0.9\r\n', 'VERSION_NOT_SUPPORTED'),
  E('HTTP/2 connection preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'VERSION_NOT_SUPPORTED'),
  E('bare LF after the request line', 'GET / HTTP/1.1\nHost: a\r\n\r\n', 'INVALID_LINE_ENDING'),
  E('bare CR after the request line', 'GET / HTTP/1.1\rHost: a\r\n\r\n', 'INVALID_LINE_ENDING'),
  E('bare LF as a leading empty line', '\nGET / HTTP/1.1\r\n', 'INVALID_LINE_ENDING'),
  E('bare CR as a leading empty line', '\rGET / HTTP/1.1\r\n', 'INVALID_LINE_ENDING'),
  E('too many leading empty lines', `${'\r\n'.repeat(9)}${get('/')}`, 'INVALID_REQUEST_LINE', {
    limits: { maxRequestLineBytes: 16 },
  }),
  // Request-target (RFC 9112 §3.2, RFC 3986)
  E('NUL in the target', 'GET /a\x00b HTTP/1.1\r\n', 'INVALID_TARGET'),
  E('DEL in the target', 'GET /a\x7fb HTTP/1.1\r\n', 'INVALID_TARGET'),
  E('raw non-ASCII in the target', 'GET /caf\xe9 HTTP/1.1\r\n', 'INVALID_TARGET'),
  E('fragment in the target', 'GET /a#b HTTP/1.1\r\n', 'INVALID_TARGET'),
  E('bad percent-escape', get('/a%zz'), 'INVALID_TARGET'),
  E('truncated percent-escape', get('/a%4'), 'INVALID_TARGET'),
  E('percent at the end', get('/a%'), 'INVALID_TARGET'),
  E('relative target', get('a/b'), 'INVALID_TARGET'),
  E('asterisk for GET', get('*'), 'INVALID_TARGET'),
  E('CONNECT with origin-form', 'CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n', 'INVALID_TARGET'),
  E('CONNECT without a port', 'CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n', 'INVALID_TARGET'),
  E('absolute-form with userinfo (RFC 9110 §4.2.4)', get('http://user@a.test/'), 'INVALID_TARGET'),
  E('absolute-form without authority', get('http:///x'), 'INVALID_TARGET'),
  E('absolute-form that is not hierarchical', get('urn:isbn:1'), 'INVALID_TARGET'),
  E('request line over the limit', get(`/${'a'.repeat(40)}`), 'URI_TOO_LONG', {
    limits: { maxRequestLineBytes: 32 },
  }),
  E(
    'request line over the limit with a bad byte after it',
    `GET /${'a'.repeat(40)}\x00 HTTP/1.1\r\n`,
    'URI_TOO_LONG',
    {
      limits: { maxRequestLineBytes: 32 },
    },
  ),
  // Field lines (RFC 9112 §5, RFC 9110 §5)
  E('space between name and colon', get('/', 'X-A : b\r\n'), 'INVALID_HEADER_NAME'),
  E('tab between name and colon', get('/', 'X-A\t: b\r\n'), 'INVALID_HEADER_NAME'),
  E('space inside the name', get('/', 'X A: b\r\n'), 'INVALID_HEADER_NAME'),
  E('empty name', get('/', ': b\r\n'), 'INVALID_HEADER_NAME'),
  E('no colon', get('/', 'X-A b\r\n'), 'INVALID_HEADER_NAME'),
  E('non-token byte in the name', get('/', 'X-{A}: b\r\n'), 'INVALID_HEADER_NAME'),
  E('obs-fold (RFC 9112 §5.2)', get('/', 'X-A: b\r\n c\r\n'), 'OBS_FOLD'),
  E('obs-fold with a tab', get('/', 'X-A: b\r\n\tc\r\n'), 'OBS_FOLD'),
  E(
    'whitespace line before the first field (RFC 9112 §2.2)',
    'GET / HTTP/1.1\r\n Host: a\r\n\r\n',
    'INVALID_HEADER_NAME',
  ),
  E('NUL in a value', get('/', 'X-A: a\x00b\r\n'), 'INVALID_HEADER_VALUE'),
  E('DEL in a value', get('/', 'X-A: a\x7fb\r\n'), 'INVALID_HEADER_VALUE'),
  E('vertical tab in a value', get('/', 'X-A: a\x0bb\r\n'), 'INVALID_HEADER_VALUE'),
  E('bare CR inside a value', get('/', 'X-A: a\rb\r\n'), 'INVALID_LINE_ENDING'),
  E('bare LF ending a field', 'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n', 'INVALID_LINE_ENDING'),
  E('bare LF ending the head', 'GET / HTTP/1.1\r\nHost: a\r\n\n', 'INVALID_LINE_ENDING'),
  E('bare CR ending the head', 'GET / HTTP/1.1\r\nHost: a\r\n\rX', 'INVALID_LINE_ENDING'),
  E('header section over the limit', get('/', `X-Big: ${'v'.repeat(64)}\r\n`), 'HEADERS_TOO_LARGE', {
    limits: { maxHeaderBytes: 48 },
  }),
  E('too many fields', get('/', 'A: 1\r\nB: 2\r\nC: 3\r\n'), 'TOO_MANY_HEADERS', {
    limits: { maxHeaderCount: 3 },
  }),
  // Host (RFC 9112 §3.2, RFC 9110 §7.2)
  E('HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nX: y\r\n\r\n', 'MISSING_HOST'),
  E('two Host lines', 'GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', 'MULTIPLE_HOST'),
  E('two Host lines in HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n', 'MULTIPLE_HOST'),
  E('Host with a space', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 'INVALID_HOST'),
  E('Host with userinfo', 'GET / HTTP/1.1\r\nHost: u@a\r\n\r\n', 'INVALID_HOST'),
  E('Host with a non-numeric port', 'GET / HTTP/1.1\r\nHost: a:http\r\n\r\n', 'INVALID_HOST'),
  E('Host with a six-digit port', 'GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n', 'INVALID_HOST'),
  E('Host with an unclosed IPv6 literal', 'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', 'INVALID_HOST'),
  E('Host with a bracketed non-address', 'GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n', 'INVALID_HOST'),
  E('Host with an IPvFuture lacking its dot', 'GET / HTTP/1.1\r\nHost: [v1x]\r\n\r\n', 'INVALID_HOST'),
  E('Host with a path', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 'INVALID_HOST'),
  E('Host with a bad percent-escape', 'GET / HTTP/1.1\r\nHost: a%g1\r\n\r\n', 'INVALID_HOST'),
  // Content-Length (RFC 9112 §6.3, RFC 9110 §8.6)
  ...[
    '+5',
    '-5',
    '0x5',
    '5.0',
    '1e3',
    '5 5',
    '',
    ' ',
    '5,',
    ',5',
    '5,,5',
    '5, 6',
    '\xd9\xa5',
    '99999999999999999999',
  ].map((v) =>
    E(`Content-Length ${JSON.stringify(v)}`, post(`Content-Length: ${v}\r\n`, ''), 'INVALID_CONTENT_LENGTH'),
  ),
  E(
    'Content-Length lines that disagree',
    post('Content-Length: 5\r\nContent-Length: 6\r\n', 'hello'),
    'INVALID_CONTENT_LENGTH',
  ),
  E('Content-Length over the body limit', post('Content-Length: 5\r\n', 'hello'), 'BODY_TOO_LARGE', {
    limits: { maxBodyBytes: 4 },
  }),
  // Transfer-Encoding (RFC 9112 §6.1, §6.3)
  E(
    'Content-Length with Transfer-Encoding',
    post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    'CONTENT_LENGTH_WITH_TRANSFER_ENCODING',
  ),
  E(
    'Transfer-Encoding then Content-Length',
    post('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', '0\r\n\r\n'),
    'CONTENT_LENGTH_WITH_TRANSFER_ENCODING',
  ),
  E('chunked not last', post('Transfer-Encoding: chunked, gzip\r\n', ''), 'INVALID_TRANSFER_ENCODING'),
  E(
    'chunked twice',
    post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', ''),
    'INVALID_TRANSFER_ENCODING',
  ),
  E('only a coding other than chunked', post('Transfer-Encoding: gzip\r\n', ''), 'INVALID_TRANSFER_ENCODING'),
  E(
    'identity (removed from HTTP/1.1)',
    post('Transfer-Encoding: identity\r\n', ''),
    'INVALID_TRANSFER_ENCODING',
  ),
  E('empty Transfer-Encoding', post('Transfer-Encoding: \r\n', ''), 'INVALID_TRANSFER_ENCODING'),
  E('chunked with a parameter', post('Transfer-Encoding: chunked;q=1\r\n', ''), 'INVALID_TRANSFER_ENCODING'),
  E('chunked spelled with a space', post('Transfer-Encoding: chun ked\r\n', ''), 'INVALID_TRANSFER_ENCODING'),
  E(
    'Transfer-Encoding in HTTP/1.0',
    'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'INVALID_TRANSFER_ENCODING',
  ),
  E(
    'gzip then chunked is not implemented',
    post('Transfer-Encoding: gzip, chunked\r\n', ''),
    'UNSUPPORTED_TRANSFER_CODING',
  ),
  // Chunked body (RFC 9112 §7.1)
  E('chunk size not hex', chunked('g\r\n'), 'INVALID_CHUNK_SIZE'),
  E('negative chunk size', chunked('-1\r\n'), 'INVALID_CHUNK_SIZE'),
  E('0x prefix', chunked('0x5\r\nhello\r\n0\r\n\r\n'), 'INVALID_CHUNK_SIZE'),
  E('space before the size', chunked(' 5\r\nhello\r\n'), 'INVALID_CHUNK_SIZE'),
  E('whitespace after the size without an extension', chunked('5 \r\nhello\r\n'), 'INVALID_CHUNK_EXTENSION'),
  E('chunk size overflow', chunked('fffffffffffffffff\r\n'), 'INVALID_CHUNK_SIZE'),
  E('seventeen leading zeros', chunked('00000000000000001\r\nx\r\n'), 'INVALID_CHUNK_SIZE'),
  E('bare LF after the size', chunked('5\nhello\r\n'), 'INVALID_LINE_ENDING'),
  E('empty extension name', chunked('5;\r\nhello\r\n'), 'INVALID_CHUNK_EXTENSION'),
  E('extension without a value after =', chunked('5;a=\r\nhello\r\n'), 'INVALID_CHUNK_EXTENSION'),
  E('whitespace before CRLF in an extension', chunked('5;a=b \r\nhello\r\n'), 'INVALID_CHUNK_EXTENSION'),
  E('unterminated quoted extension', chunked('5;a="b\r\nhello\r\n'), 'INVALID_CHUNK_EXTENSION'),
  E('control byte in a quoted extension', chunked('5;a="\x01"\r\nhello\r\n'), 'INVALID_CHUNK_EXTENSION'),
  E('extension over the limit', chunked(`5;${'a'.repeat(20)}\r\nhello\r\n`), 'INVALID_CHUNK_EXTENSION', {
    limits: { maxChunkExtensionBytes: 16 },
  }),
  E('data longer than the size', chunked('5\r\nhelloX\r\n0\r\n\r\n'), 'INVALID_CHUNK_DATA'),
  E('data missing its LF', chunked('5\r\nhello\rX'), 'INVALID_CHUNK_DATA'),
  E('chunked body over the limit', chunked('3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n'), 'BODY_TOO_LARGE', {
    limits: { maxBodyBytes: 5 },
  }),
  E('trailer with obs-fold', chunked('0\r\nX: a\r\n b\r\n\r\n'), 'OBS_FOLD'),
  E('trailer with a bad name', chunked('0\r\nX Y: a\r\n\r\n'), 'INVALID_HEADER_NAME'),
  E('trailer section over the limit', chunked(`0\r\nX: ${'v'.repeat(40)}\r\n\r\n`), 'TRAILERS_TOO_LARGE', {
    limits: { maxTrailerBytes: 32 },
  }),
  E('bare LF ending the trailers', chunked('0\r\n\n'), 'INVALID_LINE_ENDING'),
  // Errors after complete messages
  E('a valid request, then garbage', `${get('/')}\x00`, 'INVALID_METHOD', { before: 1 }),
  E(
    'a smuggled second request behind a bad length',
    `${post('Content-Length: 1, 2\r\n', 'x')}${get('/smuggled')}`,
    'INVALID_CONTENT_LENGTH',
  ),
];

function check(c: Case, result: FeedResult): void {
  if (c.error !== undefined) {
    expect(result.error).toBe(c.error);
    expect(result.messages).toHaveLength(c.before ?? 0);
    return;
  }
  expect(result.error).toBeNull();
  expect(result.messages).toHaveLength(c.messages?.length ?? 0);
  c.messages?.forEach((m, k) => expect(result.messages[k]).toMatchObject(m));
  expect(result.incomplete).toBe(c.incomplete ?? false);
}

describe.each([
  ['valid', VALID],
  ['invalid', INVALID],
])('%s requests', (_kind, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const bytes = Buffer.from(c.input, 'latin1');
    const whole = feed(bytes, [bytes.length], c.limits);
    check(c, whole);
    for (const pieces of splits(bytes.length)) {
      const split = feed(bytes, pieces, c.limits);
      expect(split, `split ${pieces.length === 2 ? `at ${pieces[0]}` : 'byte by byte'}`).toEqual(whole);
    }
  });
});

describe('parser contract', () => {
  it('maps every error code to a status and a fixed reason', () => {
    for (const [code, answer] of Object.entries(PROTOCOL_ERRORS)) {
      expect([400, 413, 414, 431, 501, 505], code).toContain(answer.status);
      expect(answer.reason.length).toBeGreaterThan(0);
    }
  });

  it('stays dead after an error', () => {
    const p = new RequestParser(parserLimits());
    const bad = Buffer.from('GET / HTTP/1.1\r\nHost: a b\r\n\r\n');
    let off = 0;
    let r: number;
    while ((r = p.execute(bad, off, bad.length)) !== Outcome.ERROR) off = p.offset;
    const good = Buffer.from(get('/'));
    expect(p.execute(good, 0, good.length)).toBe(Outcome.ERROR);
    expect(p.error).toBe('INVALID_HOST');
    expect(r).toBe(Outcome.ERROR);
  });

  it('keeps the head for an error decided after it (413)', () => {
    const whole = Buffer.from(post('Content-Length: 10\r\n', ''));
    const p = new RequestParser(parserLimits({ maxBodyBytes: 5 }));
    let off = 0;
    while (p.execute(whole, off, whole.length) !== Outcome.ERROR) off = p.offset;
    expect(p.error).toBe('BODY_TOO_LARGE');
    expect(p.head?.method).toBe('POST');
    expect(p.head?.contentLength).toBe(10);
  });

  it('has no head for an error in the head', () => {
    const p = new RequestParser(parserLimits());
    const first = Buffer.from(`${get('/ok')}GET / HTTP/1.1\r\nX : y\r\n\r\n`);
    let off = 0;
    while (p.execute(first, off, first.length) !== Outcome.ERROR) off = p.offset;
    expect(p.head).toBeNull();
  });

  it('resumes after END at the offset it returned (pipelining paused by the engine)', () => {
    const p = new RequestParser(parserLimits());
    const two = Buffer.from(`${get('/1')}${get('/2')}`);
    const seen: string[] = [];
    let off = 0;
    for (;;) {
      const r = p.execute(two, off, two.length);
      off = p.offset;
      if (r === Outcome.HEAD) seen.push(p.head?.path ?? '');
      if (r === Outcome.NEED_MORE) break;
    }
    expect(seen).toEqual(['/1', '/2']);
    expect(p.inMessage).toBe(false);
  });

  it('handles an empty range without consuming or erroring', () => {
    const p = new RequestParser(parserLimits());
    expect(p.execute(Buffer.alloc(0), 0, 0)).toBe(Outcome.NEED_MORE);
    expect(p.inMessage).toBe(false);
  });

  it('parses a 10 KB head delivered one byte at a time ', () => {
    const head = get('/', `X-Long: ${'v'.repeat(10_000)}\r\n`);
    const bytes = Buffer.from(head);
    const r = feed(
      bytes,
      Array.from({ length: bytes.length }, () => 1),
    );
    expect(r.error).toBeNull();
    expect(r.messages[0]?.headers[3]).toHaveLength(10_000);
  });
});
