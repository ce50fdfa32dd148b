/**
 * More descriptors of the listening socket while accepts back up behind long event-loop turns.
 *
 * libuv accepts one connection per ready listening descriptor per event-loop turn (since 1.45,
 * libuv#3696: it no longer accepts in a loop) and relies on level-triggered epoll to bring it
 * back next turn. A worker whose turns serve a thousand keep-alive connections takes 10–60 ms a
 * turn, so it accepts a burst of new connections (a load balancer reconnecting, 1,000 clients at
 * once) at 20–60 a second, and requests sent on connections still in the kernel's queue wait
 * seconds: the `keep-alive ×1000` p99 tail (docs/performance.md). Every descriptor of the same
 * socket is a ready descriptor of its own, so K descriptors accept K a turn.
 *
 * They are not free: every descriptor is woken for every new connection, and those that find the
 * queue already empty cost an `accept4` that fails with EAGAIN — at a fixed 32, `Connection:
 * close` load (turns of a millisecond, a few dozen connections each) lost a fifth of its
 * throughput. So the count follows the queue: one descriptor normally; after a turn in which
 * every descriptor accepted and that was long (`LONG_TURN_MS` from its first accept to the check
 * phase: connections kept arriving meanwhile), 8, then twice as many at each such turn, up to the
 * configured most; every `SHRINK_TURNS` turns that accepted, down to the power of two that the
 * busiest of them filled (one, once connections come one at a time). A turn without accepts
 * costs nothing and decides nothing.
 * Copies come from the process that can make them (a worker asks the primary, which sends the
 * handle back once per copy: each message carries a new descriptor of the same socket). They are
 * fetched ahead, at listen, and kept as spare descriptors that no one polls (they cost a
 * descriptor each and nothing else), so growing takes effect in the turn that decides it; the
 * copies a shrink closes are fetched again in the background.
 * Must not: open or close the socket itself (only descriptors of it), or run per connection more
 * than a counter and, once a turn, a `setImmediate`.
 */

import { readFileSync } from 'node:fs';
import type net from 'node:net';

/** A listening socket's raw handle, as Node passes it between processes (`server._handle`). */
export interface AcceptorHandle {
  close(): void;
}

/** A turn this long after its first accept let connections queue behind it. */
export const LONG_TURN_MS = 2;
/**
 * The same over TLS: a batch of accepts there is a batch of handshakes (~0.4 ms of crypto each)
 * in the next turn, which the requests of open connections wait behind. Under `Connection: close`
 * over TLS (wrk -c50, 6 interleaved rounds) 2 ms widened often and raised p99 by a median 25 %
 * against one descriptor; 8 ms, 12 %.
 */
export const LONG_TLS_TURN_MS = 8;
/** The count at the first backed-up turn; it doubles at each after it. */
export const FIRST_GROWTH = 8;
/** Turns that accepted, after which the count falls to what the busiest of them needed. */
export const SHRINK_TURNS = 8;

/** A listener's descriptors may take at most this share of the process's descriptor limit. */
export const DESCRIPTOR_SHARE = 256;

/**
 * The most descriptors one listener may hold: `configured`, but no more than one in
 * DESCRIPTOR_SHARE of the process's open-file limit (`/proc/self/limits`), so that a low `ulimit
 * -n` (1024 is common) is left to connections; 1 where the limit cannot be read.
 */
export function acceptorLimit(configured: number, limits = readLimits()): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  if (line === undefined) return 1;
  const budget = line === 'unlimited' ? configured : Math.floor(Number(line) / DESCRIPTOR_SHARE);
  return Math.max(1, Math.min(configured, budget));
}

function readLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

export interface AcceptorsOptions {
  /** Most descriptors in all (the listener's own included); below 2 nothing ever opens. */
  readonly max: number;
  /** A turn at least this long that filled every descriptor widens (LONG_TURN_MS by default). */
  readonly longTurnMs?: number;
  /** Asks for `count` more copies of the listening socket; they come back through `add`. */
  readonly request: (count: number) => void;
  /** A listener on a copy, wired as the server's own (its connections go to the same place). */
  readonly listen: (handle: AcceptorHandle) => net.Server;
}

