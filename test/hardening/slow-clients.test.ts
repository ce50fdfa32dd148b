/**
 * Slowloris and slow readers, scaled down (`npm run hostile` runs 1,000 and 200): alongside
 * normal keep-alive traffic (autocannon, in its own process), 200 connections trickle header
 * bytes and never finish their heads, and 50 ask for a large answer and never read it.
 * - every trickler is answered 408 and cut at `timeouts.headersTimeoutMs` (then replaced by a
 *   fresh one, so the pressure holds);
 * - every non-reader is cut once its write has made no progress for `timeouts.writeTimeoutMs`;
 * - worker memory stays bounded (the peak with them is within 64 MiB of the peak without);
 * - the normal clients see no error and a p99 latency within 2× of theirs without the hostile
 *   ones (with a 5 ms floor: autocannon's resolution is 1 ms);
 * - no worker exits.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { HostileClients, lifetimes, percentile } from '../../harness/clients/hostile.ts';
import { normalTraffic } from '../../harness/measure/traffic.ts';
import { RssSampler } from '../../harness/measure/rss.ts';
import type { Cluster } from '../../harness/cluster.ts';
import { MiB, startHardeningCluster, unplannedExits } from '../../harness/hardening/cluster.ts';

const HEADERS_TIMEOUT_MS = 1_500;
const WRITE_TIMEOUT_MS = 6_000;
const TRICKLERS = 200;
const NON_READERS = 50;
const MEASURE_S = 4;

let cluster: Cluster;
let hostile: HostileClients | null = null;

beforeAll(async () => {
  cluster = await startHardeningCluster({
    env: {
      SAMOVAR_TIMEOUTS_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      SAMOVAR_TIMEOUTS_WRITE_TIMEOUT_MS: String(WRITE_TIMEOUT_MS),
    },
  });
});

afterAll(async () => {
  hostile?.stop();
  await cluster.destroy();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('cuts tricklers and non-readers at their timeouts while normal clients keep their latency', async () => {
  const url = `http://127.0.0.1:${cluster.port}/`;
  const rss = new RssSampler(() => cluster.liveWorkers(), 200);
  const base = await normalTraffic(url, 20, MEASURE_S, 'ok\n');
  const baseEnd = rss.elapsed();

  hostile = new HostileClients(cluster.port);
  const hostileStart = Date.now();
  hostile.trickle(TRICKLERS, 300, 1_000);
  hostile.nonReaders(NON_READERS, '/big?kb=1048576', 500);
  await sleep(1_500);
  const during = await normalTraffic(url, 20, MEASURE_S, 'ok\n');
  const nonReadersOpen = hostile.open('non-reader');
  // On a loaded machine the measurement can outlast the write timeout; then some were cut on time.
  const measuredWithinTimeout = Date.now() - hostileStart < WRITE_TIMEOUT_MS;
  // Non-readers opened over 0.5 s; each is cut WRITE_TIMEOUT_MS after its buffers filled.
  const deadline = hostileStart + 500 + WRITE_TIMEOUT_MS + 4_000;
  while (hostile.open('non-reader') > 0 && Date.now() < deadline) await sleep(200);
  const h = hostile;
  h.stop();
  rss.stop();

  const trickle = lifetimes(h.lives, 'trickle');
  const slow = lifetimes(h.lives, 'non-reader');
  const report = {
    p99Ms: { without: base.p99Ms, with: during.p99Ms },
    requests: { without: base.requests, with: during.requests },
    tricklersCut: trickle.length,
    trickleLifeMs: { p50: percentile(trickle, 50), max: Math.max(...trickle) },
    nonReadersOpenDuringMeasurement: nonReadersOpen,
    nonReaderLifeMs: { min: Math.min(...slow), max: Math.max(...slow) },
    peakRssMiB: { without: Math.round(rss.max(0, baseEnd) / MiB), with: Math.round(rss.max(baseEnd) / MiB) },
  };
  console.log('slow clients:', JSON.stringify(report));

  expect(unplannedExits(cluster)).toEqual([]);
  for (const r of [base, during]) {
    expect([r.errors, r.timeouts, r.non2xx, r.mismatches]).toEqual([0, 0, 0, 0]);
  }
  // autocannon counts whole milliseconds: each p99 may be 1 ms off, so 2 ms of slack on top.
  expect(during.p99Ms).toBeLessThanOrEqual(2 * Math.max(base.p99Ms, 5) + 2);

  // Tricklers: answered 408, cut at the head timeout (timer slack and a busy machine allowed).
  expect(trickle.length).toBeGreaterThanOrEqual(TRICKLERS);
  expect(percentile(trickle, 50)).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
  expect(percentile(trickle, 50)).toBeLessThan(HEADERS_TIMEOUT_MS + 1_000);
  const closed = h.lives.filter((l) => l.kind === 'trickle' && l.closedAt > 0);
  expect(closed.filter((l) => !l.firstBytes.startsWith('HTTP/1.1 408 '))).toEqual([]);

  // Non-readers: all held during the measurement, all cut after the write timeout.
  if (measuredWithinTimeout) expect(nonReadersOpen).toBe(NON_READERS);
  expect(slow).toHaveLength(NON_READERS);
  expect(Math.min(...slow)).toBeGreaterThanOrEqual(WRITE_TIMEOUT_MS);
  expect(Math.max(...slow)).toBeLessThan(WRITE_TIMEOUT_MS + 4_000);

  expect(report.peakRssMiB.with - report.peakRssMiB.without).toBeLessThan(64);
}, 60_000);
