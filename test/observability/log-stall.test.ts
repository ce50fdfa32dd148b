/**
 * A log reader that stops reading (issue 16 §4: `samovar | slow-consumer`, a stuck log shipper,
 * a full journald), against a real cluster whose stdout is a real pipe — a FIFO read by a `cat`
 * the test stops with SIGSTOP — or a socketpair (Node's `stdio: 'pipe'`, the stream paused).
 * Access lines carry a 2 KiB user agent, so the pipe and each worker's 1 MiB fill within a
 * few thousand requests; every request answers with the worker's pid, so the test sees which
 * workers serve without the log.
 *   - `drop` (the default): the main port keeps answering; /metrics, /healthz and /readyz on the
 *     metrics port answer within 1 s; a SIGHUP roll completes (new pids answer, the old workers
 *     are reaped); nothing is taken for hung; once the reader resumes, `log-dropped` lines say
 *     how many were lost and samovar_log_lines_dropped_total covers them; SIGTERM still ends the
 *     cluster in time while the reader is stopped again.
 *   - `block`: the workers stop serving while the reader is stopped and are not taken for hung;
 *     the metrics port answers throughout; once it reads again every request has its access
 *     line (none dropped); SIGTERM ends the cluster while the reader is stopped.
 * On today's code (before this change) the first turn that cannot write blocks the process: the
 * traffic stalls, and so does the primary and with it the metrics port.
 */

import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { get, sleep, type Cluster } from '../../harness/cluster.ts';
import { startOnFifo as startFifoCluster } from '../../harness/fifo-cluster.ts';
import { scrape, startMetricsCluster, sum } from './support.ts';

const ENTRY = 'test/observability/fixtures/pid-entry.ts';
const USER_AGENT = `stall-test/${'x'.repeat(2000)}`;
const LANES = 8;
const DROPPED = 'samovar_log_lines_dropped_total';

interface Running {
  readonly cluster: Cluster;
  readonly metricsPort: number;
  /** The `cat` reading the FIFO, or null on a socketpair. */
  readonly reader: ChildProcess | null;
  readonly dir: string | null;
}

let running: Running | null = null;

afterEach(async () => {
  const r = running;
  running = null;
  if (r === null) return;
  // Workers the stalled log never named: found through /proc while the primary is their parent.
  const pids = new Set([
    ...childrenOf(r.cluster.pid),
    ...r.cluster.events('spawn').map((l) => Number(l.workerPid)),
  ]);
  if (r.reader !== null) r.reader.kill('SIGCONT');
  else r.cluster.child.stdout?.resume();
  await r.cluster.destroy();
  for (const pid of pids) killQuietly(pid);
  r.reader?.kill('SIGKILL');
  if (r.dir !== null) rmSync(r.dir, { recursive: true, force: true });
});

/** A cluster whose stdout is a FIFO read by `cat` (whose output the test reads). */
async function startOnFifo(env: Record<string, string>): Promise<Running> {
  const { cluster, reader, dir } = await startFifoCluster(ENTRY, { ...baseEnv(), ...env });
  running = { cluster, metricsPort: 0, reader, dir };
  await cluster.waitFor('ready', () => true, { count: 2, timeoutMs: 15_000 });
  const listen = await cluster.waitFor('listen', () => true, { timeoutMs: 10_000 });
  running = { ...running, metricsPort: listen.port as number };
  return running;
}

/** A cluster on the harness's socketpair, whose stdout stream the test pauses. */
async function startOnSocket(env: Record<string, string>): Promise<Running> {
  const { cluster, metricsPort } = await startMetricsCluster({
    entry: ENTRY,
    env: { SAMOVAR_LOG_ACCESS: 'on', ...env },
  });
  running = { cluster, metricsPort, reader: null, dir: null };
  return running;
}

function baseEnv(): Record<string, string> {
  return {
    SAMOVAR_HOST: '127.0.0.1',
    SAMOVAR_WORKERS: '2',
    SAMOVAR_METRICS_PORT: '0',
    SAMOVAR_LOG_ACCESS: 'on',
    SAMOVAR_CLUSTER_SCHEDULING_POLICY: 'rr',
  };
}

