/**
 * What the container tests need from the machine: the Debian package behind each program (a
 * missing one fails the test with `apt-get install …`), and whether a Docker engine can run
 * here at all (when it cannot, the live part is skipped, loudly, with the reason).
 * Must not: install anything.
 */

import { existsSync } from 'node:fs';
import { hasProgram } from './run.ts';

/** Program → the Debian package that ships it. */
export const PACKAGES: Record<string, string> = {
  'docker-compose': 'docker-compose',
  dockerd: 'docker.io',
  debootstrap: 'debootstrap',
  promtool: 'prometheus',
  prometheus: 'prometheus',
};

export function requirePrograms(...names: string[]): void {
  const missing = names.filter((name) => !hasProgram(name));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((m) => PACKAGES[m] ?? m))].join(' ');
    throw new Error(`${missing.join(', ')} not installed: apt-get install ${packages}`);
  }
}

/** Why a Docker engine cannot run on this machine at all, or null when it can. */
export function engineUnavailable(): string | null {
  if (process.platform !== 'linux') return `dockerd needs Linux (this is ${process.platform})`;
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return `dockerd, debootstrap and their mounts need root (this test runs as uid ${uid})`;
  if (!existsSync('/sys/fs/cgroup')) return 'no cgroup file system at /sys/fs/cgroup';
  return null;
}

export function banner(text: string): string {
  const rule = '!'.repeat(96);
  return `\n${rule}\n${text}\n${rule}\n`;
}
