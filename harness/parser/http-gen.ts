/**
 * fast-check arbitraries for HTTP/1.1 requests that Samovar's parser must accept, their
 * serializer to bytes, the parse each one must give back, mutations of those bytes, and a driver
 * that feeds bytes to `RequestParser` under any split. Shared by the property test and the
 * differential test against llhttp.
 *
 * The generators follow the grammar Samovar accepts (RFC 9112 §2–§7, RFC 9110 §5, RFC 3986 §3),
 * which is narrower than what llhttp accepts in places; see docs/parser-strictness.md.
 * Must not: import anything but the parser's public API (so it tests that API, not internals).
 */

import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { RequestParser, Outcome, type ParserLimits } from '../../src/http/request-parser.ts';
import type { ProtocolErrorCode } from '../../src/http/errors.ts';
import type { RequestHead } from '../../src/http/request-head.ts';
import { parserLimits } from './limits.ts';

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/** One field line as it will be written: `name ":" before value after CRLF`. */
export interface GenField {
  /** The name as sent (random case). */
  readonly name: string;
  /** The value without surrounding OWS: what the parser must hand back. */
  readonly value: string;
  /** OWS written before and after the value (RFC 9112 §5.1); the parser trims it. */
  readonly before: string;
  readonly after: string;
}

export interface GenChunk {
  readonly data: Buffer;
  /** The chunk-size as written: hex digits, any case, maybe leading zeros. */
  readonly size: string;
  /** Everything between the size and CRLF: `*( BWS ";" chunk-ext-name [ "=" chunk-ext-val ] )`. */
  readonly ext: string;
}

export type GenFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length' }
  | {
      readonly kind: 'chunked';
      readonly chunks: readonly GenChunk[];
      readonly lastSize: string;
      readonly lastExt: string;
      readonly trailers: readonly GenField[];
    };

export type GenTargetForm = 'origin' | 'absolute' | 'authority' | 'asterisk';

export interface GenRequest {
  /** Empty lines (CRLF) before the request line; RFC 9112 §2.2 says to ignore them. */
  readonly leadingCrlf: number;
  readonly method: string;
  readonly target: string;
  readonly targetForm: GenTargetForm;
  readonly path: string;
  readonly query: string | null;
  readonly versionMinor: 0 | 1;
  /** Every field line in order, framing fields (Host, Content-Length, …) included. */
  readonly fields: readonly GenField[];
  readonly framing: GenFraming;
  /** The body as the handler must see it (decoded for chunked). */
  readonly body: Buffer;
  /** What `head.host` must be: the absolute-form authority, else the Host value, else ''. */
  readonly host: string;
  readonly keepAlive: boolean;
  readonly expect: string | null;
}

/** What one parsed message looks like; the same shape is produced by `runSamovar`. */
export interface MessageView {
  readonly method: string;
  readonly target: string;
  readonly targetForm: string;
  readonly path: string;
  readonly query: string | null;
  readonly versionMinor: number;
  readonly headers: readonly string[];
  readonly host: string;
  readonly keepAlive: boolean;
  readonly expect: string | null;
  readonly body: string;
  /** Flattened trailer fields; empty unless chunked. */
  readonly trailers: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Character classes
// ---------------------------------------------------------------------------------------------

const range = (from: number, to: number): string =>
  String.fromCharCode(...Array.from({ length: to - from + 1 }, (_, i) => from + i));

const ALPHA = range(0x41, 0x5a) + range(0x61, 0x7a);
const DIGIT = '0123456789';
const HEXDIG = '0123456789abcdefABCDEF';
/** RFC 9110 §5.6.2. */
export const TCHAR = ALPHA + DIGIT + "!#$%&'*+-.^_`|~";
const UNRESERVED = ALPHA + DIGIT + '-._~';
const SUB_DELIMS = "!$&'()*+,;=";
/** VCHAR: visible US-ASCII (RFC 5234 B.1). */
const VCHAR = range(0x21, 0x7e);
/** obs-text (RFC 9110 §5.5). */
const OBS_TEXT = range(0x80, 0xff);

const charOf = (set: string): fc.Arbitrary<string> => fc.constantFrom(...set.split(''));
const stringOf = (set: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: charOf(set), minLength, maxLength });

