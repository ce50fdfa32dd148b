/**
 * Command-line options of `npm run load:compare` and the scenarios they select.
 *
 * Parses and validates flags into one frozen `CompareOptions`; an invalid flag is a `UsageError`
 * that the entry point prints with the usage text (exit 2). Must not: start processes or read
 * anything but `argv`.
 */
import { parseArgs } from 'node:util';

/** The HTTP load generators (`--only`); `openssl` (s_time) measures only the HTTPS handshake rows. */
export const TOOLS = ['autocannon', 'wrk'] as const;
export type Tool = (typeof TOOLS)[number] | 'openssl';

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly pipelining: number;
  readonly body: string | null;
  readonly contentType: string | null;
  /** The response body a correct server sends; autocannon counts every other body as a mismatch (null: unchecked). */
  readonly expectBody: string | null;
  /** Connections for this scenario; `null`: `--connections`. */
  readonly connections: number | null;
  /**
   * The response's media type when it is not the request's (an echo's is): `application/json`
   * accepts `application/json; charset=utf-8` too. Unset: `contentType`.
   */
  readonly expectType?: string;
  /** Extra request headers (e.g. `Connection: close`). */
  readonly headers: Readonly<Record<string, string>>;
  /** A mix: requests sent in turn on each connection (method, path, body); empty otherwise. */
  readonly mix: readonly MixRequest[];
  /** Tools that measure it meaningfully (autocannon mis-times server-closed connections). */
  readonly tools: readonly Tool[];
  /** Peers that can serve it (nginx has no echo; the node:net responder only says hello). */
  readonly peers: readonly PeerId[];
  /** `openssl s_time` rows: a full handshake per connection (`new`) or a resumed one (`reuse`). */
  readonly handshake?: 'new' | 'reuse';
}

export interface MixRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body: string | null;
}

export const PEERS = [
  'samovar',
  'samovar-log-off',
  'node-http',
  'nginx',
  'nginx-log',
  'nginx-log-buffered',
  'node-net',
  'samovar-native',
  'samovar-fetch',
  'samovar-hono',
  'hono-node',
  'node-https',
] as const;
export type PeerId = (typeof PEERS)[number];

/**
 * The engine comparison, measured by default: Samovar's demo with its access log on (its default)
 * and off, node:http, nginx without an access log (the ceiling) and with one, unbuffered and
 * buffered (the anchor of what a logged line costs), and the node:net bound.
 */
export const ENGINE_PEERS: readonly PeerId[] = [
  'samovar',
  'samovar-log-off',
  'node-http',
  'nginx',
  'nginx-log',
  'nginx-log-buffered',
  'node-net',
];
/** The access log's cost (`--peers logs`): each server with its access log on and off. */
export const LOG_PEERS: readonly PeerId[] = [
  'samovar',
  'samovar-log-off',
  'nginx',
  'nginx-log',
  'nginx-log-buffered',
];
/** The nginx peers: skipped together when nginx is not installed. */
export const NGINX_PEERS: readonly PeerId[] = ['nginx', 'nginx-log', 'nginx-log-buffered'];
/**
 * The front door (`--peers apps`): the fixtures of harness/apps through Samovar's CLI — native,
 * bare fetch, Hono — and the same Hono fixture on @hono/node-server.
 */
export const APP_FIXTURE_PEERS: readonly PeerId[] = [
  'samovar-native',
  'samovar-fetch',
  'samovar-hono',
  'hono-node',
];

/** The HTTPS comparison (`--tls`): Samovar over TLS beside node:https under node:cluster and nginx. */
export const TLS_PEERS: readonly PeerId[] = ['samovar', 'node-https', 'nginx'];

