/**
 * Shrinks a failing pipelined batch (batch.ts) to a small one that still fails the same way, so
 * a finding is reported as a reproducer a person can read: first one write instead of many, then
 * whole runs of requests removed (halves, quarters, … single requests, as ddmin does), keeping the
 * request that ends the batch; then the witnesses after the end. Each candidate is replayed
 * against the live server by `fails`; a flaky failure only makes the result less small.
 * Must not: talk to a server itself (the caller's `fails` does), or run inside the bounded test.
 */

import { Role, batchInput, type BatchRequest, type BatchSpec } from './batch.ts';
import { prng } from '../prng.ts';
import type { FuzzInput } from './mutator.ts';

/** Whether `candidate` still fails as the original did. */
export type StillFails = (candidate: FuzzInput) => Promise<boolean>;

export interface Shrunk {
  readonly input: FuzzInput;
  /** Candidates replayed. */
  readonly tries: number;
}

/** The smallest failing variant of `input` found within `budget` replays. */
export async function shrinkBatch(input: FuzzInput, fails: StillFails, budget = 60): Promise<Shrunk> {
  const spec = input.batch;
  if (spec === undefined) return { input, tries: 0 };
  let best = input;
  let tries = 0;
  const attempt = async (candidate: FuzzInput): Promise<boolean> => {
    if (tries >= budget) return false;
    tries++;
    if (!(await fails(candidate))) return false;
    best = candidate;
    return true;
  };
  const rebuild = (requests: readonly BatchRequest[], split = (best.batch as BatchSpec).split): FuzzInput => {
    const next: BatchSpec = { ...(best.batch as BatchSpec), requests, split };
    return batchInput(`${input.id}-min`, next, best.fin, best.endWithLast === true, prng(tries + 1));
  };
  if (spec.split !== 'whole') await attempt(rebuild(spec.requests, 'whole'));
  // ddmin over the requests before the last (the last ends the batch: close, invalid, cut).
  let chunk = Math.ceil(spec.requests.length / 2);
  while (chunk >= 1 && tries < budget) {
    let removed = false;
    const current = (best.batch as BatchSpec).requests;
    const last = lastOwned(current);
    for (let from = 0; from + chunk <= last && tries < budget; from += chunk) {
      const candidate = [...current.slice(0, from), ...current.slice(from + chunk)];
      if (await attempt(rebuild(candidate))) {
        removed = true;
        break;
      }
    }
    if (!removed) chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2);
  }
  const requests = (best.batch as BatchSpec).requests;
  if (requests.some((r) => r.role === Role.AFTER))
    await attempt(rebuild(requests.filter((r) => r.role !== Role.AFTER)));
  return { input: best, tries };
}

/** The index of the request that ends the batch (removable requests come before it). */
function lastOwned(requests: readonly BatchRequest[]): number {
  const end = requests.findIndex((r) => r.role !== Role.OK);
  return end < 0 ? requests.length - 1 : end;
}
