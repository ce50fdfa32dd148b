/**
 * From the list of runs to the summary: medians and min–max per tool × scenario × server (req/s,
 * p50, p99, the server's CPU per 100k requests), the log lines written per request, the
 * Samovar ÷ node:http ratios, the Markdown table that `load:compare` prints and saves, and the
 * front-door pairs (Hono on Samovar ÷ Hono on @hono/node-server, fetch adapter ÷ native).
 * Must not: measure anything or write files.
 */
import type { CpuWindow } from './cpu.ts';
import type { Measurement } from './generators.ts';
import { PEERS } from './options.ts';
import type { PeerId, Tool } from './options.ts';
import type { LogCount } from './peer-log.ts';

export const SERVERS = PEERS;
export type ServerId = PeerId;
export const SERVER_TITLE: Readonly<Record<ServerId, string>> = {
  samovar: 'Samovar',
  'samovar-log-off': 'Samovar, access log off',
  'node-http': 'node:http',
  nginx: 'nginx',
  'nginx-log': 'nginx, access log',
  'nginx-log-buffered': 'nginx, buffered log',
  'node-net': 'node:net bound',
  'samovar-native': 'Samovar native app',
  'samovar-fetch': 'Samovar bare fetch app',
  'samovar-hono': 'Hono on Samovar',
  'hono-node': 'Hono on @hono/node-server',
  'node-https': 'node:https',
};

/** A ratio between two peers that serve the same app (or the same routes), subject ÷ yardstick. */
export interface Pair {
  readonly subject: ServerId;
  readonly yardstick: ServerId;
  readonly title: string;
}

/**
 * The front door's two questions: what Samovar gives a Hono app over @hono/node-server (same
 * module, both under node:cluster with the same workers), and what the fetch adapter costs over
 * the native handler API (harness/apps/fetch.ts and native.ts answer the same routes alike).
 */
export const PAIRS: readonly Pair[] = [
  { subject: 'samovar-hono', yardstick: 'hono-node', title: 'Hono on Samovar ÷ Hono on @hono/node-server' },
  { subject: 'samovar-fetch', yardstick: 'samovar-native', title: 'fetch adapter ÷ native (Samovar)' },
];

/**
 * Someone else used more than this many cores, on average, before or during a measurement: the
 * row is flagged. 0.15 is well above what the idle machine shows (kernel threads, this process).
 */
export const BUSY_FOREIGN_CORES = 0.15;

/**
 * A load generator that used this much of its core was likely the bottleneck: the row's req/s
 * then says how fast the client is, and the ratio is squeezed towards 1.
 */
export const SATURATED_GENERATOR_CORES = 0.9;

export interface RunRecord {
  readonly round: number;
  readonly tool: Tool;
  readonly scenario: string;
  readonly server: ServerId;
  readonly startedAt: string;
  readonly before: CpuWindow;
  readonly during: CpuWindow;
  readonly busy: boolean;
  readonly measurement: Measurement;
  /** Why this run counts as failed; empty when it is clean. */
  readonly problems: readonly string[];
  /** `--tls`: handshakes the server counted during the run, full and resumed (`null`: not counted). */
  readonly handshakes?: { readonly full: number; readonly resumed: number } | null;
  /** What the run wrote to the server's log file (`null`: a peer without one). */
  readonly log?: LogCount | null;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface SummaryRow {
  readonly tool: Tool;
  readonly scenario: string;
  readonly scenarioTitle: string;
  readonly server: ServerId;
  readonly rounds: number;
  readonly rps: Spread;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  readonly errors: number;
  readonly non2xx: number;
  readonly busyRounds: number;
  /** Median CPU of the load generator over the rounds, in cores; `null` where unmeasured. */
  readonly generatorCores: number | null;
  /**
   * The server's CPU (user + system of its process group) per 100,000 requests, in seconds:
   * server cores ÷ req/s × 100k, per round (NaN where /proc was not sampled).
   */
  readonly cpuPer100kS: Spread;
  /** Lines written to the server's log file ÷ requests served, over every round; `null`: no log file. */
  readonly logLinesPerRequest: number | null;
  /** Every row but node:http's: median req/s and median p99 over node:http's. */
  readonly rpsRatio: number | null;
  readonly p99Ratio: number | null;
}

export function isBusy(window: CpuWindow): boolean {
  return window.foreignCores !== null && window.foreignCores > BUSY_FOREIGN_CORES;
}

/** Median, min and max of the known values (NaN, an unknown measurement, is left out). */
export function spread(values: readonly number[]): Spread {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted[n - 1] ?? NaN };
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : spread(known).median;
}

