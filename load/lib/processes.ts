/**
 * Child processes of the comparison: every one is spawned here, in its own process group, and
 * registered, so that one call (and the exit, SIGINT and SIGTERM hooks) ends them all by PID —
 * a load run must never leave a server or a load generator behind.
 *
 * Also: CPU pinning with `taskset`, a free loopback port, readiness by polling `/healthz`, and
 * the one way every lab script starts a server (startOnFreePort: free port, spawn, ready).
 * Must not: know about scenarios or results.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The repository root: the lab's servers start there, so `src/main.ts` and fixture paths resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How long a server may take from spawn to its first `200` on `/healthz`. */
const READY_TIMEOUT_MS = 20_000;
const READY_POLL_MS = 100;
/** Grace between SIGTERM and SIGKILL when ending a process group. */
const KILL_GRACE_MS = 3_000;
/** Lines of a child's output kept for the report and for error messages. */
const LOG_TAIL_LINES = 40;

export interface Pinning {
  readonly applied: boolean;
  readonly reason: string;
  /** `taskset` argument prefixes; empty when pinning is off. */
  readonly serverPrefix: readonly string[];
  readonly generatorPrefix: readonly string[];
}

/** Decides pinning: servers on CPU 1, the load generator on CPU 0, when taskset works and ≥ 2 CPUs. */
export function decidePinning(wanted: boolean): Pinning {
  const off = (reason: string): Pinning => ({
    applied: false,
    reason,
    serverPrefix: [],
    generatorPrefix: [],
  });
  if (!wanted) return off('off (--no-pin)');
  if (process.platform !== 'linux') return off(`off (taskset is Linux-only; this is ${process.platform})`);
  const cpus = availableParallelism();
  if (cpus < 2) return off(`off (${cpus} CPU available)`);
  const probe = spawnSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return off('off (taskset missing or not permitted)');
  return {
    applied: true,
    reason: `servers on CPU 1, load generator on CPU 0 (taskset; ${cpus} CPUs)`,
    serverPrefix: ['taskset', '-c', '1'],
    generatorPrefix: ['taskset', '-c', '0'],
  };
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  readonly stdout: string[];
  readonly tail: string[];
  lines: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  readonly exited: Promise<void>;
}

const live = new Set<Child>();
let interruptedBy: NodeJS.Signals | null = null;

/** The signal that is ending this run, if any: results of an interrupted run are not saved. */
export function interrupted(): NodeJS.Signals | null {
  return interruptedBy;
}

function collect(child: Child, chunk: Buffer, keepAll: boolean): void {
  for (const line of chunk.toString('utf8').split('\n')) {
    if (line === '') continue;
    child.lines += 1;
    if (keepAll) child.stdout.push(line);
    child.tail.push(line);
    if (child.tail.length > LOG_TAIL_LINES) child.tail.shift();
  }
}

export interface SpawnOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Keep every stdout line (a generator's report), not only the tail. */
  readonly keepStdout?: boolean;
  /**
   * A descriptor (a log file opened for appending) the child's stdout is to be, instead of a pipe
   * this process reads: a server writing an access line per request.
   */
  readonly stdoutFd?: number;
}

/**
 * Spawns `argv` in a new process group (so a cluster's workers die with their primary) and
 * registers it.
 */
export function spawnChild(name: string, argv: readonly string[], options: SpawnOptions): Child {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('spawnChild: empty argv');
  const keepStdout = options.keepStdout ?? false;
  const proc = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name}: ${command} not found?`);
  let resolveExit = (): void => {};
  const exited = new Promise<void>((resolve) => (resolveExit = resolve));
  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    stdout: [],
    tail: [],
    lines: 0,
    exit: null,
    exited,
  };
  proc.stdout?.on('data', (chunk: Buffer) => collect(child, chunk, keepStdout));
  proc.stderr?.on('data', (chunk: Buffer) => collect(child, chunk, false));
  proc.on('exit', (code, signal) => {
    child.exit = { code, signal };
    live.delete(child);
    resolveExit();
  });
  live.add(child);
  return child;
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/**
 * Ends one child: SIGTERM to the leader only (a cluster primary then drains its own workers, as
 * it would under a process manager), SIGKILL to the whole group after a grace period or once the
 * leader is gone, so no worker outlives it.
 */
export async function stopChild(child: Child): Promise<void> {
  if (child.exit) {
    signalGroup(child, 'SIGKILL');
    return;
  }
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    // ESRCH: it exited just now; the group kill below still runs.
  }
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_GRACE_MS);
  await child.exited;
  clearTimeout(timer);
  signalGroup(child, 'SIGKILL'); // workers a primary left behind, if any
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child)));
}

/** Last resort on any exit path: no async work is possible there, so SIGKILL every group. */
export function installCleanupHooks(): void {
  process.on('exit', () => {
    for (const child of live) signalGroup(child, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      interruptedBy = signal;
      process.stderr.write(`\nload:compare: ${signal}, stopping every child process\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks; we close and pass it on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