/** Randomizes the case of ASCII letters (names and `chunked` are case-insensitive). */
const randomCase = (s: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((flags) => s.replace(/./g, (c, i: number) => (flags[i] ? c.toUpperCase() : c.toLowerCase())));

const hexByte = fc.tuple(charOf(HEXDIG), charOf(HEXDIG)).map(([a, b]) => `%${a}${b}`);

// ---------------------------------------------------------------------------------------------
// Request line
// ---------------------------------------------------------------------------------------------

/** Methods llhttp also knows; a method outside this list is a deliberate difference. */
export const COMMON_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH'] as const;

/** Tokens outside llhttp's method list: any token is a method (RFC 9110 §9.1). */
const extensionMethodArb = stringOf(TCHAR, 1, 12);

export const methodArb = (portable: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...COMMON_METHODS) },
    { weight: 1, arbitrary: fc.constantFrom('PROPFIND', 'MKCOL', 'PURGE', 'SEARCH', 'QUERY', 'M-SEARCH') },
    { weight: portable ? 0 : 1, arbitrary: extensionMethodArb },
  );

/** Bytes Samovar accepts in a path: VCHAR except `#` (fragment), `%` (escapes only), `?`. */
const PATH_CHAR = VCHAR.replace(/[#%?]/g, '');
const QUERY_CHAR = VCHAR.replace(/[#%]/g, '');
const pathArb = fc
  .array(fc.oneof({ weight: 8, arbitrary: stringOf(PATH_CHAR, 1, 8) }, { weight: 1, arbitrary: hexByte }), {
    maxLength: 6,
  })
  .map((parts) => `/${parts.join('')}`);
const queryArb = fc
  .array(fc.oneof({ weight: 8, arbitrary: stringOf(QUERY_CHAR, 1, 8) }, { weight: 1, arbitrary: hexByte }), {
    maxLength: 5,
  })
  .map((parts) => parts.join(''));

const portArb = fc.integer({ min: 0, max: 65535 }).map(String);
const ipv4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const ipv6Arb = fc.constantFrom('[::1]', '[2001:db8::7]', '[fe80::1:2:3:4]', '[::ffff:10.0.0.1]');
const regNameArb = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: stringOf(UNRESERVED + SUB_DELIMS, 1, 6) },
      { weight: 1, arbitrary: hexByte },
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.join(''));
/** DNS-like names: what absolute-form URIs carry in practice. */
const dnsNameArb = fc
  .array(stringOf(ALPHA + DIGIT, 1, 8), { minLength: 1, maxLength: 3 })
  .map((labels) => labels.join('.'));

/** `host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2). */
export const hostPortArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: dnsNameArb }, regNameArb, ipv4Arb, ipv6Arb),
    fc.option(portArb, { nil: undefined }),
  )
  .map(([h, p]) => (p === undefined ? h : `${h}:${p}`));

interface TargetParts {
  readonly target: string;
  readonly form: GenTargetForm;
  readonly path: string;
  readonly query: string | null;
  readonly authority: string | null;
}

const originTargetArb: fc.Arbitrary<TargetParts> = fc
  .tuple(pathArb, fc.option(queryArb, { nil: null }))
  .map(([path, query]) => ({
    target: query === null ? path : `${path}?${query}`,
    form: 'origin',
    path,
    query,
    authority: null,
  }));

