/**
 * What `cluster.schedulingPolicy` `reuseport` needs from the kernel, and the one warning the
 * primary gives when the kernel will not provide it.
 *
 * Under `reuseport` each worker has a listening socket of its own (`SO_REUSEPORT`); the kernel
 * hashes each new connection to one of them. A socket that closes (a drained worker in a roll,
 * a recycle, a scale-down, a crash) resets the connections still waiting in its accept queue,
 * unless `net.ipv4.tcp_migrate_req` is 1 (Linux ≥ 5.14, one value per network namespace): then the
 * kernel moves them to another socket of the group. Measured in docs/cluster.md: with it 0, a
 * roll under `Connection: close` load fails requests; with it 1, none. Nothing a worker can do
 * from Node closes that window (see docs/cluster.md), so Samovar says so rather than promise.
 * Must not: write the sysctl (it is the namespace's, not this process's), or refuse to start.
 */

import { readFileSync } from 'node:fs';

export const TCP_MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

/** The sysctl's value as read: `1`, `0`, or `absent` (a kernel before 5.14, or not Linux). */
export type MigrateReq = '1' | '0' | 'absent';

/** Reads `path` (the sysctl); any other value than 1 or 0 counts as 0. */
export function readMigrateReq(path: string = TCP_MIGRATE_REQ): MigrateReq {
  try {
    return readFileSync(path, 'utf8').trim() === '1' ? '1' : '0';
  } catch {
    return 'absent';
  }
}

/** The warning for `state`, or null when a roll under `reuseport` drops nothing. */
export function migrateReqWarning(state: MigrateReq): string | null {
  if (state === '1') return null;
  const why =
    state === 'absent'
      ? `this kernel has no ${TCP_MIGRATE_REQ} (Linux 5.14 added it)`
      : `${TCP_MIGRATE_REQ} is 0`;
  return `cluster.schedulingPolicy reuseport: ${why}, so a worker that stops (roll, recycle, scale-down, crash) resets the connections queued on its socket; set sysctl net.ipv4.tcp_migrate_req=1 (per network namespace) or use the policy none`;
}
