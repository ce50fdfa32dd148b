/**
 * The fetch adapter's streams on a real Samovar server: `request.body` pulled with backpressure
 * (the server holds a bounded amount while the app reads slowly), the engine's body limit (413)
 * through every way an app reads, server-sent events whose head leaves before the first event,
 * and `request.signal`: it fires when the client goes away before the answer is complete (a slow
 * app, an idle or busy event stream, a client gone before the stream began: each producer is
 * cancelled), and never for an answer that was completely written. "Gone" is a reset, or a FIN
 * the server notices when it next writes: Samovar keeps half-open connections (a client may FIN
 * after its request and still read the answer), so a FIN alone is not a departure.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { fetchHandler, LightResponse, NativeResponse, type FetchApp } from '../../src/fetch/index.ts';
import type { Handler, Request as ServerRequest, ServerOptionsOverrides } from '../../src/server/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { cleanup, sleep, startServer, waitUntil, type TestServer } from '../support/server.ts';

afterEach(cleanup);

const encoder = new TextEncoder();
const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

function serve(fetch: FetchApp['fetch'], overrides: ServerOptionsOverrides = {}): Promise<TestServer> {
  return startServer(fetchHandler({ fetch }), overrides);
}

/** A promise the test settles, and whether anyone is waiting on it yet. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('request bodies', () => {
  it('pulls a streamed upload of 4 MiB as the app reads it: the server holds a bounded amount', async () => {
    const TOTAL = 4 * 1024 * 1024;
    let native: ServerRequest | null = null;
    let maxLag = 0;
    const inner = fetchHandler({
      async fetch(request) {
        let consumed = 0;
        for await (const chunk of request.body as ReadableStream<Uint8Array>) {
          expect(chunk.constructor).toBe(Uint8Array);
          consumed += chunk.byteLength;
          maxLag = Math.max(maxLag, (native?.body.received ?? 0) - consumed);
          await sleep(1);
        }
        return new LightResponse(String(consumed));
      },
    });
    const handler: Handler = (req, res) => {
      native = req;
      return inner(req, res);
    };
    const { port } = await startServer(handler, { limits: { maxBodyBytes: 16 * 1024 * 1024 } });
    const c = await RawClient.connect(port);
    c.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${TOTAL}\r\n\r\n`);
    c.write(Buffer.alloc(TOTAL, 0x61));
    const [r] = await c.responses(1, {}, 20_000);
    expect(r?.body.toString()).toBe(String(TOTAL));
    // The engine pauses the socket beyond 64 KiB unread; one more socket read may be in flight.
    expect(maxLag).toBeGreaterThan(0);
    expect(maxLag).toBeLessThan(512 * 1024);
  });

  it('answers 413 when a chunked body passes maxBodyBytes, however the app reads it', async () => {
    const reads: string[] = [];
    const { port, errors, protocolErrors } = await serve(
      async (request) => {
        const how = new URL(request.url).pathname.slice(1);
        reads.push(how);
        if (how === 'text') await request.text();
        else if (how === 'json') await request.json();
        else if (how === 'form') await request.formData();
        else for await (const chunk of request.body as ReadableStream<Uint8Array>) void chunk;
        return new LightResponse('read it all');
      },
      { limits: { maxBodyBytes: 1024 } },
    );
    for (const how of ['text', 'json', 'stream', 'form']) {
      const c = await RawClient.connect(port);
      const chunk = `200\r\n${'a'.repeat(0x200)}\r\n`;
      c.write(
        `POST /${how} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
          `Transfer-Encoding: chunked\r\n\r\n${chunk.repeat(4)}0\r\n\r\n`,
      );
      const [r] = await c.responses(1);
      expect([how, r?.status]).toEqual([how, 413]);
    }
    expect(reads).toEqual(['text', 'json', 'stream', 'form']);
    expect(protocolErrors.filter((code) => code === 'BODY_TOO_LARGE')).toHaveLength(4);
    expect(errors).toHaveLength(0);
  });
});

describe('server-sent events', () => {
  for (const kind of ['light', 'undici'] as const) {
    it(`sends the head before the first event exists (${kind} Response)`, async () => {
      const first = deferred();
      const { port } = await serve(() => {
        const stream = new ReadableStream<Uint8Array>({
          async start(controller) {
            await first.promise;
            controller.enqueue(encoder.encode('data: 1\n\n'));
            controller.close();
          },
        });
        const init = { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } };
        return kind === 'light' ? new LightResponse(stream, init) : new NativeResponse(stream, init);
      });
      const c = await RawClient.connect(port);
      c.write(get('/events'));
      await c.waitFor(() => c.text.includes('\r\n\r\n'), 3000, 'the head');
      expect(c.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(c.text).toContain('\r\ncontent-type: text/event-stream\r\n');
      expect(c.text).toContain('\r\nTransfer-Encoding: chunked\r\n');
      expect(c.text).not.toContain('data:');
      first.resolve();
      const [r] = await c.responses(1);
      expect(r?.body.toString()).toBe('data: 1\n\n');
    });
  }
});

describe('request.signal', () => {
  it('fires when the client goes away while the app awaits a long operation', async () => {
    let called = false;
    let aborted = false;
    const { port } = await serve(async (request) => {
      called = true;
      await new Promise((resolve) => request.signal.addEventListener('abort', resolve));
      aborted = request.signal.aborted;
      return new LightResponse('too late');
    });
    const c = await RawClient.connect(port);
    c.write(get('/slow'));
    await waitUntil(() => called, 3000, 'the app to be called');
    c.socket.resetAndDestroy();
    await waitUntil(() => aborted, 3000, 'the signal');
  });

  it('cancels an event stream when the client goes away: busy (FIN, seen at the next write) or idle (reset)', async () => {
    for (const idle of [false, true]) {
      let pulls = 0;
      let cancelled = false;
      const { port } = await serve((request) => {
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            pulls++;
            if (idle && pulls > 1) return new Promise<void>(() => {}); // silent from now on
            await sleep(10);
            controller.enqueue(encoder.encode(`data: ${pulls}\n\n`));
          },
          cancel() {
            cancelled = request.signal.aborted;
          },
        });
        return new LightResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
      });
      const c = await RawClient.connect(port);
      c.write(get('/events'));
      await c.waitFor(() => c.text.includes('data: 1'), 3000, 'the first event');
      if (idle) c.socket.resetAndDestroy();
      else c.close();
      await waitUntil(() => cancelled, 3000, `the producer's cancel (idle: ${idle})`);
      const after = pulls;
      await sleep(60);
      expect(pulls).toBe(after);
    }
  });

  it('cancels a stream whose client left before the app returned it', async () => {
    let called = false;
    let cancelled = false;
    const { port } = await serve(async () => {
      called = true;
      await sleep(80);
      const stream = new ReadableStream<Uint8Array>({
        pull: () => new Promise<void>(() => {}),
        cancel: () => {
          cancelled = true;
        },
      });
      return new LightResponse(stream);
    });
    const c = await RawClient.connect(port);
    c.write(get('/'));
    await waitUntil(() => called, 3000, 'the app to be called');
    c.socket.resetAndDestroy();
    await waitUntil(() => cancelled, 3000, 'the cancel');
  });

  it('never fires for an answer that was completely written, even when the client leaves after', async () => {
    const signals: AbortSignal[] = [];
    let fired = 0;
    const { port } = await serve((request) => {
      signals.push(request.signal);
      request.signal.addEventListener('abort', () => fired++);
      if (new URL(request.url).pathname === '/text') return new LightResponse('whole');
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(5); // live: streamed chunked, not sent whole
          controller.enqueue(encoder.encode('streamed'));
          controller.close();
        },
      });
      return new LightResponse(stream);
    });
    const c = await RawClient.connect(port);
    c.write(get('/text') + get('/stream'));
    const rs = await c.responses(2);
    expect(rs.map((r) => [r.body.toString(), r.chunked])).toEqual([
      ['whole', false],
      ['streamed', true],
    ]);
    await sleep(30);
    c.close();
    await sleep(80);
    expect(signals).toHaveLength(2);
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
    expect(fired).toBe(0);
  });
});
