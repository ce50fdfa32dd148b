/**
 * Load for the hardening scripts and tests: autocannon in a child process (its event loop
 * must not share one with hostile clients, or their timers would show up as server latency),
 * and, for the tests that watch a cluster's log while load runs (rolling restarts, a killed
 * worker), steady GETs from autocannon in this process.
 * Must not: start servers or judge results.
 */

import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import type { AutocannonResult } from 'autocannon';
import { AUTOCANNON_RUNNER, RUNNER_MARK } from './runner-protocol.ts';
import type { RunnerInput, RunnerOutput } from './runner-protocol.ts';

/** Runs one autocannon measurement in its own process and returns its figures. */
export function runAutocannon(input: RunnerInput): Promise<RunnerOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AUTOCANNON_RUNNER, JSON.stringify(input)], {
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

/**
 * `connections` keep-alive connections of GETs on `url` for `durationS`, in this process, so the
 * caller can act on the server (signals, kills) while they run; a request unanswered for
 * `timeoutS` counts as a timeout.
 */
export function steadyGets(
  url: string,
  options: {
    connections: number;
    durationS: number;
    timeoutS?: number;
    headers?: Record<string, string>;
  },
): Promise<AutocannonResult> {
  const { connections, durationS, timeoutS = 5, headers = {} } = options;
  return autocannon({
    url,
    connections,
    duration: durationS,
    pipelining: 1,
    method: 'GET',
    headers,
    timeout: timeoutS,
  });
}

/** What failed in a run, the three ways a request can: all three 0 means none did. */
export function failures(result: { errors: number; timeouts: number; non2xx: number }): {
  errors: number;
  timeouts: number;
  non2xx: number;
} {
  return { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx };
}
