/**
 * `npm run soak -- --minutes N`: a long run of mixed traffic against the fixture cluster with a
 * rolling restart (SIGHUP) every `--restart-every` seconds, sampling the resident memory of the
 * primary and of every worker. Traffic (load/lib/soak-traffic.ts): keep-alive, close, pipelined,
 * bodies, streams, handler errors, malformed requests, plus slow clients (tricklers all along, a
 * wave of non-readers every minute; harness/clients/hostile.ts).
 *
 * The goal: zero failed well-formed requests, no worker lost, and no memory growth beyond noise.
 * A rolling restart resets each worker, so a leak in a worker shows as rising peaks from one
 * generation to the next, and a leak in the supervisor as a rising primary; both trends are
 * fitted (least squares) and compared with the scatter around the fit.
 * Writes load/results/soak-<time>.json and .svg (the memory curve). Exits 1 on a failure.
 * Must not: run inside `npm test`.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HostileClients } from '../harness/clients/hostile.ts';
import { RssSampler, type RssSample } from '../harness/measure/rss.ts';
import { SoakTraffic } from './lib/soak-traffic.ts';
import { lineChart, type Series } from './lib/svg-chart.ts';
import { startHardeningCluster, unplannedExits } from '../harness/hardening/cluster.ts';

const MiB = 1024 * 1024;
const SAMPLE_MS = 2_000;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

interface Trend {
  /** MiB per minute, least squares. */
  readonly slopeMiBPerMin: number;
  /** Growth the fit predicts over the run, MiB. */
  readonly growthMiB: number;
  /** Standard deviation of the samples around the fit, MiB. */
  readonly noiseMiB: number;
  /** Growth within max(2 × noise, 5 MiB). */
  readonly flat: boolean;
}

function trend(points: readonly (readonly [number, number])[], minutes: number): Trend {
  const n = points.length;
  if (n < 3) return { slopeMiBPerMin: 0, growthMiB: 0, noiseMiB: 0, flat: true };
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
  const noise = Math.sqrt(points.reduce((a, [x, y]) => a + (y - (my + slope * (x - mx))) ** 2, 0) / n);
  const growth = slope * minutes;
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    slopeMiBPerMin: round(slope),
    growthMiB: round(growth),
    noiseMiB: round(noise),
    flat: growth <= Math.max(2 * noise, 5),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { minutes: { type: 'string' }, 'restart-every': { type: 'string' } },
  });
  const minutes = Number(values.minutes ?? '10');
  const restartEveryS = Number(values['restart-every'] ?? '60');
  if (!(minutes > 0) || !(restartEveryS > 0)) {
    process.stderr.write('Usage: npm run soak -- [--minutes N (10)] [--restart-every S (60)]\n');
    process.exit(2);
  }
  const cluster = await startHardeningCluster({
    env: {
      SAMOVAR_TIMEOUTS_HEADERS_TIMEOUT_MS: '2000',
      SAMOVAR_TIMEOUTS_WRITE_TIMEOUT_MS: '5000',
      SAMOVAR_SHUTDOWN_TIMEOUT_MS: '10000',
    },
  });
  const started = Date.now();
  const primary = cluster.pid;
  const rss = new RssSampler(() => [primary, ...cluster.liveWorkers()], SAMPLE_MS);
  const traffic = new SoakTraffic(cluster.port);
  const hostile = new HostileClients(cluster.port);
  const hups: number[] = [];
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  traffic.start();
  hostile.trickle(20, 500, 2_000);
  process.stdout.write(`soak: ${minutes} min on port ${cluster.port}, SIGHUP every ${restartEveryS} s\n`);
  let nextHup = started + restartEveryS * 1000;
  let nextWave = started;
  try {
    while (!stop && Date.now() < started + minutes * 60_000) {
      await new Promise((r) => setTimeout(r, 250));
      const now = Date.now();
      if (now >= nextWave) {
        hostile.nonReaders(5, '/big?kb=1048576', 1_000);
        nextWave += 60_000;
      }
      if (now >= nextHup) {
        cluster.signal('SIGHUP');
        hups.push((now - started) / 60_000);
        nextHup += restartEveryS * 1000;
        const c = traffic.counts;
        const secs = Math.round((now - started) / 1000);
        process.stdout.write(`[${secs}s] SIGHUP; requests ${c.requests}, failed ${c.failed}\n`);
      }
    }
    await traffic.stop();
    hostile.stop();
    await new Promise((r) => setTimeout(r, 1_000));
  } finally {
    rss.stop();
    const exits = unplannedExits(cluster);
    const reloads = cluster.events('reload').map((l) => String(l.result));
    await cluster.destroy();
    report({
      minutes: (Date.now() - started) / 60_000,
      primary,
      samples: rss.samples,
      hups,
      exits,
      reloads,
      traffic,
    });
  }
}

