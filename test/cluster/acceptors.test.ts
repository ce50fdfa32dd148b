/**
 * A worker accepts on more descriptors of its listening socket while new connections back up
 * behind long event-loop turns, and on one again when turns are short (src/server/acceptors.ts;
 * libuv accepts one connection per descriptor per turn). Seen from outside: the descriptors of the
 * socket the worker holds (/proc: its own, plus the spares it fetched from the primary at start),
 * and the primary's `/metrics` (`samovar_accepting_descriptors`, `samovar_accept_widened_total`).
 * The load: ten keep-alive clients whose requests each hold the loop 3 ms (turns of tens of ms),
 * then 120 new connections at once.
 */

import http from 'node:http';
import { expect, it } from 'vitest';
import { get, startCluster } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';
import { clustersPerTest, FIXTURE } from '../support/clusters.ts';
import { descriptors, listeningInodes } from '../support/listeners.ts';
import { scrape, sum } from '../observability/support.ts';
import { waitUntil } from '../support/server.ts';

const own = clustersPerTest();

async function oneWorker(maxAcceptors: number): Promise<{ c: Cluster; metricsPort: number; pid: number }> {
  const c = own(
    await startCluster({
      entry: FIXTURE,
      env: { SAMOVAR_WORKERS: '1', SAMOVAR_CONNECTIONS_MAX_ACCEPTORS: String(maxAcceptors) },
      ready: 1,
    }),
  );
  const metricsPort = (await c.waitFor('listen', () => true, { timeoutMs: 10_000 })).port as number;
  const pid = c.liveWorkers()[0] as number;
  return { c, metricsPort, pid };
}

/** How many descriptors of the port's listening socket `pid` holds. */
function held(port: number, pid: number): number {
  return descriptors([pid], listeningInodes(port)).get(pid)?.length ?? 0;
}

/** Keep-alive clients asking for `/busy?ms=3` until `stop` resolves; returns the statuses. */
async function busyLoad(port: number, clients: number, stop: Promise<void>): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const statuses: number[] = [];
  let running = true;
  void stop.then(() => (running = false));
  const client = async (): Promise<void> => {
    while (running) {
      statuses.push(
        await new Promise<number>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/busy?ms=3', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  agent.destroy();
  return statuses;
}

it('widens accepting for a burst behind long turns, and narrows to one descriptor after', async () => {
  const { c, metricsPort, pid } = await oneWorker(16);
  // At start: the worker's own descriptor, and 15 spares fetched from the primary, none polled.
  await waitUntil(() => held(c.port, pid) === 16, 5_000, 'the spare descriptors');
  let e = (await scrape(metricsPort)).exposition;
  expect(sum(e, 'samovar_accepting_descriptors')).toBe(1);
  expect(sum(e, 'samovar_accept_widened_total')).toBe(0);

  let stop = (): void => {};
  const load = busyLoad(c.port, 10, new Promise<void>((resolve) => (stop = resolve)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const burst = await Promise.all(Array.from({ length: 120 }, () => get(c.port, '/', 10_000)));
  stop();
  const statuses = await load;
  expect(burst.filter((a) => a.status !== 200)).toEqual([]);
  expect(statuses.length).toBeGreaterThan(20);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  e = (await scrape(metricsPort)).exposition;
  expect(sum(e, 'samovar_accept_widened_total')).toBeGreaterThanOrEqual(1);

  // Quiet now: connections one at a time, each a short turn; after a few the count falls to one,
  // and the descriptors it closed are fetched again as spares (nothing leaks, nothing is lost).
  for (let i = 0; i < 40; i++) expect((await get(c.port, '/')).status).toBe(200);
  e = (await scrape(metricsPort)).exposition;
  expect(sum(e, 'samovar_accepting_descriptors')).toBe(1);
  await waitUntil(() => held(c.port, pid) === 16, 5_000, 'the spares fetched again');
}, 30_000);

it('with connections.maxAcceptors 1, holds one descriptor and never widens', async () => {
  const { c, metricsPort, pid } = await oneWorker(1);
  let stop = (): void => {};
  const load = busyLoad(c.port, 10, new Promise<void>((resolve) => (stop = resolve)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const burst = await Promise.all(Array.from({ length: 40 }, () => get(c.port, '/', 10_000)));
  stop();
  await load;
  expect(burst.filter((a) => a.status !== 200)).toEqual([]);
  expect(held(c.port, pid)).toBe(1);
  const e = (await scrape(metricsPort)).exposition;
  expect(sum(e, 'samovar_accepting_descriptors')).toBe(1);
  expect(sum(e, 'samovar_accept_widened_total')).toBe(0);
}, 30_000);
