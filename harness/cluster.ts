/**
 * Runs a real Samovar cluster for a test or a load script: spawns an entry point (`src/main.ts`,
 * the CLI, or a fixture) with configuration in the environment, reads its JSON lifecycle lines
 * from stdout, waits for events, sends signals, and cleans up every process it started — the
 * primary and each worker it logged, by PID — so no run leaves an orphan even when it fails.
 * Each cluster gets its own control socket in a temporary directory (removed by `destroy`), so
 * clusters running side by side never claim one path and a killed primary leaves nothing behind.
 * Must not: reach into the cluster any other way than a user could (signals, HTTP, logs), or
 * import a test runner (load/ scripts use it too).
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { onLines } from './lines.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const MAIN = 'src/main.ts';

export interface LogLine {
  readonly level: string;
  readonly time: number;
  readonly pid: number;
  readonly role: string;
  readonly event: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface StartOptions {
  readonly entry?: string;
  readonly env?: Record<string, string>;
  readonly args?: readonly string[];
  /** Variables the harness would set that this test leaves unset (e.g. to let a config file decide). */
  readonly unset?: readonly string[];
  /** Wait until this many workers are ready (default: SAMOVAR_WORKERS or 2). */
  readonly ready?: number;
}

/**
 * Ports for servers that another process binds later (a cluster starting): below Linux's
 * ephemeral range (32768–60999), so no client connection takes one as its local port in the
 * meantime, and a block of its own per vitest worker (`VITEST_POOL_ID`, 1…maxWorkers; 0 outside
 * vitest), so two test files running at once never pick the same one. Bind-0-and-release raced
 * both ways once files ran two at a time: a cluster failed to bind (`EADDRINUSE`) for 15 s.
 */
const PORT_BASE = 20_000;
const PORTS_PER_POOL = 2_000;
const POOLS = 6;
let portCursor = Math.floor(Math.random() * PORTS_PER_POOL);

