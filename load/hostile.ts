/**
 * `npm run hostile`: the full-size hostile-client measurements behind docs/hardening.md, against
 * the fixture cluster (2 workers), printed as JSON and saved to load/results/hostile-<time>.json.
 *
 * - `slow`: normal keep-alive traffic (autocannon, 20 connections, its own process) alone, then
 *   alongside 1,000 connections trickling header bytes (one a second; replaced when cut) and 200
 *   that request a large answer and never read it. Reports p99 with and without, worker RSS
 *   peaks, and how long each hostile connection lived before the server cut it.
 * - `body`: a 1 GiB chunked upload to `/sink` (reads and drops the body), RSS sampled every
 *   16 MiB; then the same upload against `limits.maxBodyBytes` of 512 MiB: when the 413 came and
 *   when the connection closed.
 * `--only slow|body` runs one; `--tricklers N --non-readers N --seconds S` scale the first.
 * Must not: run inside `npm test` (test/hardening/ has the scaled-down versions).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HostileClients, lifetimes, percentile } from './lib/hostile-clients.ts';
import { normalTraffic, RssSampler } from './lib/measure.ts';
import { chunkedUpload } from './lib/upload.ts';
import { startHardeningCluster, unplannedExits } from '../test/hardening/support/cluster.ts';

const MiB = 1024 * 1024;
const HEADERS_TIMEOUT_MS = 5_000;
const WRITE_TIMEOUT_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number): number => Math.round(bytes / MiB);

async function slowClients(tricklers: number, nonReaders: number, seconds: number): Promise<object> {
  const cluster = await startHardeningCluster({
    env: {
      SAMOVAR_TIMEOUTS_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      SAMOVAR_TIMEOUTS_WRITE_TIMEOUT_MS: String(WRITE_TIMEOUT_MS),
    },
  });
  const hostile = new HostileClients(cluster.port);
  try {
    const url = `http://127.0.0.1:${cluster.port}/`;
    const rss = new RssSampler(() => cluster.liveWorkers(), 250);
    await normalTraffic(url, 20, 2, 'ok\n'); // warm-up, not reported
    const warm = rss.elapsed();
    const without = await normalTraffic(url, 20, seconds, 'ok\n');
    const hostileFrom = rss.elapsed();
    const opened = Date.now();
    hostile.trickle(tricklers, 1_000, 2_000);
    hostile.nonReaders(nonReaders, '/big?kb=1048576', 2_000);
    await sleep(3_000);
    const heldAtStart = { tricklers: hostile.open('trickle'), nonReaders: hostile.open('non-reader') };
    const withHostile = await normalTraffic(url, 20, seconds, 'ok\n');
    const heldAtEnd = { tricklers: hostile.open('trickle'), nonReaders: hostile.open('non-reader') };
    const deadline = opened + 2_000 + WRITE_TIMEOUT_MS + 10_000;
    while (hostile.open('non-reader') > 0 && Date.now() < deadline) await sleep(250);
    hostile.stop();
    rss.stop();
    const trickle = lifetimes(hostile.lives, 'trickle');
    const slow = lifetimes(hostile.lives, 'non-reader');
    const answered408 = hostile.lives.filter(
      (l) => l.kind === 'trickle' && l.firstBytes.startsWith('HTTP/1.1 408 '),
    );
    return {
      config: {
        tricklers,
        nonReaders,
        seconds,
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        writeTimeoutMs: WRITE_TIMEOUT_MS,
      },
      normalWithout: without,
      normalWith: withHostile,
      p99RatioWithToWithout: Math.round((withHostile.p99Ms / Math.max(1, without.p99Ms)) * 100) / 100,
      held: { atStart: heldAtStart, atEnd: heldAtEnd },
      tricklers: {
        cut: trickle.length,
        answered408: answered408.length,
        lifeMs: { p50: percentile(trickle, 50), p99: percentile(trickle, 99), max: Math.max(...trickle) },
      },
      nonReaders: {
        cut: slow.length,
        stillOpen: hostile.open('non-reader'),
        lifeMs: { min: Math.min(...slow), p50: percentile(slow, 50), max: Math.max(...slow) },
      },
      workerRssPeakMiB: { without: mib(rss.max(warm, hostileFrom)), with: mib(rss.max(hostileFrom)) },
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    hostile.stop();
    await cluster.destroy();
  }
}

async function bigBody(): Promise<object> {
  const total = 1024 * MiB;
  let cluster = await startHardeningCluster({ env: { SAMOVAR_LIMITS_MAX_BODY_BYTES: String(2 * total) } });
  let flat: object;
  try {
    const rss = new RssSampler(() => cluster.liveWorkers(), 0);
    const points: number[][] = [];
    const result = await chunkedUpload(cluster.port, '/sink', total, (sent) => {
      if (sent % (16 * MiB) !== 0) return;
      const before = rss.samples.length;
      rss.sample();
      for (const s of rss.samples.slice(before)) points.push([mib(sent), s.pid, mib(s.rss)]);
    });
    const pids = [...new Set(points.map(([, pid]) => pid))];
    const series = pids.map((pid) => points.filter(([, p]) => p === pid).map(([, , r]) => r as number));
    flat = {
      answer: result.answer.split('\r\n')[0],
      body: result.answer.slice(result.answer.indexOf('\r\n\r\n') + 4),
      elapsedMs: result.elapsedMs,
      mibPerSecond: Math.round(1024 / (result.elapsedMs / 1000)),
      workerRssMiB: series.map((s) => ({
        first: s[0],
        min: Math.min(...s),
        max: Math.max(...s),
        last: s[s.length - 1],
      })),
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    await cluster.destroy();
  }
  const limit = 512 * MiB;
  cluster = await startHardeningCluster({ env: { SAMOVAR_LIMITS_MAX_BODY_BYTES: String(limit) } });
  try {
    const over = await chunkedUpload(cluster.port, '/sink', total);
    return {
      flat,
      overLimit: {
        limitMiB: mib(limit),
        answer: over.answer.split('\r\n')[0],
        sentAtAnswerMiB: Math.round((over.sentAtAnswer / MiB) * 10) / 10,
        closeAfterAnswerMs: over.closeAfterAnswerMs,
        unplannedExits: unplannedExits(cluster),
      },
    };
  } finally {
    await cluster.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      tricklers: { type: 'string' },
      'non-readers': { type: 'string' },
      seconds: { type: 'string' },
    },
  });
  const only = values.only;
  const out: Record<string, object> = {};
  if (only === undefined || only === 'slow') {
    out.slow = await slowClients(
      Number(values.tricklers ?? '1000'),
      Number(values['non-readers'] ?? '200'),
      Number(values.seconds ?? '10'),
    );
    process.stdout.write(JSON.stringify({ slow: out.slow }, null, 2) + '\n');
  }
  if (only === undefined || only === 'body') {
    out.body = await bigBody();
    process.stdout.write(JSON.stringify({ body: out.body }, null, 2) + '\n');
  }
  const dir = new URL('results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}hostile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(`wrote ${file}\n`);
}

await main();
