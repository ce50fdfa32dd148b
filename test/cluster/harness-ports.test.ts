/**
 * The harness's answer to a port taken between `freePort()` checking it and the cluster binding
 * it (seen once in CI: every worker failed `bind EADDRINUSE` until the launch timed out). The
 * launch fails at the first such line, naming the holder, and `onFreePort` starts again on another
 * port. Tested with a port this process holds, so the holder is known.
 */

import net from 'node:net';
import { expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { freePort, get, launchCluster, MAIN, onFreePort, PortTakenError } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';

const own = clustersPerTest();

function demo(port: number): Promise<Cluster> {
  const env = {
    SAMOVAR_HOST: '127.0.0.1',
    SAMOVAR_PORT: String(port),
    SAMOVAR_WORKERS: '1',
    SAMOVAR_METRICS_PORT: '0',
    SAMOVAR_LOG_ACCESS: 'off',
  };
  return launchCluster([process.execPath, MAIN], env, port, { ready: 1, timeoutMs: 15_000 });
}

async function hold(): Promise<{ port: number; close: () => void }> {
  const blocker = net.createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  return { port, close: () => blocker.close() };
}

it('fails a launch on a held port at the first bind error, with the holder from ss', async () => {
  const held = await hold();
  try {
    const failure = await demo(held.port).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PortTakenError);
    expect((failure as Error).message).toContain(`port ${held.port} was taken`);
    expect((failure as Error).message).toContain(`pid=${process.pid},`);
  } finally {
    held.close();
  }
}, 20_000);

it('starts again on another port when the first one handed out is taken', async () => {
  const held = await hold();
  try {
    const tried: number[] = [];
    const picks = [() => Promise.resolve(held.port), freePort];
    const c = own(
      await onFreePort(
        (port) => {
          tried.push(port);
          return demo(port);
        },
        () => (picks.shift() ?? freePort)(),
      ),
    );
    expect(tried).toHaveLength(2);
    expect(tried[0]).toBe(held.port);
    expect(c.port).toBe(tried[1]);
    expect((await get(c.port, '/healthz')).status).toBe(200);
  } finally {
    held.close();
  }
}, 20_000);
