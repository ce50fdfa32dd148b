/**
 * The pure parts of `cluster.schedulingPolicy` `reuseport`: reading `net.ipv4.tcp_migrate_req`
 * and the warning it gives, a reload that would keep the policy with port 0, and the primary's bookkeeping of listening sockets through rolls
 * (src/cluster/listeners.ts), with fake handles that count their closes.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { isListeningHandle, Listeners } from '../../src/cluster/listeners.ts';
import { migrateReqWarning, readMigrateReq } from '../../src/cluster/reuseport.ts';
import type { ClusterLogger } from '../../src/cluster/lifecycle-log.ts';
import { rereadConfig } from '../../src/cluster/reload.ts';

const dir = mkdtempSync(join(tmpdir(), 'samovar-reuseport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a reload under reuseport', () => {
  it('refuses port 0 even when it asks for another policy (the running one is kept)', () => {
    const running: Config = { ...defaultConfig(), port: 8080 };
    const kept = { ...running, cluster: { ...running.cluster, schedulingPolicy: 'reuseport' as const } };
    const lines: unknown[][] = [];
    const logger = { log: (...args: unknown[]) => lines.push(args) } as unknown as ClusterLogger;
    const argv = ['--port', '0', '--cluster.scheduling-policy', 'none'];
    expect(rereadConfig({ argv, env: {} }, kept, logger)).toBeNull();
    expect(lines[0]?.[3]).toMatchObject({ result: 'invalid' });
    expect(rereadConfig({ argv, env: {} }, running, logger)).toMatchObject({ port: 0 });
  });
});

describe('tcp_migrate_req', () => {
  it('reads 1, 0, and a kernel without it', () => {
    const file = join(dir, 'tcp_migrate_req');
    writeFileSync(file, '1\n');
    expect(readMigrateReq(file)).toBe('1');
    writeFileSync(file, '0\n');
    expect(readMigrateReq(file)).toBe('0');
    expect(readMigrateReq(join(dir, 'absent'))).toBe('absent');
  });

  it('warns unless it is 1, naming what is at risk and the fix', () => {
    expect(migrateReqWarning('1')).toBeNull();
    const off = migrateReqWarning('0') ?? '';
    expect(off).toContain('tcp_migrate_req is 0');
    expect(off).toContain('scale-down');
    expect(off).toContain('net.ipv4.tcp_migrate_req=1');
    expect(migrateReqWarning('absent')).toContain('Linux 5.14');
  });
});

/** A handle that counts how often it was closed. */
function fakeHandle(): { close(): void; closed: number } {
  return {
    closed: 0,
    close() {
      this.closed++;
    },
  };
}

const base = defaultConfig();
const on = (port: number, host = '127.0.0.1'): Config => ({ ...base, host, port });

describe('listening sockets through rolls', () => {
  it('hands the old worker’s socket to its replacement and closes it only when both are gone', () => {
    const l = new Listeners();
    const socket = fakeHandle();
    l.adopt(1, { host: '127.0.0.1', port: 8080, handle: socket });
    l.succeed(2, on(8080), 1);
    const taken = l.handOver(2);
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ host: '127.0.0.1', port: 8080, handle: socket });
    expect(l.handOver(2)).toEqual([]);
    l.release(1);
    expect(socket.closed).toBe(0);
    // The next roll hands the same socket on again.
    l.succeed(3, on(8080), 2);
    expect(l.handOver(3).map((s) => s.handle)).toEqual([socket]);
    l.release(2);
    l.release(3);
    expect(socket.closed).toBe(1);
  });

  it('keeps the socket for a replacement still starting when the old worker dies first (a hang)', () => {
    const l = new Listeners();
    const socket = fakeHandle();
    l.adopt(1, { host: '127.0.0.1', port: 8080, handle: socket });
    l.succeed(2, on(8080), 1);
    l.release(1);
    expect(socket.closed).toBe(0);
    expect(l.handOver(2).map((s) => s.handle)).toEqual([socket]);
    // A replacement that never starts lets it go.
    l.release(2);
    expect(socket.closed).toBe(1);
  });

  it('hands over only what the replacement serves: a moved port or host binds anew', () => {
    const l = new Listeners();
    const main = fakeHandle();
    const plain = fakeHandle();
    l.adopt(1, { host: '127.0.0.1', port: 8443, handle: main });
    l.adopt(1, { host: '127.0.0.1', port: 8080, handle: plain });
    const tls = { ...base.tls, cert: 'c.pem', key: 'k.pem', httpPort: 8080 };
    l.succeed(2, { ...on(8443), tls }, 1);
    expect(l.handOver(2).map((s) => s.handle)).toEqual([main, plain]);
    l.succeed(3, on(9000), 2);
    l.succeed(4, on(8443, '::'), 2);
    expect(l.handOver(3)).toEqual([]);
    expect(l.handOver(4)).toEqual([]);
    l.release(1);
    l.release(2);
    expect([main.closed, plain.closed]).toEqual([1, 1]);
  });

  it('closes a socket whose worker exits with no successor', () => {
    const l = new Listeners();
    const socket = fakeHandle();
    l.adopt(1, { host: '127.0.0.1', port: 8080, handle: socket });
    l.release(1);
    expect(socket.closed).toBe(1);
    expect(isListeningHandle(socket)).toBe(true);
    expect(isListeningHandle({})).toBe(false);
    expect(isListeningHandle(undefined)).toBe(false);
  });
});
