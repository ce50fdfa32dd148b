/**
 * Samovar's metrics against the real Prometheus tools (Debian package `prometheus`):
 *   - `promtool check metrics` accepts the exposition of a 2-worker cluster: exit 0, or 3 with
 *     lint advice only (about prom-client's default `nodejs_*_total` gauge names, not ours);
 *     exit 1 (a parse error) fails;
 *   - a real Prometheus server (own config and storage in a temp dir, 127.0.0.1 only, scrape
 *     interval 1 s) scrapes the primary's `/metrics`: its HTTP API shows the target up and
 *     `sum(http_server_requests_total)` equal to the requests the test sent.
 * Without `promtool` or `prometheus` this suite fails (it does not skip), naming the package.
 */

import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, sleep } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';
import { send, sendMany, startMetricsCluster } from '../observability/support.ts';

const PACKAGE_HINT = 'install the Debian package `prometheus` (apt-get install prometheus)';

function requireProgram(name: string): void {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${name} is not installed: ${PACKAGE_HINT}`);
  }
}

let cluster: Cluster | null = null;
let metricsPort = 0;
let prometheus: ChildProcess | null = null;
let workDir = '';

beforeAll(async () => {
  requireProgram('promtool');
  requireProgram('prometheus');
  const started = await startMetricsCluster();
  cluster = started.cluster;
  metricsPort = started.metricsPort;
  workDir = mkdtempSync(join(tmpdir(), 'samovar-prometheus-'));
});

afterAll(async () => {
  if (prometheus !== null && prometheus.exitCode === null) {
    const gone = new Promise((resolve) => prometheus?.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await Promise.race([gone, sleep(5_000)]);
    if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
  }
  await cluster?.destroy();
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
});

function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: stdout + stderr });
    });
    child.stdin?.end(text);
  });
}

async function query(
  apiPort: number,
  promql: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const url = `/api/v1/query?query=${encodeURIComponent(promql)}`;
  const answer = await send(apiPort, url);
  if (answer.status !== 200) return [];
  const body = JSON.parse(answer.body) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

describe('Prometheus', () => {
  it('promtool check metrics accepts the exposition', async () => {
    const c = cluster as Cluster;
    await sendMany(c.port, '/', 10);
    await send(c.port, '/nowhere');
    const text = (await send(metricsPort, '/metrics')).body;
    const { code, output } = await promtoolCheck(text);
    // 3 = lint advice only; every piece of advice must be about prom-client's default metrics.
    expect([0, 3], output).toContain(code);
    const advice = output.split('\n').filter((line) => line.trim() !== '');
    for (const line of advice)
      expect(line).toMatch(/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/);
  });

  it('is scraped by a real Prometheus: target up, request count as sent', async () => {
    const c = cluster as Cluster;
    const apiPort = await freePort();
    const config = join(workDir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: samovar',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${metricsPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${apiPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const log: string[] = [];
    prometheus.stderr?.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));

    const before = await totalRequests(apiPort, log, null);
    await sendMany(c.port, '/', 25);
    await sendMany(c.port, '/users/1', 5);
    const expected = before + 30;
    const up = await waitForQuery(apiPort, 'up{job="samovar"}', (v) => v === 1, log);
    expect(up).toBe(1);
    const total = await totalRequests(apiPort, log, expected);
    expect(total).toBe(expected);
    const routes = await query(apiPort, 'sum by (route) (http_server_requests_total)');
    expect(routes.find((r) => r.metric.route === '/users/:id')?.value[1]).toBe('5');
  });
});

/** `sum(http_server_requests_total)` once Prometheus has it (equal to `want` when given). */
async function totalRequests(apiPort: number, log: string[], want: number | null): Promise<number> {
  return waitForQuery(apiPort, 'sum(http_server_requests_total)', (v) => want === null || v === want, log);
}

async function waitForQuery(
  apiPort: number,
  promql: string,
  done: (value: number) => boolean,
  log: string[],
): Promise<number> {
  const deadline = Date.now() + 30_000;
  let last = NaN;
  while (Date.now() < deadline) {
    if (prometheus !== null && prometheus.exitCode !== null) break;
    try {
      const result = await query(apiPort, promql);
      last = result.length > 0 ? Number(result[0]?.value[1]) : NaN;
      if (!Number.isNaN(last) && done(last)) return last;
    } catch {
      // Prometheus not listening yet.
    }
    await sleep(250);
  }
  throw new Error(`${promql} never satisfied (last ${last}); prometheus said:\n${log.join('').slice(-3000)}`);
}
