/**
 * `npm run load:compare`: Samovar with its access log on (its default) and off, against node:http
 * under node:cluster (same routes), nginx (when installed: without an access log, the ceiling, and
 * with a JSON one, unbuffered and buffered) and a node:net responder that does not parse (the
 * JavaScript bound),
 * and with `--peers apps` the front door — the harness/apps fixtures through Samovar's CLI (native,
 * bare fetch, Hono) and the Hono fixture on @hono/node-server — each with `--workers` workers,
 * driven by autocannon and wrk, interleaved round by round, on pinned CPUs where possible.
 *
 * With `--tls`, HTTPS instead: Samovar, node:https under node:cluster and nginx with one ECDSA P-256
 * certificate made for the run and Mozilla's intermediate profile; wrk on keep-alive,
 * `Connection: close` (a handshake per request; wrk resumes about half of them) and pipelining,
 * openssl s_time on full and
 * resumed handshakes; the server's CPU per request and per handshake from /proc; issue 17's goals.
 *
 * Servers log to files in the run's scratch directory (Samovar's stdout, nginx's access log),
 * emptied before each measurement and counted after it.
 *
 * Prints a Markdown table of medians (min–max) of req/s, p50, p99, the server's CPU per 100k
 * requests, the log lines per request and the ratios to node:http; then the access log's cost
 * (on ÷ off for Samovar and nginx) with issue 19's goals, and the front-door pairs (Hono on
 * Samovar ÷ on @hono/node-server, fetch adapter ÷ native);
 * saves load/results/compare-<time>.json, load/results/latest-compare.md and a chart of req/s
 * and p99 per scenario and peer, load/results/latest-compare.svg (`-tls` in each name under
 * `--tls`, so an HTTPS run keeps the HTTP results). Exits 1 when
 * any request failed, any body was wrong, or a server died — a broken server must not yield a
 * pretty table — and 2 on a usage error. Method and caveats: docs/load.md.
 * Must not: run in `npm test` (it takes minutes and wants a quiet machine).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { barChartsSvg } from './lib/bar-chart.ts';
import { CpuSampler, quietCheck } from './lib/cpu.ts';
import type { CpuWindow } from './lib/cpu.ts';
import { autocannonVersion, startRun, wrkVersion } from './lib/generators.ts';
import type { Measurement } from './lib/generators.ts';
import { goalsTable as goalsTableOf } from './lib/goals.ts';
import { issue19Goals, logCostRows, logCostTable } from './lib/log-report.ts';
import { NGINX_PEERS, parseOptions, STATIC_FILES, staticText, USAGE, UsageError } from './lib/options.ts';
import type { CompareOptions, Scenario, Tool } from './lib/options.ts';
import type { LogCount } from './lib/peer-log.ts';
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
import type { RunRecord, ServerId, SummaryRow } from './lib/report.ts';
import { checkAlive, nginxVersion, preflight, startServer } from './lib/servers.ts';
import type { Preflight, RunningServer, TlsFiles } from './lib/servers.ts';
import { handshakeCounts, handshakesBetween } from './lib/tls-handshakes.ts';
import { goalsTable, handshakeCpuTable, tlsGoals, tlsRows, tlsTable } from './lib/tls-report.ts';
import { issue, makeCa, writePem } from '../harness/tls/certs.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
/** Quiet window before each measurement: the busy check, and time for the last run's sockets to close. */
const QUIET_MS = 1_000;
/** After a TLS run, before reading the server's handshake counters (Samovar's workers push every 200 ms). */
const COUNTER_PUSH_WAIT_MS = 500;

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
      const logged = server.log?.tail(20) ?? [];
      const lastWords = logged.length === 0 ? '' : `\n  its log file's last lines:\n  ${logged.join('\n  ')}`;
      bench.failures.push(
        `${SERVER_TITLE[server.id]} died during the benchmark: ${describeExit(server.child)}${lastWords}`,
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
  /** What the run wrote to the server's log file; `null` for a server without one. */
  readonly log: LogCount | null;
}

