/**
 * Builds fuzz inputs from the seed corpus with a seeded PRNG (../prng.ts, so a run is
 * reproducible from its seed): one or two seeds, a request to `/smuggled-<id>` hidden in the tail (before or after the
 * mutations), 0–4 mutations — byte flips, insertions of CR/LF/NUL/SP/`:`/`,` and the other
 * INTERESTING strings, deletions, line duplication (header duplication), huge numbers, case
 * flips, truncation — and a random split into writes (one, a few, many, or one byte each).
 * The mutation operators are harness/parser/http-gen.ts's, shared with the parser's property tests.
 * Must not: talk to a server.
 */

import { Buffer } from 'node:buffer';
import { INTERESTING, mutate, type Mutation } from '../parser/http-gen.ts';
import { prng } from '../prng.ts';
import { SEEDS, smuggledRequest } from './seeds.ts';
import type { BatchSpec } from './batch.ts';

export interface FuzzInput {
  /** Unique in the run; the hidden request's path is `/smuggled-<id>`. */
  readonly id: string;
  readonly bytes: Buffer;
  /** Lengths of the writes, in order; they sum to `bytes.length`. */
  readonly pieces: readonly number[];
  /** Whether the client half-closes after writing (else it waits for the server to close). */
  readonly fin: boolean;
  /** What was done, for the report of a finding. */
  readonly recipe: string;
  /** Half-close with the last write (`socket.end(data)`: the FIN can ride on its segment). */
  readonly endWithLast?: boolean;
  /** A pipelined batch (batch.ts): judged by batch-oracle.ts instead of oracle.ts. */
  readonly batch?: BatchSpec;
}

const HUGE = ['99999999999999999999', '18446744073709551616', '9007199254740993', '-1', '+1', '0x1', ''];
/** The bytes the issue names first: line ends, NUL, space, colon, comma. */
const SEPARATORS = ['\r', '\n', '\0', ' ', ':', ',', '\r\n', '\t'];

export class Mutator {
  private readonly rnd: () => number;
  private readonly seeds: readonly string[];

  constructor(seed: number, seeds: readonly string[] = SEEDS) {
    this.rnd = prng(seed);
    this.seeds = seeds;
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  mutation(): Mutation {
    const at = this.int(1 << 16);
    switch (this.int(9)) {
      case 0:
        return { op: 'set', at, byte: this.int(256) };
      case 1:
      case 2:
        return { op: 'insert', at, text: this.pick(SEPARATORS) };
      case 3:
        return { op: 'insert', at, text: this.pick(INTERESTING) };
      case 4:
        return { op: 'delete', at, length: 1 + this.int(4) };
      case 5:
        return { op: 'duplicate-line', line: at };
      case 6:
        return { op: 'number', run: at, text: this.pick(HUGE) };
      case 7:
        return { op: 'case', at };
      default:
        return this.int(4) === 0
          ? { op: 'truncate', at }
          : { op: 'set', at, byte: this.pick(SEPARATORS).charCodeAt(0) };
    }
  }

  /** The next input; `id` must be unique in the run. */
  next(id: string): FuzzInput {
    const base = [this.int(this.seeds.length)];
    if (this.int(5) === 0) base.push(this.int(this.seeds.length));
    const seedText = base.map((i) => this.seeds[i] as string).join('');
    const tail = Buffer.from(smuggledRequest(id), 'latin1');
    const count = this.int(10) === 0 ? 0 : 1 + this.int(4);
    const mutations = Array.from({ length: count }, () => this.mutation());
    const tailFirst = this.int(2) === 0;
    let bytes: Buffer = Buffer.from(seedText, 'latin1');
    if (tailFirst) bytes = Buffer.concat([bytes, tail]);
    bytes = mutations.reduce(mutate, bytes);
    if (!tailFirst) bytes = Buffer.concat([bytes, tail]);
    const pieces = this.split(bytes.length);
    const fin = this.int(10) !== 0;
    const recipe = JSON.stringify({ seeds: base, tailFirst, mutations, fin, writes: pieces.length });
    return { id, bytes, pieces, fin, recipe };
  }

  /** Write lengths: whole (40 %), a few cuts (45 %), many (10 %), byte by byte (5 %, short inputs). */
  split(length: number): number[] {
    const r = this.int(20);
    if (length <= 1 || r < 8) return [length];
    if (r === 19 && length <= 400) return Array.from({ length }, () => 1);
    const cuts = r < 17 ? 1 + this.int(5) : 6 + this.int(11);
    const points = new Set<number>();
    for (let i = 0; i < cuts; i++) points.add(1 + this.int(length - 1));
    const sorted = [...points].sort((a, b) => a - b);
    const pieces: number[] = [];
    let from = 0;
    for (const p of sorted) {
      pieces.push(p - from);
      from = p;
    }
    pieces.push(length - from);
    return pieces;
  }
}
