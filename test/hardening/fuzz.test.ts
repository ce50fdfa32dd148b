/**
 * The bounded slice of the fuzzer (`npm run fuzz` is the long run; docs/hardening.md):
 * - the oracles themselves, on hand-made exchanges: a smuggled answer, a legitimate pipeline, a
 *   documented divergence, a malformed answer, a hang — each must be judged as it should;
 * - a live cluster (2 workers of the fixture entry, small limits and timeouts): every saved
 *   reproducer (test/hardening/findings/) replays clean, then a few seconds of mutated inputs
 *   from a fixed seed: no worker exits, every connection is answered well-formed or closed in
 *   time, no `/smuggled-*` request is handled that strict framing does not also see.
 * `FUZZ_SEED` and `FUZZ_MS` change the seed and the duration.
 */

import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../cluster/harness.ts';
import { FindingKind, judge, reference } from './fuzz/oracle.ts';
import { FUZZ_ENV, FUZZ_LIMITS, FuzzRun, loadReproducers } from './fuzz/runner.ts';
import { startHardeningCluster } from './support/cluster.ts';

const SEED = Number(process.env.FUZZ_SEED ?? '20261127');
const DURATION_MS = Number(process.env.FUZZ_MS ?? '4000');

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const DATE = 'Date: Fri, 27 Nov 2026 10:00:00 GMT\r\n';
const ok = (path: string): string =>
  `HTTP/1.1 200 OK\r\nX-Fuzz-Path: ${encodeURIComponent(path)}\r\n${DATE}Content-Length: 3\r\n\r\nok\n`;
const SMUGGLE = 'GET /smuggled-t HTTP/1.1\r\nHost: a\r\n\r\n';

describe('the fuzz oracles', () => {
  it('call a smuggled answer a finding: the server answered a request that was a body', () => {
    // The hidden request is exactly the Content-Length body: no parser may see it as a request.
    const input = bytes(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${SMUGGLE.length}\r\n\r\n${SMUGGLE}`);
    const received = bytes(ok('/') + ok('/smuggled-t'));
    const v = judge({ bytes: input, received, closed: true, reset: false }, FUZZ_LIMITS);
    expect(v.findings.map((f) => f.kind)).toEqual([FindingKind.SMUGGLED, FindingKind.ENGINE_MISMATCH]);
  });

  it('accept a legitimate pipeline: two valid requests, two answers', () => {
    const input = bytes(`GET / HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLE}`);
    const v = judge(
      { bytes: input, received: bytes(ok('/') + ok('/smuggled-t')), closed: true, reset: false },
      FUZZ_LIMITS,
    );
    expect(v.findings).toEqual([]);
    expect(v.rewrites).toEqual([]);
  });

  it('accept a documented divergence, and name its row', () => {
    const input = bytes(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nhi${SMUGGLE}`);
    expect(reference(input).paths).toEqual(['/', '/smuggled-t']);
    const v = judge(
      { bytes: input, received: bytes(ok('/') + ok('/smuggled-t')), closed: true, reset: false },
      FUZZ_LIMITS,
    );
    expect(v.findings).toEqual([]);
    expect(v.rewrites).toEqual(['content-length-list']);
  });

  it('never canonicalise what is not documented (Content-Length and Transfer-Encoding together)', () => {
    const input = bytes(
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLE}`,
    );
    expect(reference(input).paths).not.toContain('/smuggled-t');
  });

  it('call a malformed answer, a missed answer and a hang findings', () => {
    const input = bytes(`GET / HTTP/1.1\r\nHost: a\r\n\r\n`);
    const bad = judge(
      { bytes: input, received: bytes('HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n'), closed: true, reset: false },
      FUZZ_LIMITS,
    );
    expect(bad.findings.map((f) => f.kind)).toContain(FindingKind.BAD_RESPONSE);
    const none = judge({ bytes: input, received: bytes(''), closed: true, reset: false }, FUZZ_LIMITS);
    expect(none.findings.map((f) => f.kind)).toEqual([FindingKind.ENGINE_MISMATCH]);
    const hang = judge({ bytes: input, received: bytes(ok('/')), closed: false, reset: false }, FUZZ_LIMITS);
    expect(hang.findings.map((f) => f.kind)).toEqual([FindingKind.HANG]);
  });
});

describe('fuzzing a live cluster', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startHardeningCluster({ env: FUZZ_ENV });
  });

  afterAll(async () => {
    await cluster.destroy();
  });

  it('replays every saved reproducer clean', async () => {
    const run = new FuzzRun(cluster, SEED);
    for (const input of loadReproducers()) await run.replay(input);
    run.checkLog();
    expect(run.findings).toEqual([]);
  });

  it(
    `survives ${DURATION_MS} ms of mutated inputs (seed ${SEED}) with no finding`,
    async () => {
      const run = new FuzzRun(cluster, SEED);
      const until = Date.now() + DURATION_MS;
      await run.run(8, () => Date.now() >= until);
      await new Promise((r) => setTimeout(r, 300));
      run.checkLog();
      console.log('fuzz slice:', JSON.stringify({ seed: SEED, ...run.stats, findings: run.findings.length }));
      expect(run.findings.map((f) => `${f.kind}: ${f.detail} ${f.recipe}`)).toEqual([]);
      expect(run.stats.inputs).toBeGreaterThan(300);
      expect(run.stats.served).toBeGreaterThan(50);
    },
    DURATION_MS + 20_000,
  );
});
