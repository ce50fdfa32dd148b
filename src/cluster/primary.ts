/**
 * The supervisor. It forks the workers (`node:cluster`; they share the listening socket, or
 * under `reuseport` each binds one of its own) and runs no handler itself. Everything that
 * happens to it — a signal, a worker's message or exit, a clock tick — becomes an event on one queue; one loop dispatches the events and then
 * reconciles the live workers toward the wanted set (gunicorn's arbiter): fill empty slots
 * (with per-slot backoff), replace hung workers, retire surplus ones, advance the rolling
 * path, and tell the workers what `/readyz` should say.
 * Metrics, the metrics port and the log level are primary-observability.ts's: the loop reports to it.
 * The control socket and the status page are operator-console.ts's: it hears every lifecycle line
 * and heartbeat, and its requests run in the loop (`schedule`).
 * Must not: parse HTTP or run handlers; act inside a signal or IPC callback (enqueue only).
 */

import type { SendHandle } from 'node:child_process';
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import type { Config, LoadConfigOptions } from '../config/index.ts';
import { loadConfigOrExit, serviceLinks } from '../config/index.ts';
import { installFatalHandlers } from '../log/index.ts';
import { controlSocketPath } from './control-protocol.ts';
import { claimControlSocket } from './control-socket.ts';
import type { Claim } from './control-socket.ts';
import { clusterHealth, readiness } from './health.ts';
import type { Readiness } from './health.ts';
import { createClusterLogger } from './lifecycle-log.ts';
import type { LifecycleEvent, LifecycleLevel, LogFields } from './lifecycle-log.ts';
import type { LogLevel } from '../log/index.ts';
import { message, isWorkerMessage, RetireReason } from './messages.ts';
import type { HealthMessage, PrimaryMessage, WorkerMessage } from './messages.ts';
import { OperatorConsole, tapLifecycle } from './operator-console.ts';
import type { ConsoleHost } from './operator-console.ts';
import { PrimaryObservability } from './primary-observability.ts';
import type { ObservedPrimary } from './primary-observability.ts';
import { ReloadResult, rereadConfig } from './reload.ts';
import { isListeningHandle, Listeners } from './listeners.ts';
import { migrateReqWarning, readMigrateReq } from './reuseport.ts';
import { Roll } from './roll.ts';
import type { ReloadRun, RollHost, RollResult } from './roll.ts';
import { EventQueue } from './queue.ts';
import { Command, onPrimarySignals } from './signals.ts';
import { createSlot, createWorkerRecord, overdue, recycleCause, workerFields, WorkerState } from './slots.ts';
import type { Slot, WorkerRecord } from './slots.ts';
import { KILL_MARGIN_MS, Shutdown } from './shutdown.ts';
import type { PrimaryView } from './status-model.ts';
import { workerExecArgv } from './exec-argv.ts';
import { TlsOwner } from './tls-owner.ts';
import type { CertificateFacts } from '../tls/index.ts';
import type { ListeningHandle } from '../server/index.ts';
import { EX_CONFIG } from '../config/index.ts';

/** How often the loop wakes to check deadlines (ready, hang, backoff, drain). */
const TICK_MS = 100;

type Event =
  | { readonly kind: 'command'; readonly command: Command; readonly signal: NodeJS.Signals }
  | {
      readonly kind: 'message';
      readonly worker: WorkerRecord;
      readonly message: WorkerMessage;
      /** The IPC handle sent with it (a `listener` message's socket). */
      readonly handle: unknown;
    }
  | {
      readonly kind: 'exit';
      readonly worker: WorkerRecord;
      readonly code: number;
      readonly signal: string | null;
    }
  | { readonly kind: 'control'; readonly run: (now: number) => void }
  | { readonly kind: 'tick' };

/** Arguments and environment the configuration is read from, now and on every SIGHUP. */
export type PrimaryOptions = LoadConfigOptions;