/** Server CPU seconds per 100k requests in one run; NaN when the server's CPU was not sampled. */
export function cpuPer100kS(run: RunRecord): number {
  const cores = run.during.serverCores ?? NaN;
  return (cores / run.measurement.rps) * 100_000;
}

function linesPerRequest(runs: readonly RunRecord[]): number | null {
  if (runs.some((r) => r.log == null)) return null;
  const lines = runs.reduce((sum, r) => sum + (r.log?.lines ?? 0), 0);
  const requests = runs.reduce((sum, r) => sum + r.measurement.requests, 0);
  return requests === 0 ? null : lines / requests;
}

function summarizeGroup(
  runs: readonly RunRecord[],
  scenarioTitle: string,
): Omit<SummaryRow, 'rpsRatio' | 'p99Ratio'> {
  const first = runs[0];
  if (!first) throw new Error('summarizeGroup: no runs');
  return {
    tool: first.tool,
    scenario: first.scenario,
    scenarioTitle,
    server: first.server,
    rounds: runs.length,
    rps: spread(runs.map((r) => r.measurement.rps)),
    p50Ms: spread(runs.map((r) => r.measurement.p50Ms)),
    p99Ms: spread(runs.map((r) => r.measurement.p99Ms)),
    errors: runs.reduce((sum, r) => sum + r.measurement.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.measurement.non2xx, 0),
    busyRounds: runs.filter((r) => r.busy).length,
    generatorCores: medianOrNull(runs.map((r) => r.during.generatorCores)),
    cpuPer100kS: spread(runs.map(cpuPer100kS)),
    logLinesPerRequest: linesPerRequest(runs),
  };
}

/**
 * One row per tool × scenario × server, in the order the runs first appear; peers in `SERVERS`
 * order. Ratios are to `yardstick` (node:http; node:https under `--tls`).
 */
export function summarize(
  runs: readonly RunRecord[],
  titles: ReadonlyMap<string, string>,
  yardstick: ServerId = 'node-http',
): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const keys = [...new Set(runs.map((r) => `${r.tool}\u0000${r.scenario}`))];
  for (const key of keys) {
    const [tool, scenario] = key.split('\u0000');
    const group = (server: ServerId): RunRecord[] =>
      runs.filter((r) => r.tool === tool && r.scenario === scenario && r.server === server);
    const title = titles.get(scenario ?? '') ?? scenario ?? '';
    const baselineRuns = group(yardstick);
    const b = baselineRuns.length > 0 ? summarizeGroup(baselineRuns, title) : null;
    for (const id of SERVERS) {
      const peerRuns = group(id);
      if (peerRuns.length === 0) continue;
      const s = summarizeGroup(peerRuns, title);
      const ratios =
        b === null || id === yardstick
          ? { rpsRatio: null, p99Ratio: null }
          : { rpsRatio: s.rps.median / b.rps.median, p99Ratio: s.p99Ms.median / b.p99Ms.median };
      rows.push({ ...s, ...ratios });
    }
  }
  return rows;
}

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** autocannon's latency histogram holds whole milliseconds: 0 means "under 1 ms", not zero. */
function wholeMs(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value < 1 ? '<1' : value.toFixed(0);
}

