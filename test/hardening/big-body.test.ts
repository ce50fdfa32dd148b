/**
 * Big bodies, scaled down (`npm run hostile -- --only body` sends 1 GiB): a 256 MiB chunked upload
 * to a handler that reads the body and keeps none of it (the fixture's `/sink`) leaves the
 * worker's memory flat — the body streams through with backpressure, never accumulating — and
 * the same kind of upload past `limits.maxBodyBytes` gets 413 once the limit is crossed (not
 * before: a chunked body's size is unknown until then), after which the connection closes.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { RssSampler } from '../../harness/measure/rss.ts';
import { chunkedUpload } from '../../harness/clients/upload.ts';
import type { Cluster } from '../../harness/cluster.ts';
import { MiB, startHardeningCluster, unplannedExits } from '../../harness/hardening/cluster.ts';

const LIMIT = 288 * MiB;
const FLAT_UPLOAD = 256 * MiB;
/**
 * Sent before the memory baseline is taken: the first tens of MiB grow the heap, the socket
 * buffers and the JIT's code to their working size (1 and 4 GiB runs plateau after ~32 MiB).
 */
const WARMUP = 32 * MiB;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startHardeningCluster({ env: { SAMOVAR_LIMITS_MAX_BODY_BYTES: String(LIMIT) } });
});

afterAll(async () => {
  await cluster.destroy();
});

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

it('streams a 256 MiB chunked upload through a worker with flat memory', async () => {
  // Sampled by bytes sent, every 1 MiB: the upload keeps this loop too busy for a timer.
  const points: { sent: number; pid: number; rss: number }[] = [];
  const rss = new RssSampler(() => cluster.liveWorkers(), 0);
  const result = await chunkedUpload(cluster.port, '/sink', FLAT_UPLOAD, (sent) => {
    if (sent % MiB !== 0 || sent < WARMUP) return;
    const before = rss.samples.length;
    rss.sample();
    for (const s of rss.samples.slice(before)) points.push({ sent, pid: s.pid, rss: s.rss });
  });
  expect(result.answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(result.answer).toContain(`{"received":${FLAT_UPLOAD}}`);
  // Per worker: its memory just after warm-up, its peak, and the slope of memory over bytes
  // sent (1 would mean the body accumulates; garbage collection makes a sawtooth around 0).
  const figures = cluster.liveWorkers().map((pid) => {
    const mine = points.filter((p) => p.pid === pid);
    const base = median(mine.filter((p) => p.sent < WARMUP + 32 * MiB).map((p) => p.rss));
    return {
      pid,
      samples: mine.length,
      baseMiB: Math.round(base / MiB),
      peakMiB: Math.round(Math.max(...mine.map((p) => p.rss)) / MiB),
      slope: Math.round(slope(mine.map((p) => [p.sent, p.rss])) * 1000) / 1000,
    };
  });
  console.log('256 MiB upload:', JSON.stringify({ elapsedMs: result.elapsedMs, figures }));
  for (const f of figures) {
    expect(f.samples).toBeGreaterThan(200);
    expect(f.peakMiB - f.baseMiB).toBeLessThan(64);
    // A body kept in memory would show a slope of 1 or more; the sawtooth of GC stays well under.
    expect(f.slope).toBeLessThan(0.5);
  }
  expect(unplannedExits(cluster)).toEqual([]);
}, 60_000);

it('answers 413 once a chunked upload crosses limits.maxBodyBytes, then closes', async () => {
  const result = await chunkedUpload(cluster.port, '/sink', 2 * LIMIT);
  console.log('over the limit:', JSON.stringify({ ...result, answer: result.answer.split('\r\n')[0] }));
  expect(result.answer).toMatch(/^HTTP\/1\.1 413 Content Too Large\r\n/);
  expect(result.answer).toContain('Connection: close\r\n');
  // Not before the limit was crossed; soon after (kernel buffers hold a few MiB in flight).
  expect(result.sentAtAnswer).toBeGreaterThan(LIMIT);
  expect(result.sentAtAnswer).toBeLessThan(LIMIT + 64 * MiB);
  expect(result.closeAfterAnswerMs).toBeGreaterThanOrEqual(0);
  expect(result.closeAfterAnswerMs).toBeLessThan(3_000);
  expect(unplannedExits(cluster)).toEqual([]);
}, 60_000);