const absoluteTargetArb: fc.Arbitrary<TargetParts> = fc
  .tuple(
    fc.constantFrom('http', 'https', 'HTTP', 'ws'),
    fc.oneof({ weight: 3, arbitrary: dnsNameArb }, ipv4Arb, ipv6Arb),
    fc.option(portArb, { nil: undefined }),
    fc.option(pathArb, { nil: '' }),
    fc.option(queryArb, { nil: null }),
  )
  .map(([scheme, host, port, path, query]) => {
    const authority = port === undefined ? host : `${host}:${port}`;
    const rest = query === null ? path : `${path}?${query}`;
    return {
      target: `${scheme}://${authority}${rest}`,
      form: 'absolute',
      path: path || '/',
      query,
      authority,
    };
  });

// ---------------------------------------------------------------------------------------------
// Header fields
// ---------------------------------------------------------------------------------------------

/** Names the parser acts on; random fields never use them, so framing stays as generated. */
const SPECIAL_NAMES = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'expect',
  'upgrade',
]);

const COMMON_FIELDS: readonly (readonly [string, string])[] = [
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
  ['Accept-Language', 'en-GB,en;q=0.5'],
  ['Accept-Encoding', 'gzip, deflate, br, zstd'],
  ['Cookie', 'session=0123456789abcdef; theme=dark'],
  ['Cache-Control', 'no-cache'],
  ['X-Forwarded-For', '203.0.113.7, 198.51.100.1'],
  ['Content-Type', 'application/json; charset=utf-8'],
];

const owsArb = stringOf(' \t', 0, 3);
const nameArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...COMMON_FIELDS.map(([n]) => n)).chain(randomCase),
  stringOf(TCHAR, 1, 14).filter((n) => !SPECIAL_NAMES.has(n.toLowerCase())),
);
/** A field value: words of VCHAR / obs-text joined by SP/HTAB runs; may be empty. */
export const fieldValueArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...COMMON_FIELDS.map(([, v]) => v)),
  fc
    .array(
      fc.tuple(
        fc.string({
          unit: fc.oneof({ weight: 6, arbitrary: charOf(VCHAR) }, { weight: 1, arbitrary: charOf(OBS_TEXT) }),
          minLength: 1,
          maxLength: 10,
        }),
        stringOf(' \t', 1, 2),
      ),
      { maxLength: 4 },
    )
    .map((words) =>
      words
        .map(([w, sep], i) => (i === words.length - 1 ? w : w + sep))
        .join('')
        .trimEnd(),
    ),
);

const fieldWith = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<GenField> =>
  fc.record({ name, value, before: owsArb, after: owsArb });

export const fieldArb: fc.Arbitrary<GenField> = fieldWith(nameArb, fieldValueArb);

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

const bytesArb = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength: 1, maxLength }).map((a) => Buffer.from(a));

const hexSize = (n: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.nat(2), fc.boolean())
    .map(([zeros, upper]) => '0'.repeat(zeros) + (upper ? n.toString(16).toUpperCase() : n.toString(16)));

const quotedStringArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: charOf(' \t' + VCHAR.replace(/["\\]/g, '') + OBS_TEXT.slice(0, 8)) },
      { weight: 1, arbitrary: charOf(' \t"\\' + ALPHA.slice(0, 4)).map((c) => `\\${c}`) },
    ),
    { maxLength: 8 },
  )
  .map((parts) => `"${parts.join('')}"`);

/** BWS (RFC 9110 §5.6.3): llhttp accepts none around a chunk extension; Samovar accepts it. */
const bwsArb = (portable: boolean): fc.Arbitrary<string> =>
  portable ? fc.constant('') : fc.constantFrom('', '', '', ' ', '\t', '  ');

/** `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )` (RFC 9112 §7.1.1). */
export const chunkExtArb = (portable: boolean): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.tuple(bwsArb(portable), bwsArb(portable)),
        stringOf(TCHAR, 1, 8),
        fc.option(
          fc.tuple(bwsArb(portable), bwsArb(portable), fc.oneof(stringOf(TCHAR, 1, 8), quotedStringArb)),
          { nil: null },
        ),
      ),
      { maxLength: 2 },
    )
    .map((exts) =>
      exts
        .map(
          ([[b1, b2], name, val]) =>
            `${b1};${b2}${name}${val === null ? '' : `${val[0]}=${val[1]}${val[2]}`}`,
        )
        .join(''),
    );

