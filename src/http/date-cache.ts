/**
 * The `Date` header value (RFC 9110 §6.6.1: IMF-fixdate, at one-second resolution).
 *
 * Formatting a date costs more than answering a small request, so the value is computed once per
 * second and shared by every response. This module is pure: whoever owns a clock (the server's
 * one-second timer) calls `update`. Must not: start timers, read the clock itself, or do I/O.
 */

/** Holds the current `Date` field value and the whole `Date: …\r\n` line. */
export class DateCache {
  /** e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
  value = '';
  /** `Date: <value>\r\n`, ready to append to a response head. */
  line = '';
  private second = -1;

  constructor(nowMs: number) {
    this.update(nowMs);
  }

  /** Recomputes the value when `nowMs` falls in a different second; returns whether it changed. */
  update(nowMs: number): boolean {
    const second = Math.floor(nowMs / 1000);
    if (second === this.second) return false;
    this.second = second;
    // toUTCString() is IMF-fixdate in every supported engine (ECMA-262 §21.4.4.43).
    this.value = new Date(second * 1000).toUTCString();
    this.line = `Date: ${this.value}\r\n`;
    return true;
  }
}
