/**
 * Which processes hold which listening TCP sockets on a port, read from Linux's /proc (no `ss`
 * needed): the sockets in state LISTEN on the port (`/proc/net/tcp`, `/proc/net/tcp6`), by inode,
 * and for each of the given PIDs the inodes among its descriptors. Under the `none` policy every
 * worker holds the one socket the primary made; under `reuseport` each holds one of its own.
 * Must not: be used off Linux (the tests that use it are about a Linux socket option).
 */

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const LISTEN = '0A';

/** Inodes of the sockets listening on `port` (any address, IPv4 or IPv6). */
export function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (local === undefined || cols[3] !== LISTEN) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(cols[9] ?? '');
    }
  }
  return inodes;
}

/**
 * For each PID, which of `inodes` its descriptors point at, each socket once (a worker may hold
 * several descriptors of one socket: src/server/acceptors.ts); a process gone holds none.
 */
export function holders(pids: readonly number[], inodes: ReadonlySet<string>): Map<number, string[]> {
  const held = new Map<number, string[]>();
  for (const [pid, all] of descriptors(pids, inodes)) held.set(pid, [...new Set(all)]);
  return held;
}

/** For each PID, the inode of each of its descriptors that points at one of `inodes`. */
export function descriptors(pids: readonly number[], inodes: ReadonlySet<string>): Map<number, string[]> {
  const held = new Map<number, string[]>();
  for (const pid of pids) {
    const mine: string[] = [];
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      // Gone.
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) mine.push(inode);
    }
    held.set(pid, mine);
  }
  return held;
}
