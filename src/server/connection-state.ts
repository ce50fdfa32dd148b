/**
 * The states of a connection and the registry that counts them (after Go net/http's
 * `ConnState`/`setState`): NEW (accepted, no byte yet) → ACTIVE (a request is being read or
 * answered) ⇄ IDLE (keep-alive, waiting for the next request, RFC 9112 §9.3) → LINGER (our side
 * closed, reading and discarding so the client sees our last answer before any reset, RFC 9112
 * §9.6) → CLOSED.
 * Draining and, later, metrics read the registry; only `Connection.setState` writes it.
 * Must not: touch sockets or timers.
 */

export const ConnState = {
  NEW: 'new',
  ACTIVE: 'active',
  IDLE: 'idle',
  LINGER: 'linger',
  CLOSED: 'closed',
} as const;
export type ConnState = (typeof ConnState)[keyof typeof ConnState];

/** Anything with a state; the registry does not need to know more. */
export interface Stateful {
  readonly state: ConnState;
}

export class ConnectionRegistry<C extends Stateful> {
  /** Open connections (every state but CLOSED). */
  readonly open = new Set<C>();
  readonly counts: Record<ConnState, number> = { new: 0, active: 0, idle: 0, linger: 0, closed: 0 };
  /** Called when the last open connection closes (drain waits for it). */
  onEmpty: (() => void) | null = null;

  get size(): number {
    return this.open.size;
  }

  /** Registers a freshly accepted connection in state NEW. */
  add(conn: C): void {
    this.open.add(conn);
    this.counts.new++;
  }

  /** Records `conn` moving from its current state to `next`; call before assigning it. */
  transition(conn: C, next: ConnState): void {
    this.counts[conn.state]--;
    if (next !== ConnState.CLOSED) {
      this.counts[next]++;
      return;
    }
    // Closed connections leave the registry: it holds only what drain must wait for.
    this.open.delete(conn);
    if (this.open.size === 0 && this.onEmpty !== null) this.onEmpty();
  }
}
