/**
 * The bounded slice of the fuzzer (`npm run fuzz` is the long run; docs/hardening.md):
 * - the oracles themselves, on hand-made exchanges: a smuggled answer, a legitimate pipeline, a
 *   documented divergence, a malformed answer, a hang — each must be judged as it should; and
 *   for pipelined batches: a missing, reordered or extra answer, a cut request answered 2xx, a
 *   last answer that does not say close, a reset;
 * - a live cluster (2 workers of the fixture entry, small limits and timeouts): every saved
 *   reproducer (harness/fuzz/findings/) replays clean, then a few seconds of mutated inputs
 *   from a fixed seed: no worker exits, every connection is answered well-formed or closed in
 *   time, no `/smuggled-*` request is handled that strict framing does not also see;
 * - deep pipelined batches then a half-close (issue 16 §3), against that cluster (pipelining
 *   limit 4) and a second one with the shipped limit (16): every request answered in order,
 *   then a clean close; or up to a `Connection: close`, a malformed last request, a half-close
 *   inside the last request — and nothing handled after it.
 * `FUZZ_SEED`, `FUZZ_MS` and `FUZZ_BATCH_MS` change the seed and the durations.
 */

import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../harness/cluster.ts';
import { FindingKind, judge, reference } from '../../harness/fuzz/oracle.ts';
import { BatchEnd, batchInput, Role, type BatchRequest, type BatchSpec } from '../../harness/fuzz/batch.ts';
import { prng } from '../../harness/prng.ts';
import { judgeBatch } from '../../harness/fuzz/batch-oracle.ts';
import {
  DEFAULT_LIMIT_ENV,
  DEFAULT_PIPELINE_LIMIT,
  FUZZ_ENV,
  FUZZ_LIMITS,
  FuzzRun,
  loadReproducers,
} from '../../harness/fuzz/runner.ts';
import { startHardeningCluster } from '../../harness/hardening/cluster.ts';

const SEED = Number(process.env.FUZZ_SEED ?? '20261127');
const DURATION_MS = Number(process.env.FUZZ_MS ?? '4000');
const BATCH_MS = Number(process.env.FUZZ_BATCH_MS ?? '3000');

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

  it('call a reset that cost an owed answer a finding, unless the client sent past its own close', () => {
    const reset = (request: string, received: string): string[] =>
      judge(
        { bytes: bytes(request), received: bytes(received), closed: true, reset: true },
        FUZZ_LIMITS,
      ).findings.map((f) => f.kind);
    const close = `GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`;
    // Sent past its close: the reset may take the answer, whole or in part, but nothing else.
    expect(reset(close + SMUGGLE, '')).toEqual([]);
    expect(reset(close + SMUGGLE, ok('/').slice(0, 25))).toEqual([]);
    expect(reset(close + SMUGGLE, ok('/') + ok('/smuggled-t'))).toEqual([FindingKind.ENGINE_MISMATCH]);
    expect(reset(close + SMUGGLE, 'HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n')).toContain(FindingKind.BAD_RESPONSE);
    // Nothing after its close, or no close asked: the lost answer is a finding.
    expect(reset(close, '')).toEqual([FindingKind.RESET]);
    expect(reset(`GET / HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLE}`, ok('/'))).toEqual([FindingKind.RESET]);
  });
});

