/**
 * One timer per connection for every timeout it can hit: head (slowloris), body, idle
 * keep-alive, write, and the lingering close. Only one can be pending at a time because the
 * phases do not overlap, so the same Node `Timeout` is re-armed with `refresh()` instead of a new
 * timer per request; it is only recreated when the duration changes (undici does the same).
 * Must not: decide what a timeout means (the connection does), or keep the process alive.
 */

export const TimerKind = { NONE: 0, HEAD: 1, BODY: 2, IDLE: 3, WRITE: 4, LINGER: 5 } as const;
export type TimerKind = (typeof TimerKind)[keyof typeof TimerKind];

export interface TimerOwner {
  onTimeout(kind: TimerKind): void;
}

export class ConnectionTimer {
  kind: TimerKind = TimerKind.NONE;
  private handle: NodeJS.Timeout | null = null;
  private ms = 0;
  private readonly owner: TimerOwner;

  constructor(owner: TimerOwner) {
    this.owner = owner;
  }

  /** Starts `kind` for `ms` unless it is already running (a running head timer is not reset). */
  arm(kind: TimerKind, ms: number): void {
    if (kind === this.kind) return;
    this.restart(kind, ms);
  }

  /** Starts `kind` for `ms` from now, whatever runs. NONE leaves a stale fire to be ignored. */
  restart(kind: TimerKind, ms: number): void {
    this.kind = kind;
    if (kind === TimerKind.NONE) return;
    if (this.handle !== null && this.ms === ms) {
      this.handle.refresh();
      return;
    }
    if (this.handle !== null) clearTimeout(this.handle);
    this.ms = ms;
    this.handle = setTimeout(fire, ms, this);
    // The socket keeps the process alive while the connection is open; the timer must not.
    this.handle.unref();
  }

  clear(): void {
    this.kind = TimerKind.NONE;
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
  }

  /** Called by the module-level `fire`. */
  expire(): void {
    const kind = this.kind;
    if (kind === TimerKind.NONE) return;
    this.kind = TimerKind.NONE;
    this.owner.onTimeout(kind);
  }
}

function fire(timer: ConnectionTimer): void {
  timer.expire();
}
