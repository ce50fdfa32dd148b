/**
 * Runs a program to completion for the container tests: collects its output, times it, and ends
 * it by PID (and its process group, which it leads) when it overruns its time limit.
 * Must not: use a shell; arguments go to the program as they are.
 */

import { spawn, spawnSync } from 'node:child_process';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  readonly input?: string;
}

/** Runs `program args…`; resolves with its exit code (never rejects for a non-zero one). */
export function run(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Math.round(performance.now() - started),
      });
    });
  });
}

/** Like `run`, but throws with the command and its output when it exits non-zero. */
export async function runOk(
  program: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await run(program, args, options);
  if (result.code !== 0) {
    const tail = (text: string): string => text.slice(-4000);
    throw new Error(
      `${program} ${args.join(' ')} exited ${result.code} after ${result.ms} ms\n` +
        `--- stdout\n${tail(result.stdout)}\n--- stderr\n${tail(result.stderr)}`,
    );
  }
  return result;
}

/** Signals a process group led by `pid` (a child spawned detached), ignoring one already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `name` runs at all (found on PATH and executable). */
export function hasProgram(name: string, args: readonly string[] = ['--version']): boolean {
  const probe = spawnSync(name, args, { stdio: 'ignore', timeout: 15_000 });
  return probe.error === undefined;
}
