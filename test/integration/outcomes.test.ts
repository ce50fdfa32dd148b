/**
 * Every exchange is observed exactly once, with how it ended (src/server/outcome.ts): the
 * response hook (what the access log and metrics read) gets the outcome, the status that went on
 * the wire (or nginx's 499 / 408 / 503 for an answer that never did), and the body bytes really
 * handed to the socket. Real sockets, each way a client or the server can end an exchange early.
 */

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/server/index.ts';
import type { ServerResponse } from '../../src/server/index.ts';
import { cleanup, sleep, startServer, waitUntil } from '../support/server.ts';

interface Seen {
  readonly path: string;
  readonly status: number;
  readonly outcome: string;
  readonly bytes: number;
}

const BIG_BYTES = 8 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

function setup(): { seen: Seen[]; aborted: string[]; router: Router } {
  const seen: Seen[] = [];
  const aborted: string[] = [];
  const router = new Router()
    .get('/', (_req, res) => res.send('hello'))
    .post('/upload', async (req, res) => res.json({ bytes: (await req.body.bytes()).length }))
    .get('/slow', async (req, res) => {
      req.signal.addEventListener('abort', () => aborted.push(req.path));
      await sleep(300);
      res.send('late');
    })
    .get('/never', () => new Promise<void>(() => {}))
    .get('/boom', () => {
      throw new Error('bug');
    })
    .get('/big', (_req, res) =>
      res.stream(
        (function* () {
          for (let sent = 0; sent < BIG_BYTES; sent += CHUNK.length) yield CHUNK;
        })(),
      ),
    );
  return { seen, aborted, router };
}

async function serve(options: Parameters<typeof startServer>[1] = {}) {
  const { seen, aborted, router } = setup();
  const onResponse = (res: ServerResponse): void => {
    seen.push({ path: res.req.path, status: res.statusCode, outcome: res.outcome, bytes: res.bodyBytes });
  };
  const t = await startServer(router.handler(), { onResponse, ...options });
  return { ...t, seen, aborted };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Collects what a socket receives until it closes. */
function received(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (text += d));
    s.on('close', () => resolve(text));
    s.on('error', () => undefined);
  });
}

afterEach(cleanup);

describe('outcomes', () => {
  it('a normal answer: completed, its real status and bytes, and the signal never fires', async () => {
    const t = await serve();
    const s = await connect(t.port);
    const got = received(s);
    s.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await got).toMatch(/^HTTP\/1\.1 200 OK/);
    await waitUntil(() => t.seen.length === 1);
    expect(t.seen).toEqual([{ path: '/', status: 200, outcome: 'completed', bytes: 5 }]);
  });

  it('half a Content-Length body, then FIN: 400 to the client, recorded as the client closing, never 5xx', async () => {
    const t = await serve();
    const s = await connect(t.port);
    const got = received(s);
    s.end('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n' + 'y'.repeat(50));
    const answer = await got;
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(answer).toContain('Request body incomplete');
    await waitUntil(() => t.seen.length === 1);
    expect(t.seen[0]).toMatchObject({ status: 400, outcome: 'client_closed' });
    expect(t.errors).toEqual([]);
  });

  it('FIN while the handler works: the signal fires, and the exchange is the client closing', async () => {
    const t = await serve();
    const s = await connect(t.port);
    const got = received(s);
    s.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(50);
    s.end();
    await waitUntil(() => t.aborted.length === 1, 250, 'the signal before the answer');
    await got;
    await waitUntil(() => t.seen.length === 1);
    expect(t.seen[0]).toMatchObject({ path: '/slow', status: 200, outcome: 'client_closed' });
  });

  it('a reset while the handler works: 499, no bytes, client_closed', async () => {
    const t = await serve();
    const s = await connect(t.port);
    s.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(50);
    s.resetAndDestroy();
    await waitUntil(() => t.seen.length === 1);
    expect(t.seen[0]).toEqual({ path: '/slow', status: 499, outcome: 'client_closed', bytes: 0 });
    expect(t.aborted).toEqual(['/slow']);
  });

  it('a client that leaves halfway through a large answer: its real status and the bytes it got', async () => {
    const t = await serve();
    const s = await connect(t.port);
    let bytes = 0;
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes > 256 * 1024) s.destroy();
    });
    s.on('error', () => undefined);
    s.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => t.seen.length === 1, 5000);
    const [seen] = t.seen;
    expect(seen).toMatchObject({ path: '/big', status: 200, outcome: 'client_closed' });
    expect(seen?.bytes).toBeGreaterThan(0);
    expect(seen?.bytes).toBeLessThan(BIG_BYTES);
  });

  it('a client that stops reading: cut by the write timeout, timed_out', async () => {
    const t = await serve({ timeouts: { writeTimeoutMs: 200 } });
    const s = await connect(t.port);
    s.pause();
    s.on('error', () => undefined);
    s.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => t.seen.length === 1, 5000);
    expect(t.seen[0]).toMatchObject({ path: '/big', status: 200, outcome: 'timed_out' });
    expect(t.seen[0]?.bytes).toBeLessThan(BIG_BYTES);
    s.destroy();
  });

  it('still running at the drain deadline: drain_cut, 503 since nothing was sent', async () => {
    const t = await serve();
    const s = await connect(t.port);
    s.on('error', () => undefined);
    s.write('GET /never HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(50);
    await t.server.drain({ graceMs: 0, timeoutMs: 100 });
    await waitUntil(() => t.seen.length === 1);
    expect(t.seen[0]).toEqual({ path: '/never', status: 503, outcome: 'drain_cut', bytes: 0 });
  });

  it('a handler that throws: 500 and server_error', async () => {
    const t = await serve();
    const s = await connect(t.port);
    const got = received(s);
    s.end('GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await got).toMatch(/^HTTP\/1\.1 500/);
    await waitUntil(() => t.seen.length === 1);
    expect(t.seen[0]).toMatchObject({ status: 500, outcome: 'server_error' });
  });
});
