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

describe('request deadline (timeouts.requestTimeoutMs)', () => {
  it('answers 408 when a body trickles in slower than the deadline allows, though never idle', async () => {
    const { port, protocolErrors } = await startServer(app.handler(), {
      timeouts: { bodyTimeoutMs: 400, requestTimeoutMs: 900 },
    });
    const c = await RawClient.connect(port);
    const started = Date.now();
    c.write('POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n');
    // One byte every 150 ms: the body timer (400 ms) never fires; 100 bytes would take 15 s.
    const timer = setInterval(() => c.socket.writable && c.write('a'), 150);
    try {
      await c.readToEnd(5_000);
    } finally {
      clearInterval(timer);
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(850);
    expect(elapsed).toBeLessThan(2_500);
    expect(c.text.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(c.text).toContain('Connection: close\r\n');
    expect(c.text.endsWith('Request timeout\n')).toBe(true);
    expect(protocolErrors).toEqual(['REQUEST_TIMEOUT']);
  });

  it('bounds head and body together: a head sent slowly leaves the body less time', async () => {
    const { port, protocolErrors } = await startServer(app.handler(), {
      timeouts: { headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000, requestTimeoutMs: 800 },
    });
    const c = await RawClient.connect(port);
    const started = Date.now();
    const head = 'POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n';
    for (let i = 0; i < head.length; i += 12) {
      c.write(head.slice(i, i + 12));
      await sleep(100);
    }
    c.write('ab');
    await c.readToEnd(5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(c.text.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(protocolErrors).toEqual(['REQUEST_TIMEOUT']);
  });

  it('gives each request on a keep-alive connection a deadline of its own', async () => {
    const { port, protocolErrors } = await startServer(app.handler(), {
      timeouts: { bodyTimeoutMs: 400, requestTimeoutMs: 700 },
    });
    const c = await RawClient.connect(port);
    for (let i = 0; i < 3; i++) {
      c.write('POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n');
      for (const ch of 'wxyz') {
        await sleep(120); // 480 ms per request: 1.4 s in all, each one within its 700 ms
        c.write(ch);
      }
      await c.responses(i + 1);
    }
    const rs = await c.responses(3);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(protocolErrors).toEqual([]);
  });

  it('does not count the time Samovar holds reading back (a handler slow to read)', async () => {
    const h = new Router().post('/late', async (req, res) => {
      await sleep(1_200); // past the deadline before it reads a byte
      res.send(String((await req.body.bytes()).length));
    });
    const { port, protocolErrors } = await startServer(h.handler(), {
      timeouts: { requestTimeoutMs: 800 },
      limits: { maxBodyBytes: 8 << 20 },
    });
    const c = await RawClient.connect(port);
    const body = Buffer.alloc(4 << 20, 0x61); // far over what is read before reading pauses
    c.write(`POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    c.write(body);
    const [r] = await c.responses(1, {}, 10_000);
    expect(r?.status).toBe(200);
    expect(r?.body.toString()).toBe(String(body.length));
    expect(protocolErrors).toEqual([]);
  });
});

describe('send rate (timeouts.minSendRateBytesPerSecond)', () => {
  const chunk = Buffer.alloc(16 * 1024, 0x64);
  function* large(bytes: number): Generator<Buffer> {
    for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
  }

  /** Reads one socket read (≤ 64 KiB) every `everyMs`: a client that takes the answer slowly. */
  function readSlowly(c: RawClient, everyMs: number): NodeJS.Timeout {
    c.socket.pause();
    return setInterval(() => {
      c.socket.once('data', () => c.socket.pause());
      c.socket.resume();
    }, everyMs);
  }

  it('cuts a client that keeps reading a large answer, but slower than the rate', async () => {
    const h = new Router().get('/large', (_req, res) => res.stream(large(1 << 30)));
    const { port, server } = await startServer(h.handler(), {
      timeouts: { writeTimeoutMs: 500, minSendRateBytesPerSecond: 64 << 20 },
    });
    const c = await RawClient.connect(port);
    c.write('GET /large HTTP/1.1\r\nHost: x\r\n\r\n');
    // ≤ 64 KiB per 10 ms: at most ~6 MiB/s, never stalled, but under the 64 MiB/s asked.
    const timer = readSlowly(c, 10);
    const started = Date.now();
    try {
      while (server.registry.size > 0 && Date.now() - started < 10_000) await sleep(25);
    } finally {
      clearInterval(timer);
    }
    // Cut after a window or two (0.5 s each) on a quiet machine; reading it all would take minutes.
    expect(server.registry.size).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('keeps a client that reads at the rate, and one large write counts byte by byte', async () => {
    const big = Buffer.alloc(12 << 20, 0x65);
    const h = new Router()
      .get('/large', (_req, res) => res.stream(large(12 << 20)))
      .get('/one', (_req, res) => res.send(big));
    const { port } = await startServer(h.handler(), {
      timeouts: { writeTimeoutMs: 300, minSendRateBytesPerSecond: 256 * 1024 },
    });
    for (const path of ['/large', '/one']) {
      const c = await RawClient.connect(port);
      c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      // ≤ 64 KiB per 10 ms: up to 6 MiB/s, well over the 256 KiB/s asked.
      const timer = readSlowly(c, 10);
      try {
        await c.waitFor(() => c.received >= 12 << 20, 20_000, `all of ${path}`);
      } finally {
        clearInterval(timer);
      }
      c.close();
    }
  });
});