export class Primary implements RollHost, ObservedPrimary, ConsoleHost {
  config: Config;
  /** Names the configuration workers are spawned with; never reused, even after an abort. */
  generation = 1;
  private lastGeneration = 1;
  readonly slots: Slot[] = [];
  private wanted: number;
  private readonly options: PrimaryOptions;
  private readonly workers = new Map<number, WorkerRecord>();
  private readonly queue = new EventQueue<Event>((events, now) => this.run(events, now));
  private readonly roll = new Roll();
  /** Under reuseport: copies of the workers' listening sockets, handed on through rolls. */
  private readonly listeners = new Listeners();
  private shutdown: Shutdown | null = null;
  private healthKey = '';
  /** Every lifecycle line it writes also reaches the console (its timeline and waiters). */
  private readonly logger = tapLifecycle(createClusterLogger('primary'), (event, msg, fields) =>
    this.console.lifecycle(event, msg, fields, Date.now()),
  );
  private readonly observe: PrimaryObservability;
  /** Whether any worker ever became ready: before that, an entry that cannot load ends the run. */
  private everReady = false;
  private readonly console: OperatorConsole;
  private readonly startedAt = Date.now();
  /** `samovar stop --timeout`: the drain deadline of this shutdown, instead of `shutdown.timeoutMs`. */
  private stopTimeoutMs: number | null = null;
  /** The certificate workers serve and the ticket keys they share; null without TLS. */
  private tls: TlsOwner | null = null;

  constructor(config: Config, options: PrimaryOptions) {
    this.config = config;
    this.wanted = config.workers;
    this.options = options;
    this.observe = new PrimaryObservability(this, this.logger);
    // Status pages may take a quarter of the metrics port's connections, never what scrapes need.
    this.console = new OperatorConsole(this, Math.max(1, Math.floor(config.metrics.maxConnections / 4)));
  }

  /**
   * Fixes the scheduling policy (before any fork, as node:cluster requires) and starts the loop,
   * serving the control socket `claim` bound (null: `control.enabled` is off). A socket held by
   * another live primary ends this one before it forks anything.
   */
  start(claim: Claim | null = null): void {
    if (claim?.kind === 'held') this.controlHeld(claim.path, claim.pid);
    // Under `reuseport` workers bind their own sockets and node:cluster's policy is never asked.
    cluster.schedulingPolicy =
      this.config.cluster.schedulingPolicy === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
    cluster.setupPrimary({});
    installFatalHandlers(this.logger.pino);
    // Before any fork: every worker's start message carries the material and the ticket keys.
    this.tls = this.ownTls(this.config, true);
    onPrimarySignals((command, signal) => this.enqueue({ kind: 'command', command, signal }));
    setInterval(() => this.enqueue({ kind: 'tick' }), TICK_MS);
    const { host, port, workers } = this.config;
    const policy = this.config.cluster.schedulingPolicy;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const fields = { host, port, workers, schedulingPolicy: policy, node: process.version };
    this.log('info', 'start', `Samovar starting ${workers} workers to serve ${url}`, fields);
    this.warnMigrateReq();
    const links = serviceLinks(this.options.env);
    if (links.length > 0) {
      const msg = `ignoring ${links.length} Kubernetes service-link variables (a Service named samovar… in this namespace); set enableServiceLinks: false in the pod spec to drop them`;
      this.log('info', 'start', msg, { ignored: links.join(' ') });
    }
    this.observe.startMetricsServer(this.console);
    this.serveControl(claim);
    this.enqueue({ kind: 'tick' });
  }

  log(level: LifecycleLevel, event: LifecycleEvent, msg: string, fields?: LogFields): void {
    this.logger.log(level, event, msg, fields);
  }

