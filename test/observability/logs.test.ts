/**
 * The JSON log lines, parsed from the cluster's stdout:
 *   - one access line per request with method, path, route, status, bytes, durationMs, reqId,
 *     remote and userAgent, on lines that carry level, time, pid, role, workerId and msg;
 *   - the request id in the `X-Request-Id` answer is the one in the line; generated ids are
 *     unique across workers; a safe inbound id is kept, an unsafe or overlong one replaced;
 *   - a handler's error line carries the request id; sampling logs one request in N;
 *   - the level changes at run time (admin path, relayed to the workers) and lines are flushed
 *     when the cluster exits.
 */

import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { sleep } from '../../harness/cluster.ts';
import type { Cluster, LogLine } from '../../harness/cluster.ts';
import { scrape, send, startMetricsCluster, sum } from './support.ts';

const own = clustersPerTest();

const access = (c: Cluster): LogLine[] => c.events('access');

async function waitForAccess(c: Cluster, count: number): Promise<LogLine[]> {
  await c.waitFor('access', () => true, { count, timeoutMs: 5_000 });
  return access(c);
}

/** What a generated id looks like: `<boot>-<workerId>-<counter base 36>`. */
const GENERATED = /^[0-9a-z]{6}-\d+-[0-9a-z]+$/;

