/**
 * The load generators behind one call: autocannon (in a child process, see
 * harness/measure/autocannon-runner.ts), wrk (with wrk-report.lua; `https://` under `--tls`) and,
 * for the HTTPS handshake rows, `openssl s_time` (s-time.ts), each pinned with the caller's
 * `taskset` prefix, each reduced to the same `Measurement`.
 * Must not: judge results (errors are counted here, judged by the caller) or start servers.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import type { Scenario, Tool } from './options.ts';
import { spawnChild } from './processes.ts';
import type { Child, Transport } from './processes.ts';
import { parseSTime, sTimeArgv } from './s-time.ts';
import { AUTOCANNON_RUNNER as RUNNER, RUNNER_MARK } from '../../harness/measure/runner-protocol.ts';
import type { RunnerInput, RunnerOutput } from '../../harness/measure/runner-protocol.ts';

const WRK_SCRIPT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));
const WRK_MARK = 'WRK_JSON ';
/** A request unanswered this long counts as a timeout (both tools). */
const REQUEST_TIMEOUT_S = 5;

export interface Measurement {
  readonly requests: number;
  readonly durationS: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors, timeouts and (autocannon) bodies that differ from the expected one. */
  readonly errors: number;
  /** Answers outside 2xx (autocannon) or ≥ 400 (wrk). */
  readonly non2xx: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface GeneratorRun {
  readonly child: Child;
  readonly done: Promise<Measurement>;
}

export interface RunSpec {
  readonly tool: Tool;
  readonly scenario: Scenario;
  readonly port: number;
  readonly connections: number;
  readonly durationS: number;
  readonly pinPrefix: readonly string[];
  /** `https` under `--tls`; default `http`. */
  readonly transport?: Transport;
}

/** The installed wrk's version line, or `null` when there is no usable wrk. */
export function wrkVersion(): string | null {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (probe.error) return null;
  const line = `${probe.stdout}${probe.stderr}`.split('\n').find((l) => l.startsWith('wrk '));
  return line ? line.replace(/ Copyright.*$/, '').trim() : null;
}

export function autocannonVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('autocannon/package.json') as { version: string }).version;
}

function autocannonArgv(spec: RunSpec): string[] {
  const input: RunnerInput = {
    url: `http://127.0.0.1:${spec.port}${spec.scenario.path}`,
    connections: spec.connections,
    durationS: spec.durationS,
    pipelining: spec.scenario.pipelining,
    method: spec.scenario.method,
    body: spec.scenario.body,
    contentType: spec.scenario.contentType,
    expectBody: spec.scenario.expectBody,
    headers: spec.scenario.headers,
    requests: spec.scenario.mix,
  };
  return [...spec.pinPrefix, process.execPath, RUNNER, JSON.stringify(input)];
}

function wrkArgv(spec: RunSpec): string[] {
  const { scenario } = spec;
  return [
    ...spec.pinPrefix,
    'wrk',
    '-t1',
    `-c${spec.connections}`,
    `-d${spec.durationS}s`,
    `--timeout`,
    `${REQUEST_TIMEOUT_S}s`,
    '-s',
    WRK_SCRIPT,
    `${spec.transport ?? 'http'}://127.0.0.1:${spec.port}/`,
    '--',
    String(scenario.pipelining),
    scenario.method,
    scenario.path,
    scenario.body ?? '',
    scenario.contentType ?? '',
    Object.entries(scenario.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    scenario.mix.map((r) => `${r.method} ${r.path}${r.body === null ? '' : ' body'}`).join(','),
  ];
}

function fromAutocannon(out: RunnerOutput): Measurement {
  return {
    requests: out.requests,
    durationS: out.durationS,
    rps: out.requests / out.durationS,
    p50Ms: out.p50Ms,
    p99Ms: out.p99Ms,
    errors: out.errors + out.mismatches,
    non2xx: out.non2xx,
    detail: {
      timeouts: out.timeouts,
      mismatches: out.mismatches,
      statusCodes: out.statusCodes,
      cpuMs: out.cpuMs,
    },
  };
}

interface WrkOutput {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

function fromWrk(out: WrkOutput): Measurement {
  const e = out.errors;
  return {
    requests: out.requests,
    durationS: out.durationUs / 1e6,
    rps: out.requests / (out.durationUs / 1e6),
    p50Ms: out.p50Us / 1000,
    // wrk 4.1's percentile() sometimes answers 0 for p99 of a pipelined run with a long tail
    // (its own printout says 3–4 ms; seen 1 run in 3): unknown, not zero.
    p99Ms: out.p99Us === 0 && out.requests > 0 ? NaN : out.p99Us / 1000,
    errors: e.connect + e.read + e.write + e.timeout,
    non2xx: e.status,
    detail: { socketErrors: e, maxMs: out.maxUs / 1000 },
  };
}

async function finish(child: Child, mark: string): Promise<string> {
  await child.exited;
  const line = child.stdout.find((l) => l.startsWith(mark));
  if (child.exit?.code !== 0 || line === undefined) {
    const how = child.exit?.signal ?? `code ${String(child.exit?.code)}`;
    throw new Error(`${child.name} failed (${how}); its last output:\n  ${child.tail.join('\n  ')}`);
  }
  return line.slice(mark.length);
}

/** openssl s_time: connections ÷ wall time; no latency percentiles (it reports none). */
function startSTime(spec: RunSpec): GeneratorRun {
  const mode = spec.scenario.handshake ?? 'new';
  const argv = sTimeArgv(
    { port: spec.port, clients: spec.connections, durationS: spec.durationS, mode },
    spec.pinPrefix,
  );
  const startedMs = performance.now();
  const child = spawnChild('openssl s_time', argv, { env: process.env, keepStdout: true });
  const done = child.exited.then((): Measurement => {
    const durationS = (performance.now() - startedMs) / 1000;
    const r = parseSTime(child.stdout);
    // With -reuse, a client's first connection is a full handshake by design; more than one
    // full handshake per client means the server did not resume (reported, not an error).
    const unresumed = mode === 'reuse' ? Math.max(0, r.full - spec.connections) : 0;
    return {
      requests: r.connections,
      durationS,
      rps: r.connections / durationS,
      p50Ms: NaN,
      p99Ms: NaN,
      errors: r.failedClients + unresumed,
      non2xx: 0,
      detail: {
        resumed: r.resumed,
        full: r.full,
        failedClients: r.failedClients,
        unresumed,
        bytesPerConnection: r.bytesPerConnection,
      },
    };
  });
  return { child, done };
}

/** Starts one measurement; `child` is available at once (for CPU sampling), `done` at its end. */
export function startRun(spec: RunSpec): GeneratorRun {
  if (spec.tool === 'openssl') return startSTime(spec);
  if (spec.tool === 'autocannon') {
    const child = spawnChild('autocannon', autocannonArgv(spec), { env: process.env, keepStdout: true });
    const done = finish(child, RUNNER_MARK).then((json) => fromAutocannon(JSON.parse(json) as RunnerOutput));
    return { child, done };
  }
  const child = spawnChild('wrk', wrkArgv(spec), { env: process.env, keepStdout: true });
  const done = finish(child, WRK_MARK).then((json) => fromWrk(JSON.parse(json) as WrkOutput));
  return { child, done };
}
