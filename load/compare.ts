/**
 * `npm run load:compare`: Samovar against node:http under node:cluster (same routes), nginx (the
 * ceiling, when installed) and a node:net responder that does not parse (the JavaScript bound),
 * and with `--peers apps` the front door — the harness/apps fixtures through Samovar's CLI (native,
 * bare fetch, Hono) and the Hono fixture on @hono/node-server — each with `--workers` workers,
 * driven by autocannon and wrk, interleaved round by round, on pinned CPUs where possible.
 *
 * Prints a Markdown table of medians (min–max) of req/s, p50 and p99 and the ratios to node:http,
 * then the front-door pairs (Hono on Samovar ÷ on @hono/node-server, fetch adapter ÷ native);
 * saves load/results/compare-<time>.json, load/results/latest-compare.md and a chart of req/s
 * and p99 per scenario and peer, load/results/latest-compare.svg. Exits 1 when
 * any request failed, any body was wrong, or a server died — a broken server must not yield a
 * pretty table — and 2 on a usage error. Method and caveats: docs/load.md.
 * Must not: run in `npm test` (it takes minutes and wants a quiet machine).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { barChartsSvg } from './lib/bar-chart.ts';
import { CpuSampler, quietCheck } from './lib/cpu.ts';
import type { CpuWindow } from './lib/cpu.ts';
import { autocannonVersion, startRun, wrkVersion } from './lib/generators.ts';
import type { Measurement } from './lib/generators.ts';
import { parseOptions, STATIC_FILES, staticText, USAGE, UsageError } from './lib/options.ts';
import type { CompareOptions, Scenario, Tool } from './lib/options.ts';
import {
  decidePinning,
  describeExit,
  installCleanupHooks,
  interrupted,
  stopAll,
  stopChild,
} from './lib/processes.ts';
import type { Child, Pinning } from './lib/processes.ts';
import {
  isBusy,
  markdownTable,
  pairRows,
  pairTable,
  SERVER_TITLE,
  SERVERS,
  summarize,
} from './lib/report.ts';
import type { RunRecord, ServerId } from './lib/report.ts';
import { checkAlive, nginxVersion, preflight, startServer } from './lib/servers.ts';
import type { Preflight, RunningServer } from './lib/servers.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
/** Quiet window before each measurement: the busy check, and time for the last run's sockets to close. */
const QUIET_MS = 1_000;

interface Bench {
  readonly options: CompareOptions;
  readonly pinning: Pinning;
  readonly tools: readonly Tool[];
  readonly servers: Readonly<Partial<Record<ServerId, RunningServer>>>;
  readonly runs: RunRecord[];
  readonly failures: string[];
  /** Output lines each server had printed before the load began (start-up messages). */
  readonly linesBefore: Partial<Record<ServerId, number>>;
  current: Child | null;
}

function log(line: string): void {
  process.stderr.write(line + '\n');
}

/** A server that exits while we measure ends the measurement at once and fails the whole run. */
function watchServers(bench: Bench): void {
  for (const server of Object.values(bench.servers)) {
    void server.child.exited.then(() => {
      bench.failures.push(
        `${SERVER_TITLE[server.id]} died during the benchmark: ${describeExit(server.child)}`,
      );
      if (bench.current) void stopChild(bench.current);
    });
  }
}

function problemsOf(m: Measurement): string[] {
  const problems: string[] = [];
  if (m.errors > 0) problems.push(`${m.errors} request errors (${JSON.stringify(m.detail)})`);
  if (m.non2xx > 0) problems.push(`${m.non2xx} non-2xx answers (${JSON.stringify(m.detail)})`);
  if (m.requests === 0) problems.push('no request completed');
  return problems;
}

/** The quiet check, repeated while the machine is busy, for up to `waitS` seconds. */
async function awaitQuiet(groups: readonly number[], waitS: number): Promise<CpuWindow> {
  const deadline = performance.now() + waitS * 1000;
  let window = await quietCheck(groups, QUIET_MS);
  while (isBusy(window) && performance.now() < deadline) window = await quietCheck(groups, QUIET_MS);
  return window;
}

interface Sample {
  readonly before: CpuWindow;
  readonly during: CpuWindow;
  readonly startedAt: string;
  readonly measurement: Measurement;
}

