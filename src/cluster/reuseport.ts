/**
 * What `cluster.schedulingPolicy` `reuseport` needs from the kernel, and the one warning the
 * primary gives when the kernel will not provide it.
 *
 * Under `reuseport` each worker has a listening socket of its own (`SO_REUSEPORT`); the kernel
 * hashes each new connection to one of them. A socket that closes resets the connections still
 * waiting in its accept queue, unless `net.ipv4.tcp_migrate_req` is 1 (Linux ≥ 5.14, one value
 * per network namespace): then the kernel moves them to another socket of the group. A roll (and
 * a recycle, a hung worker's replacement) closes no socket: the replacement takes the old
 * worker's over (listeners.ts), and docs/cluster.md measures no failure either way. A worker that
 * stops with no successor does close its socket: a scale-down, a crash, a reload that changes the
 * host or a port. With the sysctl at 0 those reset what is queued, which `none` never does; the
 * primary says so once, at start.
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
  return `cluster.schedulingPolicy reuseport: ${why}, so a worker that stops with no successor on its socket (a scale-down, a crash, a reload that changes host or port) resets the connections queued on that socket; rolls hand sockets over and lose nothing. Set sysctl net.ipv4.tcp_migrate_req=1 (per network namespace) to have the kernel move them instead`;
}
