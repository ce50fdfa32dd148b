/**
 * `npm run load:static`: static files, Samovar (load/static-samovar.ts, one process) beside
 * `node:http` + `serve-static` (load/static-baseline.ts, one process), serving the same 1 KiB
 * and 1 MiB files from one temporary directory, driven by wrk and autocannon, interleaved and
 * order-flipped, on pinned CPUs where possible (the helpers of `npm run load:compare`).
 *
 *     npm run load:static                         # 5 s per run, wrk and autocannon
 *     npm run load:static -- --duration 3 --tools wrk --connections 50 --no-pin
 *
 * Prints a Markdown table (req/s, MiB/s, p50, p99, Samovar ÷ serve-static) and writes it to
 * load/results/latest-static.md. Exits 1 when a request failed or a body was wrong.
 * Must not: run in `npm test`; it wants a quiet machine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { startRun, wrkVersion } from './lib/generators.ts';
import type { Measurement } from './lib/generators.ts';
import type { Scenario, Tool } from './lib/options.ts';
import { decidePinning, installCleanupHooks, listenOn, startOnFreePort, stopAll } from './lib/processes.ts';
import type { Child, Pinning } from './lib/processes.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const SAMOVAR_ENTRY = fileURLToPath(new URL('./static-samovar.ts', import.meta.url));
const BASELINE_ENTRY = fileURLToPath(new URL('./static-baseline.ts', import.meta.url));

type ServerId = 'samovar' | 'serve-static';
const TITLE: Record<ServerId, string> = { samovar: 'Samovar', 'serve-static': 'node:http + serve-static' };

interface Server {
  readonly id: ServerId;
  readonly child: Child;
  readonly port: number;
}

interface Row {
  readonly file: string;
  readonly tool: Tool;
  readonly results: Record<ServerId, Measurement>;
}

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    tools: { type: 'string', default: 'wrk,autocannon' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const durationS = Number(flags.duration);
const warmupS = Number(flags.warmup);
const connections = Number(flags.connections);

/** Printable ASCII, so autocannon can compare each body as a string. */
function textOf(bytes: number): string {
  const line = 'Samovar static benchmark: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

const FILES = [
  { name: '1k.txt', title: '1 KiB', bytes: 1024 },
  { name: '1m.txt', title: '1 MiB', bytes: 1024 * 1024 },
];

function scenario(file: (typeof FILES)[number], text: string): Scenario {
  return {
    id: file.name,
    title: `GET /${file.name}`,
    method: 'GET',
    path: `/${file.name}`,
    pipelining: 1,
    body: null,
    contentType: null,
    // Comparing a 1 MiB string per answer would make autocannon the bottleneck: the preflight
    // checks the large file's bytes by hand instead.
    expectBody: file.bytes <= 64 * 1024 ? text : null,
    connections: null,
    headers: {},
    mix: [],
    tools: ['wrk', 'autocannon'],
    peers: ['samovar', 'node-http'],
  };
}

async function startServer(id: ServerId, root: string, pinning: Pinning): Promise<Server> {
  const entry = id === 'samovar' ? SAMOVAR_ENTRY : BASELINE_ENTRY;
  const started = await startOnFreePort(id, (port) => ({
    argv: [...pinning.serverPrefix, process.execPath, entry],
    env:
      id === 'samovar'
        ? {
            ...listenOn('SAMOVAR', port),
            SAMOVAR_LOG_LEVEL: 'warn',
            SAMOVAR_STATIC_ROOT: root,
            // As in load:compare: node:http has no per-connection request cap, and autocannon
            // mis-times requests across a server-side keep-alive close.
            SAMOVAR_CONNECTIONS_MAX_REQUESTS_PER_CONNECTION: '1000000000',
          }
        : { ...listenOn('BASELINE', port), BASELINE_ROOT: root },
  }));
  return { id, ...started };
}

/** Each server must send each file's exact bytes before it is measured. */
async function preflight(server: Server, contents: Map<string, string>): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, text] of contents) {
    const res = await fetch(`http://127.0.0.1:${server.port}/${name}`);
    const body = await res.text();
    if (res.status !== 200 || body !== text)
      problems.push(`${TITLE[server.id]} GET /${name}: ${res.status}, wrong body`);
  }
  return problems;
}