async function measure(
  bench: Bench,
  tool: Tool,
  scenario: Scenario,
  server: RunningServer,
  durationS: number,
): Promise<Sample> {
  const groups = Object.values(bench.servers).map((s) => s.child.pid);
  const connections = scenario.connections ?? bench.options.connections;
  const before = await awaitQuiet(groups, bench.options.quietWaitS);
  const startedAt = new Date().toISOString();
  const run = startRun({
    tool,
    scenario,
    port: server.port,
    connections,
    durationS,
    pinPrefix: bench.pinning.generatorPrefix,
  });
  bench.current = run.child;
  const sampler = new CpuSampler(groups);
  sampler.start(run.child.pid);
  try {
    const measurement = await run.done;
    return { before, during: sampler.stop(), startedAt, measurement };
  } finally {
    sampler.stop(); // idempotent; stops the sampling timer when the run failed
    bench.current = null;
  }
}

function progress(record: RunRecord): void {
  const m = record.measurement;
  const cores = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(2));
  const foreign = `${cores(record.during.foreignCores)}  client CPU ${cores(record.during.generatorCores)}`;
  log(
    `  round ${record.round} ${record.tool.padEnd(10)} ${record.scenario.padEnd(14)} ` +
      `${SERVER_TITLE[record.server].padEnd(9)} ${Math.round(m.rps).toString().padStart(7)} req/s  ` +
      `p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms  errors ${m.errors}/${m.non2xx}  ` +
      `foreign CPU ${foreign}${record.busy ? '  BUSY' : ''}${record.problems.length ? '  FAILED' : ''}`,
  );
}

async function runOne(
  bench: Bench,
  round: number,
  tool: Tool,
  scenario: Scenario,
  id: ServerId,
): Promise<void> {
  const server = bench.servers[id];
  if (!server) return;
  const { before, during, startedAt, measurement } = await measure(
    bench,
    tool,
    scenario,
    server,
    bench.options.durationS,
  );
  const problems = problemsOf(measurement);
  const alive = await checkAlive(server);
  if (alive) problems.push(alive);
  const busy = isBusy(before) || isBusy(during);
  const record: RunRecord = {
    round,
    tool,
    scenario: scenario.id,
    server: id,
    startedAt,
    before,
    during,
    busy,
    measurement,
    problems,
  };
  bench.runs.push(record);
  progress(record);
  for (const problem of problems)
    bench.failures.push(`round ${round} ${tool} ${scenario.id} ${id}: ${problem}`);
  if (alive) throw new Error(alive);
}

async function warmUp(bench: Bench): Promise<void> {
  const { warmupS } = bench.options;
  const tool = bench.tools[0];
  if (warmupS === 0 || tool === undefined) return;
  const perScenario = Math.max(1, Math.round(warmupS / bench.options.scenarios.length));
  log(`warm-up: ${perScenario} s per scenario and server with ${tool} (not recorded)`);
  for (const scenario of bench.options.scenarios) {
    for (const server of Object.values(bench.servers)) {
      if (!scenario.peers.includes(server.id)) continue;
      const { measurement } = await measure(bench, tool, scenario, server, perScenario);
      for (const problem of problemsOf(measurement)) {
        bench.failures.push(`warm-up ${tool} ${scenario.id} ${server.id}: ${problem}`);
      }
    }
  }
}

/**
 * Rounds × tools × scenarios, every peer that serves the scenario each time; the order reverses
 * every time (A B C D, D C B A, …), so no peer always runs first or last.
 */
async function runRounds(bench: Bench): Promise<void> {
  const { rounds, scenarios } = bench.options;
  let flip = 0;
  for (let round = 1; round <= rounds; round++) {
    log(`round ${round}/${rounds}`);
    for (const tool of bench.tools) {
      for (const scenario of scenarios) {
        if (!scenario.tools.includes(tool)) continue;
        const peers = SERVERS.filter((id) => bench.servers[id] && scenario.peers.includes(id));
        const order = flip++ % 2 === 0 ? peers : [...peers].reverse();
        for (const id of order) await runOne(bench, round, tool, scenario, id);
      }
    }
  }
}