describe('the batch oracle', () => {
  const get = (path: string, fields = ''): string => `GET ${path} HTTP/1.1\r\nHost: a\r\n${fields}\r\n`;
  const req = (text: string, role: Role, answer: string, method = 'GET'): BatchRequest => ({
    text,
    method,
    role,
    answer,
  });
  const echo = (i: number, role: Role = Role.OK): BatchRequest =>
    req(get(`/b/${i}`, role === Role.CLOSE ? 'Connection: close\r\n' : ''), role, `path:/b/${i}`);
  const batch = (end: BatchEnd, requests: BatchRequest[]): BatchSpec => ({
    end,
    limit: 4,
    requests,
    split: 'whole',
  });
  const answer = (status: string, body: string, fields = ''): string =>
    `HTTP/1.1 ${status}\r\n${fields}${DATE}Content-Length: ${body.length}\r\n\r\n${body}`;
  const kinds = (spec: BatchSpec, received: string, closed = true, reset = false): string[] => {
    const x = {
      bytes: bytes(spec.requests.map((r) => r.text).join('')),
      received: bytes(received),
      closed,
      reset,
    };
    return judgeBatch(x, spec).findings.map((f) => f.kind);
  };
  const three = batch(BatchEnd.FIN, [echo(1), echo(2), echo(3)]);

  it('accept every request answered in order, then a close', () => {
    expect(kinds(three, ok('/b/1') + ok('/b/2') + ok('/b/3'))).toEqual([]);
  });

  it('call a missing, reordered, extra or truncated answer, a hang and a reset findings', () => {
    expect(kinds(three, ok('/b/1') + ok('/b/2'))).toEqual([FindingKind.BATCH]);
    expect(kinds(three, ok('/b/1') + ok('/b/3') + ok('/b/2'))).toEqual([FindingKind.BATCH]);
    expect(kinds(three, ok('/b/1') + ok('/b/2') + ok('/b/3') + ok('/b/4'))).toEqual([FindingKind.BATCH]);
    expect(kinds(three, ok('/b/1') + ok('/b/2') + ok('/b/3').slice(0, 30))).toEqual([
      FindingKind.BAD_RESPONSE,
      FindingKind.BATCH,
    ]);
    const all = ok('/b/1') + ok('/b/2') + ok('/b/3');
    expect(kinds(three, all, false)).toEqual([FindingKind.HANG]);
    expect(kinds(three, all, true, true)).toEqual([FindingKind.RESET]);
  });

  it('read the slow route, the sink, the big route and HEAD by what they answer', () => {
    const spec = batch(BatchEnd.FIN, [
      req(get('/slow?ms=5'), Role.OK, 'slept:5'),
      req(`POST /sink HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc`, Role.OK, 'received:3', 'POST'),
      req(get('/big?kb=0'), Role.OK, 'big:0'),
      req(`HEAD /b/4 HTTP/1.1\r\nHost: a\r\n\r\n`, Role.OK, 'path:/b/4', 'HEAD'),
      req(get('/fail'), Role.OK, 'status:500'),
    ]);
    const head = `HTTP/1.1 200 OK\r\nX-Fuzz-Path: %2Fb%2F4\r\n${DATE}Content-Length: 3\r\n\r\n`;
    const fine = [
      answer('200 OK', 'slept 5\n'),
      answer('200 OK', '{"received":3}'),
      answer('200 OK', ''),
      head,
      answer('500 Internal Server Error', 'oops\n'),
    ];
    expect(kinds(spec, fine.join(''))).toEqual([]);
    expect(kinds(spec, [answer('200 OK', 'slept 6\n'), ...fine.slice(1)].join(''))).toEqual([
      FindingKind.BATCH,
    ]);
  });

  /** Two requests, the second asking to close, then one sent after it; and that second's answer. */
  const closeThenMore = (): BatchSpec =>
    batch(BatchEnd.CLOSE, [echo(1), echo(2, Role.CLOSE), req(get('/smuggled-a1'), Role.AFTER, '')]);
  const closing = `HTTP/1.1 200 OK\r\nX-Fuzz-Path: %2Fb%2F2\r\nConnection: close\r\n${DATE}Content-Length: 3\r\n\r\nok\n`;

  it('want the answer that ends a batch to say close, with nothing after it', () => {
    const spec = closeThenMore();
    expect(kinds(spec, ok('/b/1') + closing)).toEqual([]);
    expect(kinds(spec, ok('/b/1') + ok('/b/2'))).toEqual([FindingKind.BATCH]);
    expect(kinds(spec, ok('/b/1') + closing + ok('/smuggled-a1'))).toEqual([FindingKind.BAD_RESPONSE]);
  });

  it('accept a reset only for a client that sent requests after asking to close, and only a prefix', () => {
    const after = closeThenMore();
    // What came before the reset: everything, one answer, one and a half, nothing.
    expect(kinds(after, ok('/b/1') + closing, true, true)).toEqual([]);
    expect(kinds(after, ok('/b/1'), true, true)).toEqual([]);
    expect(kinds(after, ok('/b/1') + closing.slice(0, 20), true, true)).toEqual([]);
    expect(kinds(after, '', true, true)).toEqual([]);
    // Still wrong: another answer, one not owed, an answer after the close, a malformed one.
    expect(kinds(after, ok('/b/2'), true, true)).toEqual([FindingKind.BATCH]);
    expect(kinds(after, ok('/b/1') + ok('/b/2') + ok('/smuggled-a1'), true, true)).toEqual([
      FindingKind.BATCH,
    ]);
    expect(kinds(after, ok('/b/1') + closing + ok('/smuggled-a1'), true, true)).toEqual([
      FindingKind.BAD_RESPONSE,
    ]);
    expect(kinds(after, 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', true, true)).toEqual([
      FindingKind.BAD_RESPONSE,
    ]);
    // A client that sent nothing after its close is owed every answer and a FIN.
    const clean = batch(BatchEnd.CLOSE, [echo(1), echo(2, Role.CLOSE)]);
    expect(kinds(clean, ok('/b/1') + closing, true, true)).toEqual([FindingKind.RESET]);
    expect(kinds(clean, ok('/b/1'), true, true)).toEqual([FindingKind.RESET, FindingKind.BATCH]);
  });

  it('want exactly the error status of a malformed last request', () => {
    const spec = batch(BatchEnd.INVALID, [
      echo(1),
      req(get('/b/2', 'Bad Name: v\r\n'), Role.INVALID, 'status:400'),
    ]);
    const refused = (status: string): string => answer(status, 'no\n', 'Connection: close\r\n');
    expect(kinds(spec, ok('/b/1') + refused('400 Bad Request'))).toEqual([]);
    expect(kinds(spec, ok('/b/1') + refused('431 Too Large'))).toEqual([FindingKind.BATCH]);
    expect(kinds(spec, ok('/b/1'))).toEqual([FindingKind.BATCH]);
  });

  it('let a request cut by the half-close go unanswered or refused with 400, never 2xx', () => {
    const cut = req(`POST /b/2 HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc`, Role.CUT, '', 'POST');
    const spec = batch(BatchEnd.CUT, [echo(1), cut]);
    expect(kinds(spec, ok('/b/1'))).toEqual([]);
    expect(kinds(spec, ok('/b/1') + answer('400 Bad Request', 'cut\n', 'Connection: close\r\n'))).toEqual([]);
    expect(kinds(spec, ok('/b/1') + ok('/b/2'))).toEqual([FindingKind.BATCH]);
    expect(kinds(spec, '')).toEqual([FindingKind.BATCH]);
  });
});