const chunkArb = (portable: boolean): fc.Arbitrary<GenChunk> =>
  bytesArb(40).chain((data) =>
    fc.record({ data: fc.constant(data), size: hexSize(data.length), ext: chunkExtArb(portable) }),
  );

const chunkedArb = (portable: boolean) =>
  fc.record({
    kind: fc.constant('chunked' as const),
    chunks: fc.array(chunkArb(portable), { maxLength: 5 }),
    lastSize: fc.constantFrom('0', '0', '00', '000'),
    lastExt: chunkExtArb(portable),
    trailers: fc.array(fieldArb, { maxLength: 3 }),
  });

/** Content-Length field lines for `n`: usually one; sometimes repeated or a list of equal values. */
const contentLengthFieldsArb = (n: number, portable: boolean): fc.Arbitrary<GenField[]> =>
  fc
    .tuple(
      portable
        ? fc.constant('single')
        : fc.constantFrom('single', 'single', 'single', 'single', 'repeated', 'list'),
      fc.nat(2),
      randomCase('Content-Length'),
      owsArb,
      owsArb,
    )
    .map(([shape, zeros, name, before, after]) => {
      const v = '0'.repeat(zeros) + String(n);
      if (shape === 'single') return [{ name, value: v, before, after }];
      if (shape === 'repeated')
        return [
          { name, value: v, before, after },
          { name, value: String(n), before: ' ', after: '' },
        ];
      return [{ name, value: `${v}, ${n},${n}`, before, after }];
    });

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

interface Shape {
  readonly method: string;
  readonly target: TargetParts;
  readonly body: 'none' | 'length' | 'chunked';
}

const shapeArb = (portable: boolean): fc.Arbitrary<Shape> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        method: methodArb(portable),
        target: fc.oneof({ weight: 4, arbitrary: originTargetArb }, absoluteTargetArb),
        body: fc.constantFrom('none', 'length', 'chunked' as const),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constant('OPTIONS'),
        target: fc.constant<TargetParts>({
          target: '*',
          form: 'asterisk',
          path: '*',
          query: null,
          authority: null,
        }),
        body: fc.constant('none' as const),
      }),
    },
    {
      // llhttp hands what follows a CONNECT head to a tunnel; Samovar closes: not portable.
      weight: portable ? 0 : 1,
      arbitrary: fc.record({
        method: fc.constant('CONNECT'),
        target: fc.tuple(fc.oneof(dnsNameArb, ipv4Arb, ipv6Arb), portArb).map(([h, p]): TargetParts => {
          const t = `${h}:${p}`;
          return { target: t, form: 'authority', path: t, query: null, authority: null };
        }),
        body: fc.constant('none' as const),
      }),
    },
  );

/** Mostly absent: `weight` in 10 requests carry it. */
const sometimes = <T>(arb: fc.Arbitrary<T>, weight: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 10 - weight, arbitrary: fc.constant(null) }, { weight, arbitrary: arb });

const connectionArb = sometimes(
  fc
    .tuple(fc.constantFrom('close', 'keep-alive'), fc.boolean())
    .chain(([token, upper]) =>
      fieldWith(randomCase('Connection'), fc.constant(upper ? token.toUpperCase() : token)),
    ),
  3,
);
const expectArb = sometimes(fieldWith(randomCase('Expect'), fc.constant('100-continue')), 1);

