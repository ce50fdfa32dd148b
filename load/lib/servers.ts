/**
 * The two servers under comparison: how each is started (Samovar from its entry point with the
 * benchmark's environment, the baseline from load/baseline-node-http.ts), pinned, awaited, and
 * checked once by hand before any load (a server answering the wrong bytes fast is no result).
 * Must not: drive load or summarise results.
 */
import { fileURLToPath } from 'node:url';

import type { CompareOptions } from './options.ts';
import type { Child, Pinning } from './processes.ts';
import { freePort, httpRequest, spawnChild, waitReady } from './processes.ts';
import type { ServerId } from './report.ts';

const BASELINE = fileURLToPath(new URL('../baseline-node-http.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningServer {
  readonly id: ServerId;
  readonly child: Child;
  readonly port: number;
  readonly argv: readonly string[];
  /** The variables this script set for the server (not the inherited environment). */
  readonly env: Readonly<Record<string, string>>;
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
    SAMOVAR_HOST: '127.0.0.1',
    SAMOVAR_PORT: String(port),
    SAMOVAR_WORKERS: '1',
    SAMOVAR_LOG_LEVEL: 'warn',
    SAMOVAR_CONNECTIONS_MAX_REQUESTS_PER_CONNECTION: NO_REQUEST_CAP,
    // The primary's metrics port is fixed (9464) by default; another Samovar on this machine
    // (a test, a second comparison) would make start-up fail. Metrics stay on, as in production.
    SAMOVAR_METRICS_PORT: '0',
    ...options.samovarEnv,
  };
}

/** Starts one server and resolves once its `/healthz` answers 200. */
export async function startServer(
  id: ServerId,
  options: CompareOptions,
  pinning: Pinning,
): Promise<RunningServer> {
  const port = await freePort();
  const env =
    id === 'samovar'
      ? samovarEnv(options, port)
      : { BASELINE_HOST: '127.0.0.1', BASELINE_PORT: String(port) };
  const entry = id === 'samovar' ? options.samovarEntry : BASELINE;
  const argv = [...pinning.serverPrefix, process.execPath, entry];
  const child = spawnChild(id, argv, { env: { ...process.env, ...env }, cwd: REPO_ROOT });
  await waitReady(child, port);
  return { id, child, port, argv, env };
}

export interface Preflight {
  /** Response headers that shape the bytes on the wire, for the report. */
  readonly getHeaders: Readonly<Record<string, string>>;
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

/** GET / and POST /echo once each; a wrong status, body or echoed type is a problem. */
export async function preflight(server: RunningServer): Promise<Preflight> {
  const problems: string[] = [];
  const get = await httpRequest(server.port, 'GET', '/');
  if (get.status !== 200 || get.body !== 'Hello, World!') {
    problems.push(`GET / answered ${get.status} ${JSON.stringify(get.body.slice(0, 60))}`);
  }
  const body = 'x'.repeat(1024);
  const echo = await httpRequest(server.port, 'POST', '/echo', body, 'application/octet-stream');
  if (echo.status !== 200 || echo.body !== body) {
    problems.push(`POST /echo answered ${echo.status} with ${echo.body.length} bytes, not the 1024 sent`);
  }
  if (echo.headers['content-type'] !== 'application/octet-stream') {
    problems.push(`POST /echo echoed Content-Type ${String(echo.headers['content-type'])}`);
  }
  return { getHeaders: pickHeaders(get.headers), problems };
}

/** Why a server is no longer fit to measure, or `null` when it is alive and healthy. */
export async function checkAlive(server: RunningServer): Promise<string | null> {
  if (server.child.exit) return `${server.id} exited`;
  try {
    const res = await httpRequest(server.port, 'GET', '/healthz');
    return res.status === 200 ? null : `${server.id}: GET /healthz answered ${res.status}`;
  } catch (error) {
    return `${server.id}: GET /healthz failed: ${(error as Error).message}`;
  }
}