export class Acceptors {
  private readonly options: AcceptorsOptions;
  /** Listeners on copies, newest last. */
  private readonly open: net.Server[] = [];
  /** Copies not listened on: no one polls them. */
  private readonly spare: AcceptorHandle[] = [];
  /** Copies asked for and not yet arrived. */
  private asked = 0;
  /** Descriptors wanted, the listener's own included. */
  private target = 1;
  private acceptedThisTurn = 0;
  private turnStart = 0;
  private scheduled = false;
  /** Turns since the count last changed or grew, and the most any of them accepted. */
  private windowTurns = 0;
  private busiest = 0;
  private closed = false;
  /** Times the count grew and shrank (tests read them). */
  grown = 0;
  shrunk = 0;
  /** Resolves once the copies asked for at start have come (or this closed). */
  readonly stocked: Promise<void>;
  private onStocked: () => void = () => {};

  private readonly longTurnMs: number;

  constructor(options: AcceptorsOptions) {
    this.options = options;
    this.longTurnMs = options.longTurnMs ?? LONG_TURN_MS;
    this.stocked = new Promise((resolve) => (this.onStocked = resolve));
    this.refill();
    if (this.asked === 0) this.onStocked();
  }

  /** Descriptors this listener accepts on now. */
  get descriptors(): number {
    return 1 + this.open.length;
  }

  /** A connection was accepted (by any descriptor). */
  onAccept(): void {
    this.acceptedThisTurn++;
    if (this.scheduled) return;
    this.scheduled = true;
    this.turnStart = performance.now();
    setImmediate(endTurn, this);
  }

  /** The check phase of a turn that accepted: grow, shrink, or stay. */
  endTurn(): void {
    this.scheduled = false;
    const accepted = this.acceptedThisTurn;
    this.acceptedThisTurn = 0;
    if (this.closed) return;
    const took = performance.now() - this.turnStart;
    const have = this.descriptors;
    if (accepted >= have && took >= this.longTurnMs) {
      // Every descriptor found a connection and the turn was long: the queue is backing up.
      this.windowTurns = 0;
      this.busiest = 0;
      if (this.target < this.options.max) {
        this.grown++;
        this.target = Math.min(this.options.max, this.target === 1 ? FIRST_GROWTH : this.target * 2);
        this.openSpares();
      }
      return;
    }
    if (this.target === 1) return;
    // Descriptors that found the queue empty each cost an accept4 that failed: after a window
    // of turns, keep only as many as the busiest turn of it used.
    if (accepted > this.busiest) this.busiest = accepted;
    if (++this.windowTurns < SHRINK_TURNS) return;
    const want = powerOfTwoAtLeast(Math.max(1, this.busiest));
    this.windowTurns = 0;
    this.busiest = 0;
    if (want >= this.target) return;
    this.shrunk++;
    this.target = want;
    while (this.descriptors > this.target) (this.open.pop() as net.Server).close();
    this.refill();
  }

  /** A copy asked for has come: listened on if wanted now, else kept spare. */
  add(handle: AcceptorHandle): void {
    if (this.asked > 0) this.asked--;
    if (this.asked === 0) this.onStocked();
    if (this.closed) return handle.close();
    this.spare.push(handle);
    this.openSpares();
  }

  /** Closes every copy (a drain, a stop): the listener's own descriptor is the server's to close. */
  closeAll(): void {
    this.closed = true;
    this.onStocked();
    this.target = 1;
    for (const server of this.open.splice(0)) server.close();
    for (const handle of this.spare.splice(0)) handle.close();
  }

  private openSpares(): void {
    while (this.descriptors < this.target && this.spare.length > 0)
      this.open.push(this.options.listen(this.spare.pop() as AcceptorHandle));
  }

  /** Asks for the copies that keep open + spare + asked at `max − 1`. */
  private refill(): void {
    const missing = this.options.max - 1 - this.open.length - this.spare.length - this.asked;
    if (missing <= 0 || this.closed) return;
    this.asked += missing;
    this.options.request(missing);
  }
}

function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function endTurn(acceptors: Acceptors): void {
  acceptors.endTurn();
}