function resultsHeader(bench: Bench, wrk: string | null, stamp: string): string[] {
  const o = bench.options;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `Peers ÷ node:http, measured ${stamp} by \`npm run load:compare\`` +
      ` (${o.rounds} round${o.rounds === 1 ? '' : 's'}, ${o.durationS} s each, ${o.workers} worker${o.workers === 1 ? '' : 's'} per peer,` +
      ` ${o.connections} keep-alive connections unless the scenario says otherwise).`,
    '',
    `- machine: ${cpus().length} × ${cpu}, Linux ${release()}, Node ${process.version}`,
    `- pinning: ${bench.pinning.reason}`,
    `- tools: autocannon ${autocannonVersion()}; ${wrk ?? 'wrk not installed, its rows skipped'}`,
    `- peers: ${Object.values(bench.servers)
      .map((s) => SERVER_TITLE[s.id])
      .join(', ')}; nginx ${nginxVersion() ?? 'not installed'} (access log off: the ceiling)`,
    `- Samovar: metrics on, access log ${o.accessLog === 'on' ? 'on (its default; lines to /dev/null)' : 'off (log level warn)'}`,
    `- medians, (min–max) over rounds; p50/p99 of a pipelined wrk run are per batch of ${o.pipelining}`,
    '',
  ];
}

function writeResults(bench: Bench, table: string, extra: Record<string, unknown>): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonPath = `${RESULTS_DIR}compare-${stamp}.json`;
  const wrk = bench.tools.includes('wrk') ? wrkVersion() : null;
  const header = resultsHeader(bench, wrk, new Date().toISOString());
  const failed =
    bench.failures.length > 0
      ? ['**FAILED** — this run does not count:', ...bench.failures.map((f) => `- ${f}`), '']
      : [];
  writeFileSync(`${RESULTS_DIR}latest-compare.md`, [...failed, ...header, table, ''].join('\n'));
  const titles = new Map(bench.options.scenarios.map((s) => [s.id, s.title]));
  writeFileSync(
    `${RESULTS_DIR}latest-compare.svg`,
    barChartsSvg(summarize(bench.runs, titles), header[0] ?? ''),
  );
  const json = {
    ...extra,
    options: bench.options,
    pinning: bench.pinning,
    runs: bench.runs,
    failures: bench.failures,
  };
  writeFileSync(jsonPath, JSON.stringify(json, null, 2) + '\n');
  return jsonPath;
}

type Checks = Readonly<Partial<Record<ServerId, Preflight>>>;

function serverReport(bench: Bench, checks: Checks): Record<string, unknown> {
  const report: Record<string, unknown> = {};
  for (const server of Object.values(bench.servers)) {
    report[server.id] = {
      argv: server.argv,
      env: server.env,
      getHeaders: checks[server.id]?.getHeaders,
      outputLines: server.child.lines,
      linesDuringLoad: server.child.lines - (bench.linesBefore[server.id] ?? 0),
      outputTail: server.child.tail,
    };
  }
  return report;
}

function finish(bench: Bench, checks: Checks | null, started: string): number {
  if (interrupted()) return 130;
  const titles = new Map(bench.options.scenarios.map((s) => [s.id, s.title]));
  const summary = summarize(bench.runs, titles);
  const pairs = pairRows(summary);
  const pairsText = pairTable(pairs);
  const table = pairsText === '' ? markdownTable(summary) : `${markdownTable(summary)}\n\n${pairsText}`;
  const extra = {
    startedAt: started,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      kernel: release(),
      node: process.version,
      loadavg: loadavg(),
    },
    tools: {
      autocannon: autocannonVersion(),
      wrk: bench.tools.includes('wrk') ? wrkVersion() : null,
      nginx: nginxVersion(),
    },
    summary,
    pairs,
    servers: checks ? serverReport(bench, checks) : null,
  };
  const jsonPath = writeResults(bench, table, extra);
  process.stdout.write(`\n${table}\n\n`);
  log(`saved ${jsonPath} and ${RESULTS_DIR}latest-compare.md`);
  for (const server of Object.values(bench.servers)) {
    const lines = server.child.lines - (bench.linesBefore[server.id] ?? 0);
    if (lines > 0)
      log(`note: ${SERVER_TITLE[server.id]} printed ${lines} log lines under load (tail in the JSON)`);
  }
  if (bench.failures.length === 0) return 0;
  log(`\nFAILED: ${bench.failures.length} problem(s); the numbers above do not count:`);
  for (const failure of bench.failures) log(`  - ${failure}`);
  return 1;
}