  private serveControl(claim: Claim | null): void {
    if (claim === null || claim.kind === 'held') return;
    if (claim.kind === 'unavailable') {
      const msg = `no control socket at ${claim.path}: ${claim.reason}; samovar status and the other console commands cannot reach this primary`;
      return this.log('error', 'control', msg, { path: claim.path });
    }
    this.console.attach(claim.socket);
    const fields = { path: claim.socket.path, replacedStale: claim.replacedStale };
    if (claim.replacedStale)
      this.log(
        'warn',
        'control',
        `replaced a stale control socket left by a primary that did not exit: ${claim.socket.path}`,
        fields,
      );
    else this.log('info', 'control', `control socket at ${claim.socket.path}`, fields);
  }

  /** Another primary answers on the control socket: say so, and stop before forking anything. */
  private controlHeld(path: string, pid: number | null): never {
    const who = pid === null ? 'another Samovar primary' : `another Samovar primary (pid ${pid})`;
    const msg = `${who} holds the control socket ${path}; stop it first (samovar stop), or give this one its own control.socket`;
    this.log('fatal', 'control', msg, { path, holder: pid });
    process.stderr.write(`samovar: ${msg}\n`);
    process.exit(1);
  }

  // ---- the loop ------------------------------------------------------------------------------

  private enqueue(event: Event): void {
    this.queue.push(event);
  }

  /** One turn of the loop: dispatch what happened, then reconcile toward the wanted set. */
  private run(events: readonly Event[], now: number): void {
    for (const event of events) this.dispatch(event, now);
    if (this.shutdown !== null) this.shutdown.reconcile(now, [...this.workers.values()]);
    else this.reconcile(now);
  }

  private dispatch(event: Event, now: number): void {
    switch (event.kind) {
      case 'command':
        return this.onCommand(event.command, event.signal, now);
      case 'message':
        return this.onMessage(event.worker, event.message, event.handle, now);
      case 'exit':
        return this.onExit(event.worker, event.code, event.signal, now);
      case 'control':
        return event.run(now);
      case 'tick':
        return;
    }
  }

  private onCommand(command: Command, signal: NodeJS.Signals, now: number): void {
    this.log('info', 'signal', `received ${signal}`, { signal, command });
    if (this.shutdown !== null) {
      if (command === Command.STOP || command === Command.HALT)
        this.shutdown.halt(signal, [...this.workers.values()]);
      return;
    }
    switch (command) {
      case Command.RELOAD:
        return this.reload(now);
      case Command.STOP:
        this.beginShutdown(now);
        return;
      case Command.HALT:
        return this.beginShutdown(now).halt(signal, [...this.workers.values()]);
      case Command.SCALE_UP:
      case Command.SCALE_DOWN:
        return this.scale(command === Command.SCALE_UP ? 1 : -1);
      case Command.LOG_LEVEL:
        return this.observe.cycleLogLevel(signal);
    }
  }

