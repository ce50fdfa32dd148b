/**
 * The HTTPS summary of `npm run load:compare -- --tls`: per scenario and peer, req/s (for the
 * `Connection: close` and s_time rows that is handshakes per second), p50/p99, the server's CPU
 * and CPU per request (per handshake where each request is one), ratios to node:https and to
 * nginx; then the handshake's own CPU (close − keep-alive) and issue 17's speed goals, met or
 * missed and by how much.
 * Must not: measure anything or write files.
 */
import { atLeastGoal, goalsTable as goalsTableOf } from './goals.ts';
import type { Goal } from './goals.ts';
import type { RunRecord, ServerId, Spread, SummaryRow } from './report.ts';
import { SATURATED_GENERATOR_CORES, SERVER_TITLE, spread } from './report.ts';

export interface TlsRow {
  readonly row: SummaryRow;
  /** Median over rounds of the server's CPU (cores) while loaded. */
  readonly serverCores: Spread;
  /** Median over rounds of server CPU ÷ req/s, in µs: CPU per request (per handshake on close rows). */
  readonly cpuUsPerRequest: Spread;
  readonly vsNginx: number | null;
  /** Resumed ÷ all handshakes over every round, as the server counted them (s_time: as it saw them). */
  readonly resumedShare: number | null;
  /** Handshakes the server counted per request (≈ 1 on close rows, ≈ 0 on keep-alive); `null`: not counted. */
  readonly handshakesPerRequest: number | null;
}

export type TlsGoal = Goal;

function cpuOf(run: RunRecord): { cores: number; usPerRequest: number } {
  const cores = run.during.serverCores ?? NaN;
  return { cores, usPerRequest: (cores / run.measurement.rps) * 1e6 };
}

/** What the server counted, else (s_time) what the client printed; `null` when neither is known. */
function countsOf(run: RunRecord): { full: number; resumed: number } | null {
  if (run.handshakes) return run.handshakes;
  const d = run.measurement.detail as { resumed?: number; full?: number };
  return d.resumed === undefined || d.full === undefined ? null : { full: d.full, resumed: d.resumed };
}

function resumedShare(runs: readonly RunRecord[]): { share: number | null; perRequest: number | null } {
  let resumed = 0;
  let all = 0;
  let requests = 0;
  for (const run of runs) {
    const counts = countsOf(run);
    if (counts === null) return { share: null, perRequest: null };
    resumed += counts.resumed;
    all += counts.resumed + counts.full;
    requests += run.measurement.requests;
  }
  return { share: all === 0 ? null : resumed / all, perRequest: requests === 0 ? null : all / requests };
}

/** The summary rows with CPU, the nginx ratio and (s_time) the resumed share added. */
export function tlsRows(summary: readonly SummaryRow[], runs: readonly RunRecord[]): TlsRow[] {
  return summary.map((row) => {
    const mine = runs.filter(
      (r) => r.tool === row.tool && r.scenario === row.scenario && r.server === row.server,
    );
    const cpu = mine.map(cpuOf);
    const nginx = summary.find(
      (r) => r.tool === row.tool && r.scenario === row.scenario && r.server === 'nginx',
    );
    const counted = resumedShare(mine);
    return {
      row,
      serverCores: spread(cpu.map((c) => c.cores)),
      cpuUsPerRequest: spread(cpu.map((c) => c.usPerRequest)),
      vsNginx: nginx && row.server !== 'nginx' ? row.rps.median / nginx.rps.median : null,
      resumedShare: counted.share,
      handshakesPerRequest: counted.perRequest,
    };
  });
}

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fixed = (v: number | null, digits: number, suffix = ''): string =>
  v === null || !Number.isFinite(v) ? '–' : `${v.toFixed(digits)}${suffix}`;
