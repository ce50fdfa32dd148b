/**
 * `npm run load:memory`: what an idle keep-alive connection costs. Starts Samovar and node:http
 * under node:cluster (one worker each, one after the other), reads the worker's resident set size
 * idle, then with 1,000 and with 10,000 keep-alive connections that each made one `GET /` and then
 * stay idle, and prints the per-connection cost (RSS growth ÷ connections) side by side.
 *
 *     npm run load:memory
 *     npm run load:memory -- --connections 1000,5000
 *
 * Both servers get an idle timeout long enough to keep every connection open and a connection cap
 * above the count; this process needs a descriptor per connection (`ulimit -n`, 20,000 here).
 * Writes load/results/latest-memory.md and memory-<time>.json.
 * Must not: run in `npm test`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { rssOf } from '../harness/measure/rss.ts';
import { installCleanupHooks, listenOn, startOnFreePort, stopAll, stopChild } from './lib/processes.ts';
import type { StartedServer } from './lib/processes.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const BASELINE = fileURLToPath(new URL('./baseline-node-http.ts', import.meta.url));
/** Connections opened at once: below the listen backlog (511), so no SYN is dropped. */
const BATCH = 250;
/** Time for the worker's heap and the kernel's socket buffers to settle before a reading. */
const SETTLE_MS = 3_000;
const IDLE_MS = '600000';

const { values: flags } = parseArgs({
  options: { connections: { type: 'string', default: '1000,10000' } },
});
const steps = flags.connections.split(',').map(Number);

type Id = 'samovar' | 'node-http';
const TITLE: Record<Id, string> = { samovar: 'Samovar', 'node-http': 'node:http' };

function log(line: string): void {
  process.stderr.write(line + '\n');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The worker: the (only) child of the cluster primary. */
function workerOf(primary: number): number {
  const children = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/);
  const pid = Number(children[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no worker under pid ${primary}`);
  return pid;
}

function start(id: Id): Promise<StartedServer> {
  return startOnFreePort(id, (port) =>
    id === 'samovar'
      ? {
          argv: [process.execPath, 'src/main.ts'],
          env: {
            ...listenOn('SAMOVAR', port),
            SAMOVAR_WORKERS: '1',
            SAMOVAR_LOG_LEVEL: 'warn',
            SAMOVAR_METRICS_PORT: '0',
            SAMOVAR_TIMEOUTS_IDLE_TIMEOUT_MS: IDLE_MS,
            SAMOVAR_CONNECTIONS_MAX_CONNECTIONS: '20000',
          },
        }
      : {
          argv: [process.execPath, BASELINE],
          env: {
            ...listenOn('BASELINE', port),
            BASELINE_WORKERS: '1',
            NODE_CLUSTER_SCHED_POLICY: 'none',
            BASELINE_IDLE_MS: IDLE_MS,
          },
        },
  );
}

/** One keep-alive connection that has made one `GET /` and had its full answer. */
function openOne(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let seen = '';
    socket.setEncoding('latin1');
    socket.once('error', reject);
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.on('data', (text: string) => {
      seen += text;
      if (seen.includes('\r\n\r\n') && seen.endsWith('Hello, World!')) {
        socket.removeAllListeners('data');
        resolve(socket);
      }
    });
  });
}

async function openMany(port: number, count: number, into: Socket[]): Promise<void> {
  while (into.length < count) {
    const n = Math.min(BATCH, count - into.length);
    into.push(...(await Promise.all(Array.from({ length: n }, () => openOne(port)))));
  }
}

interface Reading {
  readonly connections: number;
  readonly rssBytes: number;
}

async function measure(id: Id): Promise<Reading[]> {
  const { child, port } = await start(id);
  const worker = workerOf(child.pid);
  const sockets: Socket[] = [];
  const readings: Reading[] = [];
  try {
    await sleep(SETTLE_MS);
    readings.push({ connections: 0, rssBytes: rssOf(worker) });
    for (const count of steps) {
      await openMany(port, count, sockets);
      await sleep(SETTLE_MS);
      const open = sockets.filter((s) => !s.destroyed).length;
      if (open !== count) throw new Error(`${TITLE[id]} closed ${count - open} of ${count} idle connections`);
      readings.push({ connections: count, rssBytes: rssOf(worker) });
      log(`${TITLE[id]}: ${count} idle connections, worker RSS ${(rssOf(worker) / 2 ** 20).toFixed(1)} MiB`);
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    await stopChild(child);
  }
  return readings;
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

function table(results: Record<Id, Reading[]>): string {
  const lines = [
    '| Server | idle worker RSS MiB | ' +
      steps.map((n) => `RSS with ${n.toLocaleString('en-US')} MiB | per connection KiB`).join(' | ') +
      ' |',
    '| --- | ---: | ' + steps.map(() => '---: | ---:').join(' | ') + ' |',
  ];
  for (const id of ['samovar', 'node-http'] as const) {
    const [idle, ...rest] = results[id];
    if (!idle) continue;
    const cells = rest.map(
      (r) => `${mib(r.rssBytes)} | ${((r.rssBytes - idle.rssBytes) / r.connections / 1024).toFixed(2)}`,
    );
    lines.push(`| ${TITLE[id]} | ${mib(idle.rssBytes)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  installCleanupHooks();
  const results = { samovar: await measure('samovar'), 'node-http': await measure('node-http') };
  const text = table(results);
  const stamp = new Date().toISOString();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    `${RESULTS}latest-memory.md`,
    `Worker RSS, measured ${stamp} by \`npm run load:memory\`.\n\n${text}\n`,
  );
  writeFileSync(
    `${RESULTS}memory-${stamp.replace(/[:.]/g, '-')}.json`,
    JSON.stringify({ stamp, steps, results }, null, 2) + '\n',
  );
  process.stdout.write(`\n${text}\n\n`);
}

let code = 0;
try {
  await main();
} catch (error) {
  log(`load:memory failed: ${(error as Error).stack ?? String(error)}`);
  code = 1;
} finally {
  await stopAll();
}
process.exit(code);
