/**
 * A worker process: asks the primary for its configuration (`hello` → `start`), runs the engine
 * on the shared listening socket (under `reuseport`, on a socket of its own), says `ready` only
 * once listening, sends a heartbeat every `cluster.heartbeatIntervalMs` (event-loop lag, memory,
 * requests served) followed by a metrics snapshot, answers the primary's scrapes, answers
 * `/readyz` and `/healthz` itself from the cluster health the primary broadcasts, and drains when
 * told to — pushing a final snapshot so the primary keeps its counts.
 *
 * The configuration comes over IPC, not from the worker's own argv and environment: the primary
 * validated it, and on SIGHUP a file re-read here could differ from the one it validated.
 * Must not: decide its own fate (the primary restarts, recycles and kills), or parse HTTP.
 */

import type { SendHandle } from 'node:child_process';
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ELDHistogram } from 'node:perf_hooks';
import type { Config } from '../config/index.ts';
import type { SetupContext } from '../entry/shape.ts';
import { installFatalHandlers, RequestIds } from '../log/index.ts';
import type { LogLevel } from '../log/index.ts';
import { WorkerMetrics } from '../metrics/index.ts';
import type { ConnectionCounts } from '../metrics/index.ts';
import { createServer } from '../server/index.ts';
import type { Handler, ListeningHandle, Request, Response, Server, ServerOptions } from '../server/index.ts';
import { readiness } from './health.ts';
import { createClusterLogger } from './lifecycle-log.ts';
import { isPrimaryMessage, message, RetireReason } from './messages.ts';
import type {
  DrainedMessage,
  DrainMessage,
  HealthMessage,
  PrimaryMessage,
  StartMessage,
  WorkerMessage,
} from './messages.ts';
import { isListeningHandle } from './listeners.ts';
import { RequestObserver } from './request-observer.ts';
import { onWorkerSignals } from './signals.ts';
import type { TlsHandoff, TlsMessage } from './messages.ts';
import { engineTls, plainServer, withHsts } from './worker-tls.ts';

/** perf_hooks samples the loop this often; 10 ms sees a 20 ms stall and costs nothing. */
const LAG_RESOLUTION_MS = 10;

/** Who this worker is; given to the application factory (the same context an entry's `setup` gets). */
export type WorkerContext = SetupContext<Config>;

/** An application with a `close` to await when the worker drains (entry/app.ts makes these). */
export interface WorkerApp {
  readonly handler: Handler;
  /** Resolves with a problem to log, or null; must not reject. */
  close(info: { readonly reason: string; readonly deadline: number }): Promise<string | null>;
}

/**
 * Builds the application; may be async (warm-up happens before `ready`). An error whose `name`
 * is `EntryError` means the entry itself cannot be served (reported as such to the primary).
 */
export type AppFactory = (context: WorkerContext) => Handler | WorkerApp | Promise<Handler | WorkerApp>;

/**
 * How often the HTTP counters' changes are pushed between heartbeats, when requests were served:
 * a worker killed with SIGKILL loses at most this much of its counts (it was a whole heartbeat,
 * ~1.5 % of a kill -9 test's requests). Only the engine's own families, which cost a walk over
 * their cells; the process and Node metrics (prom-client's defaults) go with the heartbeat.
 */
const HTTP_PUSH_MS = 200;

/** What a worker's drain leaves for `close` when the drain used the whole deadline. */
const MIN_CLOSE_MS = 500;
/** How long a drained worker waits for the primary's `release` before it exits anyway. */
const RELEASE_WAIT_MS = 2_000;

const WORKER_ID = cluster.worker?.id ?? 0;
/**
 * Longest wait at start for the spare descriptors of a listening socket (acceptors.ts); they
 * took 22–40 ms for 127 on this 2-core machine. Past it the worker is ready anyway.
 */
const ACCEPTOR_STOCK_WAIT_MS = 1_000;
const logger = createClusterLogger('worker', { workerId: WORKER_ID });

