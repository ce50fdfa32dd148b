/**
 * The operator's console in the primary: it answers the control socket (`samovar status |
 * reload | scale | stop | log-level`) and feeds the live status page on the metrics port.
 *
 * It sees the cluster through two taps the primary gives it — every lifecycle line it logs, and
 * every worker heartbeat — and through `ConsoleHost.view()`; it acts only through the host, and
 * only from inside the primary's loop: a request on the socket is enqueued like a signal, then
 * run by the loop, and a waiter (console-waiters.ts) follows the lifecycle lines until it can
 * report the outcome. Every action is logged with the uid that asked.
 * Must not: touch workers or slots itself, act inside a socket callback (enqueue only), or build
 * anything for the page while no page is open.
 */

import type { LogLevel } from '../log/settings.ts';
import { ReloadWaiter, ScaleWaiter, StopWaiter } from './console-waiters.ts';
import type { LifecycleLine, Waiter } from './console-waiters.ts';
import type { ClusterStatus, ControlEnvelope, Serving } from './control-protocol.ts';
import { formatUptime, statusCells } from './status-format.ts';
import type { ControlReply, ControlSocket } from './control-socket.ts';
import type { ClusterLogger, LifecycleEvent, LifecycleLevel, LogFields } from './lifecycle-log.ts';
import type { HeartbeatMessage } from './messages.ts';
import { KILL_MARGIN_MS } from './shutdown.ts';
import type { WorkerRecord } from './slots.ts';
import { WorkerState } from './slots.ts';
import { StatusModel } from './status-model.ts';
import type { PrimaryView } from './status-model.ts';
import { renderStatusPage } from './status-page.ts';
import { StatusStream } from './status-stream.ts';
import type { StreamSource } from './status-stream.ts';

/** Past a worker's own deadline, how much longer a `scale` waits before reporting what it saw. */
const SCALE_MARGIN_MS = 2_000;
/** Timeline events a page gets when it connects (and renders without JavaScript). */
const PAGE_EVENTS = 500;

/** What the console needs from the primary; every call but `enqueue` and `view` is made in the loop. */
export interface ConsoleHost {
  view(): PrimaryView;
  /** Runs `run` in the primary's loop, after the events already queued. */
  schedule(run: (now: number) => void): void;
  /** As SIGHUP. */
  reload(now: number): void;
  scaleTo(workers: number, source: string): void;
  /** As SIGTERM, with this drain deadline instead of `shutdown.timeoutMs` when given. */
  stop(now: number, timeoutMs: number | null): void;
  setLogLevel(level: LogLevel, source: string): void;
  log(level: LifecycleLevel, event: LifecycleEvent, msg: string, fields?: LogFields): void;
}

/** What the metrics port's `/status` routes need. */
export interface StatusSource {
  /** The page, with the current status and timeline drawn in (it works without JavaScript). */
  page(): string;
  /** A page's event stream, or null when too many are open. */
  events(): AsyncIterable<string> | null;
  status(): ClusterStatus;
}

export class OperatorConsole implements StreamSource, StatusSource {
  readonly model = new StatusModel();
  readonly stream: StatusStream;
  private readonly host: ConsoleHost;
  private readonly waiters = new Set<Waiter>();
  private control: ControlSocket | null = null;

  /** `maxPages`: how many pages may stream at once (a share of the metrics port's connections). */
  constructor(host: ConsoleHost, maxPages: number) {
    this.host = host;
    this.stream = new StatusStream(this, maxPages);
  }

  /** Serves the control socket claimed at start (null: none, the reason was logged). */
  attach(socket: ControlSocket | null): void {
    this.control = socket;
    socket?.serve(
      (request, reply) => this.host.schedule((now) => this.dispatch(request, reply, now)),
      (reason) => this.host.log('warn', 'control', `control request refused: ${reason}`, { reason }),
    );
  }

  get socketPath(): string | null {
    return this.control?.path ?? null;
  }

  // ---- the taps ---------------------------------------------------------------------------------

  /** Every lifecycle line the primary writes, in order. */
  lifecycle(event: LifecycleEvent, msg: string, fields: LogFields, now: number): void {
    const e = this.model.observe(event, fields, now);
    if (e !== null) this.stream.event(() => JSON.stringify(e));
    if (this.waiters.size === 0) return;
    const line: LifecycleLine = { event, msg, fields, at: now };
    for (const w of [...this.waiters]) if (w.line(line)) this.waiters.delete(w);
  }

  heartbeat(w: WorkerRecord, m: HeartbeatMessage, now: number): void {
    this.model.heartbeat(w, m, now);
  }

  // ---- the page ---------------------------------------------------------------------------------

