/**
 * The peers under comparison: how each is started with the same worker count — Samovar from its
 * entry point with the benchmark's environment (access log on, its default, and off), node:http
 * under node:cluster (load/baseline-node-http.ts), nginx from a generated configuration in a
 * temporary prefix (no access log; a JSON access log written unbuffered; the same with
 * `buffer=64k flush=1s`), the node:net responder (load/peer-node-net.ts), the harness/apps
 * fixtures through Samovar's CLI
 * (`node src/cli.ts harness/apps/<app>.ts`, the same environment) and the Hono fixture on
 * @hono/node-server (load/peer-hono-node.ts) — pinned, awaited, and checked once by hand before
 * any load (a server answering the wrong bytes fast is no result). With `--tls`: Samovar with
 * `tls.cert`/`tls.key`, node:https under node:cluster (load/lib/peer-node-https.ts) and nginx with
 * `ssl`, the same certificate and Mozilla intermediate profile (src/tls/profile.ts) for all three.
 * Every peer that logs writes to its own file in the run's scratch directory (peer-log.ts).
 * Must not: drive load or summarise results.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CompareOptions, Scenario } from './options.ts';
import { PeerLog } from './peer-log.ts';
import type { Child, Pinning, Transport } from './processes.ts';
import { freePort, httpRequest, listenOn, startOnFreePort } from './processes.ts';
import type { ServerCommand } from './processes.ts';
import type { ServerId } from './report.ts';
import { INTERMEDIATE_CIPHERS, INTERMEDIATE_CURVES } from '../../src/tls/profile.ts';

const BASELINE = fileURLToPath(new URL('../baseline-node-http.ts', import.meta.url));
const NODE_NET = fileURLToPath(new URL('../peer-node-net.ts', import.meta.url));
const HONO_NODE = fileURLToPath(new URL('../peer-hono-node.ts', import.meta.url));
const NODE_HTTPS = fileURLToPath(new URL('./peer-node-https.ts', import.meta.url));
const CLI = 'src/cli.ts';
/** The app each front-door peer serves (paths from the repository root, where peers start). */
const FIXTURES = {
  'samovar-native': 'harness/apps/native.ts',
  'samovar-fetch': 'harness/apps/fetch.ts',
  'samovar-hono': 'harness/apps/hono.ts',
  'hono-node': 'harness/apps/hono.ts',
} as const;
/** Peers that are Samovar: the benchmark's environment, and stdout (every line it logs) to a file. */
const SAMOVAR_PEERS: ReadonlySet<ServerId> = new Set([
  'samovar',
  'samovar-log-off',
  'samovar-native',
  'samovar-fetch',
  'samovar-hono',
]);

/** nginx's access log per peer: none (the ceiling), written at once, or through a 64 KiB buffer. */
type NginxAccessLog = 'off' | 'unbuffered' | 'buffered';
const NGINX_ACCESS_LOG = {
  nginx: 'off',
  'nginx-log': 'unbuffered',
  'nginx-log-buffered': 'buffered',
} as const satisfies Partial<Record<ServerId, NginxAccessLog>>;

/**
 * How long after the load stops a peer may still write lines it holds: a Samovar worker writes
 * its turn's lines at the end of the turn; nginx with `flush=1s` at most a second after a line.
 */
const LOG_FLUSH_MS = 200;
const NGINX_BUFFER_FLUSH_MS = 1_200;

/** The installed nginx's version, or `null` when there is none. */
export function nginxVersion(): string | null {
  const probe = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (probe.error) return null;
  return /nginx\/[\d.]+/.exec(`${probe.stdout}${probe.stderr}`)?.[0] ?? null;
}

/**
 * The same facts as Samovar's access line (src/log/access.ts), as far as nginx has them, in the
 * same order, JSON-escaped: the time (seconds with milliseconds: nginx has no integer
 * milliseconds), the worker's pid, the request id (`$request_id`, 32 hex digits), method, path,
 * status, the response body's bytes, the request's bytes (nginx counts the whole request, head
 * included; Samovar the body), the duration (`$request_time`, seconds with milliseconds), the peer
 * address and port, and the user agent (`""` when none was sent; Samovar leaves the field out).
 * Samovar's `route`, `outcome`, `role` and `workerId` have no nginx variable.
 */