  private onMessage(w: WorkerRecord, m: WorkerMessage, handle: unknown, now: number): void {
    w.lastSeenAt = now;
    switch (m.type) {
      case 'hello':
        // Told to drain before it could listen (the message may have beaten its IPC listener).
        if (w.retireReason !== null) return this.retire(w, w.retireReason, true);
        // Under reuseport: the sockets of the worker it replaces, ahead of `start` (listeners.ts).
        for (const { host, port, handle } of this.listeners.handOver(w.id))
          this.send(w, message('listener', { host, port }), handle);
        this.send(
          w,
          message('start', {
            slot: w.slot,
            generation: w.generation,
            config: w.config,
            tls: this.tls?.handoff() ?? null,
          }),
        );
        this.observe.welcome(w);
        // The cluster's view now, so its `/readyz` is right from its first request.
        this.send(w, this.healthMessage());
        return;
      case 'ready':
        if (w.state !== WorkerState.STARTING) return;
        w.state = WorkerState.READY;
        w.readyAt = now;
        this.everReady = true;
        this.log('info', 'ready', 'worker ready', {
          ...workerFields(w),
          bootMs: now - w.spawnedAt,
          port: m.port,
        });
        return;
      case 'heartbeat':
        w.heartbeat = m;
        return this.console.heartbeat(w, m, now);
      case 'drained':
        w.cut = m.cut;
        this.log(m.cut > 0 ? 'warn' : 'info', 'drained', 'worker drained', {
          ...workerFields(w),
          ...{ requests: m.requests, accepted: m.accepted, open: m.open, idle: m.idle, cut: m.cut },
          durationMs: m.durationMs,
        });
        // After every connection handed to it before its server closed (worker.ts).
        this.send(w, message('release', {}));
        return;
      case 'failed':
        if (m.entry !== undefined && !this.everReady && this.shutdown === null)
          return this.entryFailed(m.error);
        this.log('error', 'error', 'worker failed to start', { ...workerFields(w), error: m.error });
        return;
      case 'metrics':
        return this.observe.received(w, m);
      case 'listener':
        if (!isListeningHandle(handle)) return;
        // From a worker gone or draining, a copy would keep the socket in the group with no one accepting.
        if (!this.workers.has(w.id) || w.state === WorkerState.DRAINING) return handle.close();
        return this.listeners.adopt(w.id, { host: m.host, port: m.port, handle });
      case 'acceptor':
        if (!isListeningHandle(handle)) return;
        return this.copyListener(w, m.port, m.count, handle);
    }
  }

  private onExit(w: WorkerRecord, code: number, signal: string | null, now: number): void {
    this.workers.delete(w.id);
    this.listeners.release(w.id);
    this.observe.exited(w);
    const slot = this.slots[w.slot];
    const wasCurrent = slot?.current === w;
    if (slot?.current === w) slot.current = null;
    if (slot?.next === w) slot.next = null;
    const reason =
      w.retireReason ?? (w.state === WorkerState.STARTING ? RetireReason.BOOT : RetireReason.CRASH);
    // A crashed worker's open connections (as of its last heartbeat) are what the crash cut.
    const openConnections = w.heartbeat?.openConnections ?? 0;
    const fields = { ...workerFields(w), code, signal, reason, uptimeMs: now - w.spawnedAt, openConnections };
    const clean = w.retireReason !== null && code === 0 && !w.killed;
    this.log(clean ? 'info' : 'warn', 'exit', 'worker exited', fields);
    this.shutdown?.exited(w, code, signal);
    // Only a worker lost from its place is a failure: retired ones were replaced already.
    if (this.shutdown === null && slot !== undefined && wasCurrent) this.slotFailed(slot, w, reason, now);
  }

  private slotFailed(slot: Slot, w: WorkerRecord, reason: RetireReason, now: number): void {
    const delayMs = slot.backoff.fail(this.config.cluster, now, w.readyAt > 0 ? now - w.readyAt : 0);
    const failures = slot.backoff.failures;
    this.observe.restarted(reason);
    this.log('warn', 'restart', 'respawning slot', { slot: slot.index, reason, failures, delayMs });
    if (!slot.crashLooping && slot.backoff.crashLooping(this.config.cluster)) {
      slot.crashLooping = true;
      this.log('error', 'degraded', 'slot is crash-looping; the cluster is degraded', {
        slot: slot.index,
        failures,
      });
    }
  }

  // ---- reconcile -----------------------------------------------------------------------------

  private reconcile(now: number): void {
    this.rotateTicketKeys(now);
    for (const w of this.workers.values()) this.checkDeadlines(w, now);
    for (const slot of this.slots) this.checkSlot(slot, now);
    this.resize();
    for (const slot of this.slots) this.fill(slot, now);
    this.roll.step(this);
    if (!this.roll.busy && this.roll.reloadQueued) {
      this.roll.reloadQueued = false;
      this.reload(now);
    }
    this.broadcastHealth();
  }

