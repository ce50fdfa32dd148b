/**
 * `npm run fuzz -- --minutes N`: the long run of the fuzzer (harness/fuzz/): starts the
 * fixture cluster (2 workers, small limits and timeouts, pipelining limit 4) and, for the deep
 * batches, a second one with the shipped pipelining limit (1 worker); for N minutes sends mutated
 * inputs from `--lanes` connections at a time and pipelined batches then a half-close (batch.ts,
 * issue 16 §3) from `--batch-lanes` more, split between the two clusters; prints what was tried
 * and every finding. A failing batch is shrunk (shrink.ts) before it is reported. Findings are
 * saved as reproducers under harness/fuzz/findings/ (the fuzz test replays them); the summary
 * goes to load/results/fuzz-<time>.json. Exits 1 when anything was found.
 * Must not: run inside `npm test` (test/hardening/fuzz.test.ts is the bounded slice).
 */

import { Buffer } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Cluster } from '../harness/cluster.ts';
import {
  DEFAULT_LIMIT_ENV,
  DEFAULT_PIPELINE_LIMIT,
  FUZZ_ENV,
  FuzzRun,
  saveFindings,
  type Finding,
} from '../harness/fuzz/runner.ts';
import { startHardeningCluster } from '../harness/hardening/cluster.ts';

const USAGE = `Usage: npm run fuzz -- [--minutes N] [--seed S] [--lanes L] [--batch-lanes B]

  --minutes N         how long to fuzz (default 1; fractions allowed)
  --seed S            PRNG seed (default: random; printed, so a run can be repeated)
  --lanes L           connections at a time for mutated inputs (default 16; 0: none)
  --batch-lanes B     connections at a time for pipelined batches (default 4; 0: none)
  --findings DIR      where reproducers go (default harness/fuzz/findings/, which the
                      fuzz test replays)`;

/** Lifecycle lines the run needs to keep; the rest (protocol-error warnings) are dropped as they come. */
const KEEP_EVENTS = new Set(['exit', 'restart', 'smuggled-hit', 'spawn', 'ready']);
/** Failing batches shrunk at the end (one per kind, ending and limit), and replays for each. */
const SHRINK_MAX = 6;
const SHRINK_BUDGET = 60;

interface Options {
  minutes: number;
  seed: number;
  lanes: number;
  batchLanes: number;
  findingsDir: string | undefined;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      seed: { type: 'string' },
      lanes: { type: 'string' },
      'batch-lanes': { type: 'string' },
      findings: { type: 'string' },
    },
  });
  const o: Options = {
    minutes: Number(values.minutes ?? '1'),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed),
    lanes: Number(values.lanes ?? '16'),
    batchLanes: Number(values['batch-lanes'] ?? '4'),
    findingsDir: values.findings,
  };
  const lanesOk = Number.isInteger(o.lanes) && Number.isInteger(o.batchLanes) && o.lanes + o.batchLanes >= 1;
  if (!(o.minutes > 0) || !Number.isInteger(o.seed) || !lanesOk || o.lanes < 0 || o.batchLanes < 0) {
    process.stderr.write(USAGE + '\n');
    process.exit(2);
  }
  return o;
}