function stall(r: Running): void {
  if (r.reader !== null) r.reader.kill('SIGSTOP');
  else r.cluster.child.stdout?.pause();
}

function resume(r: Running): void {
  if (r.reader !== null) r.reader.kill('SIGCONT');
  else r.cluster.child.stdout?.resume();
}

interface Traffic {
  sent: number;
  ok: number;
  failed: number;
  readonly pids: Set<number>;
}

/** Up to `count` GETs over LANES keep-alive connections, until `forMs` has passed. */
async function drive(port: number, count: number, forMs = 15_000, timeoutMs = 2_000): Promise<Traffic> {
  const agent = new Agent({ keepAlive: true, maxSockets: LANES });
  const traffic: Traffic = { sent: 0, ok: 0, failed: 0, pids: new Set() };
  const stopAt = Date.now() + forMs;
  const lane = async (): Promise<void> => {
    while (traffic.sent < count && Date.now() < stopAt) {
      traffic.sent++;
      try {
        traffic.pids.add(Number(await pidFrom(port, agent, timeoutMs)));
        traffic.ok++;
      } catch {
        traffic.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  agent.destroy();
  return traffic;
}

function pidFrom(port: number, agent: Agent, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { 'user-agent': USER_AGENT };
    const req = request({ host: '127.0.0.1', port, path: '/', agent, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(body))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The metrics port's three paths, each within 1 s (a blocked primary fails here). */
async function metricsPortAnswers(metricsPort: number, ready = 200): Promise<void> {
  for (const path of ['/healthz', '/readyz']) {
    const started = Date.now();
    const answer = await get(metricsPort, path, 1_000);
    expect({ path, status: answer.status }).toEqual({ path, status: path === '/readyz' ? ready : 200 });
    expect(Date.now() - started).toBeLessThan(1_000);
  }
  const scraped = await scrape(metricsPort, 1_000);
  expect(scraped.status).toBe(200);
  expect(scraped.ms).toBeLessThan(1_000);
}

async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}

/** Live children of `pid` (its workers), from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) found.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Exited and reaped: a zombie still has its /proc entry. */
function reaped(pid: number): boolean {
  return !existsSync(`/proc/${pid}`);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function exitsWithin(cluster: Cluster, ms: number): Promise<number> {
  const started = Date.now();
  await Promise.race([cluster.exited, sleep(ms)]);
  expect(cluster.exitCode !== null || cluster.exitSignal !== null, `the cluster ended within ${ms} ms`).toBe(
    true,
  );
  return Date.now() - started;
}

describe('a stalled log reader (drop, the default)', () => {
  it('on a pipe: serving, the metrics port and a rolling restart go on; the loss is said and counted', async () => {
    const r = await startOnFifo({
      SAMOVAR_CLUSTER_HANG_TIMEOUT_MS: '3000',
      SAMOVAR_SHUTDOWN_TIMEOUT_MS: '3000',
      SAMOVAR_SHUTDOWN_IDLE_GRACE_MS: '200',
    });
    stall(r);
    // 3000 lines of 2 KiB: 6 MB, for a 64 KiB pipe and two 1 MiB buffers.
    const first = await drive(r.cluster.port, 3000);
    expect(first).toMatchObject({ ok: 3000, failed: 0 });
    expect(first.pids.size).toBe(2);
    await metricsPortAnswers(r.metricsPort);

    process.kill(r.cluster.pid, 'SIGHUP');
    // During the roll a scrape may wait up to metrics.scrapeTimeoutMs (1 s) for a retiring worker
    // that is in its exit flush (it waits up to 1 s for the stalled reader before dropping): not a
    // blocked primary, so these polls get more time; the 1 s bounds are checked before and after.
    await waitUntil(
      'the reload completes',
      async () =>
        sum((await scrape(r.metricsPort, 3_000)).exposition, 'samovar_reloads_total', { result: 'ok' }) === 1,
      10_000,
    );
    const second = await drive(r.cluster.port, 1500);
    expect(second).toMatchObject({ ok: 1500, failed: 0 });
    expect(second.pids.size).toBe(2);
    for (const pid of second.pids) expect(first.pids.has(pid), `pid ${pid} is new`).toBe(false);
    await waitUntil('the old workers are reaped', () => [...first.pids].every(reaped), 5_000);
    await metricsPortAnswers(r.metricsPort);
    const stalled = (await scrape(r.metricsPort, 1_000)).exposition;
    expect(sum(stalled, 'samovar_worker_restarts_total', { reason: 'hang' })).toBe(0);
    expect(sum(stalled, DROPPED)).toBeGreaterThan(0);

    // The reader reads again: the primary's lines of the roll arrive, and the drops are said.
    resume(r);
    await r.cluster.waitFor('reload', (l) => l.result === 'ok', { timeoutMs: 5_000 });
    await r.cluster.waitFor('log-dropped', () => true, { timeoutMs: 5_000 });
    const said = r.cluster.events('log-dropped').reduce((n, l) => n + Number(l.dropped), 0);
    expect(said).toBeGreaterThan(0);
    expect(sum((await scrape(r.metricsPort, 1_000)).exposition, DROPPED)).toBeGreaterThanOrEqual(said);

    // Stopped again, with the pipe full: SIGTERM still ends the cluster within its deadline.
    stall(r);
    await drive(r.cluster.port, 1000);
    process.kill(r.cluster.pid, 'SIGTERM');
    await exitsWithin(r.cluster, 3000 + 3000);
    expect(r.cluster.exitCode).toBe(0);
  });

  it('on a socketpair (a Node parent, journald): serving and the metrics port go on; drops are said', async () => {
    const r = await startOnSocket({});
    stall(r);
    const traffic = await drive(r.cluster.port, 4000);
    expect(traffic).toMatchObject({ ok: 4000, failed: 0 });
    await metricsPortAnswers(r.metricsPort);
    expect(sum((await scrape(r.metricsPort, 1_000)).exposition, DROPPED)).toBeGreaterThan(0);
    resume(r);
    await r.cluster.waitFor('log-dropped', () => true, { timeoutMs: 5_000 });
  });
});

describe('a stalled log reader with log.onStall block', () => {
  it('workers wait for the reader and lose no line; the primary and its metrics port never wait', async () => {
    const r = await startOnFifo({
      SAMOVAR_LOG_ON_STALL: 'block',
      SAMOVAR_CLUSTER_HANG_TIMEOUT_MS: '3000',
      SAMOVAR_METRICS_SCRAPE_TIMEOUT_MS: '300',
      SAMOVAR_SHUTDOWN_TIMEOUT_MS: '2000',
    });
    stall(r);
    // The workers fill their buffers and then wait: requests stop being answered.
    const blocked = await drive(r.cluster.port, 100_000, 5_000, 1_000);
    expect(blocked.ok).toBeGreaterThan(0);
    expect(blocked.failed).toBeGreaterThan(0);
    // Waiting longer than the hang timeout, they still say they live: nobody is replaced.
    await metricsPortAnswers(r.metricsPort);
    const during = (await scrape(r.metricsPort, 1_000)).exposition;
    expect(sum(during, 'samovar_worker_restarts_total', { reason: 'hang' })).toBe(0);
    expect(sum(during, DROPPED)).toBe(0);

    // The reader reads again: every request the workers saw has its line.
    resume(r);
    let requests = -1;
    await waitUntil(
      'an access line for every request',
      async () => {
        requests = sum((await scrape(r.metricsPort, 1_000)).exposition, 'http_server_requests_total');
        return requests > 0 && r.cluster.events('access').length === requests;
      },
      8_000,
    );
    expect(requests).toBeGreaterThanOrEqual(blocked.ok);
    expect(r.cluster.events('log-dropped')).toEqual([]);
    expect(r.cluster.events('hang')).toEqual([]);

    // Stopped again: SIGTERM ends the cluster (waiting workers are killed at the drain deadline).
    stall(r);
    await drive(r.cluster.port, 100_000, 2_000, 1_000);
    process.kill(r.cluster.pid, 'SIGTERM');
    await exitsWithin(r.cluster, 2000 + 1000 + 3000);
  });
});
