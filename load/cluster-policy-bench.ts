/**
 * Measures `cluster.schedulingPolicy` `rr` against `none` (the numbers behind the default in
 * docs/cluster.md): the real cluster (`src/main.ts`, 2 workers or `BENCH_WORKERS`) under
 * autocannon, keep-alive and `Connection: close` traffic, the two policies alternated so drift on
 * a shared machine hits both alike. Run: `npm run bench:cluster-policy` (about a minute;
 * `BENCH_DURATION_S`, `BENCH_ROUNDS` shorten it). Not a test: prints a table.
 * With `Connection: close` autocannon writes its next request before it sees the close, so its
 * latency figures there are meaningless (it times from that lost write); read req/s only.
 * Must not: run in `npm test`.
 */

import { MAIN, startCluster } from '../harness/cluster.ts';
import { steadyGets } from '../harness/measure/traffic.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WORKERS = process.env.BENCH_WORKERS ?? '2';

interface Scenario {
  readonly name: string;
  readonly connections: number;
  readonly headers: Record<string, string>;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'keep-alive, 50 conns', connections: 50, headers: {} },
  { name: 'Connection: close, 50 conns', connections: 50, headers: { connection: 'close' } },
];

interface Row {
  policy: string;
  scenario: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  perWorker: string;
}

async function measure(policy: 'rr' | 'none', scenario: Scenario): Promise<Row> {
  const c = await startCluster({
    entry: MAIN,
    env: { SAMOVAR_WORKERS: WORKERS, SAMOVAR_CLUSTER_SCHEDULING_POLICY: policy },
  });
  try {
    const result = await steadyGets(`http://127.0.0.1:${c.port}/`, {
      connections: scenario.connections,
      durationS: DURATION_S,
      headers: scenario.headers,
    });
    // Each worker's share, from the requests its drain reports on shutdown.
    c.signal('SIGTERM');
    await c.exited;
    const served = c.events('drained').map((l) => l.requests as number);
    const total = served.reduce((a, b) => a + b, 0);
    return {
      policy,
      scenario: scenario.name,
      reqPerSec: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.timeouts + result.non2xx,
      perWorker: served.map((n) => `${Math.round((100 * n) / Math.max(total, 1))}%`).join('/'),
    };
  } finally {
    await c.destroy();
  }
}

const rows: Row[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const scenario of SCENARIOS) {
    const order: ('rr' | 'none')[] = round % 2 === 0 ? ['rr', 'none'] : ['none', 'rr'];
    for (const policy of order) {
      const row = await measure(policy, scenario);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
}
console.log('\n| scenario | policy | req/s | p50 ms | p99 ms | errors | share per worker |');
console.log('| --- | --- | --: | --: | --: | --: | --- |');
for (const r of rows.sort(
  (a, b) => a.scenario.localeCompare(b.scenario) || a.policy.localeCompare(b.policy),
)) {
  console.log(
    `| ${r.scenario} | ${r.policy} | ${r.reqPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${r.perWorker} |`,
  );
}