class WorkerProcess {
  private readonly createApp: AppFactory;
  private server: Server | null = null;
  /** The plain-HTTP listener beside the TLS one (`tls.httpPort`), or null. */
  private plain: Server | null = null;
  /** What the primary gave for TLS (material, ticket keys), kept current by `tls` messages. */
  private tls: TlsHandoff | null = null;
  private app: WorkerApp | null = null;
  private config: Config | null = null;
  private metrics: WorkerMetrics | null = null;
  private requests = 0;
  private draining = false;
  /** Set while a drained worker waits for the primary's `release` (exitWhenReleased). */
  private released: (() => void) | null = null;
  private health: HealthMessage | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private httpPush: NodeJS.Timeout | null = null;
  /** Requests the HTTP counters had observed when they were last pushed. */
  private pushedObservations = 0;
  private readonly lag: ELDHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  /** Listening sockets the primary handed over (`listener`), by `host:port`, until listened on. */
  private readonly inherited = new Map<string, ListeningHandle>();

  constructor(createApp: AppFactory) {
    this.createApp = createApp;
  }

  run(): void {
    // A crash that can still run code sends the counts it has not pushed yet (a SIGKILL cannot).
    installFatalHandlers(logger.pino, (done) => this.lastMetrics(done));
    process.on('message', (m: unknown, handle: unknown) => {
      if (isPrimaryMessage(m)) this.onMessage(m, handle);
    });
    onWorkerSignals(() => this.onTerm());
    send(message('hello', {}));
  }

