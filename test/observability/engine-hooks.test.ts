/**
 * The engine's observation hooks on one server (no cluster): `onResponse` once per answered
 * request (pipelined, streamed, engine answers included) with the route template and body
 * sizes; `requestIds` echoed in every answer, engine error answers too, and given to the
 * protocol-error hook; connection stats by close reason.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { RequestIds } from '../../src/log/index.ts';
import { Router } from '../../src/server/index.ts';
import type { ServerResponse } from '../../src/server/index.ts';
import { RawClient, rawExchange } from '../support/raw-client.ts';
import { cleanup, startServer, waitUntil } from '../support/server.ts';

afterEach(cleanup);

interface Seen {
  readonly id: string;
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly bytes: number;
  readonly reqBytes: number;
  readonly ms: number;
}

function recorder(): { seen: Seen[]; onResponse: (res: ServerResponse) => void } {
  const seen: Seen[] = [];
  return {
    seen,
    onResponse: (res) =>
      seen.push({
        id: res.req.id,
        method: res.req.method,
        route: res.req.route,
        status: res.statusCode,
        bytes: res.bodyBytes,
        reqBytes: res.req.body.received,
        ms: performance.now() - res.req.startedAt,
      }),
  };
}

const app = new Router()
  .get('/users/:id', (req, res) => res.send(`user ${req.params.id}`))
  .post('/echo', async (req, res) => res.send(await req.body.bytes()))
  .get('/stream', (_req, res) => res.stream(['ab', 'cde']))
  .get('/fail', () => {
    throw new Error('boom');
  })
  .handler();

describe('onResponse', () => {
  it('reports each answer once, pipelined and streamed ones included, with route and sizes', async () => {
    const r = recorder();
    const { port } = await startServer(app, { onResponse: r.onResponse });
    const text = await rawExchange(
      port,
      'GET /users/7 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n' +
        'HEAD /users/8 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual([
      'HTTP/1.1 200',
      'HTTP/1.1 200',
      'HTTP/1.1 200',
      'HTTP/1.1 200',
      'HTTP/1.1 404',
      'HTTP/1.1 500',
    ]);
    await waitUntil(() => r.seen.length === 6);
    // Async handlers finish in their own order; each answer is reported once, in whatever order.
    expect(
      r.seen.map(({ method, route, status, bytes, reqBytes }) => [method, route, status, bytes, reqBytes]),
    ).toEqual(
      expect.arrayContaining([
        ['GET', '/users/:id', 200, 6, 0],
        ['POST', '/echo', 200, 5, 5],
        ['GET', '/stream', 200, 5, 0],
        ['HEAD', '/users/:id', 200, 0, 0],
        ['GET', 'unmatched', 404, 10, 0],
        ['GET', '/fail', 500, 22, 0],
      ]),
    );
    expect(r.seen).toHaveLength(6);
    for (const s of r.seen) expect(s.ms).toBeGreaterThanOrEqual(0);
  });

  it('reports engine answers: a protocol error is one 400 with the unmatched route', async () => {
    const r = recorder();
    const { port, protocolErrors } = await startServer(app, { onResponse: r.onResponse });
    await rawExchange(port, 'GET / HTTP/1.1\r\n\r\n');
    await waitUntil(() => r.seen.length === 1);
    expect(r.seen[0]).toMatchObject({ route: 'unmatched', status: 400 });
    expect(protocolErrors).toEqual(['MISSING_HOST']);
  });
});

describe('request ids', () => {
  it('echoes the id in every answer and hands it to the hooks', async () => {
    const r = recorder();
    const reported: string[] = [];
    const { port, server, errors } = await startServer(app, {
      onResponse: r.onResponse,
      requestIds: new RequestIds(5, 'abcdef'),
      onProtocolError: (_code, _remote, id) => reported.push(id),
    });
    const ok = await rawExchange(
      port,
      'GET /users/1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: up-1\r\nConnection: close\r\n\r\n',
    );
    expect(ok).toContain('X-Request-Id: up-1\r\n');
    const failed = await rawExchange(port, 'GET /fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(failed).toContain('X-Request-Id: abcdef-5-1\r\n');
    await waitUntil(() => errors.length === 1);
    expect(errors[0]?.context.requestId).toBe('abcdef-5-1');
    const bad = await rawExchange(port, 'GET / HTTP/1.1\r\nX-Request-Id: evil id\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(bad).toContain('X-Request-Id: abcdef-5-2\r\n');
    expect(reported).toEqual(['abcdef-5-2']);
    expect(server.echoRequestIds).toBe(true);
  });

  it('sends no X-Request-Id without an id source (the engine default)', async () => {
    const { port } = await startServer(app);
    expect(
      await rawExchange(port, 'GET /users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).not.toContain('X-Request-Id');
  });
});

describe('connection stats', () => {
  it('counts accepted connections and why each closed', async () => {
    const { port, server } = await startServer(app, { timeouts: { idleTimeoutMs: 100 } });
    await rawExchange(port, 'GET /users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await rawExchange(port, 'GARBAGE\r\n\r\n');
    const idle = await RawClient.connect(port);
    idle.write('GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.readToEnd(2_000);
    const quitter = await RawClient.connect(port);
    quitter.write('GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n');
    await quitter.waitFor(() => quitter.text.includes('user 1'));
    quitter.close();
    await waitUntil(() => server.registry.size === 0);
    expect(server.stats.accepted).toBe(4);
    expect(server.stats.closed).toMatchObject({
      keepalive_end: 1,
      protocol_error: 1,
      idle_timeout: 1,
      client: 1,
    });
  });
});