describe('fuzzing a live cluster', () => {
  /** Pipelining limit 4 (FUZZ_ENV), 2 workers. */
  let cluster: Cluster;
  /** The shipped pipelining limit, 1 worker: the batches' second server. */
  let shipped: Cluster;

  beforeAll(async () => {
    [cluster, shipped] = await Promise.all([
      startHardeningCluster({ env: FUZZ_ENV }),
      startHardeningCluster({ env: DEFAULT_LIMIT_ENV }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([cluster.destroy(), shipped.destroy()]);
  });

  it('replays every saved reproducer clean', async () => {
    const run = new FuzzRun(cluster, SEED);
    const deep = new FuzzRun(shipped, SEED, { pipelineLimit: DEFAULT_PIPELINE_LIMIT });
    // A batch replays against the pipelining limit it was found with.
    for (const input of loadReproducers()) {
      await (
        input.batch?.limit === deep.pipelineLimit && deep.pipelineLimit !== run.pipelineLimit ? deep : run
      ).replay(input);
    }
    run.checkLog();
    deep.checkLog();
    expect([...run.findings, ...deep.findings]).toEqual([]);
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

  it(
    `answers deep pipelined batches then a half-close, limits 4 and ${DEFAULT_PIPELINE_LIMIT} (${BATCH_MS} ms, seed ${SEED})`,
    async () => {
      const runs = [
        new FuzzRun(cluster, SEED),
        new FuzzRun(shipped, SEED + 1, { pipelineLimit: DEFAULT_PIPELINE_LIMIT }),
      ];
      const until = Date.now() + BATCH_MS;
      await Promise.all(runs.map(async (run) => run.runBatches(3, () => Date.now() >= until)));
      await new Promise((r) => setTimeout(r, 300));
      for (const run of runs) {
        run.checkLog();
        const b = run.stats.batches;
        console.log(`batches, limit ${run.pipelineLimit}:`, JSON.stringify(b));
        expect(run.findings.map((f) => `${f.kind}: ${f.detail} ${f.recipe}`)).toEqual([]);
        expect(b.count).toBeGreaterThan(20);
        expect(b.pastLimit).toBeGreaterThan(b.count / 3);
        expect(b.deepest).toBeGreaterThan(3 * run.pipelineLimit);
        expect(Object.keys(b.ends).sort()).toEqual(Object.values(BatchEnd).sort());
        expect(b.answered - b.refusedCut).toBe(b.owed);
      }
    },
    BATCH_MS + 30_000,
  );

  it('calls it a finding when a batch gets an answer it is not owed, and sees the witness in the log', async () => {
    // A spec that lies: it owes nothing for its second request, which the server does answer.
    const lie = new FuzzRun(shipped, SEED);
    const requests = [
      { text: 'GET /b/1 HTTP/1.1\r\nHost: a\r\n\r\n', method: 'GET', role: Role.OK, answer: 'path:/b/1' },
      {
        text: 'GET /smuggled-lie-a1 HTTP/1.1\r\nHost: a\r\n\r\n',
        method: 'GET',
        role: Role.AFTER,
        answer: '',
      },
    ];
    const spec: BatchSpec = { end: BatchEnd.CLOSE, limit: DEFAULT_PIPELINE_LIMIT, requests, split: 'whole' };
    await lie.replay(batchInput('lie', spec, true, false, prng(1)));
    await shipped.waitFor('smuggled-hit', (l) => l.path === '/smuggled-lie-a1', { timeoutMs: 5_000 });
    lie.checkLog();
    expect(lie.findings.map((f) => f.kind).sort()).toEqual([FindingKind.BATCH, FindingKind.SMUGGLED]);
  });
});
