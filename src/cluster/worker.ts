/**
 * A worker process: asks the primary for its configuration (`hello` → `start`), runs the engine
 * on the shared listening socket, says `ready` only once listening, sends a heartbeat every
 * `cluster.heartbeatIntervalMs` (event-loop lag, memory, requests served), answers `/readyz`
 * from the cluster health the primary broadcasts, and drains when told to.
 *
 * The configuration comes over IPC, not from the worker's own argv and environment: the primary
 * validated it, and on SIGHUP a file re-read here could differ from the one it validated.
 * Must not: decide its own fate (the primary restarts, recycles and kills), or parse HTTP.
 */

import cluster from 'node:cluster';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ELDHistogram } from 'node:perf_hooks';
import type { Config } from '../config/index.ts';
import { createServer } from '../server/index.ts';
import type { Handler, Request, Response, Server } from '../server/index.ts';
import { createLogger } from './log.ts';
import { Health, isPrimaryMessage, message, RetireReason } from './messages.ts';
import type { DrainMessage, HealthMessage, PrimaryMessage, StartMessage, WorkerMessage } from './messages.ts';
import { onWorkerSignals } from './signals.ts';

/** Readiness for load balancers (issue 5 moves it to the health module). */
export const READY_PATH = '/readyz';
/** perf_hooks samples the loop this often; 10 ms sees a 20 ms stall and costs nothing. */
const LAG_RESOLUTION_MS = 10;

/** Who this worker is; given to the application factory. */
export interface WorkerContext {
  readonly slot: number;
  readonly generation: number;
  readonly config: Config;
}

/** Builds the application's handler; may be async (warm-up happens before `ready`). */
export type AppFactory = (context: WorkerContext) => Handler | Promise<Handler>;

const logger = createLogger('worker', { workerId: cluster.worker?.id ?? 0 });

class WorkerProcess {
  private readonly createApp: AppFactory;
  private server: Server | null = null;
  private config: Config | null = null;
  private requests = 0;
  private draining = false;
  private health: HealthMessage | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly lag: ELDHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });

  constructor(createApp: AppFactory) {
    this.createApp = createApp;
  }

  run(): void {
    process.on('message', (m: unknown) => {
      if (isPrimaryMessage(m)) this.onMessage(m);
    });
    onWorkerSignals(() => this.onTerm());
    send(message('hello', {}));
  }

  private onMessage(m: PrimaryMessage): void {
    switch (m.type) {
      case 'start':
        this.start(m).catch((error: unknown) => this.failed(error));
        return;
      case 'health':
        this.health = m;
        return;
      case 'drain':
        this.drain(m);
        return;
    }
  }

  private async start(m: StartMessage): Promise<void> {
    if (this.config !== null) return;
    this.config = m.config;
    const app = await this.createApp({ slot: m.slot, generation: m.generation, config: m.config });
    if (this.draining) return;
    this.server = createServer(this.wrap(app), m.config);
    const address = await this.server.listen();
    if (this.draining) return;
    this.lag.enable();
    const interval = m.config.cluster.heartbeatIntervalMs;
    this.heartbeat = setInterval(() => this.beat(), interval);
    send(message('ready', { address: address.address, port: address.port }));
    this.beat();
  }

  /** Counts requests and answers `/readyz` ahead of the application. */
  private wrap(app: Handler): Handler {
    return (req: Request, res: Response) => {
      this.requests++;
      if (req.path === READY_PATH && (req.method === 'GET' || req.method === 'HEAD')) return this.readyz(res);
      return app(req, res);
    };
  }

  /** 200 when the cluster is ok or degraded above its minimum; 503 while draining or below it. */
  private readyz(res: Response): void {
    const h = this.health;
    const health = this.draining ? Health.STOPPING : (h?.health ?? Health.UNREADY);
    const ok = health === Health.OK || health === Health.DEGRADED;
    const body = { status: health, readyWorkers: h?.readyWorkers ?? 0, wantedWorkers: h?.wantedWorkers ?? 0 };
    res
      .status(ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .json(body);
  }

  private beat(): void {
    const lag = this.lag;
    // With no sample yet (a blocked loop, or the first tick) the histogram reads NaN / 0.
    const mean = Number.isFinite(lag.mean) ? lag.mean / 1e6 : 0;
    const memory = process.memoryUsage();
    send(
      message('heartbeat', {
        lagMeanMs: Math.round(mean * 100) / 100,
        lagMaxMs: Math.round(lag.max / 1e4) / 100,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        requests: this.requests,
        openConnections: this.openConnections(),
      }),
    );
    lag.reset();
  }

  private openConnections(): number {
    if (this.server === null) return 0;
    const c = this.server.connectionCounts();
    return c.new + c.active + c.idle + c.linger;
  }

  private drain(m: DrainMessage): void {
    if (this.draining) return;
    this.draining = true;
    const started = Date.now();
    const server = this.server;
    if (server === null) {
      const nothing = { requests: this.requests, open: 0, idle: 0, cut: 0, durationMs: 0 };
      return this.exitAfter(message('drained', nothing));
    }
    server.drain({ graceMs: m.graceMs, timeoutMs: m.deadlineMs }).then(
      (result) => {
        const durationMs = Date.now() - started;
        this.exitAfter(message('drained', { requests: this.requests, ...result, durationMs }));
      },
      (error: unknown) => this.failed(error),
    );
  }

  /** SIGTERM sent to this worker alone: drain with the configured shutdown settings. */
  private onTerm(): void {
    const s = this.config?.shutdown;
    const graceMs = s?.idleGraceMs ?? 0;
    this.drain(message('drain', { reason: RetireReason.SHUTDOWN, graceMs, deadlineMs: s?.timeoutMs ?? 0 }));
  }

  private failed(error: unknown): void {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger.log('error', 'error', 'worker failed', { error: text });
    this.exitAfter(message('failed', { error: text }), 1);
  }

  /** Sends `last`, then exits once it is written (or at once without a channel). */
  private exitAfter(last: WorkerMessage, code = 0): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    if (!process.connected || process.send === undefined) process.exit(code);
    process.send(last, undefined, {}, () => process.exit(code));
  }
}

function send(m: WorkerMessage): void {
  // No channel: the primary is gone, and node:cluster exits this worker on the disconnect.
  if (process.connected && process.send !== undefined) process.send(m, undefined, {}, ignoreError);
}

function ignoreError(): void {}

/** The worker's entry: connect to the primary and wait for `start`. */
export function runWorker(createApp: AppFactory): void {
  new WorkerProcess(createApp).run();
}
