/**
 * Runs fuzz inputs against a live cluster (the fixture entry, harness/hardening/entry.ts):
 * each input on its own connection, written in its pieces, then half-closed (or left open so the
 * server's timeouts must end it); the bytes that come back are judged by oracle.ts, or by
 * batch-oracle.ts for a pipelined batch (batch.ts). Several lanes run at once. A finding is kept
 * with everything needed to replay it, and can be saved as a reproducer file
 * (`harness/fuzz/findings/*.json`, replayed by the fuzz test).
 * Must not: start or stop the cluster (the caller owns it).
 */

import { Buffer } from 'node:buffer';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { ParserLimits } from '../../src/http/request-parser.ts';
import type { Cluster, LogLine } from '../cluster.ts';
import { FindingKind, judge, type Exchange } from './oracle.ts';
import { Mutator, type FuzzInput } from './mutator.ts';
import { BatchGenerator, batchDeadlineMs, Role, type BatchSpec } from './batch.ts';
import { judgeBatch } from './batch-oracle.ts';
import { shrinkBatch } from './shrink.ts';

/** Small limits and timeouts, so that limits are hit and timeouts end connections quickly. */
export const FUZZ_LIMITS: ParserLimits = Object.freeze({
  maxRequestLineBytes: 1024,
  maxHeaderBytes: 4096,
  maxHeaderCount: 32,
  maxBodyBytes: 4096,
  maxChunkExtensionBytes: 64,
  maxTrailerBytes: 1024,
});

const TIMEOUT_MS = 1_000;

/** The cluster's configuration for fuzzing, as environment variables. */
export const FUZZ_ENV: Readonly<Record<string, string>> = Object.freeze({
  SAMOVAR_WORKERS: '2',
  SAMOVAR_LIMITS_MAX_REQUEST_LINE_BYTES: String(FUZZ_LIMITS.maxRequestLineBytes),
  SAMOVAR_LIMITS_MAX_HEADER_BYTES: String(FUZZ_LIMITS.maxHeaderBytes),
  SAMOVAR_LIMITS_MAX_HEADER_COUNT: String(FUZZ_LIMITS.maxHeaderCount),
  SAMOVAR_LIMITS_MAX_BODY_BYTES: String(FUZZ_LIMITS.maxBodyBytes),
  SAMOVAR_LIMITS_MAX_CHUNK_EXTENSION_BYTES: String(FUZZ_LIMITS.maxChunkExtensionBytes),
  SAMOVAR_LIMITS_MAX_TRAILER_BYTES: String(FUZZ_LIMITS.maxTrailerBytes),
  SAMOVAR_TIMEOUTS_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
  SAMOVAR_TIMEOUTS_IDLE_TIMEOUT_MS: String(TIMEOUT_MS),
  SAMOVAR_TIMEOUTS_BODY_TIMEOUT_MS: String(TIMEOUT_MS),
  SAMOVAR_TIMEOUTS_WRITE_TIMEOUT_MS: String(2 * TIMEOUT_MS),
  SAMOVAR_CONNECTIONS_MAX_PIPELINED_REQUESTS: '4',
});

/** The pipelining limit of FUZZ_ENV: small, so that batches are held back often. */
export const FUZZ_PIPELINE_LIMIT = Number(FUZZ_ENV.SAMOVAR_CONNECTIONS_MAX_PIPELINED_REQUESTS);

/** The shipped default of `connections.maxPipelinedRequests` (config/defaults.json). */
export const DEFAULT_PIPELINE_LIMIT = (
  JSON.parse(readFileSync(new URL('../../config/defaults.json', import.meta.url), 'utf8')) as {
    connections: { maxPipelinedRequests: number };
  }
).connections.maxPipelinedRequests;

/** FUZZ_ENV with the shipped pipelining limit, on one worker: the batches' second cluster. */
export const DEFAULT_LIMIT_ENV: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(
    Object.entries(FUZZ_ENV).filter(([name]) => name !== 'SAMOVAR_CONNECTIONS_MAX_PIPELINED_REQUESTS'),
  ),
  SAMOVAR_WORKERS: '1',
});