/** Once the server has written the lines it still held, counts the measurement's log and empties the file. */
async function collectLog(server: RunningServer): Promise<LogCount | null> {
  if (server.log === null) return null;
  await new Promise((resolve) => setTimeout(resolve, server.log?.flushMs ?? 0));
  return server.log.collect();
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
  // The file holds this measurement's lines only (not the preflight's, a health check's or the last run's).
  server.log?.reset();
  const startedAt = new Date().toISOString();
  const run = startRun({
    tool,
    scenario,
    port: server.port,
    connections,
    durationS,
    pinPrefix: bench.pinning.generatorPrefix,
    transport: server.transport,
  });
  bench.current = run.child;
  const sampler = new CpuSampler(groups);
  sampler.start(run.child.pid, server.child.pid);
  try {
    const measurement = await run.done;
    const during = sampler.stop();
    return { before, during, startedAt, measurement, log: await collectLog(server) };
  } finally {
    sampler.stop(); // idempotent; stops the sampling timer when the run failed
    bench.current = null;
  }
}

function progress(record: RunRecord, titleWidth: number): void {
  const m = record.measurement;
  const cores = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(2));
  const h = record.handshakes;
  const foreign =
    `${cores(record.during.foreignCores)}  client CPU ${cores(record.during.generatorCores)}` +
    `  server CPU ${cores(record.during.serverCores ?? null)}` +
    (h ? `  handshakes ${h.full} full ${h.resumed} resumed` : '') +
    (record.log ? `  log lines/req ${(record.log.lines / Math.max(1, m.requests)).toFixed(3)}` : '');
  log(
    `  round ${record.round} ${record.tool.padEnd(10)} ${record.scenario.padEnd(14)} ` +
      `${SERVER_TITLE[record.server].padEnd(titleWidth)} ${Math.round(m.rps).toString().padStart(7)} req/s  ` +
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
  const countsBefore = bench.options.tls ? await handshakeCounts(server) : null;
  const {
    before,
    during,
    startedAt,
    measurement,
    log: logged,
  } = await measure(bench, tool, scenario, server, bench.options.durationS);
  let handshakes = null;
  if (bench.options.tls) {
    // Samovar's workers push their counters every 200 ms.
    await new Promise((resolve) => setTimeout(resolve, COUNTER_PUSH_WAIT_MS));
    handshakes = handshakesBetween(countsBefore, await handshakeCounts(server));
  }
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
    handshakes,
    log: logged,
  };
  bench.runs.push(record);
  progress(record, Math.max(...Object.values(bench.servers).map((s) => SERVER_TITLE[s.id].length)));
  for (const problem of problems)
    bench.failures.push(`round ${round} ${tool} ${scenario.id} ${id}: ${problem}`);
  if (alive) throw new Error(alive);
}

