/**
 * SIGTERM with a slow request in flight: readiness turns 503 at once; after `drainDelayMs` the
 * listener closes and new connections are refused; the slow request still gets its 200 (with
 * `Connection: close`); an idle keep-alive client sees a clean close (FIN), never a reset; the
 * primary exits 0 well within the deadline.
 */

import net from 'node:net';
import { expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { get, MAIN, sleep, startCluster } from '../../harness/cluster.ts';
import type { Answer } from '../../harness/cluster.ts';

const own = clustersPerTest();

const DRAIN_DELAY_MS = 600;
const TIMEOUT_MS = 5_000;

/** A keep-alive client that asks once, then sits idle and records how the server ends it. */
async function idleKeepAlive(port: number): Promise<{ ending: Promise<string> }> {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('Hello, World!')) resolve();
    });
  });
  const ending = new Promise<string>((resolve) => {
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
    socket.on('end', () => resolve('end'));
  });
  socket.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
  await answered;
  return { ending };
}

/** Whether a new TCP connection is refused (vs accepted). */
function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

it('finishes the request in flight, refuses new connections, closes idle ones cleanly, exits 0', async () => {
  const c = own(
    await startCluster({
      entry: MAIN,
      env: {
        SAMOVAR_SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
        SAMOVAR_SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
        SAMOVAR_SHUTDOWN_IDLE_GRACE_MS: '300',
      },
    }),
  );
  const idle = await idleKeepAlive(c.port);
  const slow: Promise<Answer> = get(c.port, '/delay?ms=2000', 10_000);
  await sleep(200);

  const termAt = Date.now();
  c.signal('SIGTERM');
  await c.waitFor('shutdown', (l) => l.phase === 'unready');
  const during = await get(c.port, '/readyz');
  expect(during.status).toBe(503);
  expect(JSON.parse(during.body)).toMatchObject({ status: 'stopping' });

  await c.waitFor('shutdown', (l) => l.phase === 'drain');
  let refused = false;
  for (let i = 0; i < 20 && !refused; i++) {
    refused = await connectRefused(c.port);
    if (!refused) await sleep(50);
  }
  const refusedAt = Date.now();

  const answer = await slow;
  expect(answer.status).toBe(200);
  expect(answer.body).toBe('waited 2000 ms\n');
  expect(answer.headers.connection).toBe('close');
  expect(await idle.ending).toBe('end');
  expect(refused).toBe(true);
  // Refused while the slow request was still being served.
  expect(refusedAt).toBeLessThan(termAt + 2_000);

  await c.exited;
  const tookMs = Date.now() - termAt;
  console.log(
    'SIGTERM with a request in flight:',
    JSON.stringify({ tookMs, refusedAfterMs: refusedAt - termAt }),
  );
  expect(c.exitCode).toBe(0);
  expect(tookMs).toBeLessThan(DRAIN_DELAY_MS + TIMEOUT_MS);
  expect(c.events('drained', (l) => (l.cut as number) > 0)).toEqual([]);
  expect(c.events('shutdown', (l) => l.phase === 'exit')[0]).toMatchObject({ code: 0 });
}, 30_000);

it('stops at once on a second SIGTERM, killing what is still draining, exit code 1', async () => {
  const c = own(
    await startCluster({
      entry: MAIN,
      env: { SAMOVAR_SHUTDOWN_TIMEOUT_MS: '20000', SAMOVAR_WORKERS: '1' },
    }),
  );
  const slow = get(c.port, '/delay?ms=10000', 15_000).catch((error: Error) => error);
  await sleep(200);
  c.signal('SIGTERM');
  await c.waitFor('shutdown', (l) => l.phase === 'drain');
  const secondAt = Date.now();
  c.signal('SIGTERM');
  await c.exited;
  expect(Date.now() - secondAt).toBeLessThan(1_000);
  expect(c.exitCode).toBe(1);
  expect(c.events('shutdown', (l) => l.phase === 'halt')).toHaveLength(1);
  expect(await slow).toBeInstanceOf(Error);
}, 20_000);

it('cuts what outlives shutdown.timeoutMs, counts it, and exits non-zero', async () => {
  const c = own(
    await startCluster({
      entry: MAIN,
      env: { SAMOVAR_SHUTDOWN_TIMEOUT_MS: '500', SAMOVAR_WORKERS: '1' },
    }),
  );
  const slow = get(c.port, '/delay?ms=5000', 10_000).catch((error: Error) => error);
  await sleep(200);
  const termAt = Date.now();
  c.signal('SIGTERM');
  await c.exited;
  expect(Date.now() - termAt).toBeLessThan(2_000);
  expect(c.exitCode).toBe(1);
  expect(c.events('drained')).toEqual([expect.objectContaining({ level: 'warn', open: 1, cut: 1 })]);
  expect(await slow).toBeInstanceOf(Error);
}, 20_000);