/**
 * How long a connection may take to end: after a half-close, the lingering close (2 s) at most;
 * left open, a head or body timeout, then the lingering close. Both with a margin for a busy CI.
 */
const FIN_DEADLINE_MS = 5_000;
const OPEN_DEADLINE_MS = 3 * TIMEOUT_MS + 2_000 + 2_000;
/** While shrinking, a batch that is not closed this long after its sleeps counts as a hang. */
const SHRINK_DEADLINE_MS = 2_000;

export interface Finding {
  readonly kind: FindingKind;
  readonly detail: string;
  readonly id: string;
  readonly recipe: string;
  /** The input, base64. */
  readonly input: string;
  readonly pieces: readonly number[];
  readonly fin: boolean;
  readonly endWithLast?: boolean;
  /** A pipelined batch: what it owes, and the pipelining limit it ran against. */
  readonly batch?: BatchSpec;
}

export interface FuzzStats {
  /** Mutated inputs (batches are counted in `batches`). */
  inputs: number;
  bytes: number;
  served: number;
  /** Exchanges in which the reference needed a documented leniency, by row. */
  readonly documented: Record<string, number>;
  /** Inputs whose `/smuggled-*` request llhttp also saw as a request of its own (legitimate). */
  pipelinedSmuggled: number;
  readonly batches: BatchStats;
}

/** The pipelined batches (batch.ts) sent. */
export interface BatchStats {
  count: number;
  bytes: number;
  /** Requests sent in them (witnesses after the end not counted). */
  requests: number;
  /** Answers owed, and final answers received. */
  owed: number;
  answered: number;
  /** Requests cut by the half-close that were refused with 400 (the others got no answer). */
  refusedCut: number;
  /** Batches that sent requests after their own close and met a reset (batch-oracle.ts). */
  resetAfterClose: number;
  /** Batches deeper than the server's pipelining limit, and the deepest. */
  pastLimit: number;
  deepest: number;
  /** Batches by how they ended (batch.ts BatchEnd), and by how they were written. */
  readonly ends: Record<string, number>;
  readonly splits: Record<string, number>;
}

/** How long `input`'s connection may take to end. */
function deadlineOf(input: FuzzInput): number {
  const base = input.fin ? FIN_DEADLINE_MS : OPEN_DEADLINE_MS;
  return input.batch === undefined ? base : batchDeadlineMs(input.batch, base);
}

/** One input on one connection; resolves when the connection ends or the deadline passes. */
export function exchange(port: number, input: FuzzInput, deadlineMs = deadlineOf(input)): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const chunks: Buffer[] = [];
    let reset = false;
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ bytes: input.bytes, received: Buffer.concat(chunks), closed, reset });
    };
    const deadline = setTimeout(() => finish(false), deadlineMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // EPIPE: a write met the server's reset before a read did.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
    });
    socket.on('close', () => finish(true));
    socket.once('connect', () => void writePieces(socket, input));
  });
}

async function writePieces(socket: net.Socket, input: FuzzInput): Promise<void> {
  let at = 0;
  const last = input.pieces.length - 1;
  for (const [i, length] of input.pieces.entries()) {
    if (!socket.writable) return;
    const piece = input.bytes.subarray(at, at + length);
    if (i === last && input.fin && input.endWithLast === true) return void socket.end(piece);
    socket.write(piece);
    at += length;
    // Let each write leave as its own segment now and then (a timer, not just a tick).
    if (i < input.pieces.length - 1)
      await new Promise((r) => (i % 3 === 0 ? setTimeout(r, 1) : setImmediate(r)));
  }
  if (input.fin && socket.writable) socket.end();
}

export interface FuzzRunOptions {
  /** The cluster's `connections.maxPipelinedRequests` (FUZZ_PIPELINE_LIMIT by default). */
  readonly pipelineLimit?: number;
}