export interface CompareOptions {
  /** HTTPS (`--tls`): every peer serves the same ECDSA P-256 certificate with the same profile. */
  readonly tls: boolean;
  readonly durationS: number;
  readonly connections: number;
  readonly rounds: number;
  readonly pipelining: number;
  readonly warmupS: number;
  readonly quietWaitS: number;
  readonly tools: readonly Tool[];
  readonly scenarios: readonly Scenario[];
  readonly pin: boolean;
  /** Worker processes of every peer (Samovar, node:http under node:cluster, nginx, node:net). */
  readonly workers: number;
  readonly peers: readonly PeerId[];
  /**
   * The access log of every Samovar peer but `samovar-log-off`: `on` (its default) or `off`
   * (`SAMOVAR_LOG_ACCESS=off`; the log level stays `info`).
   */
  readonly accessLog: 'on' | 'off';
  readonly samovarEntry: string;
  readonly samovarEnv: Readonly<Record<string, string>>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: npm run load:compare -- [flags]

Starts the peers — Samovar with its access log on (its default) and off, node:http under
node:cluster, nginx (when installed) without an access log and with one (unbuffered, and
buffer=64k flush=1s) and a minimal node:net responder; with --peers apps also the harness/apps
fixtures through Samovar's CLI and Hono on @hono/node-server; each with --workers worker
processes — and drives them, interleaved, with autocannon and wrk. Servers log to files in the
run's scratch directory, emptied around every measurement. Prints a Markdown table with the
server's CPU per 100k requests, log lines per request and ratios to node:http; then the access
log's cost (on ÷ off, Samovar and nginx), issue 19's goals and, for the app peers, Hono on
Samovar ÷ Hono on @hono/node-server and fetch adapter ÷ native; writes
load/results/compare-<time>.json, load/results/latest-compare.md and load/results/latest-compare.svg.
Exits non-zero when a request failed or a server died.

