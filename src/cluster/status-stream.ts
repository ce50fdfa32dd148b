/**
 * The live status page's server-sent events (text/event-stream, WHATWG HTML §9.2), fanned out
 * by the primary: one snapshot is built and serialised once a second and the same string is
 * queued to every open page, and each lifecycle event is sent the moment it happens. The
 * workers are never asked anything for it (heartbeats already bring what it shows), so many
 * open pages cost them nothing; with no page open there is no timer and nothing is built.
 *
 * Every page gets `init` (the status, the timeline, the sparkline series) on connecting, then
 * `status` every TICK_MS and `timeline` as events come. A page that stops reading is not allowed
 * to hold memory: past MAX_QUEUED messages its stream ends, and EventSource reconnects (with a
 * fresh `init`) once it can read again.
 * Must not: build a snapshot while nobody listens, or write to sockets itself (the engine's
 * `res.stream` does, with its backpressure and write timeouts).
 */

/** How often open pages get a fresh snapshot: the heartbeat's own pace. */
export const TICK_MS = 1_000;
/** Messages waiting for one slow page before its stream is ended. */
const MAX_QUEUED = 64;
/** EventSource's reconnection delay, sent in the first message. */
const RETRY_MS = 2_000;

/** What the stream needs from the console: payloads, each already JSON. */
export interface StreamSource {
  /** Everything a page needs to draw itself. */
  init(): string;
  /** The status now, and the newest sample of each slot. */
  tick(): string;
}

class Subscriber implements AsyncIterator<string>, AsyncIterable<string> {
  private readonly queue: string[] = [];
  private wake: ((r: IteratorResult<string>) => void) | null = null;
  private done = false;
  private readonly onEnd: (s: Subscriber) => void;

  constructor(first: string, onEnd: (s: Subscriber) => void) {
    this.queue.push(first);
    this.onEnd = onEnd;
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this;
  }

  push(message: string): void {
    if (this.done) return;
    if (this.wake !== null) {
      const wake = this.wake;
      this.wake = null;
      wake({ value: message, done: false });
      return;
    }
    this.queue.push(message);
    if (this.queue.length > MAX_QUEUED) this.end();
  }

  next(): Promise<IteratorResult<string>> {
    const message = this.queue.shift();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** The engine calls this when the client goes away (or the stream ends). */
  return(): Promise<IteratorResult<string>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.onEnd(this);
    const wake = this.wake;
    this.wake = null;
    wake?.({ value: undefined, done: true });
  }
}

export class StatusStream {
  private readonly source: StreamSource;
  private readonly subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | null = null;
  /** How many pages may watch at once (a share of the metrics port's connections). */
  readonly capacity: number;
  /** Snapshots built since start: the tests and the load lab read it. */
  ticks = 0;

  constructor(source: StreamSource, capacity: number) {
    this.source = source;
    this.capacity = capacity;
  }

  get watchers(): number {
    return this.subscribers.size;
  }

  /** A new page's stream, or null when `capacity` pages are open already. */
  subscribe(): AsyncIterable<string> | null {
    if (this.subscribers.size >= this.capacity) return null;
    const s = new Subscriber(`retry: ${RETRY_MS}\n${frame('init', this.source.init())}`, (gone) =>
      this.left(gone),
    );
    this.subscribers.add(s);
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
    return s;
  }

  /** A lifecycle event, to every open page at once (built only if anyone watches). */
  event(json: () => string): void {
    if (this.subscribers.size === 0) return;
    this.broadcast(frame('timeline', json()));
  }

  /** Ends every stream (the primary is exiting). */
  close(): void {
    for (const s of [...this.subscribers]) s.end();
  }

  private tick(): void {
    this.ticks++;
    this.broadcast(frame('status', this.source.tick()));
  }

  private broadcast(message: string): void {
    for (const s of this.subscribers) s.push(message);
  }

  private left(s: Subscriber): void {
    this.subscribers.delete(s);
    if (this.subscribers.size > 0 || this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }
}

/** One event: its name and one `data:` line (JSON has no raw newlines). */
function frame(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}
