/**
 * mulberry32: a tiny, fast, seedable pseudo-random generator, so a run (a fuzz batch, a test's
 * random cut of a body) is reproducible from its seed and a failure can name it. Plenty for
 * choosing mutations and sizes; not for anything secret.
 * Must not: read the clock or Math.random (the seed alone decides the sequence).
 */

/** A generator of floats in [0, 1), the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