  private checkDeadlines(w: WorkerRecord, now: number): void {
    switch (overdue(w, now)) {
      case 'ready':
        this.log('warn', 'error', 'worker not ready in time', workerFields(w));
        return this.kill(w);
      case 'hang':
        return this.replaceHung(w, now);
      case 'drain':
        this.log('warn', 'drain', 'drain deadline passed; killing worker', workerFields(w));
        return this.kill(w);
      case null:
        return;
    }
  }

  /** The replacement is forked first, then the hung worker killed: the slot is never empty longer. */
  private replaceHung(w: WorkerRecord, now: number): void {
    const slot = this.slots[w.slot];
    const silentMs = now - w.lastSeenAt;
    w.retireReason = RetireReason.HANG;
    const lastLagMaxMs = w.heartbeat?.lagMaxMs;
    this.log('error', 'hang', 'worker hung', { ...workerFields(w), silentMs, lastLagMaxMs });
    if (slot !== undefined && slot.current === w) {
      slot.current = null;
      if (slot.index < this.wanted) slot.current = this.spawn(slot);
      // Its socket's queue is served by the replacement, not reset when it is killed.
      if (slot.current !== null) this.listeners.succeed(slot.current.id, slot.current.config, w.id);
    }
    this.observe.restarted(RetireReason.HANG);
    this.log('warn', 'restart', 'replacing hung worker', { slot: w.slot, reason: RetireReason.HANG });
    this.kill(w);
  }

  private checkSlot(slot: Slot, now: number): void {
    const w = slot.current;
    if (w === null || w.state !== WorkerState.READY) return;
    if (now - w.readyAt >= w.config.cluster.stableUptimeMs && slot.backoff.failures > 0) {
      slot.backoff.settle();
      if (slot.crashLooping) this.log('info', 'recovered', 'slot recovered', { slot: slot.index });
      slot.crashLooping = false;
    }
    const cause = recycleCause(w);
    if (cause === null) return;
    w.recycleQueued = true;
    this.log('info', 'recycle', 'recycling worker', { ...workerFields(w), cause });
    this.roll.recycle(slot.index);
  }

  /** Adds slots up to the wanted count, retires and drops the ones above it. */
  private resize(): void {
    while (this.slots.length < this.wanted) this.slots.push(createSlot(this.slots.length));
    for (let i = this.slots.length - 1; i >= this.wanted; i--) {
      const slot = this.slots[i] as Slot;
      for (const w of [slot.current, slot.next]) if (w !== null) this.retire(w, RetireReason.SCALE);
      slot.current = slot.next = null;
      if (i === this.slots.length - 1) this.slots.pop();
    }
  }

  private fill(slot: Slot, now: number): void {
    if (slot.current !== null) return;
    if (slot.next !== null) {
      slot.current = slot.next;
      slot.next = null;
    } else if (now >= slot.backoff.notBefore) {
      slot.current = this.spawn(slot);
    }
  }

  // ---- actions -------------------------------------------------------------------------------

  private spawn(slot: Slot): WorkerRecord {
    // Settings apply to the forks after them: a reloaded configuration reaches new workers.
    const execArgv = workerExecArgv(this.config.cluster.workerSemiSpaceMb, process.execArgv, process.env);
    cluster.setupPrimary({ execArgv });
    const proc = cluster.fork();
    const w = createWorkerRecord({
      process: proc,
      slot: slot.index,
      generation: this.generation,
      config: this.config,
      now: Date.now(),
      random: Math.random(),
    });
    this.workers.set(w.id, w);
    this.listen(proc, w);
    this.log('info', 'spawn', 'worker spawned', { ...workerFields(w), execArgv });
    return w;
  }

  private listen(proc: Worker, w: WorkerRecord): void {
    proc.on('message', (m: unknown, handle: unknown) => {
      if (isWorkerMessage(m)) this.enqueue({ kind: 'message', worker: w, message: m, handle });
    });
    proc.on('exit', (code, signal) => this.enqueue({ kind: 'exit', worker: w, code, signal }));
    // An IPC error (the worker died mid-send) is followed by its exit; nothing else to do.
    proc.on('error', () => {});
  }

