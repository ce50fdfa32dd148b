/**
 * Parser benchmark (`npm run bench:parser`): requests per second on one core for Samovar's
 * request parser, http-parser-js, and Node's own llhttp (the `_http_common` binding node:http
 * uses, driven the way node:http drives it: one parser per connection, one `execute` per read,
 * JS callbacks for head, body and end).
 *
 * Each scenario is one request as a single read, parsed again and again on one keep-alive parser.
 * Every parser must deliver every message and every body byte; the counts are asserted after each
 * timed run so no work can be skipped or optimised away. After a warm-up, five ~1 s runs per
 * parser alternate between parsers (so drift in machine load hits all of them alike); the table
 * shows the median and the min–max of the five. Results go to load/results/parser-bench.json.
 *
 * Usage: node load/parser-bench.ts [--seconds 1] [--runs 5]
 * Must not: be part of `npm test` (it is long and its numbers depend on the machine).
 */

import { Buffer } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Outcome, RequestParser } from '../src/http/request-parser.ts';
import { HTTPParser as LlhttpParser, LLHTTP_MAX_HEADER_SIZE } from '../harness/parser/llhttp.ts';
import { parserLimits } from '../harness/parser/limits.ts';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly bytes: Buffer;
  /** Body bytes each parse must deliver. */
  readonly bodyBytes: number;
}

const BROWSER_GET = [
  'GET /static/app/index.html?lang=en&v=2024.11 HTTP/1.1',
  'Host: www.example.com',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language: en-GB,en;q=0.5',
  'Accept-Encoding: gzip, deflate, br, zstd',
  'Connection: keep-alive',
  'Cookie: session=9f8e7d6c5b4a39281706; theme=dark',
  'Upgrade-Insecure-Requests: 1',
  'Sec-Fetch-Dest: document',
  'Sec-Fetch-Mode: navigate',
  '',
  '',
].join('\r\n');

const BODY_1K = Buffer.alloc(1024, 'x');
const CHUNK = Buffer.alloc(64, 'y');

function chunked16(): Buffer {
  const parts: Buffer[] = [
    Buffer.from('POST /upload HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n'),
  ];
  for (let i = 0; i < 16; i++)
    parts.push(Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: 'a',
    title: '(a) GET / + Host',
    bytes: Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    bodyBytes: 0,
  },
  { id: 'b', title: '(b) browser GET, 10 headers', bytes: Buffer.from(BROWSER_GET), bodyBytes: 0 },
  {
    id: 'c',
    title: '(c) POST, 1 KiB Content-Length',
    bytes: Buffer.concat([
      Buffer.from(
        'POST /api/items HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n',
      ),
      BODY_1K,
    ]),
    bodyBytes: 1024,
  },
  { id: 'd', title: '(d) chunked, 16 chunks', bytes: chunked16(), bodyBytes: 16 * CHUNK.length },
];

// ---------------------------------------------------------------------------------------------
// Contenders: each parses `input` `n` times on one parser and returns what it saw
// ---------------------------------------------------------------------------------------------

interface Tally {
  messages: number;
  bodyBytes: number;
  /** Header fields seen, so the head's strings are really produced and read. */
  fields: number;
}

interface Contender {
  readonly name: string;
  /** A fresh parser for a scenario (one "connection"); returns the function that feeds it. */
  readonly connect: (tally: Tally) => (input: Buffer) => void;
}

const samovar: Contender = {
  name: 'Samovar',
  connect: (tally) => {
    const p = new RequestParser(parserLimits());
    return (input) => {
      let off = 0;
      for (;;) {
        const r = p.execute(input, off, input.length);
        off = p.offset;
        if (r === Outcome.NEED_MORE) return;
        if (r === Outcome.HEAD) tally.fields += (p.head?.headers.length ?? 0) >> 1;
        else if (r === Outcome.BODY) tally.bodyBytes += p.bodyEnd - p.bodyStart;
        else if (r === Outcome.END) tally.messages++;
        else throw new Error(`Samovar rejected the benchmark input: ${String(p.error)}`);
      }
    };
  },
};