/** A TCP port on 127.0.0.1 that nothing holds now, from this process's own block (see above). */
export async function freePort(): Promise<number> {
  const pool = Number(process.env['VITEST_POOL_ID'] ?? 0) % POOLS;
  const base = PORT_BASE + pool * PORTS_PER_POOL;
  for (let tries = 0; tries < PORTS_PER_POOL; tries++) {
    const port = base + (portCursor++ % PORTS_PER_POOL);
    if (await bindable(port)) return port;
  }
  throw new Error(`freePort: every port in ${base}–${base + PORTS_PER_POOL - 1} is taken`);
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export class Cluster {
  readonly child: ChildProcess;
  readonly port: number;
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  /** The primary's control socket (`samovar status` reaches it with SAMOVAR_CONTROL_SOCKET). */
  controlSocket: string | null = null;
  /** Temporary directories to remove once the cluster is gone. */
  readonly scratch: string[] = [];
  private waiters: (() => void)[] = [];

  /** `stdout`: where the log is read, when it is not the child's own (a FIFO's reader). */
  constructor(child: ChildProcess, port: number, stdout: Readable | null = child.stdout) {
    this.child = child;
    this.port = port;
    if (stdout !== null) {
      const onLine = (text: string): void => {
        if (text.startsWith('{')) this.lines.push(JSON.parse(text) as LogLine);
      };
      onLines(stdout, onLine, () => this.wake());
    }
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        // Its control socket's directory goes with it, also for scripts that never call destroy().
        for (const dir of this.scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
        this.wake();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  events(event: string, where: (line: LogLine) => boolean = () => true): LogLine[] {
    return this.lines.filter((line) => line.event === event && where(line));
  }

  /**
   * Resolves with the `count`-th line (from the start of the log) matching, or rejects at the
   * timeout, or with `failOn`'s error as soon as a line makes it return one.
   */
  async waitFor(
    event: string,
    where: (line: LogLine) => boolean = () => true,
    {
      count = 1,
      timeoutMs = 10_000,
      failOn,
    }: { count?: number; timeoutMs?: number; failOn?: (line: LogLine) => Error | null } = {},
  ): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events(event, where);
      if (found.length >= count) return found[count - 1] as LogLine;
      for (const line of failOn === undefined ? [] : this.lines) {
        const error = failOn?.(line) ?? null;
        if (error !== null) throw error;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.exitCode !== null || this.exitSignal !== null) {
        throw new Error(`no ${count}× "${event}" within ${timeoutMs} ms; log:\n${this.dump()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** PIDs of workers that logged ready and have not logged exit. */
  liveWorkers(): number[] {
    const gone = new Set(this.events('exit').map((l) => l.workerPid));
    return this.events('ready')
      .map((l) => l.workerPid as number)
      .filter((pid) => !gone.has(pid));
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  dump(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n') + '\n' + this.stderr.join('');
  }

  /** Kills the primary and every worker it ever logged, by PID; waits for the primary. */
  async destroy(): Promise<void> {
    const pids = new Set(this.events('spawn').map((l) => l.workerPid as number));
    if (this.exitCode === null && this.exitSignal === null) this.child.kill('SIGKILL');
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.exited;
    for (const dir of this.scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Spawns `argv` from the repository root with `env` over this process's environment (less its
 * own SAMOVAR_* and PORT, so the caller's shell cannot leak in), serving on `port`; waits until
 * `ready` workers are ready (none: returns at once), and kills it all if they are not in time.
 */
export async function launchCluster(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  port: number,
  { ready, timeoutMs }: { ready: number; timeoutMs: number },
): Promise<Cluster> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SAMOVAR_') && name !== 'PORT'),
  );
  const scratch = mkdtempSync(join(tmpdir(), 'samovar-control-'));
  const controlSocket = env.SAMOVAR_CONTROL_SOCKET ?? join(scratch, 'control.sock');
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: ROOT,
    env: { ...inherited, SAMOVAR_CONTROL_SOCKET: controlSocket, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cluster = new Cluster(child, port);
  cluster.controlSocket = controlSocket;
  cluster.scratch.push(scratch);
  if (ready > 0) {
    try {
      await cluster.waitFor('ready', () => true, { count: ready, timeoutMs, failOn: portTaken(port) });
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }
  return cluster;
}

/**
 * The port `freePort()` handed out was free when it checked, and taken by the time the cluster
 * bound it (seen once in CI, holder unknown: every worker failed `bind EADDRINUSE` until the
 * 15 s timeout). Carries what held it then, from `ss`, for the next one who meets it.
 */
export class PortTakenError extends Error {}

/** `failOn` for a launch on `port`: a worker that could not bind it. */
function portTaken(port: number): (line: LogLine) => Error | null {
  const mark = `EADDRINUSE 127.0.0.1:${port}`;
  return (line) => {
    if (line.event !== 'error' || !String(line.error).includes(mark)) return null;
    const ss = spawnSync('ss', ['-Htanp', `sport = :${port}`], { encoding: 'utf8' });
    const holder = ss.status === 0 ? ss.stdout.trim() || '(no socket on it any more)' : '(ss failed)';
    return new PortTakenError(`port ${port} was taken after freePort() checked it; held by:\n${holder}`);
  };
}

/**
 * `launch` on a port from `pick` (`freePort()`), and again on another (three tries in all) when
 * the port was taken in between (PortTakenError, said on stderr with its holder): no harness can
 * close the gap between checking a port and another process binding it, only make missing it
 * cost a retry.
 */
export async function onFreePort(
  launch: (port: number) => Promise<Cluster>,
  pick: () => Promise<number> = freePort,
): Promise<Cluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(await pick());
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
      process.stderr.write(`harness: ${error.message}\nharness: starting again on another port\n`);
    }
  }
}

/** Starts a cluster on a free port and waits for its workers to be ready. */
export function startCluster(options: StartOptions = {}): Promise<Cluster> {
  return onFreePort((port) => {
    const env: Record<string, string> = {
      SAMOVAR_HOST: '127.0.0.1',
      SAMOVAR_PORT: String(port),
      SAMOVAR_WORKERS: '2',
      // Tests run in parallel: a free metrics port each, and no access lines unless a test wants them.
      SAMOVAR_METRICS_PORT: '0',
      SAMOVAR_LOG_ACCESS: 'off',
      ...options.env,
    };
    for (const name of options.unset ?? []) delete env[name];
    const argv = [process.execPath, options.entry ?? MAIN, ...(options.args ?? [])];
    const ready = options.ready ?? Number(env.SAMOVAR_WORKERS ?? 2);
    return launchCluster(argv, env, port, { ready, timeoutMs: 15_000 });
  });
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request on a fresh connection (node:http as the oracle client), no keep-alive. */
export function get(port: number, path: string, timeoutMs = 5_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
