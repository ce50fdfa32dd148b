/**
 * The engine's metrics in one worker: requests by method, route and status (count, duration,
 * request and response body sizes), protocol errors by code, and connections (open, accepted,
 * closed by reason) read from the engine's own integer counters only when a snapshot is taken.
 *
 * Bounded labels: `method` is one of the RFC 9110 methods or `_OTHER` (OpenTelemetry's rule),
 * `route` is the router's template (`/users/:id`), `unmatched`, or past MAX_ROUTES distinct
 * templates `_overflow`; `status_code` is a three-digit integer. A raw path never becomes a label.
 *
 * Hot path: `observe` finds the label set's cells through a Map by route, an array by method
 * index and a Map by status — all existing keys, so a label set seen before allocates nothing
 * and costs one increment and three bucket scans.
 * Must not: know about sockets, requests or responses (the caller passes plain values).
 */

import { BODY_BUCKETS_BYTES, DURATION_BUCKETS_S } from './buckets.ts';
import { CounterByLabel, CounterFamily, HistogramFamily, computedFamily } from './family.ts';
import type { CounterCell, FamilySnapshot, HistogramCell, Sample } from './family.ts';
import { tlsFamilies } from './tls-metrics.ts';
import type { TlsCounts } from './tls-metrics.ts';

/** RFC 9110 §9 methods plus PATCH (RFC 5789); anything else is `_OTHER`. */
export const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  '_OTHER',
] as const;
const OTHER_INDEX = METHODS.length - 1;

/** Distinct route labels kept per worker; a router has far fewer, a bug that labels by path more. */
export const MAX_ROUTES = 256;
export const OVERFLOW_ROUTE = '_overflow';

/** How many connections the engine has open, has accepted, and has closed by reason. */
export interface ConnectionCounts {
  readonly open: number;
  readonly accepted: number;
  readonly closed: Readonly<Record<string, number>>;
  /** What the worker's defences refused or lost; absent in a process without them. */
  readonly guards?: GuardCounts;
  /** The TLS layer's handshake counters; absent without TLS. */
  readonly tls?: TlsCounts;
}

/** Counts kept inside a worker by its defences, exported so an operator can see them. */
export interface GuardCounts {
  /** Requests answered 503 by load shedding, by reason (`lag`, `in_flight`). */
  readonly shed: Readonly<Record<string, number>>;
  /** Requests answered 429 by the per-client rate limit. */
  readonly rateLimited: number;
  /** accept(2) failures, by error code (EMFILE …). */
  readonly acceptFailures: Readonly<Record<string, number>>;
  /** Connections closed at once because they arrived during an accept pause. */
  readonly acceptPaused: number;
  /** Log lines dropped while the log reader was stalled, or lost to ENOSPC/EIO. */
  readonly logDropped: number;
  /** Descriptors of the listening sockets accepting now (one per listener unless widened). */
  readonly acceptingDescriptors: number;
  /** Times a backed-up accept queue made a listener accept on more descriptors. */
  readonly acceptWidened: number;
}

export function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'CONNECT':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'TRACE':
      return 7;
    case 'PATCH':
      return 8;
    default:
      return OTHER_INDEX;
  }
}

/** The cells of one (method, route, status) label set. */
interface Series {
  readonly requests: CounterCell;
  readonly duration: HistogramCell;
  readonly requestBytes: HistogramCell;
  readonly responseBytes: HistogramCell;
}

type ByStatus = Map<number, Series>;

