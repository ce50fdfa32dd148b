/**
 * The `Range` field for bytes (RFC 9110 §14.1.2, §14.2): `bytes=0-99`, `bytes=100-`,
 * `bytes=-100`, and lists of them.
 *
 * Samovar's choice for several ranges: they are sorted and coalesced (overlapping or adjacent
 * ranges merge); if one range remains it is served as a 206, else the whole representation is
 * sent as a 200, which §14.2 allows ("a server MAY ignore the Range header field"). That keeps
 * every 206 a single part with Content-Range, and makes the many-small-ranges amplification
 * (CVE-2011-3192, "Apache Killer") cost nothing. An invalid field is ignored (200), as is one
 * with more than MAX_RANGES ranges; a valid one none of whose ranges is satisfiable gets a 416.
 * Must not: touch the file system or know about If-Range (preconditions.ts decides that).
 */

export type RangePlan =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/** More ranges than any reader of one file needs; beyond it the field is ignored. */
export const MAX_RANGES = 100;

const FULL: RangePlan = Object.freeze({ kind: 'full' });
const UNSATISFIABLE: RangePlan = Object.freeze({ kind: 'unsatisfiable' });
const BYTES_UNIT = /^\s*bytes\s*=/i;
const SPEC = /^\s*(?:(\d+)\s*-\s*(\d*)|-\s*(\d+))\s*$/;

/** Plans the answer to `Range: value` for a representation of `size` bytes. */
export function planRange(value: string, size: number): RangePlan {
  const unit = BYTES_UNIT.exec(value);
  if (unit === null) return FULL; // another unit, or not a range at all: ignored
  const specs = value.slice(unit[0].length).split(',');
  if (specs.length > MAX_RANGES) return FULL;
  const ranges: [number, number][] = [];
  let seen = 0;
  for (const spec of specs) {
    if (spec.trim() === '') continue; // the list rule allows empty elements (RFC 9110 §5.6.1)
    const m = SPEC.exec(spec);
    if (m === null) return FULL;
    seen++;
    const range = m[3] !== undefined ? suffix(Number(m[3]), size) : span(m[1], m[2], size);
    if (range === 'invalid') return FULL;
    if (range !== null) ranges.push(range);
  }
  if (seen === 0) return FULL;
  if (ranges.length === 0) return UNSATISFIABLE;
  const merged = coalesce(ranges);
  if (merged.length !== 1) return FULL;
  const [start, end] = merged[0] as [number, number];
  return { kind: 'partial', start, end };
}

/** `first-[last]`: null when unsatisfiable, 'invalid' when last < first (§14.1.1). */
function span(
  first: string | undefined,
  last: string | undefined,
  size: number,
): [number, number] | null | 'invalid' {
  const a = Number(first);
  const b = last === undefined || last === '' ? Infinity : Number(last);
  if (b < a) return 'invalid';
  if (a >= size) return null;
  return [a, Math.min(b, size - 1)];
}

/** `-n`: the last n bytes; `-0` and any suffix of an empty file are unsatisfiable. */
function suffix(length: number, size: number): [number, number] | null {
  if (length === 0 || size === 0) return null;
  return [Math.max(0, size - length), size - 1];
}

function coalesce(ranges: [number, number][]): [number, number][] {
  ranges.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [ranges[0] as [number, number]];
  for (let i = 1; i < ranges.length; i++) {
    const r = ranges[i] as [number, number];
    const last = out[out.length - 1] as [number, number];
    if (r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}