  --duration S          seconds per measurement (default 10)
  --connections N       keep-alive connections (default 50)
  --rounds N            rounds; each measures every server once per scenario and tool (default 3)
  --pipelining N        depth of the pipelined scenario (default 10)
  --warmup S            unrecorded warm-up per server before round 1 (default 3, 0 = none)
  --quiet-wait S        before each measurement, wait up to S s for other processes to go quiet
                        (default 15; the row is flagged busy if they never do)
  --only TOOL           autocannon or wrk (default: both, wrk only where installed)
  --scenarios LIST      comma list of get, get-1000, close, get-pipelined, echo-1k, static-1k,
                        static-64k, mix, echo-json, upload-64k, or all (default all)
  --peers LIST          comma list of samovar, samovar-log-off, node-http, nginx, nginx-log,
                        nginx-log-buffered, node-net, samovar-native, samovar-fetch, samovar-hono,
                        hono-node; logs (samovar, samovar-log-off and the three nginx); apps (the
                        last four: the harness/apps fixtures through Samovar's CLI, and Hono on
                        @hono/node-server); all (every peer) (default: every peer but the apps;
                        nginx's only where installed; samovar and node-http are always measured)
  --workers N           worker processes per peer (default 1)
  --access-log on|off   the access log of every Samovar peer but samovar-log-off: on (its default,
                        one line per request, written to a file) or off (SAMOVAR_LOG_ACCESS=off; the
                        on ÷ off rows are then left out) (default on)
  --tls                 HTTPS instead: Samovar, node:https under node:cluster and nginx with one
                        ECDSA P-256 certificate made for the run and Mozilla's intermediate profile;
                        scenarios get, close (wrk: a handshake per request, about half resumed), get-pipelined,
                        handshake-new and handshake-resumed (openssl s_time -new / -reuse, where
                        openssl is installed); with CPU per request and per handshake
  --no-pin              do not pin processes to CPUs with taskset
  --samovar-entry PATH  the entry file of the samovar and samovar-log-off peers (default src/main.ts)
  --samovar-env K=V     extra environment for every Samovar peer (repeatable; samovar-log-off
                        keeps SAMOVAR_LOG_ACCESS=off whatever it says), e.g.
                        SAMOVAR_LOG_LEVEL=error
  --help                this text`;

const HELLO = 'Hello, World!';
/** 1 KiB of printable bytes: large enough to exercise the body path, small enough to stay one segment. */
const ECHO_BODY = 'samovar-'.repeat(128);

/** Printable ASCII, so autocannon can compare each body as a string. */
export function staticText(bytes: number): string {
  const line = 'Samovar static benchmark: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

/** The files of the static scenarios, written by the lab into a temporary root every peer serves. */
export const STATIC_FILES: readonly { readonly name: string; readonly bytes: number }[] = [
  { name: 'static-1k.txt', bytes: 1024 },
  { name: 'static-64k.txt', bytes: 64 * 1024 },
];

const HELLO_PEERS = PEERS;
const APP_PEERS: readonly PeerId[] = ['samovar', 'samovar-log-off', 'node-http'];
const FILE_PEERS: readonly PeerId[] = ['samovar', 'samovar-log-off', 'node-http', ...NGINX_PEERS];
/** About 1 KiB of compact JSON, so the fixtures' re-serialised echo is byte-identical. */
const ECHO_JSON = JSON.stringify({
  items: Array.from({ length: 24 }, (_, i) => ({ id: i, name: `samovar-${i}`, ok: i % 2 === 0 })),
});
/** Above one socket read and below every peer's body limit (Samovar's default is 1 MiB). */
const UPLOAD_BYTES = 64 * 1024;

function buildScenarios(pipelining: number): Record<string, Scenario> {
  const base = {
    method: 'GET',
    path: '/',
    body: null,
    contentType: null,
    expectBody: HELLO,
    connections: null,
    headers: {},
    mix: [],
    tools: TOOLS,
    peers: HELLO_PEERS,
    pipelining: 1,
  } as const;
  const file = (name: string, bytes: number, title: string): Scenario => ({
    ...base,
    id: name.replace('.txt', ''),
    title,
    path: `/${name}`,
    expectBody: staticText(bytes),
    peers: FILE_PEERS,
  });
  return {
    get: { ...base, id: 'get', title: 'GET / keep-alive ×50' },
    'get-1000': { ...base, id: 'get-1000', title: 'GET / keep-alive ×1000', connections: 1000 },
    close: {
      ...base,
      id: 'close',
      title: 'GET / Connection: close',
      headers: { Connection: 'close' },
      // autocannon 8 reconnects without clearing its queue after a server close (docs/load.md).
      tools: ['wrk'],
      // The node:net responder never closes: it would not be answering this scenario.
      peers: FILE_PEERS,
    },
    'get-pipelined': { ...base, id: 'get-pipelined', title: `GET / pipelined ×${pipelining}`, pipelining },
    'echo-1k': {
      ...base,
      id: 'echo-1k',
      title: 'POST /echo 1 KiB',
      method: 'POST',
      path: '/echo',
      body: ECHO_BODY,
      contentType: 'application/octet-stream',
      expectBody: ECHO_BODY,
      peers: APP_PEERS,
    },
    'static-1k': file('static-1k.txt', 1024, 'static 1 KiB'),
    'static-64k': file('static-64k.txt', 64 * 1024, 'static 64 KiB'),
    mix: {
      ...base,
      id: 'mix',
      title: 'mix (5 GET /, 2 static 1 KiB, 1 static 64 KiB, 2 POST /echo)',
      expectBody: null,
      contentType: 'application/octet-stream',
      mix: [
        ...Array.from({ length: 5 }, () => ({ method: 'GET', path: '/', body: null }) as const),
        { method: 'GET', path: '/static-1k.txt', body: null },
        { method: 'POST', path: '/echo', body: ECHO_BODY },
        { method: 'GET', path: '/static-1k.txt', body: null },
        { method: 'GET', path: '/static-64k.txt', body: null },
        { method: 'POST', path: '/echo', body: ECHO_BODY },
      ],
      peers: APP_PEERS,
    },
    'echo-json': {
      ...base,
      id: 'echo-json',
      title: 'POST /echo JSON 1 KiB',
      method: 'POST',
      path: '/echo',
      body: ECHO_JSON,
      contentType: 'application/json',
      expectType: 'application/json',
      expectBody: ECHO_JSON,
      peers: APP_FIXTURE_PEERS,
    },
    'upload-64k': {
      ...base,
      id: 'upload-64k',
      title: 'POST /upload 64 KiB, counted as it streams',
      method: 'POST',
      path: '/upload',
      body: 'u'.repeat(UPLOAD_BYTES),
      contentType: 'application/octet-stream',
      expectType: 'application/json',
      expectBody: JSON.stringify({ bytes: UPLOAD_BYTES }),
      peers: APP_FIXTURE_PEERS,
    },
  };
}

/** Parallel `openssl s_time` clients of the handshake rows (each makes one connection at a time). */
const S_TIME_CLIENTS = 8;

/** The HTTPS scenarios of `--tls`: the same requests as their HTTP namesakes, over TLS. */
function buildTlsScenarios(pipelining: number): Record<string, Scenario> {
  const http = buildScenarios(pipelining);
  const over = (id: string, title: string, tools: readonly Tool[]): Scenario => {
    const base = http[id];
    if (base === undefined) throw new Error(`no HTTP scenario ${id}`);
    return { ...base, title, tools, peers: TLS_PEERS };
  };
  const handshake = (mode: 'new' | 'reuse', title: string): Scenario => ({
    ...over('close', title, ['openssl']),
    id: mode === 'new' ? 'handshake-new' : 'handshake-resumed',
    headers: {},
    connections: S_TIME_CLIENTS,
    expectBody: null,
    handshake: mode,
  });
  return {
    get: over('get', 'HTTPS GET / keep-alive ×50', ['wrk']),
    close: over('close', 'HTTPS GET / Connection: close (a handshake per request)', ['wrk']),
    'get-pipelined': over('get-pipelined', `HTTPS GET / pipelined ×${pipelining}`, ['wrk']),
    'handshake-new': handshake('new', `HTTPS full handshakes (s_time -new ×${S_TIME_CLIENTS})`),
    'handshake-resumed': handshake('reuse', `HTTPS resumed handshakes (s_time -reuse ×${S_TIME_CLIENTS})`),
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

function parseSwitch(flag: string, text: string): 'on' | 'off' {
  if (text !== 'on' && text !== 'off') throw new UsageError(`--${flag} wants on or off, got "${text}"`);
  return text;
}

function parsePeers(list: string, tls: boolean): readonly PeerId[] {
  if (tls) {
    const ids = list === ENGINE_PEERS.join(',') ? TLS_PEERS : list.split(',').map((name) => name.trim());
    for (const id of ids) {
      if (!TLS_PEERS.some((p) => p === id))
        throw new UsageError(`--peers with --tls: unknown "${id}" (known: ${TLS_PEERS.join(', ')})`);
    }
    // node:https is the yardstick of every HTTPS ratio and Samovar the subject: both always run.
    return TLS_PEERS.filter((p) => p === 'samovar' || p === 'node-https' || ids.includes(p));
  }
  const ids: string[] = [];
  for (const id of list.split(',').map((name) => name.trim())) {
    if (id === 'all') ids.push(...PEERS.filter((p) => p !== 'node-https'));
    else if (id === 'apps') ids.push(...APP_FIXTURE_PEERS);
    else if (id === 'logs') ids.push(...LOG_PEERS);
    else ids.push(id);
  }
  for (const id of ids) {
    if (id === 'node-https') throw new UsageError('--peers: node-https runs with --tls only');
    if (!PEERS.some((p) => p === id))
      throw new UsageError(`--peers: unknown "${id}" (known: ${PEERS.join(', ')}, logs, apps, all)`);
  }
  // node:http is the yardstick of every ratio and Samovar the subject: both always run.
  return PEERS.filter((p) => p === 'samovar' || p === 'node-http' || ids.includes(p));
}

function parseScenarios(list: string, pipelining: number, tls: boolean): readonly Scenario[] {
  const known = tls ? buildTlsScenarios(pipelining) : buildScenarios(pipelining);
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
        scenarios: { type: 'string', default: 'all' },
        peers: { type: 'string', default: ENGINE_PEERS.join(',') },
        workers: { type: 'string' },
        'access-log': { type: 'string', default: 'on' },
        'no-pin': { type: 'boolean', default: false },
        tls: { type: 'boolean', default: false },
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
  const tls = values.tls;
  return Object.freeze({
    tls,
    durationS: positiveInt('duration', values.duration, 10),
    connections: positiveInt('connections', values.connections, 50),
    rounds: positiveInt('rounds', values.rounds, 3),
    pipelining,
    warmupS: positiveInt('warmup', values.warmup, 3, 0),
    quietWaitS: positiveInt('quiet-wait', values['quiet-wait'], 15, 0),
    tools: parseTools(values.only),
    scenarios: parseScenarios(values.scenarios, pipelining, tls),
    pin: !values['no-pin'],
    workers: positiveInt('workers', values.workers, 1),
    accessLog: parseSwitch('access-log', values['access-log']),
    peers: parsePeers(values.peers, tls),
    samovarEntry: values['samovar-entry'],
    samovarEnv: parseEnv(values['samovar-env']),
  });
}
