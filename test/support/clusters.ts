/**
 * The test side of running real clusters (harness/cluster.ts starts them): the fault fixture's
 * entry, and one registry per test file whose clusters are killed by PID after every test, pass
 * or fail, so a test body reads `const c = own(await startCluster({ … }))`.
 * Must not: be imported outside vitest (it registers hooks), or start clusters itself.
 */

import { afterEach } from 'vitest';
import type { Cluster } from '../../harness/cluster.ts';

/** test/cluster/fixtures/entry.ts: the real primary and worker, with fault hooks the tests set. */
export const FIXTURE = 'test/cluster/fixtures/entry.ts';

/**
 * Registers an `afterEach` that destroys every cluster handed to the returned `own` during the
 * test; `own` gives its cluster back. Call once, at the top of a test file (or a `describe`).
 */
export function clustersPerTest(): <T extends Cluster>(cluster: T) => T {
  const owned: Cluster[] = [];
  afterEach(async () => {
    await Promise.all(owned.splice(0).map((cluster) => cluster.destroy()));
  });
  return (cluster) => {
    owned.push(cluster);
    return cluster;
  };
}