  spawnNext(slot: Slot): WorkerRecord {
    slot.next = this.spawn(slot);
    if (slot.current !== null) this.listeners.succeed(slot.next.id, slot.next.config, slot.current.id);
    return slot.next;
  }

  /** Tells `w` to drain; it exits on its own, or is killed at its deadline. */
  retire(w: WorkerRecord, reason: RetireReason, again = false): void {
    if (w.state === WorkerState.DRAINING && !again) return;
    const { idleGraceMs } = w.config.shutdown;
    const stopMs = reason === RetireReason.SHUTDOWN ? this.stopTimeoutMs : null;
    const timeoutMs = stopMs ?? w.config.shutdown.timeoutMs;
    if (w.state !== WorkerState.DRAINING) this.observe.restarted(reason);
    w.retireReason = reason;
    w.state = WorkerState.DRAINING;
    // It stops accepting: a socket no successor holds must not stay in the group through the
    // primary's copy, with no one accepting, until the worker exits (listeners.ts).
    this.listeners.release(w.id);
    // A worker drains for timeoutMs itself; the margin lets its `drained` report arrive first.
    w.killAt = Date.now() + timeoutMs + KILL_MARGIN_MS;
    this.send(w, message('drain', { reason, graceMs: idleGraceMs, deadlineMs: timeoutMs }));
    this.log('info', 'drain', 'draining worker', { ...workerFields(w), reason });
  }

  kill(w: WorkerRecord): void {
    w.killed = true;
    w.process.process.kill('SIGKILL');
  }

  send(w: WorkerRecord, m: PrimaryMessage, handle?: ListeningHandle, sent: () => void = ignore): void {
    if (!w.process.isConnected()) return sent();
    // A send racing the worker's exit fails with EPIPE; its exit event follows and says enough.
    // Node's typings name only net and dgram objects; a raw handle is sent as `net.Native`.
    w.process.send(m, handle as SendHandle, sent);
  }

  /**
   * A worker's listening socket back to it `count` times: each message carries a new descriptor
   * of the same socket (acceptors.ts). This copy closes once the last is on its way (a queued
   * handle is read when its message is written).
   */
  private copyListener(w: WorkerRecord, port: number, count: number, handle: ListeningHandle): void {
    const n = Math.min(Math.max(0, Math.floor(count)), w.config.connections.maxAcceptors);
    if (n === 0 || !this.workers.has(w.id) || w.state === WorkerState.DRAINING) return handle.close();
    let left = n;
    const sent = (): void => {
      if (--left === 0) handle.close();
    };
    for (let i = 0; i < n; i++) this.send(w, message('acceptor', { port, count: 1 }), handle, sent);
  }

  recycleFailed(slot: Slot): void {
    this.log('warn', 'recycle', 'recycle replacement never became ready; keeping the worker', {
      slot: slot.index,
    });
  }

  /**
   * The application cannot be served at first start (it does not import, has the wrong shape, or
   * its `setup` throws): said once, every worker stopped, exit 1. Respawning would only loop;
   * once the cluster has served, the same failure in a replacement aborts its roll instead.
   */
  private entryFailed(error: string): never {
    this.log('fatal', 'error', `cannot serve the application: ${error}`, { entry: this.config.app.entry });
    for (const w of this.workers.values()) this.kill(w);
    process.exit(1);
  }

  // ---- reload, scale, shutdown --------------------------------------------------------------

