/**
 * The primary's own metrics: its process and Node metrics (prom-client defaults), the workers by
 * state, restarts by reason, reloads by result, and how scrapes of the workers went. None of
 * these is on a request's path, so plain prom-client metrics do.
 * Must not: know how the primary supervises; it is told what happened and asked for counts.
 */

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FamilySnapshot, MetricType, Sample } from './family.ts';

/** Why a worker was replaced; every reason is exported from the start, at 0. */
export const RESTART_REASONS = ['crash', 'boot', 'hang', 'recycle', 'reload'] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];
export const RELOAD_RESULTS = ['ok', 'aborted', 'invalid'] as const;
export type ReloadResult = (typeof RELOAD_RESULTS)[number];
export const WORKER_STATES = ['starting', 'ready', 'draining'] as const;
export type WorkerStateLabel = (typeof WORKER_STATES)[number];

/** Scrape durations: a healthy scrape takes milliseconds; the top buckets mean a worker timed out. */
const SCRAPE_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class PrimaryMetrics {
  readonly registry = new Registry();
  private readonly restarts: Counter<'reason'>;
  private readonly reloads: Counter<'result'>;
  private readonly scrapeErrors: Counter;
  private readonly scrapeDuration: Histogram;

  constructor(workers: () => Readonly<Record<WorkerStateLabel, number>>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'samovar_workers',
      help: 'Worker processes by state (starting, ready, draining).',
      labelNames: ['state'],
      registers,
      collect(): void {
        const counts = workers();
        for (const state of WORKER_STATES) this.set({ state }, counts[state]);
      },
    });
    this.restarts = new Counter({
      name: 'samovar_worker_restarts_total',
      help: 'Workers replaced, by reason (crash, boot, hang, recycle, reload).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of RESTART_REASONS) this.restarts.inc({ reason }, 0);
    this.reloads = new Counter({
      name: 'samovar_reloads_total',
      help: 'Configuration reloads (SIGHUP), by result (ok, aborted, invalid).',
      labelNames: ['result'],
      registers,
    });
    for (const result of RELOAD_RESULTS) this.reloads.inc({ result }, 0);
    this.scrapeErrors = new Counter({
      name: 'samovar_scrape_worker_errors_total',
      help: 'Workers left out of a scrape: no answer within metrics.scrapeTimeoutMs, or gone meanwhile.',
      registers,
    });
    this.scrapeDuration = new Histogram({
      name: 'samovar_scrape_duration_seconds',
      help: 'Time the primary took to gather one scrape from its workers.',
      buckets: SCRAPE_BUCKETS_S,
      registers,
    });
  }

  restarted(reason: RestartReason): void {
    this.restarts.inc({ reason });
  }

  reloaded(result: ReloadResult): void {
    this.reloads.inc({ result });
  }

  scraped(seconds: number, missed: number): void {
    this.scrapeDuration.observe(seconds);
    if (missed > 0) this.scrapeErrors.inc(missed);
  }

  async snapshot(): Promise<FamilySnapshot[]> {
    const json = await this.registry.getMetricsAsJSON();
    return json.map((m) => ({
      name: m.name,
      help: m.help,
      type: m.type as unknown as MetricType,
      values: m.values as unknown as Sample[],
    }));
  }
}