/** Inserts `extra` fields at random positions of `base`, keeping each list's own order. */
const interleave = <T>(base: readonly T[], extra: readonly T[]): fc.Arbitrary<T[]> =>
  fc.array(fc.nat(base.length), { minLength: extra.length, maxLength: extra.length }).map((positions) => {
    const out = [...base];
    const sorted = positions.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0] || b[1] - a[1]);
    for (const [p, i] of sorted) out.splice(p, 0, extra[i] as T);
    return out;
  });

/**
 * A request Samovar must accept. `portable` leaves out what Samovar treats differently from
 * llhttp on purpose (extension methods, equal Content-Length lists, BWS in chunk extensions,
 * CONNECT), so the differential test can demand exact agreement on it.
 */
export const requestArb = (portable = false): fc.Arbitrary<GenRequest> =>
  fc
    .record({
      shape: shapeArb(portable),
      versionMinor: fc.constantFrom(0, 1, 1, 1),
      leadingCrlf: fc.constantFrom(0, 0, 0, 0, 1, 2),
      fields: fc.array(fieldArb, { maxLength: 8 }),
      hostField: fieldWith(
        randomCase('Host'),
        fc.oneof({ weight: 9, arbitrary: hostPortArb }, fc.constant('')),
      ),
      hostIn10: fc.boolean(),
      connection: connectionArb,
      expect: expectArb,
      lengthBody: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      chunked: chunkedArb(portable),
      teName: randomCase('Transfer-Encoding'),
      teValue: randomCase('chunked'),
    })
    .chain((r) => {
      const minor = r.versionMinor;
      // Transfer-Encoding in an HTTP/1.0 request is rejected (RFC 9112 §6.1), so 1.0 uses Content-Length.
      const bodyKind = r.shape.body === 'chunked' && minor === 0 ? 'length' : r.shape.body;
      const special: GenField[] = [];
      if (minor === 1 || r.hostIn10) special.push(r.hostField);
      if (r.connection) special.push(r.connection);
      if (r.expect) special.push(r.expect);
      const clFields =
        bodyKind === 'length' ? contentLengthFieldsArb(r.lengthBody.length, portable) : fc.constant([]);
      return clFields.chain((cl) => {
        if (bodyKind === 'chunked')
          special.push({ name: r.teName, value: r.teValue, before: ' ', after: '' });
        return interleave(r.fields, [...special, ...cl]).map((fields): GenRequest => {
          const framing: GenFraming =
            bodyKind === 'none' ? { kind: 'none' } : bodyKind === 'length' ? { kind: 'length' } : r.chunked;
          const body =
            framing.kind === 'chunked'
              ? Buffer.concat(framing.chunks.map((c) => c.data))
              : bodyKind === 'length'
                ? r.lengthBody
                : Buffer.alloc(0);
          const connection = r.connection?.value.toLowerCase() ?? '';
          // Samovar never tunnels, so a CONNECT exchange always ends its connection.
          const keepAlive =
            connection !== 'close' &&
            (minor === 1 || connection === 'keep-alive') &&
            r.shape.target.form !== 'authority';
          const hostSent = minor === 1 || r.hostIn10;
          return {
            leadingCrlf: r.leadingCrlf,
            method: r.shape.method,
            target: r.shape.target.target,
            targetForm: r.shape.target.form,
            path: r.shape.target.path,
            query: r.shape.target.query,
            versionMinor: minor,
            fields,
            framing,
            body,
            host: r.shape.target.authority ?? (hostSent ? r.hostField.value : ''),
            keepAlive,
            expect: r.expect ? r.expect.value.toLowerCase() : null,
          };
        });
      });
    });

/** A pipelined sequence: 1–4 requests written back to back on one connection. */
export const pipelineArb = (portable = false): fc.Arbitrary<GenRequest[]> =>
  fc.array(requestArb(portable), { minLength: 1, maxLength: 4 });

// ---------------------------------------------------------------------------------------------
// Serializer and expected parse
// ---------------------------------------------------------------------------------------------