  reload(now: number): void {
    if (this.roll.busy) {
      this.roll.reloadQueued = true;
      this.log('info', 'reload', 'reload queued behind the roll in progress', { result: 'queued' });
      return;
    }
    const config = rereadConfig(this.options, this.config, this.logger);
    if (config === null) return this.observe.reloaded(ReloadResult.INVALID);
    const previous = { config: this.config, generation: this.generation, wanted: this.wanted };
    this.config = config;
    this.renewTls(config);
    this.generation = ++this.lastGeneration;
    this.wanted = config.workers;
    const run: ReloadRun = { previous, generation: this.generation, startedAt: now, replaced: 0 };
    this.roll.startReload(run, this.slots.slice(0, this.wanted));
    const fields = { result: 'started', generation: this.generation };
    this.log('info', 'reload', 'configuration reloaded; rolling workers', fields);
  }

  /** Under `reuseport`: a warning when a worker stopping with no successor resets its queue (reuseport.ts). */
  private warnMigrateReq(): void {
    if (this.config.cluster.schedulingPolicy !== 'reuseport') return;
    const tcpMigrateReq = readMigrateReq();
    const warning = migrateReqWarning(tcpMigrateReq);
    if (warning !== null) this.log('warn', 'start', warning, { tcpMigrateReq });
  }

  reloadEnded(run: ReloadRun, result: RollResult, detail: string): void {
    if (result === ReloadResult.ABORTED) {
      // All of it or nothing: the worker count reverts with the configuration, so the next
      // reconcile retires any slot the aborted reload added.
      this.config = run.previous.config;
      this.generation = run.previous.generation;
      this.wanted = run.previous.wanted;
      // A certificate renewed by this reload stays (it is live in every worker); TLS turned off
      // by it comes back with the configuration.
      if (this.tls === null && this.config.tls.cert !== '') this.tls = this.ownTls(this.config, false);
      // Slots already rolled to the aborted generation go back too, through the same ready-gated
      // path: afterwards every worker runs the previous code and configuration.
      for (const slot of this.slots)
        if (slot.current !== null && slot.current.generation === run.generation)
          this.roll.rollBack(slot.index);
    }
    const { generation, replaced } = run;
    this.observe.reloaded(result);
    if (result === ReloadResult.OK) this.observe.setLogLevel(this.config.log.level, 'reload');
    const fields = { result, generation, replaced, durationMs: Date.now() - run.startedAt };
    this.log(result === ReloadResult.OK ? 'info' : 'error', 'reload', `reload ${result}: ${detail}`, fields);
  }

  private scale(delta: 1 | -1): void {
    const wanted = Math.max(1, this.wanted + delta);
    this.log('info', 'scale', `workers ${this.wanted} → ${wanted}`, { from: this.wanted, to: wanted });
    this.wanted = wanted;
  }

  /** Sets the number of workers (the console's `scale N`; signals step it by one). */
  scaleTo(workers: number, source: string): void {
    this.log('info', 'scale', `workers ${this.wanted} → ${workers}`, {
      from: this.wanted,
      to: workers,
      source,
    });
    this.wanted = workers;
  }

  /** The console's `stop`: SIGTERM's shutdown, its drain deadline `timeoutMs` when given. */
  stop(now: number, timeoutMs: number | null): void {
    this.stopTimeoutMs = timeoutMs;
    this.beginShutdown(now);
  }

  private beginShutdown(now: number): Shutdown {
    this.roll.clear();
    const timeoutMs = this.stopTimeoutMs ?? this.config.shutdown.timeoutMs;
    this.shutdown = new Shutdown(this, { ...this.config.shutdown, timeoutMs }, now);
    this.broadcastHealth();
    return this.shutdown;
  }

  liveWorkers(): Iterable<WorkerRecord> {
    return this.workers.values();
  }

  // ---- the console's view and levers (operator-console.ts) ----------------------------------------

  /** Runs `run` in the loop, queued behind what already happened, like a signal's command. */
  schedule(run: (now: number) => void): void {
    this.enqueue({ kind: 'control', run });
  }

  setLogLevel(level: LogLevel, source: string): void {
    this.observe.setLogLevel(level, source);
  }

