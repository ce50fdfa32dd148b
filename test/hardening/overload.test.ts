/**
 * Overload and rate limiting through the engine's public API (and, at the end, through the
 * cluster's configuration):
 * - over `overload.maxInFlightRequests`, a new request is answered 503 with `Retry-After: 1` at
 *   once, its handler never runs, and the connection stays usable; when the load passes, requests
 *   are served again;
 * - while the event loop lags more than `overload.maxEventLoopLagMs`, the same (in a real
 *   worker, blocked by the fixture's `/block`);
 * - with `rateLimit.enabled`, a client past its burst gets 429 with `Retry-After` until its bucket
 *   refills; clients are told apart by peer address, or by a trusted header when configured;
 * - an accept failure (EMFILE as Node reports it, on the listener's `error` event) neither throws
 *   nor stops the server: it pauses accepting briefly, closes idle keep-alive connections to free
 *   descriptors, reports once, and serves again after the pause.
 */

import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { Router } from '../../src/server/index.ts';
import type { Server } from '../../src/server/index.ts';
import { get } from '../../harness/cluster.ts';
import { RawClient } from '../support/raw-client.ts';
import { cleanup, sleep, startServer, waitUntil } from '../support/server.ts';
import { startHardeningCluster, unplannedExits } from '../../harness/hardening/cluster.ts';

const own = clustersPerTest();
// Registered after: vitest runs after-hooks last-first, so servers close before clusters die.
afterEach(cleanup);

const REQUEST = 'GET /slow HTTP/1.1\r\nHost: a\r\n\r\n';

describe('overload: requests in flight', () => {
  it('answers 503 + Retry-After beyond maxInFlightRequests without running the handler', async () => {
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const app = new Router().get('/slow', async (_req, res) => {
      started++;
      await gate;
      res.send('done');
    });
    const { port } = await startServer(app.handler(), {
      overload: { maxInFlightRequests: 3, maxEventLoopLagMs: 0 },
    });
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawClient.connect(port)));
    for (const c of clients) c.write(REQUEST);
    await waitUntil(() => clients.filter((c) => c.received > 0).length === 2, 3000, 'two 503s');
    expect(started).toBe(3);
    const shed = clients.filter((c) => c.received > 0);
    for (const c of shed) {
      const [r] = await c.responses(1);
      expect(r?.status).toBe(503);
      expect(r?.get('retry-after')).toBe('1');
      expect(r?.get('connection')).toBeUndefined();
    }
    release();
    for (const c of clients.filter((c) => !shed.includes(c)))
      expect((await c.responses(1))[0]?.status).toBe(200);
    // The load has passed: the shed clients' connections are still usable and served.
    for (const c of shed) c.write(REQUEST);
    for (const c of shed) expect((await c.responses(2))[1]?.status).toBe(200);
  });
});

describe('rate limit', () => {
  it('answers 429 + Retry-After past the burst, and serves again once tokens refill', async () => {
    const app = new Router().get('/', (_req, res) => res.send('ok'));
    const { port } = await startServer(app.handler(), {
      rateLimit: { enabled: true, requestsPerSecond: 10, burst: 3, trustedHeader: '', maxClients: 100 },
    });
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(5));
    const first = await c.responses(5);
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    expect(first[3]?.get('retry-after')).toBe('1');
    await sleep(250); // 10/s: two tokens back
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(3));
    const second = await c.responses(8);
    expect(second.slice(5).map((r) => r.status)).toEqual([200, 200, 429]);
  });

  it('tells clients apart by the trusted header when one is configured', async () => {
    const app = new Router().get('/', (_req, res) => res.send('ok'));
    const { port } = await startServer(app.handler(), {
      rateLimit: {
        enabled: true,
        requestsPerSecond: 1,
        burst: 1,
        trustedHeader: 'x-forwarded-for',
        maxClients: 100,
      },
    });
    const c = await RawClient.connect(port);
    const from = (xff: string): string => `GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: ${xff}\r\n\r\n`;
    c.write(from('10.0.0.1') + from('10.0.0.1') + from('9.9.9.9, 10.0.0.2') + from('10.0.0.2'));
    expect((await c.responses(4)).map((r) => r.status)).toEqual([200, 429, 200, 429]);
  });

  it('is off by default', async () => {
    const app = new Router().get('/', (_req, res) => res.send('ok'));
    const { port } = await startServer(app.handler());
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(50));
    expect((await c.responses(50)).every((r) => r.status === 200)).toBe(true);
  });
});

describe('accept failures', () => {
  it('pause accepting, free idle connections, report once, and recover', async () => {
    const reports: string[] = [];
    const app = new Router().get('/', (_req, res) => res.send('ok'));
    const { port, server } = await startServer(app.handler(), {
      onAcceptError: (code, pauseMs) => reports.push(`${code} ${pauseMs}`),
    });
    const idle = await RawClient.connect(port);
    idle.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await idle.responses(1);
    // What Node does when accept(2) fails past libuv's own EMFILE handling.
    const listener = (server as unknown as { listener: net.Server }).listener;
    const error = Object.assign(new Error('accept EMFILE'), {
      code: 'EMFILE',
      errno: -24,
      syscall: 'accept',
    });
    expect(() => listener.emit('error', error)).not.toThrow();
    expect(reports).toEqual(['EMFILE 100']);
    await idle.readToEnd(1000); // the idle keep-alive connection was closed to free a descriptor
    const during = await RawClient.connect(port);
    expect(await during.readToEnd(1000)).toBe(''); // accepted during the pause: closed at once
    await sleep(150);
    expect((await get(port, '/')).status).toBe(200);
    expect(acceptFailures(server)).toEqual({ EMFILE: 1 });
  });
});

function acceptFailures(server: Server): Record<string, number> {
  return Object.fromEntries(server.acceptGuard.failures);
}

describe('through the cluster configuration', () => {
  it('sheds while a worker is blocked, and rate-limits when enabled', async () => {
    const c = own(
      await startHardeningCluster({
        env: {
          SAMOVAR_WORKERS: '1',
          SAMOVAR_OVERLOAD_MAX_EVENT_LOOP_LAG_MS: '50',
          SAMOVAR_RATE_LIMIT_ENABLED: 'true',
          SAMOVAR_RATE_LIMIT_REQUESTS_PER_SECOND: '1',
          SAMOVAR_RATE_LIMIT_BURST: '20',
        },
      }),
    );
    const blocker = await RawClient.connect(c.port);
    const other = await RawClient.connect(c.port);
    blocker.write('GET /block?ms=400 HTTP/1.1\r\nHost: a\r\n\r\n');
    await sleep(100);
    other.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const [shed] = await other.responses(1, {}, 3000);
    expect(shed?.status).toBe(503);
    expect(shed?.get('retry-after')).toBe('1');
    expect((await blocker.responses(1))[0]?.status).toBe(200);
    await sleep(100);
    other.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect((await other.responses(2))[1]?.status).toBe(200);
    // A burst of 20, two taken (the shed request took none), one more a second: 25 at once overflow it.
    other.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(25));
    const statuses = (await other.responses(27)).slice(2).map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(unplannedExits(c)).toEqual([]);
  });
});