const NGINX_LOG_FORMAT =
  `'{"level":"info","time":$msec,"pid":$pid,"event":"access","reqId":"$request_id",'\n` +
  `      '"method":"$request_method","path":"$uri","status":$status,"bytes":$body_bytes_sent,'\n` +
  `      '"reqBytes":$request_length,"durationS":$request_time,"remote":"$remote_addr:$remote_port",'\n` +
  `      '"userAgent":"$http_user_agent","msg":"request"}'`;

function nginxAccessLog(mode: NginxAccessLog, path: string | null): string {
  if (mode === 'off' || path === null) return '  access_log off;';
  return `  log_format samovar escape=json ${NGINX_LOG_FORMAT};
  access_log ${path} samovar${mode === 'buffered' ? ' buffer=64k flush=1s' : ''};`;
}

/**
 * nginx as the ceiling: `worker_processes` as the other peers' workers, keep-alive without a
 * request cap (as the others here), `sendfile` for files; no access log (the ceiling), or a JSON
 * one to `accessLog.path` (the anchor of what a logged line costs); everything else (pid, error
 * log, temp paths) inside `prefix`, so it needs no installation-wide state and is stopped by its PID.
 */
function nginxConfig(
  prefix: string,
  port: number,
  workers: number,
  staticRoot: string,
  tls: TlsFiles | null,
  accessLog: { readonly mode: NginxAccessLog; readonly path: string | null },
): string {
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}worker_processes ${workers};
daemon off;
master_process on;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http {
${nginxAccessLog(accessLog.mode, accessLog.path)}
  default_type "text/plain; charset=utf-8";
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000000;
  keepalive_timeout 5s;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port}${tls ? ' ssl' : ''};${tls ? nginxTls(tls) : ''}
    location = / { return 200 "Hello, World!"; }
    location = /healthz { return 200 "ok\n"; }
    location / { root ${staticRoot}; }
  }
}
`;
}

/** The run's certificate and key (PEM files), served by every peer under `--tls`. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * nginx with Samovar's profile: TLS 1.2 and 1.3; the same TLS 1.2 ciphers (nginx's `ssl_ciphers`
 * takes only those) and, through `ssl_conf_command`, the same TLS 1.3 suites in the same order;
 * the same curves; the server's order; tickets on (its keys shared by its workers, as Samovar's
 * ring is), no session cache (Samovar's workers resume by ticket).
 */
function nginxTls(tls: TlsFiles): string {
  const suites = INTERMEDIATE_CIPHERS.split(':');
  return `
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${suites.filter((c) => !c.startsWith('TLS_')).join(':')};
    ssl_conf_command Ciphersuites ${suites.filter((c) => c.startsWith('TLS_')).join(':')};
    ssl_ecdh_curve ${INTERMEDIATE_CURVES};
    ssl_prefer_server_ciphers on;
    ssl_session_tickets on;`;
}

export interface RunningServer {
  readonly id: ServerId;
  readonly child: Child;
  readonly port: number;
  readonly argv: readonly string[];
  /** The variables this script set for the server (not the inherited environment). */
  readonly env: Readonly<Record<string, string>>;
  readonly transport: Transport;
  /** Samovar under `--tls`: its metrics port, scraped for the handshakes it counted; else `null`. */
  readonly metricsPort: number | null;
  /** The file it logs to (Samovar's stdout, nginx's access log); `null` for a peer that does not log. */
  readonly log: PeerLog | null;
}

/**
 * Samovar's production defaults, except one: its per-connection request cap (1000, as nginx's
 * `keepalive_requests`) is lifted, because node:http has none and because autocannon 8 loses
 * track after a server closes a keep-alive connection — it reconnects without clearing its queue
 * of pending requests, so every later answer on that client is timed from an older request and
 * p50/p99 inflate with each close. `--samovar-env` can set it back.
 */
const NO_REQUEST_CAP = '1000000000';

function samovarEnv(options: CompareOptions, port: number): Record<string, string> {
  return {
    ...listenOn('SAMOVAR', port),
    // Both at their defaults, set so that an inherited environment cannot change them: `off`
    // drops only the access lines, every other line (start-up, warnings) is still written.
    SAMOVAR_LOG_LEVEL: 'info',
    SAMOVAR_LOG_ACCESS: options.accessLog,
    SAMOVAR_CONNECTIONS_MAX_REQUESTS_PER_CONNECTION: NO_REQUEST_CAP,
    // The primary's metrics port is fixed (9464) by default; another Samovar on this machine
    // (a test, a second comparison) would make start-up fail. Metrics stay on, as in production.
    SAMOVAR_METRICS_PORT: '0',
    ...options.samovarEnv,
  };
}

export interface PeerSetup {
  readonly options: CompareOptions;
  readonly pinning: Pinning;
  /** The temporary directory holding the static files every peer serves. */
  readonly staticRoot: string;
  /** A scratch directory for nginx's prefixes and the peers' log files. */
  readonly scratch: string;
  /** `--tls`: the certificate every peer serves; `null` over plain HTTP. */
  readonly tls: TlsFiles | null;
}

function peerCommand(
  id: ServerId,
  setup: PeerSetup,
  port: number,
  metricsPort: number | null,
  log: PeerLog | null,
): ServerCommand {
  const { options, staticRoot, tls } = setup;
  const workers = String(options.workers);
  const node = (entry: string): string[] => [process.execPath, entry];
  switch (id) {
    case 'samovar':
    case 'samovar-log-off':
      return {
        argv: node(options.samovarEntry),
        env: {
          ...samovarEnv(options, port),
          SAMOVAR_WORKERS: workers,
          SAMOVAR_STATIC_ROOT: staticRoot,
          ...(tls ? { SAMOVAR_TLS_CERT: tls.cert, SAMOVAR_TLS_KEY: tls.key } : {}),
          ...(metricsPort === null ? {} : { SAMOVAR_METRICS_PORT: String(metricsPort) }),
          // Last, so that neither --access-log nor --samovar-env can turn it back on.
          ...(id === 'samovar-log-off' ? { SAMOVAR_LOG_ACCESS: 'off' } : {}),
        },
      };
    case 'node-https':
      if (!tls) throw new Error("the node:https peer needs the run's certificate (--tls)");
      return {
        argv: node(NODE_HTTPS),
        env: {
          ...listenOn('PEER', port),
          PEER_WORKERS: workers,
          PEER_TLS_CERT: tls.cert,
          PEER_TLS_KEY: tls.key,
          NODE_CLUSTER_SCHED_POLICY: 'none',
        },
      };
    case 'node-http':
      return {
        argv: node(BASELINE),
        env: {
          ...listenOn('BASELINE', port),
          BASELINE_WORKERS: workers,
          BASELINE_STATIC_ROOT: staticRoot,
          // node:cluster's best policy for it, and Samovar's default: the kernel spreads
          // connections; round-robin through the primary costs node:http most of its
          // Connection: close throughput (docs/cluster.md).
          NODE_CLUSTER_SCHED_POLICY: 'none',
        },
      };
    case 'samovar-native':
    case 'samovar-fetch':
    case 'samovar-hono':
      return {
        argv: [process.execPath, CLI, FIXTURES[id]],
        env: { ...samovarEnv(options, port), SAMOVAR_WORKERS: workers },
      };
    case 'hono-node':
      return {
        argv: node(HONO_NODE),
        env: {
          ...listenOn('PEER', port),
          PEER_WORKERS: workers,
          PEER_APP: FIXTURES[id],
          NODE_CLUSTER_SCHED_POLICY: 'none',
        },
      };
    case 'node-net':
      return {
        argv: node(NODE_NET),
        env: { ...listenOn('PEER', port), PEER_WORKERS: workers, NODE_CLUSTER_SCHED_POLICY: 'none' },
      };
    case 'nginx':
    case 'nginx-log':
    case 'nginx-log-buffered': {
      const prefix = join(setup.scratch, id);
      mkdirSync(prefix, { recursive: true });
      const conf = join(prefix, 'nginx.conf');
      const accessLog = { mode: NGINX_ACCESS_LOG[id], path: log?.path ?? null };
      writeFileSync(conf, nginxConfig(prefix, port, options.workers, staticRoot, tls, accessLog));
      return { argv: ['nginx', '-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], env: {} };
    }
  }
}

/** The peer's log file in `scratch/logs/`, or `null` for a peer that writes no log. */
function peerLog(id: ServerId, scratch: string): PeerLog | null {
  const logging = SAMOVAR_PEERS.has(id) || id === 'nginx-log' || id === 'nginx-log-buffered';
  if (!logging) return null;
  const dir = join(scratch, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return new PeerLog(
    join(dir, `${id}.log`),
    id === 'nginx-log-buffered' ? NGINX_BUFFER_FLUSH_MS : LOG_FLUSH_MS,
  );
}

/** Starts one peer and resolves once its `/healthz` answers 200. */
export async function startServer(id: ServerId, setup: PeerSetup): Promise<RunningServer> {
  let command: ServerCommand = { argv: [], env: {} };
  const log = peerLog(id, setup.scratch);
  // Samovar logs to stdout: a file, not this process, whose reading a line per request would
  // cost a core's worth of CPU outside the pinning. nginx opens its access log itself.
  const stdoutFd = log !== null && SAMOVAR_PEERS.has(id) ? log.openForAppend() : undefined;
  const transport: Transport = setup.tls ? 'https' : 'http';
  // Over TLS the lab reads Samovar's handshake counters (resumed or not) from its metrics port.
  const metricsPort = setup.tls && id === 'samovar' ? await freePort() : null;
  try {
    const started = await startOnFreePort(
      id,
      (port) => {
        const peer = peerCommand(id, setup, port, metricsPort, log);
        command = { argv: [...setup.pinning.serverPrefix, ...peer.argv], env: peer.env };
        return command;
      },
      { stdoutFd, transport },
    );
    return { id, ...started, ...command, transport, metricsPort, log };
  } catch (error) {
    // Samovar's own last words went to its log file, not to the output the error quotes.
    const tail = log?.tail(20) ?? [];
    if (tail.length === 0) throw error;
    throw new Error(`${(error as Error).message}\n  its log file's last lines:\n  ${tail.join('\n  ')}`, {
      cause: error,
    });
  } finally {
    if (stdoutFd !== undefined) closeSync(stdoutFd); // the child has its own copy
  }
}