function formatSpread(s: Spread, format: (v: number) => string, single: boolean): string {
  if (single || s.min === s.max) return format(s.median);
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

function ratioText(row: SummaryRow): string {
  if (row.rpsRatio === null) return '';
  const p99 = row.p99Ratio === null || !Number.isFinite(row.p99Ratio) ? '–' : `${row.p99Ratio.toFixed(2)}×`;
  return `**${row.rpsRatio.toFixed(2)}×** req/s, p99 ${p99}`;
}

function cpuText(s: Spread, single: boolean): string {
  return Number.isFinite(s.median) ? formatSpread(s, (v) => v.toFixed(2), single) : '–';
}

/** Lines per request to 3 decimals; exactly 0 stays `0` (an access log that is off wrote none). */
function linesText(value: number | null): string {
  if (value === null) return '';
  return value === 0 ? '0' : value.toFixed(3);
}

/** The Markdown table: medians, (min–max) when there was more than one round. */
export function markdownTable(rows: readonly SummaryRow[], yardstick: ServerId = 'node-http'): string {
  const lines = [
    `| Tool | Scenario | Server | req/s | p50 ms | p99 ms | CPU s / 100k req | log lines / req | errors / non-2xx | ÷ ${SERVER_TITLE[yardstick]} | busy rounds |`,
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  if (rows.length === 0) lines.push('| (no complete measurement) | | | | | | | | | | |');
  for (const row of rows) {
    const single = row.rounds === 1;
    const latency = row.tool === 'autocannon' ? wholeMs : ms;
    const failed = row.errors + row.non2xx > 0 ? ' ✗' : '';
    const bound = row.generatorCores !== null && row.generatorCores >= SATURATED_GENERATOR_CORES ? ' ‡' : '';
    lines.push(
      [
        '',
        row.tool,
        row.scenarioTitle,
        SERVER_TITLE[row.server],
        formatSpread(row.rps, (v) => INTEGER.format(v), single) + bound,
        formatSpread(row.p50Ms, latency, single),
        formatSpread(row.p99Ms, latency, single),
        cpuText(row.cpuPer100kS, single),
        linesText(row.logLinesPerRequest),
        `${row.errors} / ${row.non2xx}${failed}`,
        ratioText(row),
        `${row.busyRounds}/${row.rounds}`,
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  if (rows.some((row) => row.generatorCores !== null && row.generatorCores >= SATURATED_GENERATOR_CORES)) {
    lines.push(
      '',
      `‡ the load generator used ≥ ${SATURATED_GENERATOR_CORES * 100}% of its core (median): ` +
        'the client, not the server, may have set this pace.',
    );
  }
  lines.push(
    '',
    "CPU s / 100k req: user + system CPU of the server's process group (primary and workers, or nginx's " +
      "master and workers) from /proc during the run ÷ requests × 100,000 (the loopback's softirq time is in " +
      "nobody's column). log lines / req: lines the run wrote to the server's log file ÷ requests the " +
      'generator counted (≈ 1 with an access log on, 0 with it off; empty: the server writes no log).',
  );
  return lines.join('\n');
}

export interface PairRow {
  readonly tool: Tool;
  readonly scenarioTitle: string;
  readonly pair: Pair;
  readonly rpsRatio: number;
  readonly subjectP99Ms: number;
  readonly yardstickP99Ms: number;
  readonly p99Ratio: number;
}

/** Every pair measured on the same tool and scenario, from the summary's medians. */
export function pairRows(rows: readonly SummaryRow[], pairs: readonly Pair[] = PAIRS): PairRow[] {
  const found: PairRow[] = [];
  for (const row of rows) {
    for (const pair of pairs) {
      if (row.server !== pair.subject) continue;
      const base = rows.find(
        (r) => r.tool === row.tool && r.scenario === row.scenario && r.server === pair.yardstick,
      );
      if (base === undefined) continue;
      found.push({
        tool: row.tool,
        scenarioTitle: row.scenarioTitle,
        pair,
        rpsRatio: row.rps.median / base.rps.median,
        subjectP99Ms: row.p99Ms.median,
        yardstickP99Ms: base.p99Ms.median,
        p99Ratio: row.p99Ms.median / base.p99Ms.median,
      });
    }
  }
  return found;
}

/** The pairs as Markdown (empty when no pair was measured): req/s ratio and both p99s. */
export function pairTable(rows: readonly PairRow[]): string {
  if (rows.length === 0) return '';
  const lines = [
    '| Tool | Scenario | Pair | req/s ratio | p99 ms (subject / yardstick) | p99 ratio |',
    '| --- | --- | --- | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const latency = row.tool === 'autocannon' ? wholeMs : ms;
    const p99Ratio = Number.isFinite(row.p99Ratio) ? `${row.p99Ratio.toFixed(2)}×` : '–';
    lines.push(
      `| ${row.tool} | ${row.scenarioTitle} | ${row.pair.title} | **${row.rpsRatio.toFixed(2)}×** | ` +
        `${latency(row.subjectP99Ms)} / ${latency(row.yardstickP99Ms)} | ${p99Ratio} |`,
    );
  }
  return lines.join('\n');
}