interface ReportInput {
  minutes: number;
  primary: number;
  samples: readonly RssSample[];
  hups: readonly number[];
  exits: readonly string[];
  reloads: readonly string[];
  traffic: SoakTraffic;
}

function report(r: ReportInput): void {
  const byPid = new Map<number, [number, number][]>();
  for (const s of r.samples) {
    const list = byPid.get(s.pid) ?? [];
    list.push([s.t / 60_000, s.rss / MiB]);
    byPid.set(s.pid, list);
  }
  const primaryPoints = byPid.get(r.primary) ?? [];
  const workers = [...byPid.entries()].filter(([pid]) => pid !== r.primary);
  // Each worker's peak, at the time of its last sample: one point per worker generation.
  const peaks = workers.map(([, pts]): [number, number] => [
    (pts[pts.length - 1] as [number, number])[0],
    Math.max(...pts.map(([, y]) => y)),
  ]);
  const allWorkerPoints = workers.flatMap(([, pts]) => pts);
  const result = {
    minutes: Math.round(r.minutes * 100) / 100,
    rollingRestarts: r.hups.length,
    reloadResults: r.reloads,
    unplannedExits: r.exits,
    traffic: r.traffic.counts,
    workersSeen: workers.length,
    memory: {
      primary: trend(primaryPoints, r.minutes),
      workerPeaksByGeneration: trend(peaks, r.minutes),
      allWorkerSamples: trend(allWorkerPoints, r.minutes),
      workerPeakMiB: Math.round(Math.max(0, ...allWorkerPoints.map(([, y]) => y))),
      primaryPeakMiB: Math.round(Math.max(0, ...primaryPoints.map(([, y]) => y))),
    },
  };
  const series: Series[] = [
    { name: `primary ${r.primary}`, color: 'black', points: primaryPoints },
    ...workers.map(([pid, points], i) => ({
      name: `worker ${pid}`,
      color: COLORS[i % COLORS.length] as string,
      points,
    })),
  ];
  const svg = lineChart({
    title: `Samovar soak: resident memory, ${result.minutes} min, SIGHUP every ${r.hups.length > 1 ? Math.round((r.hups[1]! - r.hups[0]!) * 60) : '—'} s`,
    xLabel: 'minutes',
    yLabel: 'RSS (MiB)',
    series,
    markers: r.hups.map((x) => ({ x, label: 'HUP' })),
  });
  const dir = new URL('results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(`${dir}soak-${stamp}.svg`, svg);
  writeFileSync(
    `${dir}soak-${stamp}.json`,
    JSON.stringify({ ...result, samples: r.samples }, null, 2) + '\n',
  );
  process.stdout.write(JSON.stringify(result, null, 2) + `\nwrote ${dir}soak-${stamp}.{json,svg}\n`);
  const failed =
    r.traffic.counts.failed > 0 || r.exits.length > 0 || r.reloads.some((x) => x !== 'started' && x !== 'ok');
  process.exitCode = failed ? 1 : 0;
}

await main();