export interface Preflight {
  /** Response headers that shape the bytes on the wire, for the report. */
  readonly getHeaders: Readonly<Record<string, string>>;
  /** Over HTTPS: the version and cipher the preflight's client (Node's defaults) negotiated. */
  readonly tls: string | null;
  readonly problems: readonly string[];
}

function pickHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) picked[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return picked;
}

/** Each scenario this peer serves, once by hand: a wrong status, body or echoed type is a problem. */
export async function preflight(server: RunningServer, scenarios: readonly Scenario[]): Promise<Preflight> {
  const problems: string[] = [];
  const get = await httpRequest(server.port, 'GET', '/', null, null, server.transport);
  for (const scenario of scenarios) {
    if (!scenario.peers.includes(server.id) || scenario.expectBody === null) continue;
    const { method, path, body, contentType, expectBody } = scenario;
    const expectType = scenario.expectType ?? contentType;
    const res = await httpRequest(server.port, method, path, body, contentType, server.transport);
    if (res.status !== 200 || res.body !== expectBody) {
      problems.push(
        `${method} ${path} answered ${res.status} with ${res.body.length} bytes ${JSON.stringify(res.body.slice(0, 40))}, not the expected ${expectBody.length}`,
      );
    }
    const type = String(res.headers['content-type']);
    if (expectType !== null && type !== expectType && !type.startsWith(`${expectType};`)) {
      problems.push(`${method} ${path} answered Content-Type ${type}, not ${expectType}`);
    }
  }
  return { getHeaders: pickHeaders(get.headers), tls: get.tls, problems };
}

/** Why a server is no longer fit to measure, or `null` when it is alive and healthy. */
export async function checkAlive(server: RunningServer): Promise<string | null> {
  if (server.child.exit) return `${server.id} exited`;
  try {
    const res = await httpRequest(server.port, 'GET', '/healthz', null, null, server.transport);
    return res.status === 200 ? null : `${server.id}: GET /healthz answered ${res.status}`;
  } catch (error) {
    return `${server.id}: GET /healthz failed: ${(error as Error).message}`;
  }
}