  status(): ClusterStatus {
    return this.model.snapshot(this.host.view(), Date.now());
  }

  page(): string {
    return renderStatusPage(this.status(), this.model.timeline().slice(-PAGE_EVENTS));
  }

  events(): AsyncIterable<string> | null {
    return this.stream.subscribe();
  }

  init(): string {
    const timeline = this.model.timeline().slice(-PAGE_EVENTS);
    const status = this.status();
    return JSON.stringify({ status, view: pageView(status), timeline, series: this.model.allSeries() });
  }

  tick(): string {
    const series = this.model.allSeries();
    const latest = Object.fromEntries(Object.entries(series).map(([slot, s]) => [slot, s.at(-1)]));
    const status = this.status();
    return JSON.stringify({ status, view: pageView(status), latest });
  }

  // ---- the control socket -------------------------------------------------------------------------

  private dispatch(request: ControlEnvelope, reply: ControlReply, now: number): void {
    if (reply.closed) return;
    const { uid } = request;
    const source = `control socket, uid ${uid}`;
    if (request.command === 'status') {
      this.host.log('debug', 'control', `status asked by uid ${uid}`, { command: 'status', uid });
      return reply.result({ command: 'status', ok: true, status: this.status() });
    }
    const { v: _v, ...asked } = request;
    this.host.log('info', 'control', `${request.command} asked by uid ${uid}`, asked);
    const view = this.host.view();
    if (view.stopping && request.command !== 'stop') return reply.error('the cluster is stopping');
    switch (request.command) {
      case 'reload':
        this.wait(
          new ReloadWaiter(
            reply,
            now,
            () => this.serving(),
            (slot) => this.currentPid(slot),
          ),
        );
        return this.host.reload(now);
      case 'scale':
        return this.scale(request.workers, reply, source, now);
      case 'stop':
        this.wait(new StopWaiter(reply, now));
        if (view.stopping) return reply.progress('the cluster is already stopping');
        return this.host.stop(now, request.timeoutMs);
      case 'log-level': {
        const from = view.logLevel;
        this.host.setLogLevel(request.level, source);
        const workers = [...view.workers].length;
        return reply.result({ command: 'log-level', ok: true, from, to: request.level, workers });
      }
    }
  }

  private scale(to: number, reply: ControlReply, source: string, now: number): void {
    const view = this.host.view();
    const from = view.wanted;
    const retiring: number[] = [];
    for (const slot of view.slots)
      if (slot.index >= to) for (const w of [slot.current, slot.next]) if (w !== null) retiring.push(w.pid);
    const c = view.config;
    const waitMs = to > from ? c.cluster.readyTimeoutMs : c.shutdown.timeoutMs + KILL_MARGIN_MS;
    const waiter = new ScaleWaiter(reply, from, to, retiring, now + waitMs + SCALE_MARGIN_MS);
    if (from !== to) this.host.scaleTo(to, source);
    if (waiter.idle) return void waiter.finish(true);
    this.wait(waiter);
  }

  private wait(waiter: Waiter): void {
    this.waiters.add(waiter);
    waiter.reply.onClose(() => this.waiters.delete(waiter));
    if (!Number.isFinite(waiter.deadline)) return;
    const expire = (): void => {
      if (this.waiters.delete(waiter)) waiter.expire?.(Date.now());
    };
    setTimeout(() => this.host.schedule(expire), Math.max(0, waiter.deadline - Date.now())).unref();
  }

  private serving(): Serving {
    const view = this.host.view();
    const workers = [];
    for (const slot of view.slots) {
      const w = slot.current;
      if (slot.index < view.wanted && w?.state === WorkerState.READY)
        workers.push({ slot: slot.index, pid: w.pid, generation: w.generation });
    }
    return { generation: view.generation, workers };
  }

  private currentPid(slot: number): number | null {
    return this.host.view().slots[slot]?.current?.pid ?? null;
  }
}

/** The page's text, formatted here once so the script only places it (status-format.ts). */
function pageView(status: ClusterStatus): { cells: string[][]; uptime: string } {
  return { cells: status.workers.map(statusCells), uptime: formatUptime(status.at - status.startedAt) };
}

/**
 * `logger`, with every lifecycle line also handed to `tap` once written: the primary's own, and
 * those its parts write through it (a rejected reload, a log-level change, the shutdown).
 */
export function tapLifecycle(
  logger: ClusterLogger,
  tap: (event: LifecycleEvent, msg: string, fields: LogFields) => void,
): ClusterLogger {
  return {
    ...logger,
    log(level, event, msg, fields = {}): void {
      logger.log(level, event, msg, fields);
      tap(event, msg, fields);
    },
  };
}
