/**
 * Under `reuseport`: the primary's copies of the workers' listening sockets, so that a rolled slot
 * keeps its socket, and the connections queued on it, instead of closing it.
 *
 * Each worker binds a socket of its own, and the kernel hashes every new connection to one socket
 * of the port's group. A socket that closes resets the connections in its accept queue (unless
 * `net.ipv4.tcp_migrate_req` is 1): a roll that drained the old worker's socket after the
 * replacement bound a new one failed requests (docs/cluster.md). So a worker sends the primary
 * each socket it binds (`listener`, the raw handle attached), the primary keeps that copy, and a
 * replacement is handed the socket of the worker it replaces before its `start`. It serves on it
 * next to the old worker; when the old one drains, it closes only its own descriptor: the socket,
 * its place in the group and its queue stay with the replacement.
 * A copy is closed once no worker serves on it or is starting with it, as soon as the last one is
 * told to drain (or exits): a copy of a socket no one accepts on would keep it in the group, and
 * the kernel would go on queueing connections there until the copy closed and reset them all. So
 * a worker that stops without a successor takes its socket out of the group at its drain, as it
 * would without this module.
 * Must not: accept on a socket (a raw handle is never listened on here), send, or log.
 */

import type { Config } from '../config/index.ts';
import type { ListeningHandle } from '../server/index.ts';

/** A listening socket the primary holds a copy of. */
export interface HeldSocket {
  readonly host: string;
  readonly port: number;
  readonly handle: ListeningHandle;
}

interface Held extends HeldSocket {
  /** Ids of the live workers serving on it, or handed it and starting. */
  readonly holders: Set<number>;
}

/** Whether `value`, an IPC message's handle, is one a `listener` message can carry. */
export function isListeningHandle(value: unknown): value is ListeningHandle {
  return (
    typeof value === 'object' && value !== null && typeof (value as ListeningHandle).close === 'function'
  );
}

/** Whether a worker serving `config` listens on `socket`'s host and port. */
function served(config: Config, socket: HeldSocket): boolean {
  if (socket.host !== config.host) return false;
  const plain = config.tls.cert !== '' ? config.tls.httpPort : 0;
  return socket.port === config.port || (plain !== 0 && socket.port === plain);
}

export class Listeners {
  private readonly byWorker = new Map<number, Held[]>();
  /** A replacement's id → the sockets to send it at its `hello`. */
  private readonly pending = new Map<number, readonly HeldSocket[]>();

  /**
   * `next`, serving `config`, replaces `previous` in its slot (a roll, a hang): it takes over
   * previous's sockets on its own host and ports, and holds them from now on, so they stay
   * open here even if `previous` exits before `next` listens (its queue then waits for `next`).
   */
  succeed(next: number, config: Config, previous: number): void {
    const taken = (this.byWorker.get(previous) ?? []).filter((held) => served(config, held));
    if (taken.length === 0) return;
    for (const held of taken) held.holders.add(next);
    this.byWorker.set(next, [...(this.byWorker.get(next) ?? []), ...taken]);
    this.pending.set(next, taken);
  }

  /** A socket `worker` (alive) bound and sent. */
  adopt(worker: number, socket: HeldSocket): void {
    const held: Held = { ...socket, holders: new Set([worker]) };
    this.byWorker.set(worker, [...(this.byWorker.get(worker) ?? []), held]);
  }

  /** The sockets to send `worker`, which said hello (ahead of its `start`); once. */
  handOver(worker: number): readonly HeldSocket[] {
    const taken = this.pending.get(worker) ?? [];
    this.pending.delete(worker);
    return taken;
  }

  /** `worker` stops serving (told to drain, or exited): each socket no worker holds any more is closed here. */
  release(worker: number): void {
    this.pending.delete(worker);
    for (const held of this.byWorker.get(worker) ?? []) {
      held.holders.delete(worker);
      if (held.holders.size === 0) held.handle.close();
    }
    this.byWorker.delete(worker);
  }
}