/** The callback surface shared by llhttp's binding and http-parser-js. */
interface CallbackParser {
  initialize(type: unknown, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(data: Buffer): number | Error;
  [callback: number]: unknown;
}
interface CallbackParserClass {
  new (): CallbackParser;
  readonly REQUEST: unknown;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
}

/** Wires the node:http-style callbacks, counting what they deliver. */
function callbackContender(
  name: string,
  Parser: CallbackParserClass,
  init: (p: CallbackParser) => void,
): Contender {
  return {
    name,
    connect: (tally) => {
      const p = new Parser();
      p[Parser.kOnHeaders] = (headers: string[]): void => {
        tally.fields += headers.length >> 1;
      };
      p[Parser.kOnHeadersComplete] = (_ma: number, _mi: number, headers: string[] | undefined): number => {
        tally.fields += (headers?.length ?? 0) >> 1;
        return 0;
      };
      p[Parser.kOnBody] = (chunk: Buffer): void => {
        tally.bodyBytes += chunk.length;
      };
      p[Parser.kOnMessageComplete] = (): void => {
        tally.messages++;
      };
      init(p);
      return (input) => {
        const r = p.execute(input);
        if (typeof r !== 'number') throw new Error(`${name} rejected the benchmark input: ${r.message}`);
      };
    },
  };
}

const HttpParserJs = (require('http-parser-js') as { HTTPParser: CallbackParserClass }).HTTPParser;
// Reading kOnExecute switches http-parser-js to the positional callback arguments of Node ≥ 0.12.
void HttpParserJs.kOnExecute;

const CONTENDERS: readonly Contender[] = [
  samovar,
  callbackContender('http-parser-js', HttpParserJs, (p) => p.initialize(HttpParserJs.REQUEST, {})),
  callbackContender('llhttp', LlhttpParser, (p) =>
    p.initialize(LlhttpParser.REQUEST, {}, LLHTTP_MAX_HEADER_SIZE, LlhttpParser.kLenientNone),
  ),
];

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

const BATCH = 2000;

/** Parses `scenario` for about `seconds` on a fresh parser; returns requests per second. */
function measure(contender: Contender, scenario: Scenario, seconds: number): number {
  const tally: Tally = { messages: 0, bodyBytes: 0, fields: 0 };
  const feed = contender.connect(tally);
  const input = scenario.bytes;
  const budget = BigInt(Math.round(seconds * 1e9));
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    for (let i = 0; i < BATCH; i++) feed(input);
    n += BATCH;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  if (tally.messages !== n || tally.bodyBytes !== n * scenario.bodyBytes || tally.fields === 0) {
    throw new Error(
      `${contender.name} on ${scenario.id}: ${tally.messages}/${n} messages, ` +
        `${tally.bodyBytes}/${n * scenario.bodyBytes} body bytes, ${tally.fields} fields`,
    );
  }
  return (n * 1e9) / Number(elapsed);
}

interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: readonly number[];
}

function stats(runs: number[]): Stats {
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    median: sorted[sorted.length >> 1] as number,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    runs,
  };
}

const kilo = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);
const cell = (s: Stats): string => `${kilo(s.median)} (${kilo(s.min)}–${kilo(s.max)})`;

function main(): void {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '1' }, runs: { type: 'string', default: '5' } },
  });
  const seconds = Number(values.seconds);
  const runs = Number(values.runs);
  if (!(seconds > 0) || !Number.isInteger(runs) || runs < 1)
    throw new Error('usage: --seconds <s> --runs <n>');

  const results = SCENARIOS.map((scenario) => {
    for (const c of CONTENDERS) measure(c, scenario, Math.min(0.5, seconds / 2)); // warm-up (JIT)
    const samples = new Map<string, number[]>(CONTENDERS.map((c) => [c.name, []]));
    for (let r = 0; r < runs; r++) {
      for (const c of CONTENDERS) samples.get(c.name)?.push(measure(c, scenario, seconds));
    }
    const byName = Object.fromEntries([...samples].map(([name, s]) => [name, stats(s)]));
    const s = byName.Samovar as Stats;
    return {
      id: scenario.id,
      title: scenario.title,
      requestBytes: scenario.bytes.length,
      results: byName,
      samovarOverHttpParserJs: s.median / (byName['http-parser-js'] as Stats).median,
      samovarOverLlhttp: s.median / (byName.llhttp as Stats).median,
    };
  });

  const lines = [
    `Requests/s, one core, median of ${runs} × ${seconds} s (min–max); Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`,
    '',
    '| scenario | bytes | Samovar | http-parser-js | llhttp (node:http) | Samovar ÷ http-parser-js | Samovar ÷ llhttp |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...results.map(
      (r) =>
        `| ${r.title} | ${r.requestBytes} | ${cell(r.results.Samovar as Stats)} | ${cell(r.results['http-parser-js'] as Stats)} | ` +
        `${cell(r.results.llhttp as Stats)} | ${r.samovarOverHttpParserJs.toFixed(2)}× | ${r.samovarOverLlhttp.toFixed(2)}× |`,
    ),
  ];
  console.log(lines.join('\n'));

  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'parser-bench.json');
  mkdirSync(dirname(out), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    seconds,
    runs,
    scenarios: results,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

main();