const fieldLine = (f: GenField): string => `${f.name}:${f.before}${f.value}${f.after}\r\n`;

/** The bytes of one request. Strings are written as latin1, one byte per char. */
export function serialize(req: GenRequest): Buffer {
  const head =
    '\r\n'.repeat(req.leadingCrlf) +
    `${req.method} ${req.target} HTTP/1.${req.versionMinor}\r\n` +
    req.fields.map(fieldLine).join('') +
    '\r\n';
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  const f = req.framing;
  if (f.kind === 'length') parts.push(req.body);
  if (f.kind === 'chunked') {
    for (const c of f.chunks) parts.push(Buffer.from(`${c.size}${c.ext}\r\n`, 'latin1'), c.data, CRLF);
    parts.push(
      Buffer.from(`${f.lastSize}${f.lastExt}\r\n${f.trailers.map(fieldLine).join('')}\r\n`, 'latin1'),
    );
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n');

export function serializeAll(reqs: readonly GenRequest[]): Buffer {
  return Buffer.concat(reqs.map(serialize));
}

const flatten = (fields: readonly GenField[]): string[] =>
  fields.flatMap((f) => [f.name.toLowerCase(), f.value]);

/** The parse `req` must produce. */
export function expected(req: GenRequest): MessageView {
  return {
    method: req.method,
    target: req.target,
    targetForm: req.targetForm,
    path: req.path,
    query: req.query,
    versionMinor: req.versionMinor,
    headers: flatten(req.fields),
    host: req.host,
    keepAlive: req.keepAlive,
    expect: req.expect,
    body: req.body.toString('latin1'),
    trailers: req.framing.kind === 'chunked' ? flatten(req.framing.trailers) : [],
  };
}

// ---------------------------------------------------------------------------------------------
// Splits and mutations
// ---------------------------------------------------------------------------------------------

/** Cuts `buf` at the given (unsorted, possibly repeated) positions; empty pieces are kept out. */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) out.push(buf.subarray(from, p));
    from = Math.max(from, p);
  }
  if (from < buf.length || out.length === 0) out.push(buf.subarray(from));
  return out;
}

/** Every byte its own chunk: the harshest split. */
export function bytewise(buf: Buffer): Buffer[] {
  return Array.from({ length: buf.length }, (_, i) => buf.subarray(i, i + 1));
}

/** A split: random cut points, or one byte at a time. Copies so no chunk aliases another. */
export const splitArb = (buf: Buffer): fc.Arbitrary<Buffer[]> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.nat(), { maxLength: 12 }).map((cuts) => splitAt(buf, cuts)) },
    { weight: 1, arbitrary: fc.constant(bytewise(buf)) },
  );

/** Byte strings that hit the parser's decisions: line ends, CTLs, separators, numbers. */
export const INTERESTING: readonly string[] = [
  ...'\r \n \0 \t : , ; = " \\ \x7f \x80 \xff # % ? / @ * [ 0 f - +'.split(' '),
  ' ',
  '\r\n',
  '\r\n ',
  '\r\n\r\n',
  ...['Host: x', 'Content-Length: 5', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip'].map(
    (f) => `${f}\r\n`,
  ),
  ...['99999999999999999999', '18446744073709551616', '9007199254740993', 'ffffffffffffffffff'],
  'HTTP/1.1',
  ' HTTP/2.0',
];

export type Mutation =
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly text: string }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'duplicate-line'; readonly line: number }
  | { readonly op: 'number'; readonly run: number; readonly text: string }
  | { readonly op: 'case'; readonly at: number }
  | { readonly op: 'truncate'; readonly at: number };

