/**
 * What open status pages cost the workers (issue 18: "50 open pages do not change the workers'
 * throughput"). A real cluster (`src/main.ts`, 2 workers, access log off) serves `GET /` to
 * autocannon (in its own process, 50 keep-alive connections) in rounds that alternate between no
 * page open and PAGES pages open, so drift on a shared machine hits both alike. For each round:
 * requests per second, the workers' CPU time per request and the primary's CPU time (from
 * /proc/PID/stat), and how many status messages the pages received (proof they were live).
 *
 * A page is its event stream, `GET /status/events` held open and read: that is all an open page
 * costs the server. The browser's own rendering happens on the viewer's machine; 50 Chromium tabs
 * on the same 2 cores would measure Chromium, not Samovar.
 *
 * Run: `npm run load:status-pages` (about 2 minutes; STATUS_ROUNDS, STATUS_DURATION_S, STATUS_PAGES
 * change it). Writes load/results/status-pages-<time>.json. Not a test.
 * Must not: run in `npm test`.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { MAIN, startCluster } from '../harness/cluster.ts';
import type { Cluster } from '../harness/cluster.ts';
import { normalTraffic } from '../harness/measure/traffic.ts';

const ROUNDS = Number(process.env.STATUS_ROUNDS ?? 4);
const DURATION_S = Number(process.env.STATUS_DURATION_S ?? 10);
const PAGES = Number(process.env.STATUS_PAGES ?? 50);
const CONNECTIONS = 50;
/** USER_HZ: /proc's clock ticks per second on every mainstream Linux build. */
const TICKS_PER_S = 100;

interface Round {
  readonly pages: number;
  readonly reqPerSec: number;
  readonly p99Ms: number;
  readonly failed: number;
  readonly workerCpuUsPerRequest: number;
  readonly primaryCpuMs: number;
  readonly statusMessages: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** PAGES open event streams, each reading (and counting) what the primary sends. */
async function openPages(
  port: number,
  count: number,
): Promise<{ messages: () => number; close: () => void }> {
  let messages = 0;
  const sockets: net.Socket[] = [];
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.createConnection({ host: '127.0.0.1', port }, () => {
            s.write('GET /status/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
          });
          s.setEncoding('latin1');
          let first = true;
          s.on('data', (chunk: string) => {
            if (first) {
              first = false;
              if (!chunk.startsWith('HTTP/1.1 200')) reject(new Error(`page refused: ${chunk.slice(0, 40)}`));
              else resolve();
            }
            messages += chunk.split('event: status\n').length - 1;
          });
          s.on('error', reject);
          sockets.push(s);
        }),
    ),
  );
  return { messages: () => messages, close: () => sockets.forEach((s) => s.destroy()) };
}

async function round(c: Cluster, metricsPort: number, pages: number): Promise<Round> {
  const open = pages > 0 ? await openPages(metricsPort, pages) : null;
  // A moment for the primary's fan-out to settle into its one-a-second rhythm.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const workers = c.liveWorkers();
  const before = {
    workers: workers.map(cpuTicks),
    primary: cpuTicks(c.pid),
    messages: open?.messages() ?? 0,
  };
  const result = await normalTraffic(`http://127.0.0.1:${c.port}/`, CONNECTIONS, DURATION_S, 'Hello, World!');
  const workerTicks =
    workers.map(cpuTicks).reduce((a, b) => a + b, 0) - before.workers.reduce((a, b) => a + b, 0);
  const primaryTicks = cpuTicks(c.pid) - before.primary;
  const statusMessages = (open?.messages() ?? 0) - before.messages;
  open?.close();
  return {
    pages,
    reqPerSec: Math.round(result.requests / result.durationS),
    p99Ms: result.p99Ms,
    failed: result.errors + result.timeouts + result.non2xx + result.mismatches,
    workerCpuUsPerRequest: Math.round(((workerTicks / TICKS_PER_S) * 1e6 * 100) / result.requests) / 100,
    primaryCpuMs: (primaryTicks / TICKS_PER_S) * 1000,
    statusMessages,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const c = await startCluster({ entry: MAIN, env: { SAMOVAR_WORKERS: '2' } });
  try {
    const metricsPort = (await c.waitFor('listen', () => true)).port as number;
    // Warm-up: JIT, connection pools.
    await normalTraffic(`http://127.0.0.1:${c.port}/`, CONNECTIONS, 3, 'Hello, World!');
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const pages of i % 2 === 0 ? [0, PAGES] : [PAGES, 0]) {
        const r = await round(c, metricsPort, pages);
        rounds.push(r);
        console.log(JSON.stringify(r));
      }
    }
    const summary = [0, PAGES].map((pages) => {
      const rs = rounds.filter((r) => r.pages === pages);
      return {
        pages,
        rounds: rs.length,
        reqPerSec: median(rs.map((r) => r.reqPerSec)),
        reqPerSecRange: [Math.min(...rs.map((r) => r.reqPerSec)), Math.max(...rs.map((r) => r.reqPerSec))],
        workerCpuUsPerRequest: median(rs.map((r) => r.workerCpuUsPerRequest)),
        primaryCpuMsPerSecond: median(rs.map((r) => r.primaryCpuMs / DURATION_S)),
        statusMessagesPerPagePerSecond:
          pages === 0 ? 0 : median(rs.map((r) => r.statusMessages / pages / DURATION_S)),
        failed: rs.reduce((a, r) => a + r.failed, 0),
      };
    });
    console.table(summary);
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    const out = new URL(
      `./results/status-pages-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
      import.meta.url,
    );
    writeFileSync(
      out,
      JSON.stringify({ rounds, summary, durationS: DURATION_S, connections: CONNECTIONS }, null, 2),
    );
    console.log(`written ${out.pathname}`);
  } finally {
    await c.destroy();
  }
}

await main();
