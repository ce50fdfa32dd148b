/**
 * Measures the three `cluster.schedulingPolicy` choices, `none`, `rr` and `reuseport` (the numbers
 * behind the default in docs/cluster.md): the real cluster (`src/main.ts`, 2 and 4 workers) under
 * autocannon, keep-alive and `Connection: close` traffic, the policies alternated so drift on a
 * shared machine hits them alike. Each worker's share comes from its `drained` line at SIGTERM:
 * the requests it served and the connections it accepted; the spread is the largest share over
 * the smallest (1.00 is even).
 * Run: `npm run bench:cluster-policy` (`BENCH_DURATION_S` (6), `BENCH_ROUNDS` (2), `BENCH_WORKERS`
 * (`2,4`), `BENCH_POLICIES` (`none,rr,reuseport`), `BENCH_SCENARIOS` (`keep-alive,close`) shorten
 * it). Not a test: prints a table.
 * With `Connection: close` autocannon writes its next request before it sees the close, so its
 * latency figures there are meaningless (it times from that lost write); read req/s only.
 * Must not: run in `npm test`.
 */

import { MAIN, startCluster } from '../harness/cluster.ts';
import type { Cluster } from '../harness/cluster.ts';
import { steadyGets } from '../harness/measure/traffic.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? '2,4').split(',');
const POLICIES = (process.env.BENCH_POLICIES ?? 'none,rr,reuseport').split(',');

interface Scenario {
  readonly name: string;
  readonly connections: number;
  readonly headers: Record<string, string>;
}

const ALL_SCENARIOS: readonly Scenario[] = [
  { name: 'keep-alive, 50 conns', connections: 50, headers: {} },
  { name: 'Connection: close, 50 conns', connections: 50, headers: { connection: 'close' } },
];
/** `BENCH_SCENARIOS=close` (or `keep-alive`): only the scenarios whose name holds one of these. */
const SCENARIOS = ALL_SCENARIOS.filter((s) =>
  (process.env.BENCH_SCENARIOS ?? 'keep-alive,close').split(',').some((word) => s.name.includes(word)),
);

interface Row {
  workers: string;
  scenario: string;
  policy: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Each worker's share of the requests, in percent, slot order. */
  requestShares: number[];
  /** Each worker's share of the accepted connections, in percent, slot order. */
  connectionShares: number[];
}

/** Percent shares of `counts`, one decimal. */
function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((n) => Math.round((1000 * n) / Math.max(total, 1)) / 10);
}

/** Largest share over the smallest: 1.00 is an even spread. */
function spread(of: readonly number[]): string {
  const min = Math.min(...of);
  return min > 0 ? (Math.max(...of) / min).toFixed(2) : '∞';
}

/** The served and accepted counts of each worker, from its `drained` line, in slot order. */
function perWorker(c: Cluster): { requests: number[]; accepted: number[] } {
  const drained = c.events('drained').sort((a, b) => (a.slot as number) - (b.slot as number));
  return {
    requests: drained.map((l) => l.requests as number),
    accepted: drained.map((l) => l.accepted as number),
  };
}

async function measure(workers: string, policy: string, scenario: Scenario): Promise<Row> {
  const c = await startCluster({
    entry: MAIN,
    env: { SAMOVAR_WORKERS: workers, SAMOVAR_CLUSTER_SCHEDULING_POLICY: policy },
  });
  try {
    const result = await steadyGets(`http://127.0.0.1:${c.port}/`, {
      connections: scenario.connections,
      durationS: DURATION_S,
      headers: scenario.headers,
    });
    c.signal('SIGTERM');
    await c.exited;
    const counts = perWorker(c);
    return {
      workers,
      scenario: scenario.name,
      policy,
      reqPerSec: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.timeouts + result.non2xx,
      requestShares: shares(counts.requests),
      connectionShares: shares(counts.accepted),
    };
  } finally {
    await c.destroy();
  }
}

const rows: Row[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const workers of WORKER_COUNTS) {
    for (const scenario of SCENARIOS) {
      const order = round % 2 === 0 ? POLICIES : [...POLICIES].reverse();
      for (const policy of order) {
        const row = await measure(workers, policy, scenario);
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
  }
}
console.log(
  '\n| workers | scenario | policy | req/s | p50 ms | p99 ms | errors | requests per worker (%) | spread | connections per worker (%) | spread |',
);
console.log('| --: | --- | --- | --: | --: | --: | --: | --- | --: | --- | --: |');
const order = (r: Row): string => `${r.workers.padStart(3)} ${r.scenario} ${POLICIES.indexOf(r.policy)}`;
for (const r of rows.sort((a, b) => order(a).localeCompare(order(b)))) {
  const req = r.requestShares;
  const conn = r.connectionShares;
  console.log(
    `| ${r.workers} | ${r.scenario} | ${r.policy} | ${r.reqPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${req.join('/')} | ${spread(req)} | ${conn.join('/')} | ${spread(conn)} |`,
  );
}
