/**
 * The primary's one event queue. Signal handlers, IPC and exit listeners and the clock only
 * `push`; the queue then runs its consumer once, on the next turn of the event loop, with every
 * event that arrived meanwhile — so events are handled one batch at a time, in order, and never
 * inside the callback that produced them (gunicorn's arbiter, without its self-pipe: Node's
 * loop is the pipe).
 * Must not: hold supervisor logic.
 */

export type Consumer<E> = (events: readonly E[], now: number) => void;

export class EventQueue<E> {
  private events: E[] = [];
  private scheduled = false;
  private readonly consumer: Consumer<E>;

  constructor(consumer: Consumer<E>) {
    this.consumer = consumer;
  }

  push(event: E): void {
    this.events.push(event);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const events = this.events;
    this.events = [];
    this.consumer(events, Date.now());
  }
}
