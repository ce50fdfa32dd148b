/**
 * Request bodies and `Expect` (RFC 9110 §10.1.1, RFC 9112 §6, §9.6): 100 Continue only when the
 * handler reads, never to HTTP/1.0, 417 for unknown expectations; unread bodies drained up to
 * `maxUnreadBodyBytes`, else the connection closes; body helpers and their limits.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/server/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { cleanup, sleep, startServer } from '../support/server.ts';
import { echoRouter, keepFilling, patternBody } from '../support/shared-buffer.ts';

afterEach(cleanup);

function app(): Router {
  return new Router()
    .post('/read', async (req, res) => res.send(await req.body.text()))
    .post('/ignore', (_req, res) => res.send('ignored'))
    .post('/limit', async (req, res) => res.send(await req.body.bytes(4)))
    .post('/json', async (req, res) => res.json(await req.body.json()))
    .get('/', (_req, res) => res.send('root'));
}

const post = (path: string, body: string, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('Expect: 100-continue', () => {
  it('sends 100 Continue when the handler starts reading, then the answer', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write('POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await c.waitFor(() => c.text.includes('\r\n\r\n'));
    expect(c.text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    c.write('hello');
    const rs = await c.responses(2);
    expect(rs[1]?.body.toString()).toBe('hello');
  });

  it('skips 100 when the handler answers first, and closes (the body may never come)', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write('POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const raw = await c.readToEnd();
    expect(raw).not.toContain('100 Continue');
    expect(raw).toContain('Connection: close\r\n');
    expect(raw.endsWith('ignored')).toBe(true);
  });

  it('never sends 100 to HTTP/1.0', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write('POST /read HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n');
    expect(await c.quietFor(80)).toBe(true);
    c.write('hi');
    const raw = await c.readToEnd();
    expect(raw).not.toContain('100 Continue');
    expect(raw.endsWith('hi')).toBe(true);
  });

  it('answers 417 to an unknown expectation without calling the handler', async () => {
    let called = false;
    const { port } = await startServer(() => {
      called = true;
    });
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n');
    const [r] = await c.responses(1);
    expect(r?.status).toBe(417);
    expect(called).toBe(false);
  });
});

describe('unread bodies', () => {
  it('drains a small unread body and keeps the connection', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write(post('/ignore', 'x'.repeat(1000)) + 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const rs = await c.responses(2);
    expect(rs.map((r) => r.body.toString())).toEqual(['ignored', 'root']);
    expect(rs[0]?.get('connection')).toBeUndefined();
    expect(c.ended).toBe(false);
  });

  it('closes instead of draining a declared body above maxUnreadBodyBytes', async () => {
    const { port } = await startServer(app().handler(), { connections: { maxUnreadBodyBytes: 100 } });
    const c = await RawClient.connect(port);
    c.write(`POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(200)}`);
    const raw = await c.readToEnd();
    expect(raw).toContain('Connection: close\r\n');
    expect(c.error).toBeNull();
  });

  it('closes after draining a chunked unread body that grows past the limit', async () => {
    const { port } = await startServer(app().handler(), { connections: { maxUnreadBodyBytes: 100 } });
    const c = await RawClient.connect(port);
    c.write('POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    await c.responses(1);
    c.write(`C8\r\n${'y'.repeat(200)}\r\n`);
    await c.readToEnd();
    expect(c.ended).toBe(true);
  });
});

describe('body helpers', () => {
  it('bytes(limit) answers 413 above the limit', async () => {
    const { port, errors } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write(post('/limit', 'abc') + post('/limit', 'abcdef'));
    const rs = await c.responses(2);
    expect(rs.map((r) => r.status)).toEqual([200, 413]);
    expect(errors).toHaveLength(0);
  });

  it('json() parses, and answers 400 to malformed JSON', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write(post('/json', '{"a":[1,2]}') + post('/json', '{nope'));
    const rs = await c.responses(2);
    expect(rs[0]?.body.toString()).toBe('{"a":[1,2]}');
    expect(rs[1]?.status).toBe(400);
  });

  it('stops reading the socket while the body consumer is behind, then catches up', async () => {
    let received = 0;
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler = new Router().post('/slow', async (req, res) => {
      for await (const chunk of req.body) {
        if (received === 0) await gate;
        received += chunk.length;
      }
      res.send(String(received));
    });
    const { port, server } = await startServer(handler.handler(), { limits: { maxBodyBytes: 64 << 20 } });
    const c = await RawClient.connect(port);
    const size = 32 << 20;
    c.write(`POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
    c.write(Buffer.alloc(size, 0x61));
    await sleep(300);
    const [conn] = server.registry.snapshot();
    // Paused: only what was read before the high-water mark tripped, far from the whole body.
    expect(conn?.socket.bytesRead).toBeLessThan(4 << 20);
    release();
    const [r] = await c.responses(1, {}, 15_000);
    expect(r?.body.toString()).toBe(String(size));
  });
});

describe('bodies and the shared read buffer (socket-reads.ts)', () => {
  /**
   * Between bodies every plain connection of a worker reads into one buffer; body bytes that came
   * in it must be copied before the next read reuses it. Bodies are sent in the head's write (so
   * their start lands in the shared buffer); the handlers keep what they were handed — pieces
   * from the iterator, or a body waiting unread — while another connection's reads overwrite
   * the shared buffer; what they echo must be what was sent.
   */
  it('keeps every piece handed out or waiting intact while other reads reuse the buffer', async () => {
    const { port } = await startServer(echoRouter(120).handler());
    const noise = await RawClient.connect(port);
    const stopNoise = keepFilling((text) => noise.write(text));
    for (const size of [100, 5_000, 33_000, 40_000, 63_000, 200_000]) {
      for (const path of ['/pieces', '/late']) {
        const body = patternBody(size);
        const c = await RawClient.connect(port);
        c.write(
          Buffer.concat([
            Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`),
            body,
          ]),
        );
        const [r] = await c.responses(1);
        expect(r?.status, `${path} ${size}`).toBe(200);
        expect(r?.body.equals(body), `${path} ${size} bytes echoed intact`).toBe(true);
        c.close();
      }
    }
    await stopNoise();
  });
});