async function warmUp(bench: Bench): Promise<void> {
  const { warmupS } = bench.options;
  if (warmupS === 0 || bench.tools.length === 0) return;
  const perScenario = Math.max(1, Math.round(warmupS / bench.options.scenarios.length));
  log(
    `warm-up: ${perScenario} s per scenario and server with the first tool that measures it (not recorded)`,
  );
  for (const scenario of bench.options.scenarios) {
    const tool = bench.tools.find((t) => scenario.tools.includes(t));
    if (tool === undefined) continue;
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

/** The HTTPS run's own lines: what every peer served, and what a client negotiated. */
function tlsHeader(bench: Bench, checks: Checks | null): string[] {
  if (!bench.options.tls) return [];
  const negotiated = Object.values(bench.servers)
    .map((s) => `${SERVER_TITLE[s.id]} ${checks?.[s.id]?.tls ?? '?'}`)
    .join('; ');
  return [
    '- HTTPS: one ECDSA P-256 certificate made for the run (harness/tls/certs.ts), Mozilla intermediate' +
      ' ciphers and curves (src/tls/profile.ts), TLS 1.2–1.3, server order, on every peer',
    `- negotiated by Node's client in the preflight: ${negotiated}`,
    `- handshakes: wrk and s_time use OpenSSL ${opensslVersion() ?? '?'}; whether a handshake was resumed is` +
      ' counted by Samovar (its metrics) and node:https (its own count), not by nginx; s_time -reuse offers' +
      ' its first session on every later connection',
    "- server CPU: user + system time of the peer's process group from /proc during the run; CPU µs / request =" +
      ' server cores ÷ req/s (a close or s_time request is one handshake)',
  ];
}

function resultsHeader(bench: Bench, wrk: string | null, stamp: string, checks: Checks | null): string[] {
  const o = bench.options;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const yardstick = o.tls ? 'node:https' : 'node:http';
  return [
    `${o.tls ? 'HTTPS: peers' : 'Peers'} ÷ ${yardstick}, measured ${stamp} by \`npm run load:compare${o.tls ? ' -- --tls' : ''}\`` +
      ` (${o.rounds} round${o.rounds === 1 ? '' : 's'}, ${o.durationS} s each, ${o.workers} worker${o.workers === 1 ? '' : 's'} per peer,` +
      ` ${o.connections} keep-alive connections unless the scenario says otherwise).`,
    '',
    `- machine: ${cpus().length} × ${cpu}, Linux ${release()}, Node ${process.version}`,
    `- pinning: ${bench.pinning.reason}`,
    `- tools: autocannon ${autocannonVersion()}; ${wrk ?? 'wrk not installed, its rows skipped'}`,
    `- peers: ${Object.values(bench.servers)
      .map((s) => SERVER_TITLE[s.id])
      .join(', ')}; nginx ${nginxVersion() ?? 'not installed'}`,
    `- Samovar: metrics on, access log ${o.accessLog === 'on' ? 'on (its default)' : 'off (SAMOVAR_LOG_ACCESS=off, --access-log off)'}` +
      '; "Samovar, access log off": the same with SAMOVAR_LOG_ACCESS=off (log level info, its default)',
    '- nginx: no access log (the ceiling); "access log": a JSON log_format with the fields of Samovar\'s access' +
      ' line (escape=json), written at once; "buffered log": the same with buffer=64k flush=1s',
    "- logs: to a file per server in the run's scratch directory (Samovar's stdout, O_APPEND; nginx's access" +
      ' log), emptied before each measurement and counted after it',
    `- medians, (min–max) over rounds; p50/p99 of a pipelined wrk run are per batch of ${o.pipelining}`,
    `- load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    ...tlsHeader(bench, checks),
    '',
  ];
}

function writeResults(
  bench: Bench,
  table: string,
  extra: Record<string, unknown>,
  checks: Checks | null,
): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const tag = bench.options.tls ? '-tls' : '';
  const jsonPath = `${RESULTS_DIR}compare${tag}-${stamp}.json`;
  const wrk = bench.tools.includes('wrk') ? wrkVersion() : null;
  const header = resultsHeader(bench, wrk, new Date().toISOString(), checks);
  const failed =
    bench.failures.length > 0
      ? ['**FAILED** — this run does not count:', ...bench.failures.map((f) => `- ${f}`), '']
      : [];
  writeFileSync(`${RESULTS_DIR}latest-compare${tag}.md`, [...failed, ...header, table, ''].join('\n'));
  const titles = new Map(bench.options.scenarios.map((s) => [s.id, s.title]));
  // s_time gives no latencies: its rows stay out of the chart (their req/s are in the table).
  const charted = summarize(bench.runs, titles, yardstickOf(bench)).filter((r) => r.tool !== 'openssl');
  writeFileSync(`${RESULTS_DIR}latest-compare${tag}.svg`, barChartsSvg(charted, header[0] ?? ''));
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
      logFile: server.log?.path ?? null,
      logTail: server.log?.lastLines ?? null,
    };
  }
  return report;
}

function yardstickOf(bench: Bench): ServerId {
  return bench.options.tls ? 'node-https' : 'node-http';
}

/** The HTTPS tables: every row with CPU, the handshake's own CPU, and issue 17's goals. */
function tlsTables(
  bench: Bench,
  summary: readonly SummaryRow[],
): { text: string; extra: Record<string, unknown> } {
  const rows = tlsRows(summary, bench.runs);
  const goals = tlsGoals(rows);
  const text = [
    tlsTable(rows),
    'CPU per handshake (µs of server CPU; "handshake alone" = close − keep-alive):',
    handshakeCpuTable(rows),
    goalsTable(goals),
  ].join('\n\n');
  return { text, extra: { tls: { rows, goals } } };
}

/**
 * The plain-HTTP tables: every row; the access log's cost and issue 19's goals, when a log pair
 * ran; the front-door pairs, when they ran.
 */
function httpTables(
  bench: Bench,
  summary: readonly SummaryRow[],
): { text: string; extra: Record<string, unknown> } {
  const pairs = pairRows(summary);
  const logRows = logCostRows(summary, bench.options.accessLog);
  const goals = logRows.length > 0 ? issue19Goals(summary, bench.options.accessLog) : [];
  const sections = [markdownTable(summary)];
  if (logRows.length > 0) {
    sections.push(
      'The access log: each server with it on ÷ the same server with it off, same rounds (medians):',
      logCostTable(logRows),
      goalsTableOf(goals, 'issue 19, judged on wrk'),
    );
  }
  if (pairs.length > 0) sections.push(pairTable(pairs));
  return { text: sections.join('\n\n'), extra: { pairs, accessLog: { rows: logRows, goals } } };
}

/** Log lines a server wrote during measurements with no access log: lifecycle lines, warnings. */
function noteLogLines(bench: Bench): void {
  for (const server of Object.values(bench.servers)) {
    const runs = bench.runs.filter((r) => r.server === server.id && r.log);
    const written = runs.reduce((sum, r) => sum + (r.log?.lines ?? 0), 0);
    const accessOn =
      server.id === 'nginx-log' ||
      server.id === 'nginx-log-buffered' ||
      (server.id !== 'samovar-log-off' && bench.options.accessLog === 'on');
    if (!accessOn && written > 0)
      log(
        `note: ${SERVER_TITLE[server.id]} wrote ${written} log lines under load with no access log ` +
          '(the last ones in the JSON: servers.*.logTail)',
      );
  }
}

function finish(bench: Bench, checks: Checks | null, started: string): number {
  if (interrupted()) return 130;
  const titles = new Map(bench.options.scenarios.map((s) => [s.id, s.title]));
  const summary = summarize(bench.runs, titles, yardstickOf(bench));
  const tables = bench.options.tls ? tlsTables(bench, summary) : httpTables(bench, summary);
  const table = tables.text;
  const extra = {
    pairs: [],
    ...tables.extra,
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
    servers: checks ? serverReport(bench, checks) : null,
  };
  const jsonPath = writeResults(bench, table, extra, checks);
  process.stdout.write(`\n${table}\n\n`);
  log(`saved ${jsonPath} and ${RESULTS_DIR}latest-compare${bench.options.tls ? '-tls' : ''}.md`);
  for (const server of Object.values(bench.servers)) {
    const lines = server.child.lines - (bench.linesBefore[server.id] ?? 0);
    if (lines > 0)
      log(`note: ${SERVER_TITLE[server.id]} printed ${lines} log lines under load (tail in the JSON)`);
  }
  noteLogLines(bench);
  if (bench.failures.length === 0) return 0;
  log(`\nFAILED: ${bench.failures.length} problem(s); the numbers above do not count:`);
  for (const failure of bench.failures) log(`  - ${failure}`);
  return 1;
}

/** The installed openssl's version (`3.0.22`), or `null` when there is none. */
function opensslVersion(): string | null {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  return /OpenSSL ([\w.]+)/.exec(probe.stdout)?.[1] ?? null;
}

function chooseTools(options: CompareOptions): Tool[] {
  const tools: Tool[] = [...options.tools];
  if (options.tls) {
    // HTTPS rows are wrk's and (handshakes) openssl s_time's; autocannon has none.
    if (tools.includes('autocannon')) tools.splice(tools.indexOf('autocannon'), 1);
    if (tools.includes('wrk') && opensslVersion() !== null) tools.push('openssl');
    else if (tools.includes('wrk')) log('openssl is not installed: the s_time handshake rows are skipped');
  }
  if (tools.includes('wrk') && wrkVersion() === null) {
    log('wrk is not installed: its rows are skipped (apt-get install wrk to add them)');
    tools.splice(tools.indexOf('wrk'), 1);
  }
  if (tools.length === 0)
    throw new Error(
      options.tls
        ? 'no load generator left to run (--tls needs wrk)'
        : 'no load generator left to run (wrk missing and --only wrk)',
    );
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

/** `--tls`: a throw-away CA and an ECDSA P-256 certificate for localhost and 127.0.0.1, in `scratch`. */
async function makeCertificate(scratch: string): Promise<TlsFiles> {
  const dir = join(scratch, 'tls');
  mkdirSync(dir, { mode: 0o755 });
  const files = writePem(dir, 'server', await issue(await makeCa('Samovar load lab CA', 2)));
  return { cert: files.cert, key: files.key };
}

async function startPeers(
  options: CompareOptions,
  pinning: Pinning,
  dirs: { staticRoot: string; scratch: string },
): Promise<Partial<Record<ServerId, RunningServer>>> {
  let ids = options.peers;
  if (ids.some((id) => NGINX_PEERS.includes(id)) && nginxVersion() === null) {
    log('nginx is not installed: its rows are skipped (apt-get install nginx to add the ceiling)');
    ids = ids.filter((id) => !NGINX_PEERS.includes(id));
  }
  const tls = options.tls ? await makeCertificate(dirs.scratch) : null;
  const setup = { options, pinning, ...dirs, tls };
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