  view(): PrimaryView {
    const { health, readyWorkers } = this.healthMessage();
    const { config, generation, wanted, slots, startedAt } = this;
    const stopping = this.shutdown !== null;
    const logLevel = this.observe.logLevel;
    const workers = this.workers.values();
    return {
      config,
      generation,
      wanted,
      health,
      readyWorkers,
      stopping,
      rolling: this.roll.busy,
      logLevel,
      startedAt,
      slots,
      workers,
    };
  }

  // ---- health --------------------------------------------------------------------------------

  private healthMessage(): HealthMessage {
    const { slots, wanted } = this;
    const minWorkers = this.config.cluster.minWorkers;
    return clusterHealth({ slots, wanted, minWorkers, stopping: this.shutdown !== null });
  }

  /** The cluster's readiness, as the metrics port answers `/readyz`. */
  readiness(): Readiness {
    return readiness(this.healthMessage(), false);
  }

  // ---- TLS -----------------------------------------------------------------------------------

  /**
   * The TLS owner for `config`: null without TLS. The files were checked by the configuration a
   * moment ago; if they changed since and no longer serve, that is exit 78 at start, and the
   * running material stays on a reload.
   */
  private ownTls(config: Config, starting: boolean): TlsOwner | null {
    const owned = TlsOwner.create(config, this.logger);
    if (owned === null || owned instanceof TlsOwner) return owned;
    const problems = owned.map((p) => `tls.${p.field}: ${p.problem}`).join('; ');
    this.log(starting ? 'fatal' : 'error', 'tls', `cannot serve TLS: ${problems}`);
    if (starting) process.exit(EX_CONFIG);
    return this.tls;
  }

  /**
   * SIGHUP with an accepted configuration: a renewed pair reaches every live worker now, in
   * place (setSecureContext: no request fails, no connection drops), before the roll starts.
   */
  private renewTls(config: Config): void {
    if (config.tls.cert === '') {
      this.tls = null;
      return;
    }
    if (this.tls === null) {
      this.tls = this.ownTls(config, false);
      return;
    }
    const material = this.tls.reload(config, this.logger);
    if (material === null) return;
    const m = message('tls', { material, ticketKeys: null });
    for (const w of this.workers.values()) this.send(w, m);
  }

  /** Every `tls.ticketRotationMs`: previous ← current ← next ← fresh, told to every worker. */
  private rotateTicketKeys(now: number): void {
    const keys = this.tls?.rotateIfDue(now) ?? null;
    if (keys === null) return;
    const m = message('tls', { material: null, ticketKeys: keys });
    for (const w of this.workers.values()) this.send(w, m);
    this.log('debug', 'tls', 'session-ticket keys rotated', { workers: this.workers.size });
  }

  /** The served certificate's facts (samovar_tls_certificate_expiry_seconds), or null. */
  tlsCertificate(): CertificateFacts | null {
    return this.tls?.facts ?? null;
  }

  /** Tells every worker when the health or the ready count changed. */
  broadcastHealth(): void {
    const m = this.healthMessage();
    const key = `${m.health}/${m.readyWorkers}/${m.wantedWorkers}`;
    if (key === this.healthKey) return;
    this.healthKey = key;
    for (const w of this.workers.values()) this.send(w, m);
  }
}

/** The primary's entry: load the configuration (exit 78 if invalid) and start supervising. */
export function runPrimary(
  options: PrimaryOptions = { argv: process.argv.slice(2), env: process.env },
): Primary {
  const config = loadConfigOrExit(options.argv, options.env);
  const primary = new Primary(config, options);
  if (!config.control.enabled) {
    primary.start(null);
    return primary;
  }
  // The socket is claimed before the loop starts: a live holder must stop this primary unforked.
  const path = controlSocketPath(config, options.env, options.cwd ?? process.cwd());
  void claimControlSocket(path).then((claim) => primary.start(claim));
  return primary;
}

function ignore(): void {}
