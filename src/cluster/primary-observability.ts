/**
 * The primary's observability: the metrics port, the scrapes of the workers, the aggregate that
 * keeps every worker's counts (retired ones included), the primary's own metrics (workers by
 * state, restarts, reloads, scrape errors), and the cluster-wide log level.
 * Kept out of primary.ts so the supervisor stays one concern: the primary tells it what
 * happened (a metrics message, an exit, a restart, a reload) and it answers scrapes.
 * Must not: fork, kill, retire or decide anything about workers.
 */

import type { Config } from '../config/index.ts';
import type { LogLevel } from '../log/index.ts';
import { ClusterAggregate, PrimaryMetrics } from '../metrics/index.ts';
import type { Readiness } from './health.ts';
import type { CertificateFacts } from '../tls/index.ts';
import type { ClusterLogger } from './lifecycle-log.ts';
import { isRestart, message, RESTART_REASONS } from './messages.ts';
import type { MetricsMessage, PrimaryMessage, RetireReason } from './messages.ts';
import { createMetricsServer } from './metrics-server.ts';
import type { MetricsHost } from './metrics-server.ts';
import type { StatusSource } from './operator-console.ts';
import { ReloadResult } from './reload.ts';
import { Scrapes } from './scrape.ts';
import { WorkerState } from './slots.ts';
import type { WorkerRecord } from './slots.ts';

/**
 * A worker's metrics stay live this long after its exit before joining the retired totals: its
 * final snapshot may still be in the IPC pipe when the exit is seen, and must not come after.
 */
export const RETIRE_METRICS_AFTER_MS = 1_000;
const WORKER_STATES: readonly WorkerState[] = Object.values(WorkerState);
/** SIGUSR2 steps through these levels. */
export const LEVEL_CYCLE: readonly LogLevel[] = ['info', 'debug', 'trace'];

/** What observability needs from the primary. */
export interface ObservedPrimary {
  readonly config: Config;
  liveWorkers(): Iterable<WorkerRecord>;
  send(w: WorkerRecord, m: PrimaryMessage): void;
  readiness(): Readiness;
  /** The served TLS certificate, or null (TLS off). */
  tlsCertificate?(): CertificateFacts | null;
}

export class PrimaryObservability implements MetricsHost {
  private readonly primary: ObservedPrimary;
  private readonly logger: ClusterLogger;
  private readonly aggregate = new ClusterAggregate();
  private readonly scrapes = new Scrapes();
  private readonly metrics = new PrimaryMetrics({
    workerStates: WORKER_STATES,
    restartReasons: RESTART_REASONS,
    reloadResults: Object.values(ReloadResult),
    workers: () => this.workerCounts(),
    logDropped: () => this.logger.dropped(),
    certificate: () => this.primary.tlsCertificate?.() ?? null,
  });
  /** The level everyone logs at now: the configuration's, until SIGUSR2 or the admin path. */
  logLevel: LogLevel;

  constructor(primary: ObservedPrimary, logger: ClusterLogger) {
    this.primary = primary;
    this.logger = logger;
    this.logLevel = primary.config.log.level;
    logger.setLevel(this.logLevel);
  }

  /**
   * The metrics port, with the status page of `status` (the console) when given; a failure to
   * listen is logged and the cluster serves on without it.
   */
  startMetricsServer(status?: StatusSource): void {
    const config = this.primary.config;
    if (!config.metrics.enabled) return;
    const pino = this.logger.pino;
    const server = createMetricsServer(this, config, {
      onError: (err, ctx) =>
        pino.error({ event: 'handler-error', reqId: ctx.requestId, err }, 'metrics port error'),
      onProtocolError: (code, remote) =>
        pino.warn({ event: 'protocol-error', code, remote }, 'protocol error'),
      status,
    });
    server.listen().then(
      (address) => {
        const url = `http://${address.address}:${address.port}/metrics`;
        const fields = { host: address.address, port: address.port, admin: config.metrics.admin };
        this.logger.log('info', 'listen', `metrics on ${url}`, fields);
      },
      (error: unknown) => {
        const fields = { error: String(error) };
        this.logger.log('error', 'error', 'metrics port failed to listen; serving without it', fields);
      },
    );
  }

  // ---- what the primary reports ---------------------------------------------------------------

  /** A worker's snapshot arrived (pushed, final, or a scrape's answer). */
  received(w: WorkerRecord, m: MetricsMessage): void {
    const key = String(w.id);
    if (m.seq > 0) this.aggregate.update(key, m.seq, m.families);
    if (m.id !== 0) this.scrapes.answered(key, m.id);
  }

  /** A worker is gone: it answers no scrape, and its counts join the retired totals shortly. */
  exited(w: WorkerRecord): void {
    const key = String(w.id);
    this.scrapes.gone(key);
    setTimeout(() => this.aggregate.retire(key), RETIRE_METRICS_AFTER_MS).unref();
  }

  /** Restarts by reason; scale-downs and shutdowns are not restarts. */
  restarted(reason: RetireReason): void {
    if (isRestart(reason)) this.metrics.restarted(reason);
  }

  reloaded(result: ReloadResult): void {
    this.metrics.reloaded(result);
  }

  /** A worker has been sent `start`: tell it the level if it is not its configuration's. */
  welcome(w: WorkerRecord): void {
    if (this.logLevel !== w.config.log.level)
      this.primary.send(w, message('log-level', { level: this.logLevel }));
  }

  // ---- metrics port -----------------------------------------------------------------------------

  /** One scrape: fresh snapshots from the workers that answer in time, plus everything kept. */
  async scrape(): Promise<string> {
    const started = performance.now();
    const targets = [...this.primary.liveWorkers()]
      .filter((w) => w.state !== WorkerState.STARTING)
      .map((w) => ({ key: String(w.id), ask: (id: number) => this.ask(w, id) }));
    const outcome = await this.scrapes.run(targets, this.primary.config.metrics.scrapeTimeoutMs);
    this.metrics.scraped((performance.now() - started) / 1000, outcome.missed);
    return this.aggregate.render(await this.metrics.snapshot(), outcome.fresh);
  }

  private ask(w: WorkerRecord, id: number): boolean {
    if (!w.process.isConnected()) return false;
    this.primary.send(w, message('scrape', { id }));
    return true;
  }

  readiness(): Readiness {
    return this.primary.readiness();
  }

  private workerCounts(): Record<WorkerState, number> {
    const counts = Object.fromEntries(WORKER_STATES.map((s) => [s, 0])) as Record<WorkerState, number>;
    for (const w of this.primary.liveWorkers()) counts[w.state]++;
    return counts;
  }

  // ---- log level --------------------------------------------------------------------------------

  /** SIGUSR2: the next level of the cycle. */
  cycleLogLevel(source: string): void {
    const next = LEVEL_CYCLE[(LEVEL_CYCLE.indexOf(this.logLevel) + 1) % LEVEL_CYCLE.length] as LogLevel;
    this.setLogLevel(next, source);
  }

  /** Sets the level here and in every worker (workers spawned later are told by `welcome`). */
  setLogLevel(level: LogLevel, source: string): void {
    const from = this.logLevel;
    const line = (): void =>
      this.logger.log('info', 'log-level', `log level ${from} → ${level}`, { from, to: level, source });
    // Said at whichever of the two levels lets an info line through.
    const sayFirst = this.logger.pino.isLevelEnabled('info');
    if (from !== level && sayFirst) line();
    this.logLevel = level;
    this.logger.setLevel(level);
    for (const w of this.primary.liveWorkers()) this.primary.send(w, message('log-level', { level }));
    if (from !== level && !sayFirst) line();
  }
}