async function main(): Promise<void> {
  const o = options();
  const deep = o.batchLanes >= 2;
  const [cluster, shipped] = await Promise.all([
    startHardeningCluster({ env: FUZZ_ENV }),
    deep ? startHardeningCluster({ env: DEFAULT_LIMIT_ENV }) : null,
  ]);
  const runs = [new FuzzRun(cluster, o.seed)];
  if (shipped !== null)
    runs.push(new FuzzRun(shipped, o.seed + 1, { pipelineLimit: DEFAULT_PIPELINE_LIMIT }));
  const clusters = [cluster, shipped].filter((c): c is Cluster => c !== null);
  const started = Date.now();
  const endAt = started + o.minutes * 60_000;
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  const until = (): boolean => stop || Date.now() >= endAt;
  const progress = setInterval(() => {
    for (const c of clusters) {
      const kept = c.lines.filter((l) => KEEP_EVENTS.has(l.event));
      c.lines.splice(0, c.lines.length, ...kept);
    }
    const secs = Math.round((Date.now() - started) / 1000);
    const batches = runs.map((r) => r.stats.batches.count).join('+');
    const found = runs.reduce((n, r) => n + r.findings.length, 0);
    process.stdout.write(
      `[${secs}s] inputs ${runs[0]?.stats.inputs}, batches ${batches}, findings ${found}\n`,
    );
  }, 10_000);
  const lanes = `${o.lanes} lanes, ${o.batchLanes} batch lanes`;
  const ports = clusters.map((c) => c.port).join(' and ');
  process.stdout.write(`fuzzing ports ${ports} for ${o.minutes} min, seed ${o.seed}, ${lanes}\n`);
  let shrunk: Finding[] = [];
  try {
    const [first, second] = runs as [FuzzRun, FuzzRun | undefined];
    const mainBatchLanes = second === undefined ? o.batchLanes : Math.ceil(o.batchLanes / 2);
    await Promise.all([
      first.run(o.lanes, until),
      first.runBatches(mainBatchLanes, until),
      second?.runBatches(o.batchLanes - mainBatchLanes, until),
    ]);
    await new Promise((r) => setTimeout(r, 500));
    for (const run of runs) run.checkLog();
    shrunk = await shrinkFailures(runs);
  } finally {
    clearInterval(progress);
    await Promise.all(clusters.map(async (c) => c.destroy()));
  }
  const findings = report(runs, shrunk, o, (Date.now() - started) / 1000);
  process.exit(findings > 0 ? 1 : 0);
}

/** Shrinks one failing batch per kind, ending and limit (SHRINK_MAX at most). */
async function shrinkFailures(runs: readonly FuzzRun[]): Promise<Finding[]> {
  const shrunk: Finding[] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    for (const f of run.findings) {
      if (f.batch === undefined || shrunk.length >= SHRINK_MAX) continue;
      const key = `${f.kind} ${f.batch.end} ${f.batch.limit}`;
      if (seen.has(key)) continue;
      seen.add(key);
      process.stdout.write(`shrinking ${f.kind} (${f.batch.end}, limit ${f.batch.limit}) ${f.id}\n`);
      const small = await run.shrink(f, SHRINK_BUDGET);
      if (small !== null) shrunk.push(small);
    }
  }
  return shrunk;
}

function report(runs: readonly FuzzRun[], shrunk: readonly Finding[], o: Options, seconds: number): number {
  const [main] = runs as [FuzzRun];
  const s = main.stats;
  const all = runs.flatMap((r) => r.findings);
  const byKind: Record<string, number> = {};
  for (const f of all) {
    const key = f.batch === undefined ? f.kind : `${f.kind} (batch ${f.batch.end}, limit ${f.batch.limit})`;
    byKind[key] = (byKind[key] ?? 0) + 1;
  }
  // A shrunk batch is saved in place of the batches it stands for; other findings as they are.
  const shrunkKeys = new Set(shrunk.map((f) => `${f.kind} ${f.batch?.end} ${f.batch?.limit}`));
  const unshrunk = all.filter(
    (f) => f.batch === undefined || !shrunkKeys.has(`${f.kind} ${f.batch.end} ${f.batch.limit}`),
  );
  const saved = saveFindings([...shrunk, ...unshrunk], o.findingsDir);
  const summary = {
    seed: o.seed,
    minutes: o.minutes,
    seconds: Math.round(seconds),
    lanes: o.lanes,
    batchLanes: o.batchLanes,
    inputs: s.inputs,
    inputsPerSecond: Math.round(s.inputs / seconds),
    bytes: s.bytes,
    requestsServed: s.served,
    legitimatelyPipelinedSmuggled: s.pipelinedSmuggled,
    documentedDivergences: s.documented,
    batches: Object.fromEntries(runs.map((r) => [`limit ${r.pipelineLimit}`, r.stats.batches])),
    findings: byKind,
    reproducers: saved,
    shrunk: shrunk.map((f) => ({
      kind: f.kind,
      detail: f.detail,
      recipe: f.recipe,
      bytes: Buffer.from(f.input, 'base64').toString('latin1'),
    })),
    examples: all.slice(0, 20).map((f) => ({ kind: f.kind, detail: f.detail, recipe: f.recipe })),
  };
  const dir = new URL('results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}fuzz-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write(JSON.stringify(summary, null, 2) + `\nwrote ${file}\n`);
  return all.length;
}

await main();
