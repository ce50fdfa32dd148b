/**
 * The route contract every fixture in harness/apps implements, and the few helpers they share, so
 * the five apps differ only in how their framework says it:
 *   GET  /            200 `Hello, World!` as text/plain
 *   HEAD /            the same head, no body
 *   POST /echo        a JSON body back as JSON
 *   GET  /users/:id   `{ "id": "<id>" }`
 *   GET  /boom        the handler throws: 500
 *   GET  /sse         text/event-stream, `data: 1` … `data: 3`, each after SSE_INTERVAL_MS, then the end
 *   POST /upload      `{ "bytes": N }`, counted while the body streams in (never collected whole)
 *   GET  /slow?ms=N   answers after N ms; watches the request's abort signal meanwhile
 *   GET  /aborts      `{ "watched": W, "aborted": A }`: how many /slow signals fired, ever
 *   GET  /cookies     two Set-Cookie fields (a Headers join would merge them: a classic adapter bug)
 *   GET  /old         302 to `/`
 *   anything else     404
 * The ledger counts per process: a test that reads /aborts needs one worker behind the port.
 * Must not: import a framework or Samovar (each fixture brings its own), or keep per-request state.
 */

export const HELLO = 'Hello, World!';
export const SSE_EVENTS = 3;
/** Far above loopback jitter, so a server that holds the head or batches events shows it. */
export const SSE_INTERVAL_MS = 50;
/** `/slow` never waits longer, whatever `ms` says: a fixture must not be a way to pin a worker. */
export const MAX_SLOW_MS = 10_000;
export const COOKIES: readonly string[] = ['a=1; Path=/', 'b=2; Path=/; HttpOnly'];

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `/slow`'s `ms`, bounded; anything that is not a number waits 0 ms. */
export function slowMs(value: string | null | undefined): number {
  const ms = Number(value ?? 0);
  return Number.isFinite(ms) ? Math.min(MAX_SLOW_MS, Math.max(0, Math.trunc(ms))) : 0;
}

/** One server-sent event (WHATWG HTML §9.2.6): a data line and the blank line that ends it. */
export function sseEvent(n: number): string {
  return `data: ${n}\n\n`;
}

/** The contract's events, each after its interval: the first too, so the head must leave alone. */
export async function* sseEvents(): AsyncGenerator<string> {
  for (let n = 1; n <= SSE_EVENTS; n++) {
    await sleep(SSE_INTERVAL_MS);
    yield sseEvent(n);
  }
}

/** The same events as a WHATWG stream, for the fetch apps without an SSE helper. */
export function sseStream(): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const events = sseEvents();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await events.next();
      if (next.done === true) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await events.return(undefined);
    },
  });
}

/** Bytes of a streamed body, one chunk at a time: the body is never held whole. */
export async function countBytes(body: AsyncIterable<Uint8Array> | null): Promise<number> {
  let bytes = 0;
  if (body === null) return bytes;
  for await (const chunk of body) bytes += chunk.byteLength;
  return bytes;
}

/** How many request signals `/slow` watched, and how many of them fired. */
export class AbortLedger {
  watched = 0;
  aborted = 0;

  /** Counts `signal` now and when it aborts, even after the answer: a late abort is a bug too. */
  watch(signal: AbortSignal): void {
    this.watched++;
    signal.addEventListener('abort', () => this.aborted++, { once: true });
  }

  snapshot(): { watched: number; aborted: number } {
    return { watched: this.watched, aborted: this.aborted };
  }
}
