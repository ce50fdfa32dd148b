/**
 * Runs fuzz inputs against a live cluster (the fixture entry, test/hardening/fixtures/entry.ts):
 * each input on its own connection, written in its pieces, then half-closed (or left open so the
 * server's timeouts must end it); the bytes that come back are judged by oracle.ts. Several
 * lanes run at once. A finding is kept with everything needed to replay it, and can be saved as
 * a reproducer file (`test/hardening/findings/*.json`, replayed by the fuzz test).
 * Must not: start or stop the cluster (the caller owns it).
 */

import { Buffer } from 'node:buffer';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { ParserLimits } from '../../../src/http/request-parser.ts';
import type { Cluster } from '../../cluster/harness.ts';
import { FindingKind, judge, type Exchange } from './oracle.ts';
import { Mutator, type FuzzInput } from './mutator.ts';

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

/**
 * How long a connection may take to end: after a half-close, the lingering close (2 s) at most;
 * left open, a head or body timeout, then the lingering close. Both with a margin for a busy CI.
 */
const FIN_DEADLINE_MS = 5_000;
const OPEN_DEADLINE_MS = 3 * TIMEOUT_MS + 2_000 + 2_000;

export interface Finding {
  readonly kind: FindingKind;
  readonly detail: string;
  readonly id: string;
  readonly recipe: string;
  /** The input, base64. */
  readonly input: string;
  readonly pieces: readonly number[];
  readonly fin: boolean;
}

export interface FuzzStats {
  inputs: number;
  bytes: number;
  served: number;
  /** Exchanges in which the reference needed a documented leniency, by row. */
  readonly documented: Record<string, number>;
  /** Inputs whose `/smuggled-*` request llhttp also saw as a request of its own (legitimate). */
  pipelinedSmuggled: number;
}

/** One input on one connection; resolves when the connection ends or the deadline passes. */
export function exchange(port: number, input: FuzzInput): Promise<Exchange> {
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
    const deadline = setTimeout(() => finish(false), input.fin ? FIN_DEADLINE_MS : OPEN_DEADLINE_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') reset = true;
    });
    socket.on('close', () => finish(true));
    socket.once('connect', () => void writePieces(socket, input));
  });
}

async function writePieces(socket: net.Socket, input: FuzzInput): Promise<void> {
  let at = 0;
  for (const [i, length] of input.pieces.entries()) {
    if (!socket.writable) return;
    socket.write(input.bytes.subarray(at, at + length));
    at += length;
    // Let each write leave as its own segment now and then (a timer, not just a tick).
    if (i < input.pieces.length - 1)
      await new Promise((r) => (i % 3 === 0 ? setTimeout(r, 1) : setImmediate(r)));
  }
  if (input.fin && socket.writable) socket.end();
}

export class FuzzRun {
  readonly stats: FuzzStats = { inputs: 0, bytes: 0, served: 0, documented: {}, pipelinedSmuggled: 0 };
  readonly findings: Finding[] = [];
  private readonly cluster: Cluster;
  private readonly mutator: Mutator;
  private readonly tag: string;
  private next = 0;
  /** `/smuggled-*` paths the reference framing saw as requests (so the server may handle them). */
  private readonly justified = new Set<string>();
  /** Recent inputs by their unmutated smuggled path, to attribute a hit to its input. */
  private readonly recent = new Map<string, FuzzInput>();

  constructor(cluster: Cluster, seed: number) {
    this.cluster = cluster;
    this.mutator = new Mutator(seed);
    this.tag = seed.toString(36);
  }

  /** Runs `lanes` connections at a time until `until()` says stop. */
  async run(lanes: number, until: () => boolean): Promise<void> {
    const lane = async (): Promise<void> => {
      while (!until()) await this.one(this.mutator.next(`${this.tag}-${this.next++}`));
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }

  /** Replays one saved input (a reproducer) and judges it like any other. */
  async replay(input: FuzzInput): Promise<void> {
    await this.one(input);
  }

  private async one(input: FuzzInput): Promise<void> {
    const x = await exchange(this.cluster.port, input);
    const verdict = judge(x, FUZZ_LIMITS);
    this.stats.inputs++;
    this.stats.bytes += input.bytes.length;
    this.stats.served += verdict.served.length;
    for (const row of verdict.rewrites) this.stats.documented[row] = (this.stats.documented[row] ?? 0) + 1;
    for (const p of verdict.reference) if (p.startsWith('/smuggled-')) this.justified.add(p);
    if (verdict.served.some((p) => p.startsWith('/smuggled-'))) this.stats.pipelinedSmuggled++;
    for (const f of verdict.findings) this.record(f.kind, f.detail, input);
    this.recent.set(`/smuggled-${input.id}`, input);
    if (this.recent.size > 5_000) this.recent.delete(this.recent.keys().next().value as string);
  }

  private record(kind: FindingKind, detail: string, input: FuzzInput): void {
    const { id, recipe, pieces, fin } = input;
    this.findings.push({ kind, detail, id, recipe, input: input.bytes.toString('base64'), pieces, fin });
  }

  /**
   * The log-side oracles, checked after the exchanges: no worker exited, and every
   * `smuggled-hit` the workers logged was a request the reference framing saw too.
   */
  checkLog(): void {
    for (const line of this.cluster.events('exit')) {
      this.findings.push(logFinding(FindingKind.WORKER_EXIT, JSON.stringify(line)));
    }
    const reported = new Set(this.findings.map((f) => `/smuggled-${f.id}`));
    for (const line of this.cluster.events('smuggled-hit')) {
      const path = String(line.path);
      if (this.justified.has(path) || reported.has(path)) continue;
      const target = Buffer.from(`${path} `, 'latin1');
      const input = this.recent.get(path) ?? [...this.recent.values()].find((i) => i.bytes.includes(target));
      const detail = `the worker handled ${path}, which the reference never saw as a request`;
      if (input === undefined) this.findings.push(logFinding(FindingKind.SMUGGLED, detail));
      else this.record(FindingKind.SMUGGLED, detail, input);
    }
  }
}

function logFinding(kind: FindingKind, detail: string): Finding {
  return { kind, detail, id: '', recipe: '', input: '', pieces: [], fin: true };
}

/** Where reproducers are saved, and read back by the fuzz test. */
export const FINDINGS_DIR = new URL('../findings/', import.meta.url).pathname;

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
  return names.map((name) => {
    const f = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Finding;
    return {
      id: f.id,
      bytes: Buffer.from(f.input, 'base64'),
      pieces: f.pieces,
      fin: f.fin,
      recipe: f.recipe,
    };
  });
}
