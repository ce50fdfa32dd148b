/**
 * Command-line options of `npm run load:compare` and the scenarios they select.
 *
 * Parses and validates flags into one frozen `CompareOptions`; an invalid flag is a `UsageError`
 * that the entry point prints with the usage text (exit 2). Must not: start processes or read
 * anything but `argv`.
 */
import { parseArgs } from 'node:util';

export const TOOLS = ['autocannon', 'wrk'] as const;
export type Tool = (typeof TOOLS)[number];

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly pipelining: number;
  readonly body: string | null;
  readonly contentType: string | null;
  /** The response body a correct server sends; autocannon counts every other body as a mismatch. */
  readonly expectBody: string;
}

export interface CompareOptions {
  readonly durationS: number;
  readonly connections: number;
  readonly rounds: number;
  readonly pipelining: number;
  readonly warmupS: number;
  readonly quietWaitS: number;
  readonly tools: readonly Tool[];
  readonly scenarios: readonly Scenario[];
  readonly pin: boolean;
  readonly samovarEntry: string;
  readonly samovarEnv: Readonly<Record<string, string>>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: npm run load:compare -- [flags]

Starts Samovar and a node:http baseline (one process each) and drives both, interleaved, with
autocannon and wrk. Prints a Markdown table; writes load/results/compare-<time>.json and
load/results/latest-compare.md. Exits non-zero when a request failed or a server died.

  --duration S          seconds per measurement (default 10)
  --connections N       keep-alive connections (default 50)
  --rounds N            rounds; each measures every server once per scenario and tool (default 3)
  --pipelining N        depth of the pipelined scenario (default 10)
  --warmup S            unrecorded warm-up per server before round 1 (default 3, 0 = none)
  --quiet-wait S        before each measurement, wait up to S s for other processes to go quiet
                        (default 15; the row is flagged busy if they never do)
  --only TOOL           autocannon or wrk (default: both, wrk only where installed)
  --scenarios LIST      comma list of get, get-pipelined, echo-1k, or all (default get,get-pipelined)
  --no-pin              do not pin processes to CPUs with taskset
  --samovar-entry PATH  Samovar's entry file (default src/main.ts)
  --samovar-env K=V     extra environment for Samovar (repeatable), e.g. SAMOVAR_LOG_LEVEL=error
  --help                this text`;

const HELLO = 'Hello, World!';
/** 1 KiB of printable bytes: large enough to exercise the body path, small enough to stay one segment. */
const ECHO_BODY = 'samovar-'.repeat(128);

function buildScenarios(pipelining: number): Record<string, Scenario> {
  const get = { method: 'GET', path: '/', body: null, contentType: null, expectBody: HELLO } as const;
  return {
    get: { ...get, id: 'get', title: 'GET /', pipelining: 1 },
    'get-pipelined': { ...get, id: 'get-pipelined', title: `GET / pipelined ×${pipelining}`, pipelining },
    'echo-1k': {
      id: 'echo-1k',
      title: 'POST /echo 1 KiB',
      method: 'POST',
      path: '/echo',
      pipelining: 1,
      body: ECHO_BODY,
      contentType: 'application/octet-stream',
      expectBody: ECHO_BODY,
    },
  };
}

function positiveInt(flag: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > 1_000_000) {
    throw new UsageError(`--${flag} wants an integer ≥ ${min}, got "${text}"`);
  }
  return Number(text);
}

function parseTools(only: string | undefined): readonly Tool[] {
  if (only === undefined) return TOOLS;
  const tool = TOOLS.find((name) => name === only);
  if (!tool) throw new UsageError(`--only wants autocannon or wrk, got "${only}"`);
  return [tool];
}

function parseScenarios(list: string, pipelining: number): readonly Scenario[] {
  const known = buildScenarios(pipelining);
  const ids = list === 'all' ? Object.keys(known) : list.split(',').map((id) => id.trim());
  return ids.map((id) => {
    const scenario = known[id];
    if (!scenario) {
      throw new UsageError(`--scenarios: unknown "${id}" (known: ${Object.keys(known).join(', ')}, all)`);
    }
    return scenario;
  });
}

function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--samovar-env wants KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** Returns the options, or `null` when `--help` asked for the usage text. */
export function parseOptions(argv: readonly string[]): CompareOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        connections: { type: 'string' },
        rounds: { type: 'string' },
        pipelining: { type: 'string' },
        warmup: { type: 'string' },
        'quiet-wait': { type: 'string' },
        only: { type: 'string' },
        scenarios: { type: 'string', default: 'get,get-pipelined' },
        'no-pin': { type: 'boolean', default: false },
        'samovar-entry': { type: 'string', default: 'src/main.ts' },
        'samovar-env': { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return null;
  const pipelining = positiveInt('pipelining', values.pipelining, 10, 2);
  return Object.freeze({
    durationS: positiveInt('duration', values.duration, 10),
    connections: positiveInt('connections', values.connections, 50),
    rounds: positiveInt('rounds', values.rounds, 3),
    pipelining,
    warmupS: positiveInt('warmup', values.warmup, 3, 0),
    quietWaitS: positiveInt('quiet-wait', values['quiet-wait'], 15, 0),
    tools: parseTools(values.only),
    scenarios: parseScenarios(values.scenarios, pipelining),
    pin: !values['no-pin'],
    samovarEntry: values['samovar-entry'],
    samovarEnv: parseEnv(values['samovar-env']),
  });
}
