/**
 * Runs one autocannon measurement in its own process, so the parent can pin it to a CPU with
 * `taskset -c 0 node harness/measure/autocannon-runner.ts '<json>'` and keep its own event loop out of
 * the measurement. Prints exactly one line: `AUTOCANNON_JSON {...}`.
 * Must not: start servers or interpret results (the parent does both).
 */
import autocannon from 'autocannon';

import { RUNNER_MARK } from './runner-protocol.ts';
import type { RunnerInput, RunnerOutput } from './runner-protocol.ts';

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as RunnerInput;
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: input.url,
    connections: input.connections,
    duration: input.durationS,
    pipelining: input.pipelining,
    method: input.method,
    timeout: 5,
    ...(input.expectBody === null ? {} : { expectBody: input.expectBody }),
    ...(input.body === null ? {} : { body: input.body }),
    headers: {
      ...(input.contentType === null ? {} : { 'content-type': input.contentType }),
      ...input.headers,
    },
    ...(input.requests === undefined || input.requests.length === 0
      ? {}
      : {
          requests: input.requests.map((r) => ({
            method: r.method,
            path: r.path,
            ...(r.body === null ? {} : { body: r.body }),
          })),
        }),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats)) statusCodes[code] = stat.count;
  const output: RunnerOutput = {
    requests: result.requests.total,
    durationS: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    non2xx: result.non2xx,
    statusCodes,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  process.stdout.write(RUNNER_MARK + JSON.stringify(output) + '\n');
}

await main();
