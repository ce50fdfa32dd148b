/**
 * The primary's own metrics: its process and Node metrics (process-metrics.ts), the workers by
 * state, restarts by reason, reloads by result, how scrapes of the workers went, and its own
 * dropped log lines (summed with the workers' under one name).
 * The label values are the cluster's own vocabularies, given at construction (its worker states,
 * restart reasons, reload results), each exported from the start, at 0.
 * Must not: know how the primary supervises; it is told what happened and asked for counts.
 */

import { SCRAPE_BUCKETS_S } from './buckets.ts';
import { computedFamily, CounterByLabel, CounterFamily, HistogramFamily } from './family.ts';
import type { CounterCell, FamilySnapshot, HistogramCell } from './family.ts';
import { logLinesDropped } from './http-metrics.ts';
import { ProcessMetrics } from './process-metrics.ts';
import { certificateFamily } from './tls-metrics.ts';
import type { CertificateGauge } from './tls-metrics.ts';

/** What the primary's metrics are told once, and read at each snapshot. */
export interface PrimarySource {
  /** `samovar_workers{state}`, in this order. */
  readonly workerStates: readonly string[];
  /** `samovar_worker_restarts_total{reason}`. */
  readonly restartReasons: readonly string[];
  /** `samovar_reloads_total{result}`. */
  readonly reloadResults: readonly string[];
  /** Live workers by state, now. */
  workers(): Readonly<Record<string, number>>;
  /** The primary's own dropped log lines so far. */
  logDropped(): number;
  /** The served certificate, with TLS on (`samovar_tls_certificate_expiry_seconds`). */
  certificate?(): CertificateGauge | null;
}

export class PrimaryMetrics {
  private readonly source: PrimarySource;
  private readonly defaults = new ProcessMetrics();
  private readonly workersHelp: string;
  private readonly restarts: CounterByLabel;
  private readonly reloads: CounterByLabel;
  private readonly scrapeErrors = new CounterFamily(
    'samovar_scrape_worker_errors_total',
    'Workers left out of a scrape: no answer within metrics.scrapeTimeoutMs, or gone meanwhile.',
  );
  private readonly scrapeErrorCell: CounterCell = this.scrapeErrors.cell();
  private readonly scrapeDuration = new HistogramFamily(
    'samovar_scrape_duration_seconds',
    'Time the primary took to gather one scrape from its workers.',
    SCRAPE_BUCKETS_S,
  );
  private readonly scrapeDurationCell: HistogramCell = this.scrapeDuration.cell();

  constructor(source: PrimarySource) {
    this.source = source;
    this.workersHelp = `Worker processes by state (${source.workerStates.join(', ')}).`;
    this.restarts = zeroed(
      new CounterByLabel(
        'samovar_worker_restarts_total',
        `Workers replaced, by reason (${source.restartReasons.join(', ')}).`,
        'reason',
      ),
      source.restartReasons,
    );
    this.reloads = zeroed(
      new CounterByLabel(
        'samovar_reloads_total',
        `Configuration reloads (SIGHUP), by result (${source.reloadResults.join(', ')}).`,
        'result',
      ),
      source.reloadResults,
    );
  }

  restarted(reason: string): void {
    this.restarts.inc(reason);
  }

  reloaded(result: string): void {
    this.reloads.inc(result);
  }

  scraped(seconds: number, missed: number): void {
    this.scrapeDurationCell.observe(seconds);
    this.scrapeErrorCell.value += missed;
  }

  /** The process and Node families first, then the primary's own, in the order they are written. */
  async snapshot(): Promise<FamilySnapshot[]> {
    const defaults = await this.defaults.snapshot();
    const counts = this.source.workers();
    const workers = this.source.workerStates.map((state) => ({
      value: counts[state] ?? 0,
      labels: { state },
    }));
    return [
      ...defaults,
      computedFamily('samovar_workers', this.workersHelp, 'gauge', workers),
      this.restarts.snapshot(),
      this.reloads.snapshot(),
      this.scrapeErrors.snapshot(),
      this.scrapeDuration.snapshot(),
      logLinesDropped(this.source.logDropped()),
      ...certificateFamily(this.source.certificate?.() ?? null),
    ];
  }
}

/** Every label value exported from the start, at 0. */
function zeroed(counter: CounterByLabel, values: readonly string[]): CounterByLabel {
  for (const value of values) counter.cell(value);
  return counter;
}