export class FuzzRun {
  readonly stats: FuzzStats = {
    inputs: 0,
    bytes: 0,
    served: 0,
    documented: {},
    pipelinedSmuggled: 0,
    batches: {
      count: 0,
      bytes: 0,
      requests: 0,
      owed: 0,
      answered: 0,
      refusedCut: 0,
      resetAfterClose: 0,
      pastLimit: 0,
      deepest: 0,
      ends: {},
      splits: {},
    },
  };
  readonly findings: Finding[] = [];
  readonly cluster: Cluster;
  /** The cluster's `connections.maxPipelinedRequests`. */
  readonly pipelineLimit: number;
  private readonly mutator: Mutator;
  private readonly batcher: BatchGenerator;
  private readonly tag: string;
  private next = 0;
  /** `/smuggled-*` paths the reference framing saw as requests (so the server may handle them). */
  private readonly justified = new Set<string>();
  /** Recent inputs by their unmutated smuggled path, to attribute a hit to its input. */
  private readonly recent = new Map<string, FuzzInput>();
  /** Witness lines logged before this run began: another run's on the same cluster. */
  private readonly earlier: ReadonlySet<LogLine>;

  constructor(cluster: Cluster, seed: number, options: FuzzRunOptions = {}) {
    this.cluster = cluster;
    this.pipelineLimit = options.pipelineLimit ?? FUZZ_PIPELINE_LIMIT;
    this.mutator = new Mutator(seed);
    // Its own stream (seeded apart), so adding batch lanes does not change the mutated inputs.
    this.batcher = new BatchGenerator(seed ^ 0x5a17b, { limit: this.pipelineLimit });
    this.tag = seed.toString(36);
    this.earlier = new Set(cluster.events('smuggled-hit'));
  }

