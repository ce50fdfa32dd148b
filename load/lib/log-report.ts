/**
 * What an access log costs, from one run's summary: each server with its access log on beside
 * itself with it off, measured in the same interleaved rounds — Samovar (defaults ÷
 * `samovar-log-off`), nginx with a JSON access log written unbuffered and with `buffer=64k
 * flush=1s` (÷ nginx without one, the anchor issue 19 quotes) — as req/s on ÷ off, both p99s, both
 * CPUs per 100k requests and the log lines each wrote per request; then issue 19's goals that the
 * lab can judge: the access log's cost, p99 against node:http, Samovar with its log off against
 * the node:net bound, and CPU per request against nginx.
 * Must not: measure anything or write files.
 */
import { atLeastGoal, atMostGoal } from './goals.ts';
import type { Goal } from './goals.ts';
import type { Tool } from './options.ts';
import type { Pair, ServerId, SummaryRow } from './report.ts';

/** Subject: the access log on; yardstick: the same server with it off. */
export const LOG_PAIRS: readonly Pair[] = [
  { subject: 'samovar', yardstick: 'samovar-log-off', title: 'Samovar: access log on ÷ off' },
  { subject: 'nginx-log', yardstick: 'nginx', title: 'nginx: access log, unbuffered ÷ none' },
  {
    subject: 'nginx-log-buffered',
    yardstick: 'nginx',
    title: 'nginx: access log, buffer=64k flush=1s ÷ none',
  },
];

/** Issue 19's bounds for Samovar's access log: on ÷ off. */
export const LOG_ON_MIN_KEEP_ALIVE = 0.97;
export const LOG_ON_MIN_PIPELINED = 0.9;
/** Issue 19: Samovar's CPU per request at most this times nginx's, pipelined. */
const CPU_MAX_VS_NGINX = 1.1;
/** The goals are judged on wrk's rows: autocannon saturates its core and squeezes ratios towards 1. */
const GOAL_TOOL: Tool = 'wrk';

interface OnOff {
  readonly on: number;
  readonly off: number;
}

export interface LogCostRow {
  readonly tool: Tool;
  readonly scenario: string;
  readonly scenarioTitle: string;
  readonly pair: Pair;
  /** Median req/s with the log on ÷ median req/s with it off. */
  readonly rpsRatio: number;
  readonly rps: OnOff;
  readonly p99Ms: OnOff;
  readonly cpuPer100kS: OnOff;
  readonly logLinesPerRequest: { readonly on: number | null; readonly off: number | null };
}

function find(
  rows: readonly SummaryRow[],
  tool: Tool,
  scenario: string,
  server: ServerId,
): SummaryRow | undefined {
  return rows.find((r) => r.tool === tool && r.scenario === scenario && r.server === server);
}

/**
 * Every log pair measured on the same tool and scenario. With `--access-log off` the `samovar`
 * peer has no access log either, so Samovar's pair is left out.
 */
export function logCostRows(summary: readonly SummaryRow[], accessLog: 'on' | 'off'): LogCostRow[] {
  const pairs = LOG_PAIRS.filter((p) => accessLog === 'on' || p.subject !== 'samovar');
  const found: LogCostRow[] = [];
  for (const row of summary) {
    for (const pair of pairs) {
      if (row.server !== pair.subject) continue;
      const off = find(summary, row.tool, row.scenario, pair.yardstick);
      if (off === undefined) continue;
      found.push({
        tool: row.tool,
        scenario: row.scenario,
        scenarioTitle: row.scenarioTitle,
        pair,
        rpsRatio: row.rps.median / off.rps.median,
        rps: { on: row.rps.median, off: off.rps.median },
        p99Ms: { on: row.p99Ms.median, off: off.p99Ms.median },
        cpuPer100kS: { on: row.cpuPer100kS.median, off: off.cpuPer100kS.median },
        logLinesPerRequest: { on: row.logLinesPerRequest, off: off.logLinesPerRequest },
      });
    }
  }
  return found;
}

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const num = (v: number, f: (v: number) => string): string => (Number.isFinite(v) ? f(v) : '–');
const ms = (v: number): string => num(v, (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2)));
const lines = (v: number | null): string => (v === null ? '–' : v === 0 ? '0' : v.toFixed(3));