export class HttpMetrics {
  private readonly requests = new CounterFamily(
    'http_server_requests_total',
    'Requests answered, by method, route template and status code.',
  );
  private readonly duration = new HistogramFamily(
    'http_server_request_duration_seconds',
    'Time from the request head parsed to the answer complete, by method, route and status code.',
    DURATION_BUCKETS_S,
  );
  private readonly requestBytes = new HistogramFamily(
    'http_server_request_body_bytes',
    'Request body bytes received (de-chunked) by the time of the answer, by method, route and status code.',
    BODY_BUCKETS_BYTES,
  );
  private readonly responseBytes = new HistogramFamily(
    'http_server_response_body_bytes',
    'Response body bytes sent (without framing; 0 for HEAD, 204, 304), by method, route and status code.',
    BODY_BUCKETS_BYTES,
  );
  private readonly outcomes = new CounterByLabel(
    'http_server_request_outcomes_total',
    'Requests by how they ended: completed, client_closed, timed_out, drain_cut, server_error, dropped (docs/observability.md).',
    'outcome',
  );
  private readonly protocolErrors = new CounterByLabel(
    'http_server_protocol_errors_total',
    'Requests refused as malformed or too slow, by protocol error code.',
    'code',
  );
  private readonly routes = new Map<string, (ByStatus | undefined)[]>();
  private readonly connections: (() => ConnectionCounts) | null;
  /** Requests observed so far: tells a pusher whether anything changed. */
  observations = 0;

  constructor(connections: (() => ConnectionCounts) | null = null) {
    this.connections = connections;
  }

  /** Counts one answered request. No allocation once its label set has been seen. */
  observe(
    method: string,
    route: string,
    status: number,
    requestBytes: number,
    responseBytes: number,
    seconds: number,
  ): void {
    this.observations++;
    const mi = methodIndex(method);
    let byMethod = this.routes.get(route);
    if (byMethod === undefined) byMethod = this.addRoute(route);
    let byStatus = byMethod[mi];
    if (byStatus === undefined) byMethod[mi] = byStatus = new Map();
    let series = byStatus.get(status);
    if (series === undefined) series = this.addSeries(byStatus, mi, this.routeLabel(route), status);
    series.requests.value++;
    series.duration.observe(seconds);
    series.requestBytes.observe(requestBytes);
    series.responseBytes.observe(responseBytes);
  }

  /** Counts how one request ended; the outcome names are a fixed, small set (the engine's). */
  outcome(outcome: string): void {
    this.outcomes.inc(outcome);
  }

  protocolError(code: string): void {
    this.protocolErrors.inc(code);
  }

  snapshot(): FamilySnapshot[] {
    const families = [
      this.requests.snapshot(),
      this.duration.snapshot(),
      this.requestBytes.snapshot(),
      this.responseBytes.snapshot(),
      this.outcomes.snapshot(),
      this.protocolErrors.snapshot(),
    ];
    if (this.connections !== null) {
      const counts = this.connections();
      families.push(...connectionFamilies(counts));
      if (counts.guards !== undefined) families.push(...guardFamilies(counts.guards));
      if (counts.tls !== undefined) families.push(...tlsFamilies(counts.tls));
    }
    return families;
  }

  /**
   * Request durations of every series added up: the count in each bucket of DURATION_BUCKETS_S,
   * then the count above the last bound. The heartbeat carries it once a second, and the
   * primary's console takes the p99 of the difference between two (nothing per request).
   */
  durationTotals(): number[] {
    const n = DURATION_BUCKETS_S.length;
    const totals = new Array<number>(n + 1).fill(0);
    for (const byMethod of this.routes.values())
      for (const byStatus of byMethod) {
        if (byStatus === undefined) continue;
        for (const { duration } of byStatus.values()) {
          let inBuckets = 0;
          for (let i = 0; i < n; i++) {
            const c = duration.counts[i] as number;
            totals[i] = (totals[i] as number) + c;
            inBuckets += c;
          }
          totals[n] = (totals[n] as number) + duration.count - inBuckets;
        }
      }
    return totals;
  }

  private addRoute(route: string): (ByStatus | undefined)[] {
    // Past the cap every new route shares one entry (and one label): memory stays bounded too.
    if (this.routes.size >= MAX_ROUTES) {
      const overflow = this.routes.get(OVERFLOW_ROUTE);
      if (overflow !== undefined) return overflow;
      route = OVERFLOW_ROUTE;
    }
    const byMethod = new Array<ByStatus | undefined>(METHODS.length).fill(undefined);
    this.routes.set(route, byMethod);
    return byMethod;
  }