  private onMessage(m: PrimaryMessage, handle: unknown): void {
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
      case 'scrape':
        void this.pushMetrics(m.id, false);
        return;
      case 'log-level':
        return setLogLevel(m.level);
      case 'tls':
        return this.applyTls(m);
      case 'release':
        return this.released?.();
      case 'listener':
        if (isListeningHandle(handle)) this.inherited.set(`${m.host}:${m.port}`, handle);
        return;
      case 'acceptor':
        if (!isListeningHandle(handle)) return;
        // To the server whose socket it copies; one that has closed has no use for it.
        for (const server of [this.server, this.plain])
          if (server !== null && server.listeningHandle() !== null && server.address().port === m.port)
            return server.addAcceptor(handle);
        return handle.close();
    }
  }

  private async start(m: StartMessage): Promise<void> {
    if (this.config !== null) return;
    this.config = m.config;
    this.tls ??= m.tls ?? null;
    logger.setLevel(m.config.log.level);
    // With `block`, a worker waiting for a stalled log reader still tells the primary it lives:
    // it is doing what it was configured to do, and a replacement would only wait too.
    const everyMs = m.config.cluster.heartbeatIntervalMs;
    logger.setOnStall(m.config.log.onStall, { call: () => this.sendHeartbeat(), everyMs });
    const context = { workerId: WORKER_ID, slot: m.slot, generation: m.generation, config: m.config };
    const made = await this.createApp(context);
    const app: WorkerApp = typeof made === 'function' ? { handler: made, close: noClose } : made;
    this.app = app;
    if (this.draining) return;
    const handler = this.wrap(app.handler, m.config);
    const options = this.serverOptions(m.config);
    this.server = createServer(withHsts(handler, m.config), options);
    this.plain = plainServer(m.config, handler, options);
    const address = await this.listenOn(this.server);
    if (this.plain !== null) await this.listenOn(this.plain);
    for (const handle of this.inherited.values()) handle.close();
    this.inherited.clear();
    if (this.draining) return;
    this.lag.enable();
    this.metrics?.start();
    const interval = m.config.cluster.heartbeatIntervalMs;
    this.heartbeat = setInterval(() => this.beat(), interval);
    this.httpPush = setInterval(() => this.pushHttp(), HTTP_PUSH_MS);
    send(message('ready', { address: address.address, port: address.port }));
    this.beat();
  }

  /**
   * Listens on the socket the primary handed over for this host and port (under `reuseport`, the
   * one of the worker this one replaces), else binds one; under `reuseport` a socket it bound is
   * sent to the primary, which keeps a copy to hand to this worker's replacement (listeners.ts).
   * Sent before `ready`, so the primary holds it by the time it counts this worker as serving.
   */
  private async listenOn(server: Server): Promise<AddressInfo> {
    const { host, port } = server.options;
    const key = `${host}:${port}`;
    const inherited = this.inherited.get(key);
    this.inherited.delete(key);
    const address = await server.listen(inherited);
    const handle = server.listeningHandle();
    if (inherited === undefined && server.options.reusePort === true && handle !== null)
      send(message('listener', { host, port }), handle);
    await server.acceptorsStocked(ACCEPTOR_STOCK_WAIT_MS);
    return address;
  }

  /** The configuration's engine fields plus the observation hooks and the request-id source. */
  private serverOptions(config: Config): ServerOptions {
    if (config.metrics.enabled) this.metrics = new WorkerMetrics(() => this.connectionCounts());
    const observer = new RequestObserver({
      metrics: this.metrics?.http ?? null,
      logger: logger.pino,
      access: config.log.access,
      accessSampleEvery: config.log.accessSampleEvery,
    });
    const { onResponse, onError, onProtocolError, recordsPeer } = observer;
    const onAcceptError = (code: string, pauseMs: number): void =>
      logger.log('warn', 'error', 'accept failed; pausing', { code, pauseMs });
    const requestIds = new RequestIds(WORKER_ID);
    const tls = engineTls(config, this.tls);
    // Every listener this worker opens on a served port (the TLS one, the plain-HTTP one beside
    // it) follows the policy: under `reuseport` each is a socket of this worker's own.
    const reusePort = config.cluster.schedulingPolicy === 'reuseport';
    // More descriptors of a listening socket come from the primary (acceptors.ts); under `rr` the
    // primary accepts, and a worker's listener has no socket to copy.
    const copyListener =
      config.cluster.schedulingPolicy === 'rr'
        ? undefined
        : (count: number, handle: ListeningHandle, port: number): void =>
            send(message('acceptor', { port, count }), handle);
    const hooks = {
      onResponse,
      recordsPeer,
      onError,
      onProtocolError,
      onAcceptError,
      requestIds,
      copyListener,
    };
    return { ...config, tls, reusePort, ...hooks };
  }

  /**
   * Renewed material or rotated ticket keys from the primary, applied in place: handshakes from
   * now on use them, open connections keep theirs. Before the server exists, kept for it.
   */
  private applyTls(m: TlsMessage): void {
    const current = this.tls;
    if (current !== null)
      this.tls = { material: m.material ?? current.material, ticketKeys: m.ticketKeys ?? current.ticketKeys };
    const server = this.server;
    if (server?.tls == null) return;
    try {
      if (m.material !== null) server.setTlsMaterial(m.material);
      if (m.ticketKeys !== null) server.setTicketKeys(m.ticketKeys);
    } catch (error) {
      logger.log('error', 'tls', 'renewed TLS material refused; serving the previous one', {
        error: String(error),
      });
    }
  }

  /**
   * Counts requests and answers the health paths ahead of the application, unless
   * `health.mainPort` is off (then the application owns every path; the metrics port answers).
   */
  private wrap(app: Handler, config: Config): Handler {
    const { livePath, readyPath, mainPort } = config.health;
    if (!mainPort) {
      return (req: Request, res: Response) => {
        this.requests++;
        return app(req, res);
      };
    }
    return (req: Request, res: Response) => {
      this.requests++;
      const path = req.path;
      if ((path === readyPath || path === livePath) && (req.method === 'GET' || req.method === 'HEAD')) {
        req.route = path;
        return path === readyPath
          ? this.readyz(res)
          : void res.header('Cache-Control', 'no-store').send('ok\n');
      }
      return app(req, res);
    };
  }

  private readyz(res: Response): void {
    const { ok, body } = readiness(this.health, this.draining);
    res
      .status(ok ? 200 : 503)
      .header('Cache-Control', 'no-store')
      .json(body);
  }

  private beat(): void {
    this.sendHeartbeat();
    // Every family's changes once a heartbeat; the HTTP counters also every HTTP_PUSH_MS.
    void this.pushMetrics(0, false);
  }

  private sendHeartbeat(): void {
    const lag = this.lag;
    // With no sample yet (a blocked loop, or the first tick) the histogram reads NaN / 0.
    const mean = Number.isFinite(lag.mean) ? lag.mean / 1e6 : 0;
    // perf_hooks records the whole interval between its timer's runs, resolution included (an
    // idle loop reads 10 ms): the delay is what exceeds it, as @fastify/under-pressure reads it.
    const late = (ms: number): number => Math.round(Math.max(0, ms - LAG_RESOLUTION_MS) * 100) / 100;
    const memory = memoryUsage();
    send(
      message('heartbeat', {
        lagMeanMs: late(mean),
        lagMaxMs: late(lag.max / 1e6),
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        requests: this.requests,
        openConnections: this.openConnections(),
        durations: this.metrics?.http.durationTotals(),
      }),
    );
    lag.reset();
  }

  /** Sends a snapshot (`id` answers a scrape; 0 is unasked). Resolves once it is handed to IPC. */
  private async pushMetrics(id: number, final: boolean): Promise<void> {
    const metrics = this.metrics;
    if (metrics === null) {
      if (id !== 0) send(message('metrics', { id, seq: 0, final, families: [] }));
      return;
    }
    try {
      const all = await metrics.collect();
      // Diffed and sent in one step: changes must reach the primary in `seq` order.
      const { seq, families } = metrics.changes(all);
      await sendAndWait(message('metrics', { id, seq, final, families }));
    } catch (error) {
      logger.log('warn', 'error', 'metrics snapshot failed', { error: String(error) });
    }
  }

  /** The HTTP counters' changes, sent before a fatal exit; `done` once written. */
  private lastMetrics(done: () => void): void {
    const metrics = this.metrics;
    if (metrics === null || !process.connected || process.send === undefined) return done();
    const { seq, families } = metrics.changes(metrics.http.snapshot());
    process.send(message('metrics', { id: 0, seq, final: true, families }), undefined, {}, () => done());
  }

  /** The HTTP counters' changes, when anything was served since the last push (see HTTP_PUSH_MS). */
  private pushHttp(): void {
    const metrics = this.metrics;
    if (metrics === null || metrics.http.observations === this.pushedObservations) return;
    this.pushedObservations = metrics.http.observations;
    const { seq, families } = metrics.changes(metrics.http.snapshot());
    send(message('metrics', { id: 0, seq, final: false, families }));
  }

  private connectionCounts(): ConnectionCounts {
    const server = this.server;
    if (server === null) return { open: 0, accepted: 0, closed: {} };
    const { load, rateLimiter, acceptGuard } = server;
    const guards = {
      shed: { lag: load.shed.lag, in_flight: load.shed.inFlight },
      rateLimited: rateLimiter?.refused ?? 0,
      acceptFailures: Object.fromEntries(acceptGuard.failures),
      acceptPaused: acceptGuard.shed,
      logDropped: logger.dropped(),
      acceptingDescriptors: server.acceptingDescriptors + (this.plain?.acceptingDescriptors ?? 0),
      acceptWidened: server.acceptWidened + (this.plain?.acceptWidened ?? 0),
    };
    const plain = this.plain;
    const tls = server.tls?.stats;
    return {
      open: this.openConnections(),
      accepted: server.stats.accepted + (plain?.stats.accepted ?? 0),
      closed: plain === null ? server.stats.closed : addCounts(server.stats.closed, plain.stats.closed),
      guards,
      ...(tls === undefined
        ? {}
        : { tls: { completed: tls.completed, resumed: tls.resumed, failed: tls.failed } }),
    };
  }

  private openConnections(): number {
    let open = 0;
    for (const server of [this.server, this.plain]) {
      if (server === null) continue;
      const c = server.connectionCounts();
      open += c.new + c.active + c.idle + c.linger + (server.tls?.stats.inProgress ?? 0);
    }
    return open;
  }

  private drain(m: DrainMessage): void {
    if (this.draining) return;
    this.draining = true;
    const started = Date.now();
    const server = this.server;
    if (server === null) {
      const nothing = { requests: this.requests, accepted: 0, open: 0, idle: 0, cut: 0, durationMs: 0 };
      return this.exitAfter(message('drained', nothing));
    }
    const drainOptions = { graceMs: m.graceMs, timeoutMs: m.deadlineMs };
    void this.plain?.drain(drainOptions);
    server
      .drain(drainOptions)
      .then(async (result) => {
        if (this.plain !== null) await this.plain.drain(drainOptions);
        await this.closeApp(m, started);
        const durationMs = Date.now() - started;
        await this.pushMetrics(0, true);
        const { requests } = this;
        const accepted = server.stats.accepted + (this.plain?.stats.accepted ?? 0);
        this.exitWhenReleased(message('drained', { requests, accepted, ...result, durationMs }));
      })
      .catch((error: unknown) => this.failed(error));
  }

  /** The application's own `close`, once, after its in-flight requests finished or were cut. */
  private async closeApp(m: DrainMessage, started: number): Promise<void> {
    const app = this.app;
    if (app === null) return;
    this.app = null;
    const deadline = Math.max(started + m.deadlineMs, Date.now() + MIN_CLOSE_MS);
    const problem = await app.close({ reason: m.reason, deadline });
    if (problem !== null) logger.log('error', 'error', 'application close failed', { error: problem });
  }

  /** SIGTERM sent to this worker alone: drain with the configured shutdown settings. */
  private onTerm(): void {
    const s = this.config?.shutdown;
    const graceMs = s?.idleGraceMs ?? 0;
    this.drain(message('drain', { reason: RetireReason.SHUTDOWN, graceMs, deadlineMs: s?.timeoutMs ?? 0 }));
  }

  /** Says why to the primary, which logs it (once, with the worker's fields); alone, logs it here. */
  private failed(error: unknown): void {
    const entry = error instanceof Error && error.name === 'EntryError';
    const text = entry
      ? error.message
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
    if (!process.connected) logger.log('error', 'error', 'worker failed', { error: text });
    const fields = entry
      ? { error: text, entry: (error as Error & { entry: string }).entry }
      : { error: text };
    this.exitAfter(message('failed', fields), 1);
  }

  /**
   * After a drain: says so, and exits once the primary releases it. Under round-robin scheduling
   * the primary may hand this worker connections after its server closed and before the primary
   * heard so; Node's cluster sends each back (accepted: false) when it arrives — but only if the
   * worker is still there. One that exited first took them with it, and their clients waited for
   * nothing (a TLS client reconnecting through a roll lost one in about three rolls). Messages are
   * ordered: once `release` arrives every such handoff has been answered, and `bye`, written,
   * has flushed those answers. A primary that never answers costs RELEASE_WAIT_MS.
   */
  private exitWhenReleased(last: DrainedMessage): void {
    if (!process.connected || process.send === undefined) return this.exitAfter(last);
    const timer = setTimeout(() => this.released?.(), RELEASE_WAIT_MS);
    this.released = () => {
      this.released = null;
      clearTimeout(timer);
      this.exitAfter(message('bye', {}));
    };
    process.send(last);
  }

  /** Sends `last`, then exits once it is written (or at once without a channel); the log flushes on exit. */
  private exitAfter(last: WorkerMessage, code = 0): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    if (this.httpPush !== null) clearInterval(this.httpPush);
    this.metrics?.stop();
    if (!process.connected || process.send === undefined) process.exit(code);
    process.send(last, undefined, {}, () => process.exit(code));
  }
}

