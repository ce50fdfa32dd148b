/**
 * Connection lifecycle: the per-process connection limit (503 + Retry-After + close), the
 * state registry, a client's half-close, and graceful drain (stop accepting, close idle after a
 * grace, finish active answers with Connection: close, cut at the deadline).
 */

import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { RequestAbortedError, Router } from '../../src/server/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { bodyReadRecorder, cleanup, sleep, startServer, waitUntil } from '../support/server.ts';

afterEach(cleanup);

const app = new Router()
  .get('/', (_req, res) => res.send('ok'))
  .get('/delay/:ms', async (req, res) => {
    await sleep(Number(req.params.ms));
    res.send('late');
  });

/** Answers at once; `/echo` reads its body first. */
const closer = new Router()
  .get('/', (_req, res) => res.send('ok'))
  .post('/', (_req, res) => res.send('not read'))
  .post('/echo', async (req, res) => res.send(await req.body.bytes()));

describe('connection limit', () => {
  it('answers 503 with Retry-After and Connection: close above maxConnections', async () => {
    const { port, server } = await startServer(app.handler(), { connections: { maxConnections: 2 } });
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    await waitUntil(() => server.registry.size === 2);
    const refused = await RawClient.connect(port);
    refused.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const raw = await refused.readToEnd();
    expect(raw.startsWith('HTTP/1.1 503 Service Unavailable\r\n')).toBe(true);
    expect(raw).toContain('Retry-After: 1\r\n');
    expect(raw).toContain('Connection: close\r\n');
    expect(refused.error).toBeNull();
    a.close();
    await waitUntil(() => server.registry.size === 1);
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [r] = await c.responses(1);
    expect(r?.status).toBe(200);
    b.close();
  });
});

describe('states', () => {
  it('moves new → active → idle → closed in the registry', async () => {
    const { port, server } = await startServer(app.handler());
    const c = await RawClient.connect(port);
    await waitUntil(() => server.connectionCounts().new === 1);
    c.write('GET /delay/50 HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => server.connectionCounts().active === 1);
    await c.responses(1);
    await waitUntil(() => server.connectionCounts().idle === 1);
    c.close();
    await waitUntil(() => server.registry.size === 0);
  });

  it('answers a request whose client half-closed right after sending it', async () => {
    const { port } = await startServer(app.handler());
    const c = await RawClient.connect(port);
    c.socket.end('GET /delay/20 HTTP/1.1\r\nHost: x\r\n\r\n');
    const raw = await c.readToEnd();
    expect(raw.endsWith('late')).toBe(true);
  });
});

describe('closing (RFC 9112 §9.6)', () => {
  // The lingering close waits up to LINGER_MS (2 s) for the client's FIN; the clients here keep
  // their side open, so a connection gone well within that was let go without waiting.
  const asked: [string, string][] = [
    ['Connection: close', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['HTTP/1.0 without keep-alive', 'GET / HTTP/1.0\r\n\r\n'],
    [
      'Connection: close after a body read to its end',
      'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello',
    ],
  ];
  for (const [what, request] of asked) {
    it(`lets a client that asked to close go once the FIN is written: ${what}`, async () => {
      const { port, server } = await startServer(closer.handler());
      const c = await RawClient.connect(port, { allowHalfOpen: true });
      c.write(request);
      await c.waitFor(() => c.ended, 3000, 'the FIN');
      const ended = performance.now();
      await waitUntil(() => server.registry.size === 0, 1000, 'the server to close without lingering');
      expect(performance.now() - ended).toBeLessThan(1000);
      expect(c.text).toMatch(/^HTTP\/1\.[01] 200 /);
      expect(c.error).toBeNull();
    });
  }

  const mayStillSend: [string, string, object][] = [
    [
      'we close a keep-alive connection (a request limit)',
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      {
        connections: { maxRequestsPerConnection: 1 },
      },
    ],
    [
      'bytes came after the request that asked to close',
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n',
      {},
    ],
    [
      'the body of the request that asked to close is not all in',
      'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100\r\n\r\nhalf',
      {},
    ],
    ['a protocol error', 'GET / HTTP/1.1\r\n\r\n', {}],
  ];
  for (const [what, request, options] of mayStillSend) {
    it(`lingers until the client's FIN when it may still send: ${what}`, async () => {
      const { port, server } = await startServer(closer.handler(), options);
      const c = await RawClient.connect(port, { allowHalfOpen: true });
      c.write(request);
      await c.waitFor(() => c.ended, 3000, 'the FIN');
      await sleep(300);
      expect(server.connectionCounts().linger).toBe(1);
      c.socket.end();
      await waitUntil(() => server.registry.size === 0, 1000, 'the close after our FIN');
      expect(c.error).toBeNull();
    });
  }
});

describe('client gone', () => {
  it('fails a body read with RequestAbortedError when the client leaves, unreported', async () => {
    const reader = bodyReadRecorder();
    const { port, server, errors } = await startServer(reader.handler);
    const c = await RawClient.connect(port);
    c.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
    await waitUntil(() => server.connectionCounts().active === 1);
    c.close();
    await waitUntil(() => reader.failure !== null && server.registry.size === 0);
    expect(reader.failure).toBeInstanceOf(RequestAbortedError);
    expect(errors).toHaveLength(0);
  });
});

describe('drain', () => {
  it('stops accepting, closes idle after the grace, lets active finish with Connection: close', async () => {
    const { port, server } = await startServer(app.handler());
    const idle = await RawClient.connect(port);
    idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.responses(1);
    const active = await RawClient.connect(port);
    active.write('GET /delay/400 HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => server.connectionCounts().active === 1);
    const drained = server.drain({ graceMs: 50, timeoutMs: 5000 });
    await idle.readToEnd();
    // The idle connection went first, while the active one was still working.
    expect(active.received).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
    });
    expect(refused).toBe('ECONNREFUSED');
    const raw = await active.readToEnd();
    expect(raw).toContain('Connection: close\r\n');
    expect(raw.endsWith('late')).toBe(true);
    expect(await drained).toEqual({ open: 2, idle: 1, cut: 0 });
  });

  it('cuts what is still active at the deadline and says how many', async () => {
    const { port, server } = await startServer(app.handler());
    const c = await RawClient.connect(port);
    c.write('GET /delay/5000 HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => server.connectionCounts().active === 1);
    const result = await server.drain({ graceMs: 10, timeoutMs: 100 });
    expect(result).toEqual({ open: 1, idle: 0, cut: 1 });
    await c.readToEnd();
  });
});