function chooseTools(options: CompareOptions): Tool[] {
  const tools = [...options.tools];
  if (tools.includes('wrk') && wrkVersion() === null) {
    log('wrk is not installed: its rows are skipped (apt-get install wrk to add them)');
    tools.splice(tools.indexOf('wrk'), 1);
  }
  if (tools.length === 0) throw new Error('no load generator left to run (wrk missing and --only wrk)');
  return tools;
}

/** The static files of the static scenarios, in a fresh temporary root every peer serves. */
function makeStaticRoot(): { staticRoot: string; scratch: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'samovar-load-'));
  // nginx's workers may run as another user: the tree must be readable by all.
  chmodSync(scratch, 0o755);
  const staticRoot = join(scratch, 'static');
  mkdirSync(staticRoot, { mode: 0o755 });
  for (const file of STATIC_FILES) writeFileSync(join(staticRoot, file.name), staticText(file.bytes));
  return { staticRoot, scratch };
}

async function startPeers(
  options: CompareOptions,
  pinning: Pinning,
  dirs: { staticRoot: string; scratch: string },
): Promise<Partial<Record<ServerId, RunningServer>>> {
  let ids = options.peers;
  if (ids.includes('nginx') && nginxVersion() === null) {
    log('nginx is not installed: its rows are skipped (apt-get install nginx to add the ceiling)');
    ids = ids.filter((id) => id !== 'nginx');
  }
  const setup = { options, pinning, ...dirs };
  const started = await Promise.all(ids.map((id) => startServer(id, setup)));
  return Object.fromEntries(started.map((s) => [s.id, s]));
}

async function main(): Promise<number> {
  installCleanupHooks();
  const options = parseOptions(process.argv.slice(2));
  if (options === null) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const started = new Date().toISOString();
  const pinning = decidePinning(options.pin);
  const tools = chooseTools(options);
  log(`pinning: ${pinning.applied ? 'applied' : 'not applied'} — ${pinning.reason}`);
  const dirs = makeStaticRoot();
  scratchDir = dirs.scratch;
  const servers = await startPeers(options, pinning, dirs);
  for (const server of Object.values(servers)) {
    log(`${SERVER_TITLE[server.id]} on 127.0.0.1:${server.port} (pid ${server.child.pid})`);
  }
  log(
    `Samovar's environment: ${Object.entries(servers.samovar?.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  const bench: Bench = {
    options,
    pinning,
    tools,
    servers,
    runs: [],
    failures: [],
    current: null,
    linesBefore: Object.fromEntries(Object.values(servers).map((s) => [s.id, s.child.lines])),
  };
  const checked = await Promise.all(
    Object.values(servers).map(async (s) => [s.id, await preflight(s, options.scenarios)] as const),
  );
  const checks: Checks = Object.fromEntries(checked);
  for (const [id, check] of checked)
    bench.failures.push(...check.problems.map((p) => `preflight ${id}: ${p}`));
  if (bench.failures.length > 0) return finish(bench, checks, started);
  watchServers(bench);
  try {
    await warmUp(bench);
    await runRounds(bench);
  } catch (error) {
    bench.failures.push(`aborted: ${(error as Error).message}`);
  }
  return finish(bench, checks, started);
}

/** The temporary static root and nginx prefix, removed on the way out (Ctrl-C included). */
let scratchDir: string | null = null;
process.on('exit', () => {
  if (scratchDir !== null) rmSync(scratchDir, { recursive: true, force: true });
});

let code = 1;
try {
  code = await main();
} catch (error) {
  if (error instanceof UsageError) {
    log(`load:compare: ${error.message}\n\n${USAGE}`);
    code = 2;
  } else {
    log(`load:compare failed: ${(error as Error).stack ?? String(error)}`);
  }
} finally {
  await stopAll();
  if (scratchDir !== null) rmSync(scratchDir, { recursive: true, force: true });
}
process.exit(code);