async function measure(
  tool: Tool,
  sc: Scenario,
  server: Server,
  seconds: number,
  pin: Pinning,
): Promise<Measurement> {
  const run = startRun({
    tool,
    scenario: sc,
    port: server.port,
    connections,
    durationS: seconds,
    pinPrefix: pin.generatorPrefix,
  });
  return run.done;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(rows: readonly Row[], sizes: Map<string, number>): string {
  const lines = [
    '| File | Tool | Server | req/s | MiB/s | p50 ms | p99 ms | errors / non-2xx | Samovar ÷ serve-static |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const s = row.results.samovar;
    const b = row.results['serve-static'];
    for (const id of ['samovar', 'serve-static'] as const) {
      const m = row.results[id];
      const mib = (m.rps * (sizes.get(row.file) ?? 0)) / 1048576;
      const ratio =
        id === 'samovar' ? `**${fmt(s.rps / b.rps, 2)}×** req/s, p99 ${fmt(s.p99Ms / b.p99Ms, 2)}×` : '';
      lines.push(
        `| ${row.file} | ${row.tool} | ${TITLE[id]} | ${fmt(m.rps)} | ${fmt(mib, 1)} | ${fmt(m.p50Ms, 2)} | ${fmt(m.p99Ms, 2)} | ${m.errors} / ${m.non2xx} | ${ratio} |`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  installCleanupHooks();
  const tools = flags.tools.split(',').filter((t): t is Tool => t === 'wrk' || t === 'autocannon');
  const usable = tools.filter((t) => t !== 'wrk' || wrkVersion() !== null);
  if (usable.length < tools.length) process.stderr.write('wrk is not installed: its rows are skipped\n');
  const pinning = decidePinning(!flags['no-pin']);
  const root = mkdtempSync(join(tmpdir(), 'samovar-load-static-'));
  const contents = new Map<string, string>();
  const sizes = new Map<string, number>();
  for (const f of FILES) {
    contents.set(f.name, textOf(f.bytes));
    sizes.set(`${f.title}`, f.bytes);
    writeFileSync(join(root, f.name), contents.get(f.name) as string);
  }
  const failures: string[] = [];
  const rows: Row[] = [];
  try {
    const servers = [
      await startServer('samovar', root, pinning),
      await startServer('serve-static', root, pinning),
    ];
    for (const server of servers) failures.push(...(await preflight(server, contents)));
    if (failures.length > 0) throw new Error(failures.join('\n'));
    let flip = false;
    for (const file of FILES) {
      const sc = scenario(file, contents.get(file.name) as string);
      for (const tool of usable) {
        for (const server of servers) await measure(tool, sc, server, warmupS, pinning); // unrecorded
        const order = flip ? [...servers].reverse() : servers;
        flip = !flip;
        const results = {} as Record<ServerId, Measurement>;
        for (const server of order) {
          process.stderr.write(`${file.title} ${tool} ${TITLE[server.id]}… `);
          const m = await measure(tool, sc, server, durationS, pinning);
          process.stderr.write(`${fmt(m.rps)} req/s\n`);
          if (m.errors > 0 || m.non2xx > 0)
            failures.push(
              `${TITLE[server.id]} ${file.title} ${tool}: ${m.errors} errors, ${m.non2xx} non-2xx`,
            );
          results[server.id] = m;
        }
        rows.push({ file: file.title, tool, results });
      }
    }
  } finally {
    await stopAll();
    rmSync(root, { recursive: true, force: true });
  }
  const header = [
    `Static files, Samovar ÷ node:http + serve-static, measured ${new Date().toISOString()} by \`npm run load:static\``,
    `(${durationS} s per run after ${warmupS} s warm-up, ${connections} keep-alive connections, one process each).`,
    '',
    `- machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, Linux ${release()}, Node ${process.version}; load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `- pinning: ${pinning.reason}`,
    '',
  ].join('\n');
  const report = `${header}\n${table(rows, sizes)}\n`;
  process.stdout.write(`\n${report}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest-static.md'), report);
  if (failures.length > 0) {
    process.stdout.write(`\nFAILED:\n- ${failures.join('\n- ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
