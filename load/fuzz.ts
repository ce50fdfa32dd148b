/**
 * `npm run fuzz -- --minutes N`: the long run of the mutation fuzzer (test/hardening/fuzz/):
 * starts the fixture cluster (2 workers, small limits and timeouts), sends mutated inputs from
 * `--lanes` connections at a time for N minutes, and prints the inputs tried and every finding.
 * Findings are saved as reproducers under test/hardening/findings/ (the fuzz test replays
 * them); the summary goes to load/results/fuzz-<time>.json. Exits 1 when anything was found.
 * Must not: run inside `npm test` (test/hardening/fuzz.test.ts is the bounded slice).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FUZZ_ENV, FuzzRun, saveFindings } from '../test/hardening/fuzz/runner.ts';
import { startHardeningCluster } from '../test/hardening/support/cluster.ts';

const USAGE = `Usage: npm run fuzz -- [--minutes N] [--seed S] [--lanes L]

  --minutes N   how long to fuzz (default 1; fractions allowed)
  --seed S      PRNG seed (default: random; printed, so a run can be repeated)
  --lanes L     connections at a time (default 16)`;

/** Lifecycle lines the run needs to keep; the rest (protocol-error warnings) are dropped as they come. */
const KEEP_EVENTS = new Set(['exit', 'restart', 'smuggled-hit', 'spawn', 'ready']);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { minutes: { type: 'string' }, seed: { type: 'string' }, lanes: { type: 'string' } },
  });
  const minutes = Number(values.minutes ?? '1');
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const lanes = Number(values.lanes ?? '16');
  if (!(minutes > 0) || !Number.isInteger(seed) || !(lanes >= 1)) {
    process.stderr.write(USAGE + '\n');
    process.exit(2);
  }
  const cluster = await startHardeningCluster({ env: FUZZ_ENV });
  const run = new FuzzRun(cluster, seed);
  const started = Date.now();
  const endAt = started + minutes * 60_000;
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  const progress = setInterval(() => {
    const kept = cluster.lines.filter((l) => KEEP_EVENTS.has(l.event));
    cluster.lines.splice(0, cluster.lines.length, ...kept);
    const s = run.stats;
    const secs = Math.round((Date.now() - started) / 1000);
    process.stdout.write(`[${secs}s] inputs ${s.inputs}, findings ${run.findings.length}\n`);
  }, 10_000);
  process.stdout.write(`fuzzing port ${cluster.port} for ${minutes} min, seed ${seed}, ${lanes} lanes\n`);
  try {
    await run.run(lanes, () => stop || Date.now() >= endAt);
    await new Promise((r) => setTimeout(r, 500));
    run.checkLog();
  } finally {
    clearInterval(progress);
    await cluster.destroy();
  }
  report(run, seed, minutes, (Date.now() - started) / 1000);
  process.exit(run.findings.length > 0 ? 1 : 0);
}

function report(run: FuzzRun, seed: number, minutes: number, seconds: number): void {
  const s = run.stats;
  const byKind: Record<string, number> = {};
  for (const f of run.findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  const saved = saveFindings(run.findings);
  const summary = {
    seed,
    minutes,
    seconds: Math.round(seconds),
    inputs: s.inputs,
    inputsPerSecond: Math.round(s.inputs / seconds),
    bytes: s.bytes,
    requestsServed: s.served,
    legitimatelyPipelinedSmuggled: s.pipelinedSmuggled,
    documentedDivergences: s.documented,
    findings: byKind,
    reproducers: saved,
    examples: run.findings.slice(0, 20).map((f) => ({ kind: f.kind, detail: f.detail, recipe: f.recipe })),
  };
  const dir = new URL('results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}fuzz-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write(JSON.stringify(summary, null, 2) + `\nwrote ${file}\n`);
}

await main();