  /** Runs `lanes` connections at a time until `until()` says stop. */
  async run(lanes: number, until: () => boolean): Promise<void> {
    const lane = async (): Promise<void> => {
      while (!until()) await this.one(this.mutator.next(`${this.tag}-${this.next++}`));
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }

  /** Runs `lanes` pipelined batches (batch.ts) at a time until `until()` says stop. */
  async runBatches(lanes: number, until: () => boolean): Promise<void> {
    const lane = async (): Promise<void> => {
      while (!until()) await this.one(this.batcher.next(`${this.tag}-b${this.next++}`));
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }

  /** Replays one saved input (a reproducer) and judges it like any other. */
  async replay(input: FuzzInput): Promise<void> {
    await this.one(input);
  }

  private async one(input: FuzzInput): Promise<void> {
    const x = await exchange(this.cluster.port, input);
    if (input.batch !== undefined) return this.judgeBatch(x, input, input.batch);
    const verdict = judge(x, FUZZ_LIMITS);
    this.stats.inputs++;
    this.stats.bytes += input.bytes.length;
    this.stats.served += verdict.served.length;
    for (const row of verdict.rewrites) this.stats.documented[row] = (this.stats.documented[row] ?? 0) + 1;
    for (const p of verdict.reference) if (p.startsWith('/smuggled-')) this.justified.add(p);
    if (verdict.served.some((p) => p.startsWith('/smuggled-'))) this.stats.pipelinedSmuggled++;
    for (const f of verdict.findings) this.record(f.kind, f.detail, input);
    this.remember(`/smuggled-${input.id}`, input);
  }

  private judgeBatch(x: Exchange, input: FuzzInput, spec: BatchSpec): void {
    const verdict = judgeBatch(x, spec);
    const s = this.stats.batches;
    const depth = spec.requests.filter((r) => r.role !== Role.AFTER).length;
    s.count++;
    s.bytes += input.bytes.length;
    s.requests += depth;
    s.owed += verdict.owed;
    s.answered += verdict.answered;
    if (verdict.refusedCut) s.refusedCut++;
    if (verdict.cutByReset) s.resetAfterClose++;
    if (depth > spec.limit) s.pastLimit++;
    s.deepest = Math.max(s.deepest, depth);
    s.ends[spec.end] = (s.ends[spec.end] ?? 0) + 1;
    s.splits[spec.split] = (s.splits[spec.split] ?? 0) + 1;
    for (const f of verdict.findings) this.record(f.kind, f.detail, input);
    // Its witnesses (requests after the end, requests hidden in bodies), for checkLog.
    for (const m of input.bytes.toString('latin1').matchAll(/\/smuggled-[^ ]+/g)) this.remember(m[0], input);
  }

  private remember(path: string, input: FuzzInput): void {
    this.recent.set(path, input);
    if (this.recent.size > 5_000) this.recent.delete(this.recent.keys().next().value as string);
  }

  private record(kind: FindingKind, detail: string, input: FuzzInput): void {
    this.findings.push(findingOf(kind, detail, input));
  }

  /**
   * A smaller batch that still fails as `finding` did (shrink.ts), as a finding of its own;
   * null when the finding is not a batch's or did not fail again.
   */
  async shrink(finding: Finding, budget?: number): Promise<Finding | null> {
    const input = inputOf(finding);
    if (input.batch === undefined) return null;
    let detail = '';
    const fails = async (candidate: FuzzInput): Promise<boolean> => {
      const spec = candidate.batch as BatchSpec;
      const x = await exchange(this.cluster.port, candidate, batchDeadlineMs(spec, SHRINK_DEADLINE_MS));
      const same = judgeBatch(x, spec).findings.find((f) => f.kind === finding.kind);
      if (same !== undefined) detail = same.detail;
      return same !== undefined;
    };
    const { input: smallest, tries } = await shrinkBatch(input, fails, budget);
    if (smallest === input) return null;
    return findingOf(finding.kind, `${detail} (shrunk from ${finding.id} in ${tries} replays)`, smallest);
  }

  /**
   * The log-side oracles, checked after the exchanges: no worker exited, and every
   * `smuggled-hit` the workers logged since this run began was a request the reference framing
   * saw too (a batch's witnesses are never justified: nothing after its end may be handled).
   */
  checkLog(): void {
    for (const line of this.cluster.events('exit')) {
      this.findings.push(logFinding(FindingKind.WORKER_EXIT, JSON.stringify(line)));
    }
    const reported = new Set(this.findings.map((f) => `/smuggled-${f.id}`));
    for (const line of this.cluster.events('smuggled-hit')) {
      if (this.earlier.has(line)) continue;
      const path = String(line.path);
      if (this.justified.has(path) || reported.has(path)) continue;
      const target = Buffer.from(`${path} `, 'latin1');
      const input = this.recent.get(path) ?? [...this.recent.values()].find((i) => i.bytes.includes(target));
      const detail =
        input?.batch === undefined
          ? `the worker handled ${path}, which the reference never saw as a request`
          : `the worker handled ${path}, which came after the batch's end or inside a body`;
      if (input === undefined) this.findings.push(logFinding(FindingKind.SMUGGLED, detail));
      else this.record(FindingKind.SMUGGLED, detail, input);
    }
  }
}

function findingOf(kind: FindingKind, detail: string, input: FuzzInput): Finding {
  const { id, recipe, pieces, fin, endWithLast, batch } = input;
  const bytes = input.bytes.toString('base64');
  return { kind, detail, id, recipe, input: bytes, pieces, fin, endWithLast, batch };
}

function logFinding(kind: FindingKind, detail: string): Finding {
  return { kind, detail, id: '', recipe: '', input: '', pieces: [], fin: true };
}

/** Where reproducers are saved, and read back by the fuzz test. */
export const FINDINGS_DIR = new URL('./findings/', import.meta.url).pathname;

/** Saves each distinct finding (by kind and input) as `<kind>-<id>.json`; returns the paths. */
export function saveFindings(findings: readonly Finding[], dir = FINDINGS_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    const key = `${f.kind}-${f.id || 'log'}`;
    if (seen.has(key) || f.input === '') continue;
    seen.add(key);
    const path = join(dir, `${key}.json`);
    writeFileSync(path, JSON.stringify(f, null, 2) + '\n');
    written.push(path);
  }
  return written;
}

/** Every saved reproducer, as inputs. */
export function loadReproducers(dir = FINDINGS_DIR): FuzzInput[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((name) => inputOf(JSON.parse(readFileSync(join(dir, name), 'utf8')) as Finding));
}

/** The input a finding was found with, to replay or shrink it. */
export function inputOf(f: Finding): FuzzInput {
  const { id, pieces, fin, recipe, endWithLast, batch } = f;
  return { id, bytes: Buffer.from(f.input, 'base64'), pieces, fin, recipe, endWithLast, batch };
}