  private routeLabel(route: string): string {
    return this.routes.has(route) ? route : OVERFLOW_ROUTE;
  }

  private addSeries(byStatus: ByStatus, mi: number, route: string, status: number): Series {
    const labels = { method: METHODS[mi] as string, route, status_code: String(status) };
    const series: Series = {
      requests: this.requests.cell(labels),
      duration: this.duration.cell(labels),
      requestBytes: this.requestBytes.cell(labels),
      responseBytes: this.responseBytes.cell(labels),
    };
    byStatus.set(status, series);
    return series;
  }
}

function connectionFamilies(c: ConnectionCounts): FamilySnapshot[] {
  const closed: Sample[] = Object.entries(c.closed).map(([reason, value]) => ({ value, labels: { reason } }));
  return [
    computedFamily('http_server_active_connections', 'Connections open now.', 'gauge', [
      { value: c.open, labels: {} },
    ]),
    computedFamily(
      'http_server_connections_total',
      'Connections accepted (refused ones included).',
      'counter',
      [{ value: c.accepted, labels: {} }],
    ),
    computedFamily(
      'http_server_connections_closed_total',
      'Connections closed, by reason (client, keepalive_end, idle_timeout, timeout, write_timeout, protocol_error, drain, error, refused).',
      'counter',
      closed,
    ),
  ];
}

const counter = (name: string, help: string, samples: Sample[]): FamilySnapshot =>
  computedFamily(name, help, 'counter', samples);

function byLabel(label: string, counts: Readonly<Record<string, number>>): Sample[] {
  return Object.entries(counts).map(([value, n]) => ({ value: n, labels: { [label]: value } }));
}

/** The defences' counters (docs/observability.md lists them, docs/hardening.md says when each fires). */
function guardFamilies(g: GuardCounts): FamilySnapshot[] {
  return [
    counter(
      'samovar_requests_shed_total',
      'Requests answered 503 by load shedding (overload.maxEventLoopLagMs, overload.maxInFlightRequests), by reason.',
      byLabel('reason', g.shed),
    ),
    counter('samovar_requests_rate_limited_total', 'Requests answered 429 by the per-client rate limit.', [
      { value: g.rateLimited, labels: {} },
    ]),
    counter(
      'samovar_accept_failures_total',
      'accept(2) failures (EMFILE, ENFILE …), by code; each resource shortage pauses accepting briefly.',
      // The shortages that pause accepting start at 0, so the series exist before the first one.
      byLabel('code', { EMFILE: 0, ENFILE: 0, ENOBUFS: 0, ENOMEM: 0, ...g.acceptFailures }),
    ),
    counter(
      'samovar_accept_paused_connections_total',
      'Connections closed at once because they arrived while accepting was paused after a failure.',
      [{ value: g.acceptPaused, labels: {} }],
    ),
    logLinesDropped(g.logDropped),
    computedFamily(
      'samovar_accepting_descriptors',
      'Descriptors of the listening sockets this worker accepts on now: one per listener, more while accepts back up behind long event-loop turns (connections.maxAcceptors).',
      'gauge',
      [{ value: g.acceptingDescriptors, labels: {} }],
    ),
    counter(
      'samovar_accept_widened_total',
      "Times a backed-up accept queue made a worker's listener accept on more descriptors.",
      [{ value: g.acceptWidened, labels: {} }],
    ),
  ];
}

/** A process's dropped log lines: a worker's guard, and the primary's own (summed under one name). */
export function logLinesDropped(count: number): FamilySnapshot {
  return counter(
    'samovar_log_lines_dropped_total',
    'Log lines dropped while the log reader was stalled past the sink buffer, or lost to ENOSPC/EIO.',
    [{ value: count, labels: {} }],
  );
}
