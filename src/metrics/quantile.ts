/**
 * A quantile from histogram bucket counts, the way Prometheus' `histogram_quantile` reads one:
 * find the bucket the rank falls in and interpolate linearly inside it. The console's p99 per
 * worker comes from this, over the difference of two heartbeats' duration buckets.
 * Must not: allocate per call beyond its result, or know where the counts came from.
 */

/**
 * `counts[i]` is the number of observations in bucket i (not cumulative): above `bounds[i - 1]`
 * and at most `bounds[i]`; `counts[bounds.length]`, if present, those above the last bound.
 * Returns null for no observations, and the last bound for a rank past it (as Prometheus does:
 * nothing is known above it).
 */
export function histogramQuantile(
  bounds: readonly number[],
  counts: readonly number[],
  q: number,
): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (below + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    below += inBucket;
  }
  return bounds.at(-1) ?? null;
}

/** `now[i] - before[i]` for each bucket; null when the two do not describe one series (a reset). */
export function bucketDelta(before: readonly number[], now: readonly number[]): number[] | null {
  if (before.length !== now.length) return null;
  const out = new Array<number>(now.length);
  for (let i = 0; i < now.length; i++) {
    const d = (now[i] as number) - (before[i] as number);
    if (d < 0) return null;
    out[i] = d;
  }
  return out;
}
