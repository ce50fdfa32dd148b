/**
 * Content-coding negotiation (RFC 9110 §12.5.3): which of the codings Samovar can produce does
 * the client prefer, by q-value (§12.4.2)?
 *
 * Rules: `q=0` excludes a coding; `*` stands for every coding not named; `x-gzip` is `gzip`
 * (§8.4.1.3); on equal q the server's order wins (br, then gzip: smaller for text). No field at
 * all means identity: §12.5.3 would allow any coding, but a client that sent nothing (curl
 * without `--compressed`, a load generator) is best served plain. identity is never refused:
 * when nothing is acceptable the answer is unencoded rather than a 406 (§12.5.3 allows either).
 * Must not: know what files exist; it ranks, the handler checks availability.
 */

export type Coding = 'br' | 'gzip';

/** The codings Samovar produces, in its order of preference. */
export const CODINGS: readonly Coding[] = ['br', 'gzip'];

const NONE: readonly Coding[] = Object.freeze([]);
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** The acceptable codings among `CODINGS`, best first; empty for identity. */
export function rankCodings(field: string | undefined): readonly Coding[] {
  if (field === undefined) return NONE;
  let br = -1;
  let gzip = -1;
  let star = -1;
  for (const element of field.split(',')) {
    const parts = element.split(';');
    const coding = (parts[0] as string).trim().toLowerCase();
    if (coding === '') continue;
    const q = qOf(parts);
    if (q < 0) continue; // a malformed weight: the element is ignored
    if (coding === 'br') br = Math.max(br, q);
    else if (coding === 'gzip' || coding === 'x-gzip') gzip = Math.max(gzip, q);
    else if (coding === '*') star = Math.max(star, q);
  }
  if (br < 0) br = star;
  if (gzip < 0) gzip = star;
  if (br <= 0 && gzip <= 0) return NONE;
  if (br <= 0) return ['gzip'];
  if (gzip <= 0) return ['br'];
  return gzip > br ? ['gzip', 'br'] : ['br', 'gzip'];
}

/** The weight of one element: 1 without `q`, -1 when the weight is malformed. */
function qOf(parts: string[]): number {
  for (let i = 1; i < parts.length; i++) {
    const param = (parts[i] as string).trim();
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const value = param.slice(eq + 1).trim();
    return QVALUE.test(value) ? Number(value) : -1;
  }
  return 1;
}
