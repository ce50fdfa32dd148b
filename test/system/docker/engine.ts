/**
 * A Docker engine of the test's own: `dockerd` started as a child process with its data root,
 * exec root, socket and pid file in the test's temporary folder, and with no bridge, no
 * iptables rules and no IP forwarding, so it changes nothing on the machine and meets no other
 * engine (containers use the host network, bound to 127.0.0.1). `stop()` ends it by its PID,
 * then the containerd it started, and unmounts anything it left.
 * Must not: touch a system-wide engine, its socket or /var/lib/docker.
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { alive, run, runOk } from './run.ts';
import type { RunOptions, RunResult } from './run.ts';

/** Debian's client, which matches Debian's daemon; another `docker` on PATH may be newer. */
export const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export class Engine {
  readonly root: string;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logPath: string;
  private readonly child: ChildProcess;
  private exited = false;

  private constructor(root: string, child: ChildProcess, logPath: string) {
    this.root = root;
    this.socket = join(root, 'docker.sock');
    this.env = { ...process.env, DOCKER_HOST: `unix://${this.socket}`, DOCKER_BUILDKIT: '0' };
    this.logPath = logPath;
    this.child = child;
    child.once('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Starts dockerd under `root` and waits until its API answers (at most `timeoutMs`). */
  static async start(root: string, timeoutMs = 60_000): Promise<Engine> {
    for (const dir of ['data', 'exec']) mkdirSync(join(root, dir), { recursive: true });
    const logPath = join(root, 'dockerd.log');
    const log = openSync(logPath, 'a');
    const child = spawn(
      'dockerd',
      [
        `--data-root=${join(root, 'data')}`,
        `--exec-root=${join(root, 'exec')}`,
        `--host=unix://${join(root, 'docker.sock')}`,
        `--pidfile=${join(root, 'docker.pid')}`,
        '--bridge=none',
        '--iptables=false',
        '--ip-forward=false',
        '--ip-masq=false',
        '--userland-proxy=false',
        '--shutdown-timeout=10',
        '--log-level=warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const engine = new Engine(root, child, logPath);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (engine.exited) break;
      const probe = await run(DOCKER, ['version', '--format', '{{.Server.Version}}'], {
        env: engine.env,
        timeoutMs: 10_000,
      });
      if (probe.code === 0) return engine;
      await new Promise((r) => setTimeout(r, 250));
    }
    await engine.stop();
    throw new Error(`dockerd did not answer within ${timeoutMs} ms:\n${engine.log().slice(-3000)}`);
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  docker(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run(DOCKER, args, { env: this.env, ...options });
  }

  dockerOk(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runOk(DOCKER, args, { env: this.env, ...options });
  }

  /** A long-running `docker …` (logs -f, events) whose output the caller reads; end it with `.kill()`. */
  follow(args: readonly string[]): ChildProcess {
    return spawn(DOCKER, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * Removes every container left (a failed test may leave some), then stops dockerd by its PID:
   * SIGTERM, then SIGKILL after 20 s; then the containerd it started, by the PID in its own
   * pid file; then unmounts whatever is still mounted under the root. Safe to call twice.
   */
  async stop(): Promise<void> {
    const containerd = readPid(join(this.root, 'exec', 'containerd', 'containerd.pid'));
    if (!this.exited) {
      const left = await this.docker(['ps', '-aq'], { timeoutMs: 10_000 });
      const ids = left.stdout.split('\n').filter((id) => id !== '');
      if (ids.length > 0) await this.docker(['rm', '-f', ...ids], { timeoutMs: 30_000 });
      const gone = new Promise<void>((resolve) => {
        if (this.exited) resolve();
        else this.child.once('exit', () => resolve());
      });
      this.child.kill('SIGTERM');
      const killed = await Promise.race([gone.then(() => true), sleep(20_000).then(() => false)]);
      if (!killed) {
        this.child.kill('SIGKILL');
        await gone;
      }
    }
    // dockerd stops the containerd it started; only one left behind (dockerd killed) is ended here.
    if (containerd > 1 && alive(containerd) && commandLine(containerd).includes(this.root))
      process.kill(containerd, 'SIGKILL');
    await unmountUnder(this.root);
  }

  /** Synchronous last resort for a test process that is exiting: SIGKILL dockerd by PID. */
  killNow(): void {
    if (!this.exited && this.pid > 0) this.child.kill('SIGKILL');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readPid(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** A process's command line, to be sure a PID from a pid file is still that process. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Lazily unmounts every mount point under `root`, deepest first (overlay layers, shm, netns). */
export async function unmountUnder(root: string): Promise<void> {
  let mountinfo = '';
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === root || point.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await run('umount', ['-l', point], { timeoutMs: 10_000 });
}
