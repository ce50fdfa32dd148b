/**
 * Turns the request path below the mount into file-name segments, refusing every way out of the
 * root a URL can spell (RFC 3986 §2.1, §3.3; RFC 9110 §4.2.3 leaves normalisation to us).
 *
 * Each segment is percent-decoded on its own, so `%2f` cannot make a separator, then checked
 * after decoding, so `%2e%2e` is caught like `..`. Nothing is normalised: a dot segment, an empty
 * segment (`//`, which would also make `Location: //host/` an open redirect), a backslash, a
 * control byte or NUL is refused outright rather than "fixed". Decoded bytes must be UTF-8 with
 * no overlong forms (`%c0%ae` is an overlong `.`): the fatal decoder rejects them, and a bad
 * `%` escape or invalid UTF-8 is a 400; anything merely not servable is a 404, which does not
 * tell a prober whether a path exists.
 * Must not: touch the file system (symlinks are checked against the real path elsewhere).
 */

export type PathResult =
  | { readonly ok: true; readonly segments: readonly string[]; readonly directory: boolean }
  | { readonly ok: false; readonly status: 400 | 404 };

const BAD_ENCODING: PathResult = Object.freeze({ ok: false, status: 400 });
const REFUSED: PathResult = Object.freeze({ ok: false, status: 404 });
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Hex digit values, -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x41 + i] = HEX[0x61 + i] = 10 + i;

/**
 * `rel` is the raw path below the mount, starting with `/` (`/a/b.txt`, `/dir/`).
 * `directory` says it ended with `/`.
 */
export function parseRequestPath(rel: string, dotfiles: boolean): PathResult {
  if (rel.charCodeAt(0) !== 0x2f) return REFUSED;
  const segments: string[] = [];
  let start = 1;
  const n = rel.length;
  while (start < n) {
    let end = rel.indexOf('/', start);
    if (end < 0) end = n;
    if (end === start) return REFUSED;
    const name = decodeSegment(rel, start, end);
    if (name === null) return BAD_ENCODING;
    if (!servableName(name, dotfiles)) return REFUSED;
    segments.push(name);
    start = end + 1;
  }
  return { ok: true, segments, directory: rel.charCodeAt(n - 1) === 0x2f };
}

/** Percent-decodes `rel[start, end)` as UTF-8; `null` for a bad escape or bad UTF-8. */
function decodeSegment(rel: string, start: number, end: number): string | null {
  if (rel.indexOf('%', start) < 0 || rel.indexOf('%', start) >= end) {
    return rel.slice(start, end);
  }
  const bytes = new Uint8Array(end - start);
  let k = 0;
  for (let i = start; i < end; i++) {
    const c = rel.charCodeAt(i);
    if (c !== 0x25) {
      bytes[k++] = c;
      continue;
    }
    const hi = i + 2 < end ? hexValue(rel.charCodeAt(i + 1)) : -1;
    const lo = hi < 0 ? -1 : hexValue(rel.charCodeAt(i + 2));
    if (lo < 0) return null;
    bytes[k++] = hi * 16 + lo;
    i += 2;
  }
  try {
    return UTF8.decode(bytes.subarray(0, k));
  } catch {
    return null;
  }
}

function hexValue(c: number): number {
  return c < 128 ? (HEX[c] as number) : -1;
}

/** A decoded segment that names a file in its directory and nothing else. */
export function servableName(name: string, dotfiles: boolean): boolean {
  if (name === '.' || name === '..' || name.length === 0) return false;
  if (!dotfiles && name.charCodeAt(0) === 0x2e) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // '/' and '\' separate paths somewhere; C0 controls, DEL and NUL are never in a served name.
    if (c < 0x20 || c === 0x7f || c === 0x2f || c === 0x5c) return false;
  }
  return true;
}