const interestingArb = fc.constantFrom(...INTERESTING);
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.oneof(
      fc.nat(255),
      interestingArb.map((s) => s.charCodeAt(0)),
    ),
  }),
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: interestingArb }),
  },
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('duplicate-line' as const), line: fc.nat() }),
  fc.record({
    op: fc.constant('number' as const),
    run: fc.nat(),
    text: fc.constantFrom(
      '99999999999999999999',
      '18446744073709551616',
      '9007199254740993',
      '-1',
      '+1',
      '0x1',
      '',
    ),
  }),
  fc.record({ op: fc.constant('case' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Applies one mutation; positions wrap around the buffer so every generated value is usable. */
export function mutate(buf: Buffer, m: Mutation): Buffer {
  const n = buf.length;
  switch (m.op) {
    case 'set': {
      if (n === 0) return buf;
      const out = Buffer.from(buf);
      out[m.at % n] = m.byte;
      return out;
    }
    case 'insert': {
      const at = m.at % (n + 1);
      return Buffer.concat([buf.subarray(0, at), Buffer.from(m.text, 'latin1'), buf.subarray(at)]);
    }
    case 'delete': {
      if (n === 0) return buf;
      const at = m.at % n;
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.length)]);
    }
    case 'duplicate-line': {
      const starts = [0];
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) starts.push(i + 1);
      if (starts.length < 2) return buf;
      const k = m.line % (starts.length - 1);
      const line = buf.subarray(starts[k], starts[k + 1]);
      return Buffer.concat([buf.subarray(0, starts[k + 1]), line, buf.subarray(starts[k + 1])]);
    }
    case 'number': {
      const runs = [...buf.toString('latin1').matchAll(/[0-9]+/g)];
      if (runs.length === 0) return buf;
      const r = runs[m.run % runs.length] as RegExpExecArray;
      const at = r.index;
      return Buffer.concat([buf.subarray(0, at), Buffer.from(m.text), buf.subarray(at + r[0].length)]);
    }
    case 'case': {
      if (n === 0) return buf;
      const out = Buffer.from(buf);
      const b = out[m.at % n] as number;
      if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) out[m.at % n] = b ^ 0x20;
      return out;
    }
    case 'truncate':
      return buf.subarray(0, m.at % (n + 1));
  }
}

/** Valid pipelines with 1–3 mutations applied: the adversarial inputs. */
export const mutatedArb: fc.Arbitrary<{ reqs: GenRequest[]; mutations: Mutation[]; bytes: Buffer }> = fc
  .record({ reqs: pipelineArb(), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) })
  .map(({ reqs, mutations }) => ({
    reqs,
    mutations,
    bytes: mutations.reduce(mutate, serializeAll(reqs)),
  }));

// ---------------------------------------------------------------------------------------------
// Driving Samovar's parser
// ---------------------------------------------------------------------------------------------

export interface SamovarMessage extends MessageView {
  /** Absolute offset of the message's first byte (leading empty lines included). */
  readonly start: number;
  /** Whether END was reached. */
  readonly complete: boolean;
  /** Whether HEAD was reached (false only for the message an error cut short before its head). */
  readonly headDone: boolean;
}

export interface SamovarRun {
  readonly messages: SamovarMessage[];
  readonly error: ProtocolErrorCode | null;
  /** `execute` calls made: bounded, or the parser loops. */
  readonly calls: number;
  /** The outcomes in order, one letter each (H head, E end, X error), bodies left out. */
  readonly outcomes: string;
  /** Absolute offset where the message after the last complete one starts. */
  readonly tail: number;
}

/** A message's head as `MessageView` holds it: what the parser's `RequestHead` says. */
export type HeadView = Omit<MessageView, 'body' | 'trailers'>;

/** The head's values as plain data (its header list copied), comparable with `toEqual`. */
export function headView(h: RequestHead): HeadView {
  return {
    method: h.method,
    target: h.target,
    targetForm: h.targetForm,
    path: h.path,
    query: h.query,
    versionMinor: h.versionMinor,
    headers: [...h.headers],
    host: h.host,
    keepAlive: h.keepAlive,
    expect: h.expect,
  };
}

