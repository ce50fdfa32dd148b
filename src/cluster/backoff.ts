/**
 * Per-slot crash accounting: when to respawn a slot whose worker failed, and when the slot
 * counts as crash-looping (which makes the cluster degraded).
 *
 * The first failure after a stable run respawns at once (a one-off crash should cost the least
 * capacity); each further failure in a row waits twice as long as the last, from
 * `backoffInitialMs` up to `backoffMaxMs`, so a worker that cannot boot costs a few forks a
 * minute rather than a fork storm (PM2's `exp_backoff_restart_delay`). A worker that stays up
 * `stableUptimeMs` resets the count.
 * Must not: fork, kill or log; it only counts and computes times.
 */

export interface BackoffPolicy {
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly stableUptimeMs: number;
  readonly crashLoopRestarts: number;
}

export class SlotBackoff {
  /** Failures in a row, none of which stayed up `stableUptimeMs`. */
  failures = 0;
  /** Earliest time (ms since epoch) the slot may be spawned again. */
  notBefore = 0;

  /** Records a failed worker that had been up `uptimeMs`; returns the delay before respawning. */
  fail(policy: BackoffPolicy, now: number, uptimeMs: number): number {
    if (uptimeMs >= policy.stableUptimeMs) this.failures = 0;
    this.failures++;
    const delay = backoffDelay(policy, this.failures);
    this.notBefore = now + delay;
    return delay;
  }

  /** The slot's worker has been up long enough: forget its past failures. Returns if it had any. */
  settle(): boolean {
    const had = this.failures > 0;
    this.failures = 0;
    this.notBefore = 0;
    return had;
  }

  crashLooping(policy: BackoffPolicy): boolean {
    return this.failures >= policy.crashLoopRestarts;
  }
}

/** 0 for the first failure, then initial, 2×initial, 4×initial … capped at max. */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  if (failures <= 1) return 0;
  // Past 2^30 the doubling would overflow the cap anyway; stop before the float grows silly.
  const exponent = Math.min(failures - 2, 30);
  return Math.min(policy.backoffMaxMs, policy.backoffInitialMs * 2 ** exponent);
}