export interface SimpleResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Over HTTPS: the negotiated version and cipher (`TLSv1.3 TLS_AES_128_GCM_SHA256`); else `null`. */
  readonly tls: string | null;
}

/** How the lab talks to a server: plain HTTP, or HTTPS to a certificate it made (not verified). */
export type Transport = 'http' | 'https';

function tlsOf(socket: unknown): string | null {
  const s = socket as Partial<TLSSocket> | null;
  if (typeof s?.getProtocol !== 'function' || typeof s.getCipher !== 'function') return null;
  return `${s.getProtocol() ?? '?'} ${s.getCipher().standardName}`;
}

/** One request on a fresh connection (no agent, so nothing lingers). */
export function httpRequest(
  port: number,
  method: string,
  path: string,
  body: string | null = null,
  contentType: string | null = null,
  transport: Transport = 'http',
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    const options = { host: '127.0.0.1', port, method, path, agent: false, headers, timeout: 2_000 };
    // The lab's certificate is made for the run by a throw-away CA: encryption is what is
    // measured, not trust, so the preflight's client does not verify it (wrk does not either).
    const send = transport === 'https' ? tlsRequest : request;
    const req = send(transport === 'https' ? { ...options, rejectUnauthorized: false } : options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          tls: tlsOf(res.socket),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

function describeExit(child: Child): string {
  const how = child.exit?.signal ? `signal ${child.exit.signal}` : `code ${String(child.exit?.code)}`;
  return `${child.name} exited (${how}); its last output:\n  ${child.tail.join('\n  ') || '(none)'}`;
}

/** Polls `GET /healthz` until 200; throws with the child's output if it exits or never answers. */
export async function waitReady(child: Child, port: number, transport: Transport = 'http'): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exit) throw new Error(`${child.name} did not become ready: ${describeExit(child)}`);
    try {
      const res = await httpRequest(port, 'GET', '/healthz', null, null, transport);
      if (res.status === 200) return;
      last = `GET /healthz answered ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(
    `${child.name} not ready after ${READY_TIMEOUT_MS} ms (${last}); last output:\n  ${child.tail.join('\n  ')}`,
  );
}

export { describeExit };

/** A server a lab script started: its process and the loopback port it answers on. */
export interface StartedServer {
  readonly child: Child;
  readonly port: number;
}

/** What a server is started with, once its port is known. */
export interface ServerCommand {
  readonly argv: readonly string[];
  /** Variables on top of this process's environment. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Starts a server on a free loopback port — `command(port)` run from the repository root — and
 * resolves once it answers `/healthz` (else throws with its last output).
 */
export async function startOnFreePort(
  name: string,
  command: (port: number) => ServerCommand,
  options: { readonly stdoutFd?: number; readonly transport?: Transport } = {},
): Promise<StartedServer> {
  const port = await freePort();
  const { argv, env } = command(port);
  const child = spawnChild(name, argv, {
    env: { ...process.env, ...env },
    cwd: REPO_ROOT,
    ...(options.stdoutFd === undefined ? {} : { stdoutFd: options.stdoutFd }),
  });
  await waitReady(child, port, options.transport);
  return { child, port };
}

/**
 * Where a lab server listens, in its entry's variables (`SAMOVAR_HOST`/`SAMOVAR_PORT`, the
 * baselines' `BASELINE_…`, the peers' `PEER_…`): 127.0.0.1 and `port`.
 */
export function listenOn(prefix: 'SAMOVAR' | 'BASELINE' | 'PEER', port: number): Record<string, string> {
  return { [`${prefix}_HOST`]: '127.0.0.1', [`${prefix}_PORT`]: String(port) };
}