/** The access log's cost as Markdown (empty when no pair was measured). */
export function logCostTable(rows: readonly LogCostRow[]): string {
  if (rows.length === 0) return '';
  const out = [
    '| Tool | Scenario | Pair | req/s on ÷ off | req/s on / off | p99 ms on / off | CPU s / 100k req on / off | log lines / req on / off |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.tool} | ${r.scenarioTitle} | ${r.pair.title} | **${num(r.rpsRatio, (v) => v.toFixed(3))}×** | ` +
        `${num(r.rps.on, (v) => INTEGER.format(v))} / ${num(r.rps.off, (v) => INTEGER.format(v))} | ` +
        `${ms(r.p99Ms.on)} / ${ms(r.p99Ms.off)} | ` +
        `${num(r.cpuPer100kS.on, (v) => v.toFixed(2))} / ${num(r.cpuPer100kS.off, (v) => v.toFixed(2))} | ` +
        `${lines(r.logLinesPerRequest.on)} / ${lines(r.logLinesPerRequest.off)} |`,
    );
  }
  return out.join('\n');
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined ? null : a / b;
}

/** p99 ≤ node:http's, one goal per scenario where both ran (Samovar with its access log on). */
function p99Goals(summary: readonly SummaryRow[], accessLog: 'on' | 'off'): Goal[] {
  const rows = summary.filter((r) => r.tool === GOAL_TOOL && r.server === 'samovar');
  if (accessLog === 'off' || rows.length === 0)
    return [
      { goal: 'p99 ≤ node:http, every scenario, access log on (wrk)', measured: 'not measured', met: null },
    ];
  return rows.map((r) =>
    atMostGoal(`p99 ≤ node:http: ${r.scenarioTitle} (wrk, access log on)`, r.p99Ratio, 1, 'p99 '),
  );
}

/**
 * Issue 19's goals that this lab judges, from wrk's medians: the access log (on ÷ off ≥ 0.97
 * keep-alive, ≥ 0.90 pipelined), p99 against node:http in every scenario, Samovar with its log
 * off against the node:net bound (keep-alive hello) and against nginx's CPU per request
 * (pipelined; both without an access log). Fairness across workers (issue 19's part 3) is
 * measured by `npm run bench:cluster-policy`, not here.
 */
export function issue19Goals(summary: readonly SummaryRow[], accessLog: 'on' | 'off'): Goal[] {
  const rps = (scenario: string, id: ServerId): number | undefined =>
    find(summary, GOAL_TOOL, scenario, id)?.rps.median;
  const cpu = (scenario: string, id: ServerId): number | undefined =>
    find(summary, GOAL_TOOL, scenario, id)?.cpuPer100kS.median;
  const logOn = (scenario: string): number | null =>
    accessLog === 'on' ? ratio(rps(scenario, 'samovar'), rps(scenario, 'samovar-log-off')) : null;
  return [
    atLeastGoal(
      `access log on ÷ off ≥ ${LOG_ON_MIN_KEEP_ALIVE}, keep-alive hello (wrk)`,
      logOn('get'),
      LOG_ON_MIN_KEEP_ALIVE,
    ),
    atLeastGoal(
      `access log on ÷ off ≥ ${LOG_ON_MIN_PIPELINED.toFixed(2)}, pipelined (wrk)`,
      logOn('get-pipelined'),
      LOG_ON_MIN_PIPELINED,
    ),
    ...p99Goals(summary, accessLog),
    atLeastGoal(
      'access log off ≥ node:net bound, keep-alive hello (wrk)',
      ratio(rps('get', 'samovar-log-off'), rps('get', 'node-net')),
      1,
    ),
    atMostGoal(
      `CPU per request ≤ ${CPU_MAX_VS_NGINX}× nginx's, pipelined (wrk; Samovar log off ÷ nginx without a log)`,
      ratio(cpu('get-pipelined', 'samovar-log-off'), cpu('get-pipelined', 'nginx')),
      CPU_MAX_VS_NGINX,
    ),
  ];
}