interface Draft {
  start: number;
  view: HeadView | null;
  body: Buffer[];
  trailers: readonly string[];
  complete: boolean;
}

function finish(d: Draft): SamovarMessage {
  const v = d.view ?? {
    method: '',
    target: '',
    targetForm: '',
    path: '',
    query: null,
    versionMinor: -1,
    headers: [],
    host: '',
    keepAlive: false,
    expect: null,
  };
  return {
    ...v,
    body: Buffer.concat(d.body).toString('latin1'),
    trailers: d.trailers,
    start: d.start,
    complete: d.complete,
    headDone: d.view !== null,
  };
}

/** Bytes that break any parse if read: what lies around a chunk when `pad` is set. */
const JUNK = Buffer.from('\n\0\r', 'latin1');

/** Copies `chunk` into the middle of a buffer of junk, as a pooled socket buffer would hold it. */
function embed(chunk: Buffer, pad: number): Buffer {
  const out = Buffer.alloc(chunk.length + 2 * pad);
  for (let i = 0; i < out.length; i++) out[i] = JUNK[i % JUNK.length] as number;
  chunk.copy(out, pad);
  return out;
}

/**
 * Feeds `chunks` to a fresh parser as TCP would deliver them and records every message. Throws
 * if the parser throws, or calls `execute` more often than the input can justify (a loop).
 * With `pad`, each chunk is parsed as a range in the middle of a larger buffer of junk, so reading
 * outside `[start, end)` shows.
 */
export function runSamovar(chunks: readonly Buffer[], limits?: Partial<ParserLimits>, pad = 0): SamovarRun {
  const p = new RequestParser(parserLimits(limits));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  // Each call consumes a byte, or reports HEAD/END/ERROR (at most 2 per message + 1), or NEED_MORE once per chunk.
  const maxCalls = 3 * total + 2 * chunks.length + 8;
  const messages: SamovarMessage[] = [];
  let draft: Draft = { start: 0, view: null, body: [], trailers: [], complete: false };
  let error: ProtocolErrorCode | null = null;
  let calls = 0;
  let outcomes = '';
  let base = 0;
  feed: for (const piece of chunks) {
    const chunk = pad > 0 ? embed(piece, pad) : piece;
    const end = pad + piece.length;
    let off = pad;
    for (;;) {
      if (++calls > maxCalls) throw new Error(`parser loops: ${calls} execute calls for ${total} bytes`);
      const r = p.execute(chunk, off, end);
      if (p.offset < off || p.offset > end) throw new Error(`offset out of range: ${p.offset}`);
      off = p.offset;
      if (r === Outcome.NEED_MORE) {
        if (off !== end) throw new Error(`NEED_MORE with ${end - off} bytes unread`);
        break;
      } else if (r === Outcome.HEAD) {
        outcomes += 'H';
        draft.view = headView(p.head as RequestHead);
      } else if (r === Outcome.BODY) {
        if (p.bodyStart < pad || p.bodyEnd > end || p.bodyStart > p.bodyEnd) {
          throw new Error(`body range [${p.bodyStart}, ${p.bodyEnd}) outside the chunk`);
        }
        draft.body.push(Buffer.from(chunk.subarray(p.bodyStart, p.bodyEnd)));
      } else if (r === Outcome.END) {
        outcomes += 'E';
        draft.trailers = [...(p.head as RequestHead).trailers];
        draft.complete = true;
        messages.push(finish(draft));
        draft = { start: base + off - pad, view: null, body: [], trailers: [], complete: false };
      } else if (r === Outcome.ERROR) {
        outcomes += 'X';
        error = p.error;
        break feed;
      } else {
        throw new Error(`unknown outcome ${String(r)}`);
      }
    }
    base += piece.length;
  }
  if (draft.view !== null || error !== null || draft.body.length > 0) messages.push(finish(draft));
  return { messages, error, calls, outcomes, tail: draft.start };
}
