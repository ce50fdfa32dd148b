/**
 * HTTP dates (RFC 9110 §5.6.7): the IMF-fixdate Samovar sends, and all three forms a recipient
 * must accept — IMF-fixdate, obsolete RFC 850 (two-digit year) and asctime.
 * Parsing is strict: anything else is "not a date", and a precondition with an invalid date is
 * ignored (RFC 9110 §13.1.3, §13.1.4), never guessed at the way `Date.parse` would.
 * Must not: use the clock except where a caller passes `nowMs`.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/;
const RFC850 =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d\d)-([A-Z][a-z]{2})-(\d\d) (\d\d):(\d\d):(\d\d) GMT$/;
const ASCTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})$/;

/** `ms` since the epoch as an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Seconds since the epoch, or `null` when `text` is not an HTTP date. */
export function parseHttpDate(text: string, nowMs: number = Date.now()): number | null {
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return toSeconds(m[3], m[2], m[1], m[4], m[5], m[6]);
  m = ASCTIME.exec(text);
  if (m !== null) return toSeconds(m[6], m[1], m[2]?.trim(), m[3], m[4], m[5]);
  m = RFC850.exec(text);
  if (m === null) return null;
  // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century.
  const nowYear = new Date(nowMs).getUTCFullYear();
  let year = Math.floor(nowYear / 100) * 100 + Number(m[3]);
  if (year > nowYear + 50) year -= 100;
  return toSeconds(String(year), m[2], m[1], m[4], m[5], m[6]);
}

function toSeconds(
  year: string | undefined,
  month: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
): number | null {
  const mon = MONTHS.indexOf(month ?? '');
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mon < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const ms = Date.UTC(Number(year), mon, d, h, mi, s);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}
