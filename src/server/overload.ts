/**
 * Load shedding: when this process is overloaded, a new request is answered 503 with
 * `Retry-After` (RFC 9110 §15.6.4, §10.2.3) at once instead of joining a queue that only grows
 * (every queued request would wait longer, then time out at the client anyway: better a fast
 * "come back in a second" than a slow failure for everyone).
 *
 * Two signals, each off at 0:
 * - event-loop lag: a timer due every LAG_SAMPLE_MS measures how late it fires; while the last
 *   sample is over `maxEventLoopLagMs` the process is saturated (CPU, or a handler blocking);
 * - requests in flight: parsed and not yet answered (queued answers included), over
 *   `maxInFlightRequests` means the handlers cannot keep up (a slow backend, say).
 * One timer per server (a LoopLagProbe, the class the lag histogram uses too), unref'd, and only when
 * the lag threshold is on.
 * Must not: answer requests itself (the connection does), or know the cluster.
 */

import type { Config } from '../config/index.ts';
import { LoopLagProbe } from '../metrics/loop-lag.ts';

/** The `overload` group of the configuration: lag (ms) and requests in flight, 0 each off. */
export type OverloadOptions = Config['overload'];

export const OVERLOAD_OFF: OverloadOptions = Object.freeze({ maxEventLoopLagMs: 0, maxInFlightRequests: 0 });

/**
 * 20 ms: a saturated loop is seen within one or two samples, and fifty timer callbacks a second
 * are negligible next to the requests of a loaded process.
 */
export const LAG_SAMPLE_MS = 20;

/** Why a request was shed (0: it was not). */
export const Shed = { NONE: 0, LAG: 1, IN_FLIGHT: 2 } as const;
export type Shed = (typeof Shed)[keyof typeof Shed];

export class LoadMonitor {
  readonly options: OverloadOptions;
  /** Exchanges parsed and not yet fully answered, over every connection of the server. */
  inFlight = 0;
  /** Requests shed since the server started, by reason (metrics read them). */
  readonly shed = { lag: 0, inFlight: 0 };
  private readonly probe = new LoopLagProbe(LAG_SAMPLE_MS);

  constructor(options: OverloadOptions) {
    this.options = options;
  }

  /** How late the last lag sample fired, in ms (settable, for tests of the threshold). */
  get lagMs(): number {
    return this.probe.lastMs;
  }

  set lagMs(ms: number) {
    this.probe.lastMs = ms;
  }

  start(): void {
    if (this.options.maxEventLoopLagMs > 0) this.probe.start();
  }

  stop(): void {
    this.probe.stop();
  }

  /** Whether a new request should be shed now, and why; counts it when so. */
  check(): Shed {
    const o = this.options;
    if (o.maxInFlightRequests > 0 && this.inFlight > o.maxInFlightRequests) {
      this.shed.inFlight++;
      return Shed.IN_FLIGHT;
    }
    if (o.maxEventLoopLagMs > 0 && this.lagMs > o.maxEventLoopLagMs) {
      this.shed.lag++;
      return Shed.LAG;
    }
    return Shed.NONE;
  }
}
