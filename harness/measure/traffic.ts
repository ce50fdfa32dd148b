/**
 * Measuring for the hardening scripts and tests: autocannon in a child process (its event loop
 * must not share one with hostile clients, or their timers would show up as server latency),
 * and a sampler of worker memory (resident set size from /proc/<pid>/status, Linux).
 * Must not: start servers or judge results.
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RUNNER_MARK } from './runner-protocol.ts';
import type { RunnerInput, RunnerOutput } from './runner-protocol.ts';

const RUNNER = fileURLToPath(new URL('./autocannon-runner.ts', import.meta.url));

/** Runs one autocannon measurement in its own process and returns its figures. */
export function runAutocannon(input: RunnerInput): Promise<RunnerOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, JSON.stringify(input)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RUNNER_MARK));
      if (code !== 0 || line === undefined)
        return reject(new Error(`autocannon runner exited ${code}: ${err}`));
      resolve(JSON.parse(line.slice(RUNNER_MARK.length)) as RunnerOutput);
    });
  });
}

/** GET `url` with `connections` keep-alive connections for `durationS`; the answer must be `expectBody`. */
export function normalTraffic(
  url: string,
  connections: number,
  durationS: number,
  expectBody: string,
): Promise<RunnerOutput> {
  return runAutocannon({
    url,
    connections,
    durationS,
    pipelining: 1,
    method: 'GET',
    body: null,
    contentType: null,
    expectBody,
  });
}

/** Resident set size of `pid` in bytes, or 0 when the process is gone. */
export function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

export interface RssSample {
  /** Milliseconds since the sampler started. */
  readonly t: number;
  readonly pid: number;
  readonly rss: number;
}

/**
 * Samples the RSS of every pid `pids()` names, every `everyMs` (0: only when `sample()` is
 * called — e.g. every MiB of an upload, when the caller's own loop is too busy for timers).
 */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout | null;
  private readonly pids: () => readonly number[];

  constructor(pids: () => readonly number[], everyMs: number) {
    this.pids = pids;
    this.sample();
    this.timer = everyMs > 0 ? setInterval(() => this.sample(), everyMs) : null;
  }

  sample(): void {
    const t = Date.now() - this.started;
    for (const pid of this.pids()) {
      const rss = rssOf(pid);
      if (rss > 0) this.samples.push({ t, pid, rss });
    }
  }

  /** Milliseconds since the sampler started (the time base of `samples`). */
  elapsed(): number {
    return Date.now() - this.started;
  }

  stop(): RssSample[] {
    if (this.timer !== null) clearInterval(this.timer);
    return this.samples;
  }

  /** The largest sample of any pid in `[from, to)` ms, or 0. */
  max(from = 0, to = Infinity): number {
    let max = 0;
    for (const s of this.samples) if (s.t >= from && s.t < to && s.rss > max) max = s.rss;
    return max;
  }
}
