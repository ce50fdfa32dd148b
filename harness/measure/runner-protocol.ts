/**
 * What the parent and `autocannon-runner.ts` exchange: the input as one JSON argument, the output
 * as one stdout line starting with `RUNNER_MARK`; and where the runner is. Types and constants
 * only, so either side imports it freely.
 */

import { fileURLToPath } from 'node:url';

/** The runner's file: spawned by autocannon.ts, and pinned by load/lib/generators.ts. */
export const AUTOCANNON_RUNNER = fileURLToPath(new URL('./autocannon-runner.ts', import.meta.url));

export interface RunnerInput {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly pipelining: number;
  readonly method: string;
  readonly body: string | null;
  readonly contentType: string | null;
  /** `null`: bodies are not compared (a mix, whose answers differ by request). */
  readonly expectBody: string | null;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A mix: these requests in turn on each connection, instead of `method`/`body`. */
  readonly requests?: readonly {
    readonly method: string;
    readonly path: string;
    readonly body: string | null;
  }[];
}

export interface RunnerOutput {
  readonly requests: number;
  readonly durationS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly mismatches: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  readonly cpuMs: number;
}

export const RUNNER_MARK = 'AUTOCANNON_JSON ';