const ms = (v: number): string => (!Number.isFinite(v) ? '–' : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const range = (s: Spread, f: (v: number) => string): string =>
  !Number.isFinite(s.median)
    ? '–'
    : s.min === s.max
      ? f(s.median)
      : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

/** The HTTPS table: medians (min–max) over rounds. */
export function tlsTable(rows: readonly TlsRow[]): string {
  const lines = [
    '| Scenario | Server | req/s | p50 ms | p99 ms | server CPU, cores | CPU µs / request | handshakes / request, resumed | ÷ node:https req/s, p99 | ÷ nginx req/s | errors | busy |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const t of rows) {
    const r = t.row;
    const bound = r.generatorCores !== null && r.generatorCores >= SATURATED_GENERATOR_CORES ? ' ‡' : '';
    const counted =
      t.resumedShare === null
        ? 'not counted'
        : `${fixed(t.handshakesPerRequest, 3)}, ${(t.resumedShare * 100).toFixed(1)}%`;
    const yard = r.rpsRatio === null ? '' : `**${r.rpsRatio.toFixed(2)}×**, p99 ${fixed(r.p99Ratio, 2, '×')}`;
    lines.push(
      `| ${r.scenarioTitle} | ${SERVER_TITLE[r.server]} | ${range(r.rps, (v) => INTEGER.format(v))}${bound} | ` +
        `${range(r.p50Ms, ms)} | ${range(r.p99Ms, ms)} | ${range(t.serverCores, (v) => v.toFixed(2))} | ` +
        `${range(t.cpuUsPerRequest, (v) => v.toFixed(0))} | ${counted} | ${yard} | ${fixed(t.vsNginx, 2, '×')} | ` +
        `${r.errors + r.non2xx} | ${r.busyRounds}/${r.rounds} |`,
    );
  }
  if (rows.some((t) => t.row.generatorCores !== null && t.row.generatorCores >= SATURATED_GENERATOR_CORES)) {
    lines.push(
      '',
      `‡ the load generator used ≥ ${SATURATED_GENERATOR_CORES * 100}% of its core (median): ` +
        'the client, not the server, may have set this pace.',
    );
  }
  return lines.join('\n');
}

function find(rows: readonly TlsRow[], scenario: string, server: ServerId): TlsRow | undefined {
  return rows.find((t) => t.row.scenario === scenario && t.row.server === server);
}

/** CPU of a handshake alone: CPU per `Connection: close` request minus CPU per keep-alive request. */
export function handshakeCpuTable(rows: readonly TlsRow[]): string {
  const lines = [
    '| Server | CPU µs / keep-alive request | CPU µs / close request (wrk: full or resumed) | handshake alone | s_time full | s_time resumed |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const servers = [...new Set(rows.map((t) => t.row.server))];
  for (const id of servers) {
    const ka = find(rows, 'get', id)?.cpuUsPerRequest.median ?? NaN;
    const close = find(rows, 'close', id)?.cpuUsPerRequest.median ?? NaN;
    const full = find(rows, 'handshake-new', id)?.cpuUsPerRequest.median ?? NaN;
    const resumed = find(rows, 'handshake-resumed', id)?.cpuUsPerRequest.median ?? NaN;
    lines.push(
      `| ${SERVER_TITLE[id]} | ${fixed(ka, 0)} | ${fixed(close, 0)} | ${fixed(close - ka, 0)} | ${fixed(full, 0)} | ${fixed(resumed, 0)} |`,
    );
  }
  return lines.join('\n');
}

const ratioGoal = atLeastGoal;

function p99Goal(goal: string, row: TlsRow | undefined): TlsGoal {
  const ratio = row?.row.p99Ratio;
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio))
    return { goal, measured: 'not measured', met: null };
  const by = ratio <= 1 ? '' : `, ${((ratio - 1) * 100).toFixed(0)}% worse`;
  return { goal, measured: `p99 ${ratio.toFixed(2)}× node:https's${by}`, met: ratio <= 1 };
}

/** Issue 17's goals, each from the medians: met, missed (and by how much), or not measured. */
export function tlsGoals(rows: readonly TlsRow[]): TlsGoal[] {
  const s = (scenario: string): TlsRow | undefined => find(rows, scenario, 'samovar');
  return [
    ratioGoal('keep-alive ≥ 1.2× node:https', s('get')?.row.rpsRatio, 1.2),
    ratioGoal('keep-alive ≥ 0.6× nginx', s('get')?.vsNginx, 0.6),
    ratioGoal('handshakes/s (wrk, close: full or resumed) ≥ node:https', s('close')?.row.rpsRatio, 1),
    ratioGoal('full handshakes/s (s_time -new) ≥ node:https', s('handshake-new')?.row.rpsRatio, 1),
    ratioGoal('resumed handshakes/s (s_time -reuse) ≥ node:https', s('handshake-resumed')?.row.rpsRatio, 1),
    p99Goal('p99 keep-alive ≤ node:https', s('get')),
    p99Goal('p99 Connection: close ≤ node:https', s('close')),
    p99Goal('p99 pipelined ≤ node:https', s('get-pipelined')),
  ];
}

export function goalsTable(goals: readonly TlsGoal[]): string {
  return goalsTableOf(goals, 'issue 17');
}
