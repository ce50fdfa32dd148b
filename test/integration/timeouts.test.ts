/**
 * Timeouts with small configured values: head (408 + close, even for a trickling slowloris),
 * a silent new connection (quiet close), idle keep-alive (quiet close), body (408), and write
 * (a client that stops reading is cut), plus backpressure on the write side.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/server/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { cleanup, sleep, startServer } from '../support/server.ts';

afterEach(cleanup);

const app = new Router()
  .get('/', (_req, res) => res.send('ok'))
  .post('/read', async (req, res) => res.send(await req.body.text()));

describe('timeouts', () => {
  it('answers 408 and closes when the head is not complete in time, even if bytes trickle', async () => {
    const { port, protocolErrors } = await startServer(app.handler(), {
      timeouts: { headersTimeoutMs: 150 },
    });
    const c = await RawClient.connect(port);
    const started = Date.now();
    const trickle = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    let i = 0;
    const timer = setInterval(() => c.write(trickle[i++ % trickle.length] ?? 'a'), 20);
    try {
      await c.readToEnd();
    } finally {
      clearInterval(timer);
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1500);
    expect(c.text.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(c.text).toContain('Connection: close\r\n');
    expect(protocolErrors).toEqual(['HEADERS_TIMEOUT']);
  });

  it('closes a connection that never sends a byte, quietly', async () => {
    const { port } = await startServer(app.handler(), { timeouts: { headersTimeoutMs: 100 } });
    const c = await RawClient.connect(port);
    await c.readToEnd();
    expect(c.text).toBe('');
    expect(c.error).toBeNull();
  });

  it('closes an idle keep-alive connection quietly after idleTimeoutMs', async () => {
    const { port, server } = await startServer(app.handler(), { timeouts: { idleTimeoutMs: 100 } });
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.responses(1);
    const length = c.bytes.length;
    expect(server.connectionCounts().idle).toBe(1);
    const started = Date.now();
    await c.readToEnd();
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    expect(c.bytes.length).toBe(length);
  });

  it('answers 408 when the body stalls, but not while it progresses', async () => {
    const { port } = await startServer(app.handler(), { timeouts: { bodyTimeoutMs: 150 } });
    const steady = await RawClient.connect(port);
    steady.write('POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n');
    for (const ch of 'abcd') {
      await sleep(60);
      steady.write(ch);
    }
    const [r] = await steady.responses(1);
    expect(r?.body.toString()).toBe('abcd');

    const stalled = await RawClient.connect(port);
    stalled.write('POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    await stalled.readToEnd();
    expect(stalled.text.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(stalled.text.endsWith('Request body timeout\n')).toBe(true);
  });
});

describe('write backpressure', () => {
  it('stops reading while a client does not read, resumes when it does', async () => {
    let counted = 0;
    const big = Buffer.alloc(16 << 20, 0x62);
    const h = new Router()
      .get('/big', (_req, res) => res.send(big))
      .get('/count', (_req, res) => res.send(String(++counted)));
    const { port } = await startServer(h.handler(), { connections: { writeHighWaterMarkBytes: 64 * 1024 } });
    const c = await RawClient.connect(port);
    c.socket.pause();
    c.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n' + 'GET /count HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3));
    await sleep(200);
    expect(counted).toBe(0);
    c.socket.resume();
    await c.waitFor(() => c.received > big.length + 4 * 100, 10_000, 'all answers');
    const rs = await c.responses(4);
    expect(rs.map((r) => r.body.length)).toEqual([big.length, 1, 1, 1]);
    expect(counted).toBe(3);
  });

  it('cuts a client that stops reading after writeTimeoutMs', async () => {
    const chunk = Buffer.alloc(1 << 20, 0x63);
    function* endless(): Generator<Buffer> {
      for (let i = 0; i < 512; i++) yield chunk;
    }
    const h = new Router().get('/', (_req, res) => res.stream(endless()));
    const { port, server } = await startServer(h.handler(), { timeouts: { writeTimeoutMs: 200 } });
    const c = await RawClient.connect(port);
    c.socket.pause();
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    expect(server.registry.size).toBe(1);
    const started = Date.now();
    while (server.registry.size > 0 && Date.now() - started < 3000) await sleep(20);
    expect(server.registry.size).toBe(0);
  });
});
