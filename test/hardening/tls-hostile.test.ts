/**
 * Hostile TLS clients against a real one-worker cluster (issue 17), from their own process
 * (harness/tls/hostile.ts): a handshake flood, slow handshakes (half a ClientHello, then
 * silence), garbage instead of a ClientHello, and plain HTTP sent to the TLS port, all at once.
 * While it lasts, normal HTTPS clients on keep-alive connections are all answered; slow
 * handshakes are cut at the deadline, plain HTTP gets its 400, garbage a clean close, never a
 * hang; every failure is counted by kind in the metrics and none is logged at info.
 * The p99 figure is printed; the bound asserted is loose (no starvation): this machine's two cores
 * are shared, and the attacker runs on them too. docs/tls.md has the measured figures.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { get, ROOT, startCluster } from '../../harness/cluster.ts';
import { issue, makeCa } from '../../harness/tls/certs.ts';
import { pacedHttps } from '../../harness/tls/paced.ts';
import { clustersPerTest } from '../support/clusters.ts';

const own = clustersPerTest();
const dir = mkdtempSync(join(tmpdir(), 'samovar-tls-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const p99 = (lat: number[]): number => lat[Math.floor(0.99 * (lat.length - 1))] ?? Infinity;

describe('hostile TLS clients', () => {
  it('a flood, slow handshakes, garbage and plain HTTP at once: normal clients answered, failures counted, not logged', async () => {
    const ca = await makeCa();
    const pem = await issue(ca);
    writeFileSync(join(dir, 'server.crt'), pem.cert);
    writeFileSync(join(dir, 'server.key'), pem.key);
    const cluster = own(
      await startCluster({
        env: {
          SAMOVAR_WORKERS: '1',
          SAMOVAR_TLS_CERT: join(dir, 'server.crt'),
          SAMOVAR_TLS_KEY: join(dir, 'server.key'),
          SAMOVAR_TLS_HANDSHAKE_TIMEOUT_MS: '1000',
          SAMOVAR_TLS_MAX_HANDSHAKES: '64',
        },
      }),
    );
    const agent = new Agent({ connections: 4, connect: { ca: ca.cert, servername: 'localhost' } });
    try {
      const baseline = await pacedHttps(cluster.port, agent, 2000);
      const attacker = spawn(
        process.execPath,
        ['harness/tls/hostile.ts', String(cluster.port), '4', 'flood=2', 'slow=100', 'garbage=2', 'plain=2'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let report = '';
      attacker.stdout.on('data', (d: Buffer) => (report += d.toString()));
      const ended = new Promise((resolve) => attacker.on('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const hostile = await pacedHttps(cluster.port, agent, 3000);
      await ended;
      const done = JSON.parse(report) as Record<string, number>;
      console.log(
        `p99 ${p99(baseline.lat).toFixed(1)} ms alone (${baseline.lat.length} requests), ` +
          `${p99(hostile.lat).toFixed(1)} ms under attack (${hostile.lat.length}); attacker: ${report.trim()}`,
      );
      expect(baseline.failed).toBe(0);
      expect(hostile.failed).toBe(0);
      expect(hostile.lat.length).toBeGreaterThan(100);
      // Not starved: a loose bound, since the attacker shares the machine's two cores.
      expect(p99(hostile.lat)).toBeLessThan(Math.max(10 * p99(baseline.lat), 250));
      expect(done.handshakes).toBeGreaterThan(0);
      // Plain HTTP gets its 400 unless the bound closed it at the door (a clean close, no hang).
      expect(done.plain400).toBeGreaterThan(0);
      // Slow handshakes were cut (each reopened after its cut): more were opened than ran at once.
      expect(done.slowOpened).toBeGreaterThan(100);

      const listen = await cluster.waitFor('listen');
      const metrics = (await get(listen.port as number, '/metrics')).body;
      const count = (kind: string): number =>
        Number(
          new RegExp(`^samovar_tls_handshake_errors_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(
            metrics,
          )?.[1],
        );
      expect(count('timeout') + count('refused')).toBeGreaterThan(0);
      expect(count('protocol')).toBeGreaterThanOrEqual(done.plain ?? 0);
      // Thousands of failed handshakes, and not one log line about them.
      const failures = cluster.lines.filter((l) => l.event === 'tls' || /handshake|tls/i.test(l.msg));
      expect(failures.map((l) => l.msg)).toEqual(['serving certificate']);
    } finally {
      await agent.close();
    }
  }, 60_000);
});