/** A level relayed by the primary; said in one line at whichever level lets an info line through. */
function setLogLevel(level: LogLevel): void {
  const from = logger.pino.level;
  if (from === level) return;
  const say = (): void =>
    logger.log('info', 'log-level', `log level ${from} → ${level}`, { from, to: level });
  const sayFirst = logger.pino.isLevelEnabled('info');
  if (sayFirst) say();
  logger.setLevel(level);
  if (!sayFirst) say();
}

let lastMemory = { rss: 0, heapUsed: 0 };

/**
 * `process.memoryUsage()` reads /proc/self: out of file descriptors (EMFILE) it throws, and a
 * heartbeat that throws takes the worker down exactly when it is under a flood. The last good
 * reading stands in until descriptors come back (test/hardening/floods.test.ts found this).
 */
function memoryUsage(): { rss: number; heapUsed: number } {
  try {
    const { rss, heapUsed } = process.memoryUsage();
    lastMemory = { rss, heapUsed };
  } catch {
    // Out of descriptors: keep the last reading.
  }
  return lastMemory;
}

function send(m: WorkerMessage, handle?: ListeningHandle): void {
  // No channel: the primary is gone, and node:cluster exits this worker on the disconnect.
  // Node's typings name only net and dgram objects; a raw handle is sent as `net.Native`.
  if (process.connected && process.send !== undefined) process.send(m, handle as SendHandle, {}, ignoreError);
}

/** Like `send`, resolving once the message is written (or could not be). */
function sendAndWait(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || process.send === undefined) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

function ignoreError(): void {}

/** Two servers' closed-connection counts, reason by reason. */
function addCounts(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): Record<string, number> {
  const sum: Record<string, number> = { ...a };
  for (const [key, n] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + n;
  return sum;
}

function noClose(): Promise<null> {
  return Promise.resolve(null);
}

/** The worker's entry: connect to the primary and wait for `start`. */
export function runWorker(createApp: AppFactory): void {
  new WorkerProcess(createApp).run();
}
