/**
 * What the listener does when accept(2) fails for want of resources (EMFILE: this process is out
 * of file descriptors; ENFILE: the system is; ENOBUFS, ENOMEM): pause, free what can be freed,
 * retry — never crash.
 *
 * How Node surfaces it: libuv first tries its own "EMFILE trick" (it closes a reserved
 * descriptor, accepts and at once closes every pending connection, then reopens the reserve;
 * deps/uv/src/unix/stream.c, `uv__emfile_trick`), so most clients over the limit see a close and
 * nothing reaches JavaScript. When the trick cannot run (the reserve was lost to a race, ENFILE
 * that persists, ENOBUFS) the error goes to `net.Server`'s `'error'` event — which, with no
 * listener, throws and takes the worker down with every connection it holds. The server listens
 * for it and hands it here.
 *
 * The answer, after nginx's `ngx_event_accept` (it disables accept events for 500 ms on EMFILE):
 * - pause: for ACCEPT_PAUSE_MIN_MS, doubling at each failure within the pause's reach up to
 *   ACCEPT_PAUSE_MAX_MS, connections that do get accepted are closed at once (their descriptor
 *   freed immediately; answering them 503 would hold it for the lingering close);
 * - free: idle keep-alive connections are closed (nginx's `ngx_drain_connections`), they cost
 *   their clients only a reconnect;
 * - recover: once the pause is over, accepting goes on as before; after ACCEPT_CALM_MS without a
 *   failure the pause starts from the minimum again.
 * Must not: touch sockets itself (the server does), or log (it returns what to report).
 */

/** Codes that mean "out of resources, try again later"; any other accept error is only reported. */
export const RESOURCE_ERRORS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);

/** First pause: long enough for a few connections to close, short enough to go unnoticed. */
export const ACCEPT_PAUSE_MIN_MS = 100;
/** Longest pause: nginx pauses 500 ms; a descriptor shortage that lasts needs fewer retries. */
export const ACCEPT_PAUSE_MAX_MS = 2_000;
/** Failures this far apart are separate episodes: the pause starts from the minimum again. */
export const ACCEPT_CALM_MS = 10_000;

export class AcceptGuard {
  /** Accept failures since the server started, by code (metrics and tests read them). */
  readonly failures = new Map<string, number>();
  /** Connections closed unanswered because they arrived during a pause. */
  shed = 0;
  private pausedUntil = 0;
  private pauseMs = ACCEPT_PAUSE_MIN_MS;
  private lastFailure = -Infinity;

  /**
   * Records an accept failure at `now` (ms). Returns the pause started (ms), or 0 when the error
   * is not a resource shortage (it is only counted; the listener keeps going either way).
   */
  failed(code: string, now: number): number {
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
    if (!RESOURCE_ERRORS.has(code)) return 0;
    if (now - this.lastFailure > ACCEPT_CALM_MS) this.pauseMs = ACCEPT_PAUSE_MIN_MS;
    else if (now < this.pausedUntil + this.pauseMs)
      this.pauseMs = Math.min(ACCEPT_PAUSE_MAX_MS, this.pauseMs * 2);
    this.lastFailure = now;
    this.pausedUntil = now + this.pauseMs;
    return this.pauseMs;
  }

  /** Whether `now` falls in a pause (nothing counted). */
  isPaused(now: number): boolean {
    return now < this.pausedUntil;
  }

  /** Whether a connection accepted at `now` falls in a pause (and is to be closed); counts it. */
  paused(now: number): boolean {
    if (now >= this.pausedUntil) return false;
    this.shed++;
    return true;
  }
}
