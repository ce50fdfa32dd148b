/**
 * The metrics port cannot be blanked by held-open connections (issue 16 §5): 300 connections that
 * are silent or trickle half a request head, reopened as soon as they are cut, are held against
 * the primary's metrics port for 3 s while `/metrics`, `/healthz` and `/readyz` are asked every
 * 200 ms on fresh connections, each within 1 s (a Prometheus scrape timeout is 10 s by default).
 * Before: 64 such connections made every answer a 503 for as long as they were held.
 */

import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { sleep } from '../../harness/cluster.ts';
import { scrape, startMetricsCluster } from '../observability/support.ts';
import { get } from '../../harness/cluster.ts';

const HELD = 300;
const HOLD_MS = 3_000;
const ASK_EVERY_MS = 200;

const sockets = new Set<net.Socket>();
const own = clustersPerTest();
// Registered after: vitest runs after-hooks last-first, so the sockets close before the cluster dies.
afterEach(() => {
  for (const s of sockets) s.destroy();
  sockets.clear();
});

/** One held connection: silent, or half a head; reopened when the server cuts it, until `until`. */
function hold(port: number, half: boolean, until: number): void {
  if (Date.now() >= until) return;
  const s = net.connect(port, '127.0.0.1');
  sockets.add(s);
  s.on('connect', () => {
    if (half) s.write('GET /metrics HTTP/1.1\r\nHo');
  });
  s.on('error', () => undefined);
  s.on('close', () => {
    sockets.delete(s);
    hold(port, half, until);
  });
}

it('answers scrapes and probes within 1 s while hundreds of idle and half-sent connections are held', async () => {
  const { cluster: c, metricsPort } = await startMetricsCluster({ env: { SAMOVAR_WORKERS: '1' }, ready: 1 });
  own(c);
  const until = Date.now() + HOLD_MS;
  for (let i = 0; i < HELD; i++) hold(metricsPort, i % 2 === 1, until);
  await sleep(300);
  expect(sockets.size).toBeGreaterThan(200);
  const answers: string[] = [];
  while (Date.now() < until - ASK_EVERY_MS) {
    const started = Date.now();
    const metrics = await scrape(metricsPort, 1_000);
    const live = await get(metricsPort, '/healthz', 1_000);
    const ready = await get(metricsPort, '/readyz', 1_000);
    answers.push(`${metrics.status} ${live.status} ${ready.status}`);
    expect(Date.now() - started).toBeLessThan(3_000);
    await sleep(ASK_EVERY_MS);
  }
  expect(answers.length).toBeGreaterThanOrEqual(5);
  expect(new Set(answers)).toEqual(new Set(['200 200 200']));
}, 30_000);
