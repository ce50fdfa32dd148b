/**
 * Rolling restarts under `Connection: close` load, per scheduling policy: the real cluster
 * (`src/main.ts`), autocannon with `Connection: close` on every request (so every request is a new
 * connection, and every worker that stops has connections queued on its listening socket), and
 * `ROLL_HUPS` SIGHUPs during the run; prints the failed requests (errors, timeouts, non-2xx) per
 * run. The numbers behind the reuseport trap in docs/cluster.md. `ROLL_ACTION=scale-down` sends
 * SIGTTOU instead (one worker fewer each time, no successor: start with `ROLL_WORKERS=3`).
 * Run: `npm run load:roll-close` (`ROLL_POLICIES=none,rr,reuseport`, `ROLL_ROUNDS`, `ROLL_WORKERS`,
 * `ROLL_CONNECTIONS`, `ROLL_HUPS`, `ROLL_ACTION`). It reads `net.ipv4.tcp_migrate_req` and prints it, never
 * sets it: `sysctl -w net.ipv4.tcp_migrate_req=1` (and back to 0) is the operator's.
 * Must not: run in `npm test`, or change the machine.
 */

import { MAIN, sleep, startCluster } from '../harness/cluster.ts';
import { failures, steadyGets } from '../harness/measure/traffic.ts';
import { readMigrateReq } from '../src/cluster/reuseport.ts';

const POLICIES = (process.env.ROLL_POLICIES ?? 'none,rr,reuseport').split(',');
const ROUNDS = Number(process.env.ROLL_ROUNDS ?? 2);
const WORKERS = process.env.ROLL_WORKERS ?? '2';
const CONNECTIONS = Number(process.env.ROLL_CONNECTIONS ?? 50);
const HUPS = Number(process.env.ROLL_HUPS ?? 2);
const SCALE_DOWN = process.env.ROLL_ACTION === 'scale-down';
/** Load before the first SIGHUP, between rolls, and after the last. */
const SETTLE_MS = 1_000;

async function run(policy: string): Promise<Record<string, unknown>> {
  const c = await startCluster({
    entry: MAIN,
    env: { SAMOVAR_WORKERS: WORKERS, SAMOVAR_CLUSTER_SCHEDULING_POLICY: policy },
  });
  try {
    // Long enough for every roll; autocannon stops at its duration, after the last one.
    const durationS = Math.ceil((SETTLE_MS * (HUPS + 1)) / 1000 + HUPS * 2);
    const load = steadyGets(`http://127.0.0.1:${c.port}/`, {
      connections: CONNECTIONS,
      durationS,
      headers: { connection: 'close' },
    });
    for (let hup = 1; hup <= HUPS; hup++) {
      await sleep(SETTLE_MS);
      c.signal(SCALE_DOWN ? 'SIGTTOU' : 'SIGHUP');
      if (SCALE_DOWN) await c.waitFor('exit', () => true, { count: hup, timeoutMs: 15_000 });
      else await c.waitFor('reload', (l) => l.result === 'ok', { count: hup, timeoutMs: 15_000 });
    }
    const result = await load;
    return {
      policy,
      tcpMigrateReq: readMigrateReq(),
      workers: Number(WORKERS),
      action: SCALE_DOWN ? 'scale-down' : 'roll',
      rolls: HUPS,
      requests: result.requests.total,
      reqPerSec: Math.round(result.requests.average),
      ...failures(result),
      cut: c.events('drained').reduce((n, l) => n + (l.cut as number), 0),
    };
  } finally {
    await c.destroy();
  }
}

const rows: Record<string, unknown>[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? POLICIES : [...POLICIES].reverse();
  for (const policy of order) {
    const row = await run(policy);
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
console.log('\n| policy | tcp_migrate_req | action × times | requests | errors | timeouts | non-2xx |');
console.log('| --- | --: | --- | --: | --: | --: | --: |');
for (const r of rows)
  console.log(
    `| ${String(r.policy)} | ${String(r.tcpMigrateReq)} | ${String(r.action)} × ${String(r.rolls)} | ${String(r.requests)} | ${String(r.errors)} | ${String(r.timeouts)} | ${String(r.non2xx)} |`,
  );