describe('logs', () => {
  it('writes one access line per request, with the id the response carries', async () => {
    const { cluster: c } = await startMetricsCluster({ env: { SAMOVAR_LOG_ACCESS: 'on' } });
    own(c);
    const inbound = 'lb-7f3a:9c1e/route+1=@~_.';
    const tooLong = 'x'.repeat(129);
    const answers = [];
    const sentAt = Date.now();
    for (let i = 0; i < 20; i++)
      answers.push(await send(c.port, `/users/${i}`, { headers: { 'user-agent': 'obs-test/1' } }));
    const kept = await send(c.port, '/teapot', { headers: { 'x-request-id': inbound } });
    const unsafe = await send(c.port, '/', { headers: { 'x-request-id': 'a b"<script>' } });
    const long = await send(c.port, '/', { headers: { 'x-request-id': tooLong } });
    const posted = await send(c.port, '/echo', {
      method: 'POST',
      body: 'hello tea',
      headers: { 'content-type': 'text/plain' },
    });
    const answeredBy = Date.now();
    const lines = await waitForAccess(c, 24);
    expect(lines).toHaveLength(24);
    // A line's time is when its answer was complete (lines are built later, in batches).
    for (const l of lines) {
      expect(l.time).toBeGreaterThanOrEqual(sentAt - 1);
      expect(l.time).toBeLessThanOrEqual(answeredBy + 1);
    }

    const byId = new Map(lines.map((l) => [l.reqId as string, l]));
    expect(byId.size).toBe(24);
    for (const a of [...answers, kept, unsafe, long, posted]) {
      const id = a.headers['x-request-id'] as string;
      expect(byId.has(id), `access line for ${id}`).toBe(true);
    }
    expect(kept.headers['x-request-id']).toBe(inbound);
    expect(unsafe.headers['x-request-id']).toMatch(GENERATED);
    expect(long.headers['x-request-id']).toMatch(GENERATED);

    const first = byId.get(answers[0]?.headers['x-request-id'] as string) as LogLine;
    expect(first).toMatchObject({
      level: 'info',
      role: 'worker',
      event: 'access',
      msg: 'request',
      method: 'GET',
      path: '/users/0',
      route: '/users/:id',
      status: 200,
      outcome: 'completed',
      bytes: answers[0]?.body.length,
      reqBytes: 0,
      userAgent: 'obs-test/1',
    });
    expect(typeof first.time).toBe('number');
    expect(typeof first.pid).toBe('number');
    expect(typeof first.workerId).toBe('number');
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
    expect(first.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(byId.get(posted.headers['x-request-id'] as string)).toMatchObject({
      method: 'POST',
      status: 200,
      bytes: 9,
      reqBytes: 9,
    });
    expect(byId.get(inbound)).toMatchObject({ status: 418, path: '/teapot' });

    // Generated ids come from both workers, each naming its worker, and never repeat.
    const generated = lines.map((l) => l.reqId as string).filter((id) => GENERATED.test(id));
    expect(new Set(generated).size).toBe(generated.length);
    expect(new Set(lines.map((l) => l.workerId)).size).toBe(2);
    for (const l of lines)
      if (GENERATED.test(l.reqId as string))
        expect((l.reqId as string).split('-')[1]).toBe(String(l.workerId));
  });

  it('logs a client that hangs up mid-request as client_closed with 499, and counts it so', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster({
      env: { SAMOVAR_LOG_ACCESS: 'on', SAMOVAR_WORKERS: '1' },
      ready: 1,
    });
    own(c);
    // `curl -m 0.2` on a slow route, as a raw socket: the request, then a reset before the answer.
    const s = net.connect(c.port, '127.0.0.1', () =>
      s.write('GET /delay?ms=500 HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    s.on('error', () => undefined);
    await sleep(200);
    s.resetAndDestroy();
    const [line] = await waitForAccess(c, 1);
    expect(line).toMatchObject({ path: '/delay', status: 499, outcome: 'client_closed', bytes: 0 });
    const e = (await scrape(metricsPort)).exposition;
    expect(sum(e, 'http_server_request_outcomes_total', { outcome: 'client_closed' })).toBe(1);
    expect(sum(e, 'http_server_requests_total', { status_code: '499' })).toBe(1);
  });

  it('logs a handler error once, with the request id the 500 carries', async () => {
    const { cluster: c } = await startMetricsCluster({
      env: { SAMOVAR_WORKERS: '1', SAMOVAR_LOG_ACCESS: 'on' },
    });
    own(c);
    const a = await send(c.port, '/boom');
    expect(a.status).toBe(500);
    const id = a.headers['x-request-id'] as string;
    const error = await c.waitFor('handler-error');
    expect(error).toMatchObject({
      level: 'error',
      reqId: id,
      method: 'GET',
      path: '/boom',
      msg: 'handler error',
    });
    expect((error.err as { message: string }).message).toBe('fixture: boom');
    expect(await c.waitFor('access', (l) => l.reqId === id)).toMatchObject({ status: 500 });
  });

  it('samples one request in N', async () => {
    const { cluster: c } = await startMetricsCluster({
      env: { SAMOVAR_WORKERS: '1', SAMOVAR_LOG_ACCESS: 'sampled', SAMOVAR_LOG_ACCESS_SAMPLE_EVERY: '5' },
    });
    own(c);
    for (let i = 0; i < 20; i++) await send(c.port, '/');
    await waitForAccess(c, 4);
    await sleep(300);
    expect(access(c)).toHaveLength(4);
  });

  it('changes the level at run time through the admin path, in every worker', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster({
      env: { SAMOVAR_LOG_ACCESS: 'on', SAMOVAR_METRICS_ADMIN: 'true' },
    });
    own(c);
    const put = await send(metricsPort, '/admin/log-level', { method: 'PUT', body: 'warn' });
    expect(put.status).toBe(200);
    expect(JSON.parse(put.body)).toEqual({ level: 'warn' });
    // Lines are written asynchronously: the answer may come before the line.
    expect(await c.waitFor('log-level', (l) => l.role === 'primary')).toMatchObject({
      from: 'info',
      to: 'warn',
    });
    // Each worker says so (in its last info line) once the relayed level is in force.
    await c.waitFor('log-level', (l) => l.role === 'worker' && l.to === 'warn', { count: 2 });
    for (let i = 0; i < 6; i++) await send(c.port, '/');
    await sleep(300);
    expect(access(c)).toHaveLength(0);
    expect((await send(metricsPort, '/admin/log-level', { method: 'PUT', body: 'loud' })).status).toBe(400);
    await send(metricsPort, '/admin/log-level', { method: 'PUT', body: 'info' });
    await c.waitFor('log-level', (l) => l.role === 'worker' && l.to === 'info', { count: 2 });
    for (let i = 0; i < 6; i++) await send(c.port, '/');
    await waitForAccess(c, 6);
    c.signal('SIGUSR2');
    await c.waitFor('log-level', (l) => l.to === 'debug');
  });

  it('flushes every line on exit: access lines written just before SIGTERM are all there', async () => {
    const { cluster: c } = await startMetricsCluster({ env: { SAMOVAR_LOG_ACCESS: 'on' } });
    own(c);
    await Promise.all(Array.from({ length: 30 }, () => send(c.port, '/')));
    c.signal('SIGTERM');
    await c.exited;
    expect(c.exitCode).toBe(0);
    expect(access(c)).toHaveLength(30);
    expect(c.events('shutdown', (l) => l.phase === 'exit')).toHaveLength(1);
    expect(c.events('drained')).toHaveLength(2);
  });

  it('says where it listens and with how many workers', async () => {
    const { cluster: c, metricsPort } = await startMetricsCluster();
    own(c);
    const start = c.events('start')[0] as LogLine;
    expect(start).toMatchObject({ role: 'primary', host: '127.0.0.1', port: c.port, workers: 2 });
    expect(start.msg).toBe(`Samovar starting 2 workers to serve http://127.0.0.1:${c.port}`);
    expect(c.events('listen')[0]?.msg).toBe(`metrics on http://127.0.0.1:${metricsPort}/metrics`);
  });
});
