/**
 * `npm run hostile`: the full-size hostile-client measurements behind docs/hardening.md, against
 * the fixture cluster (2 workers), printed as JSON and saved to load/results/hostile-<time>.json.
 *
 * - `slow`: normal keep-alive traffic (autocannon, 20 connections, its own process) alone, then
 *   alongside 1,000 connections trickling header bytes (one a second; replaced when cut) and 200
 *   that request a large answer and never read it. Reports p99 with and without, worker RSS
 *   peaks, and how long each hostile connection lived before the server cut it.
 * - `body`: a 1 GiB chunked upload to `/sink` (reads and drops the body), RSS sampled every
 *   16 MiB; then the same upload against `limits.maxBodyBytes` of 512 MiB: when the 413 came and
 *   when the connection closed.
 * - `pieces`: 90 bodies of 1,000,000 one-byte chunks at once (6 MB each on the wire, inside the
 *   1 MiB limit) to a route that reads them whole: the worker RSS peaks (issue 16 §1).
 * - `deadline`: 50 clients sending a body one byte every 1.5 s (never idle for the 2 s body
 *   timeout): when each got its 408 under a 10 s request deadline (issue 16 §2).
 * - `pace`: 20 clients reading a large answer one socket read every 4 s (≤ 16 KiB/s) and 20
 *   reading one every 50 ms, under a 64 KiB/s minimum send rate over 10 s windows: when the
 *   slow ones were cut, and that the fast ones were not (issue 16 §2).
 * - `stall`: the access log's reader (a `cat` on a FIFO) stops while autocannon runs and a SIGHUP
 *   rolls the workers: requests served, the metrics port's latency (polled every 200 ms), the roll's
 *   result and the lines dropped, against the same traffic with the reader reading (issue 16 §4).
 * - `scrape`: 300 connections held open on the metrics port (half silent, half mid-head) while
 *   Prometheus-like scrapes run: every scrape's status and latency (issue 16 §5).
 * - `tls`: issue 17's hostile proof at full size: a one-worker HTTPS cluster on its defaults
 *   (bound 256, 10 s deadline); four keep-alive HTTPS clients sending a request every 5 ms each,
 *   measured 10 s alone and 10 s while harness/tls/hostile.ts (its own process) floods full
 *   handshakes, 100 half-ClientHellos reopened when closed, garbage and plain HTTP; three rounds
 *   of both. Reports each round's p99 alone and under attack and their ratio (goal: within 2×).
 *   `--attacker-cpu N` pins the attacker to core N (`taskset -c 1 npm run hostile -- --only tls
 *   --attacker-cpu 0` keeps it off the server's and the clients' core); `--clients-cpu N` runs
 *   the measuring clients as their own process on core N (the attacker niced to 19 when it
 *   shares that core), so that the server shares its core with nothing; `--attack "garbage=2
 *   plain=2"` picks the attacker's kinds (harness/tls/hostile.ts; default: all four above).
 * `--only slow|body|pieces|deadline|pace|stall|scrape|tls` runs one; `--tricklers N --non-readers N --seconds S`
 * scale the first.
 * Must not: run inside `npm test` (test/hardening/ has the scaled-down versions).
 */

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { ROOT, startCluster } from '../harness/cluster.ts';
import { issue, makeCa } from '../harness/tls/certs.ts';
import { pacedHttps } from '../harness/tls/paced.ts';
import { parseArgs } from 'node:util';
import { HostileClients, lifetimes, percentile, serverSidePorts } from '../harness/clients/hostile.ts';
import { normalTraffic } from '../harness/measure/traffic.ts';
import { RssSampler } from '../harness/measure/rss.ts';
import { chunkedUpload } from '../harness/clients/upload.ts';
import { piecewiseUpload } from '../harness/clients/piecewise.ts';
import net from 'node:net';
import { startOnFifo } from '../harness/fifo-cluster.ts';
import { BASE_ENV, FIXTURE_ENTRY } from '../harness/hardening/cluster.ts';
import { startHardeningCluster, unplannedExits } from '../harness/hardening/cluster.ts';

const MiB = 1024 * 1024;
const HEADERS_TIMEOUT_MS = 5_000;
const WRITE_TIMEOUT_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number): number => Math.round(bytes / MiB);

async function slowClients(tricklers: number, nonReaders: number, seconds: number): Promise<object> {
  const cluster = await startHardeningCluster({
    env: {
      SAMOVAR_TIMEOUTS_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      SAMOVAR_TIMEOUTS_WRITE_TIMEOUT_MS: String(WRITE_TIMEOUT_MS),
    },
  });
  const hostile = new HostileClients(cluster.port);
  try {
    const url = `http://127.0.0.1:${cluster.port}/`;
    const rss = new RssSampler(() => cluster.liveWorkers(), 250);
    await normalTraffic(url, 20, 2, 'ok\n'); // warm-up, not reported
    const warm = rss.elapsed();
    const without = await normalTraffic(url, 20, seconds, 'ok\n');
    const hostileFrom = rss.elapsed();
    const opened = Date.now();
    hostile.trickle(tricklers, 1_000, 2_000);
    hostile.nonReaders(nonReaders, '/big?kb=1048576', 2_000);
    await sleep(3_000);
    const heldAtStart = { tricklers: hostile.open('trickle'), nonReaders: hostile.open('non-reader') };
    const withHostile = await normalTraffic(url, 20, seconds, 'ok\n');
    const heldAtEnd = { tricklers: hostile.open('trickle'), nonReaders: hostile.open('non-reader') };
    const deadline = opened + 2_000 + WRITE_TIMEOUT_MS + 10_000;
    while (hostile.open('non-reader') > 0 && Date.now() < deadline) await sleep(250);
    hostile.stop();
    rss.stop();
    const trickle = lifetimes(hostile.lives, 'trickle');
    const slow = lifetimes(hostile.lives, 'non-reader');
    const answered408 = hostile.lives.filter(
      (l) => l.kind === 'trickle' && l.firstBytes.startsWith('HTTP/1.1 408 '),
    );
    return {
      config: {
        tricklers,
        nonReaders,
        seconds,
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        writeTimeoutMs: WRITE_TIMEOUT_MS,
      },
      normalWithout: without,
      normalWith: withHostile,
      p99RatioWithToWithout: Math.round((withHostile.p99Ms / Math.max(1, without.p99Ms)) * 100) / 100,
      held: { atStart: heldAtStart, atEnd: heldAtEnd },
      tricklers: {
        cut: trickle.length,
        answered408: answered408.length,
        lifeMs: { p50: percentile(trickle, 50), p99: percentile(trickle, 99), max: Math.max(...trickle) },
      },
      nonReaders: {
        cut: slow.length,
        stillOpen: hostile.open('non-reader'),
        lifeMs: { min: Math.min(...slow), p50: percentile(slow, 50), max: Math.max(...slow) },
      },
      workerRssPeakMiB: { without: mib(rss.max(warm, hostileFrom)), with: mib(rss.max(hostileFrom)) },
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    hostile.stop();
    await cluster.destroy();
  }
}

async function bigBody(): Promise<object> {
  const total = 1024 * MiB;
  let cluster = await startHardeningCluster({ env: { SAMOVAR_LIMITS_MAX_BODY_BYTES: String(2 * total) } });
  let flat: object;
  try {
    const rss = new RssSampler(() => cluster.liveWorkers(), 0);
    const points: number[][] = [];
    const result = await chunkedUpload(cluster.port, '/sink', total, (sent) => {
      if (sent % (16 * MiB) !== 0) return;
      const before = rss.samples.length;
      rss.sample();
      for (const s of rss.samples.slice(before)) points.push([mib(sent), s.pid, mib(s.rss)]);
    });
    const pids = [...new Set(points.map(([, pid]) => pid))];
    const series = pids.map((pid) => points.filter(([, p]) => p === pid).map(([, , r]) => r as number));
    flat = {
      answer: result.answer.split('\r\n')[0],
      body: result.answer.slice(result.answer.indexOf('\r\n\r\n') + 4),
      elapsedMs: result.elapsedMs,
      mibPerSecond: Math.round(1024 / (result.elapsedMs / 1000)),
      workerRssMiB: series.map((s) => ({
        first: s[0],
        min: Math.min(...s),
        max: Math.max(...s),
        last: s[s.length - 1],
      })),
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    await cluster.destroy();
  }
  const limit = 512 * MiB;
  cluster = await startHardeningCluster({ env: { SAMOVAR_LIMITS_MAX_BODY_BYTES: String(limit) } });
  try {
    const over = await chunkedUpload(cluster.port, '/sink', total);
    return {
      flat,
      overLimit: {
        limitMiB: mib(limit),
        answer: over.answer.split('\r\n')[0],
        sentAtAnswerMiB: Math.round((over.sentAtAnswer / MiB) * 10) / 10,
        closeAfterAnswerMs: over.closeAfterAnswerMs,
        unplannedExits: unplannedExits(cluster),
      },
    };
  } finally {
    await cluster.destroy();
  }
}

async function pieces(): Promise<object> {
  const cluster = await startHardeningCluster();
  try {
    const rss = new RssSampler(() => cluster.liveWorkers(), 50);
    const idle = mib(rss.max(0));
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 90 }, () => piecewiseUpload(cluster.port, '/x', { bodyBytes: 1_000_000 })),
    );
    rss.stop();
    const statuses: Record<string, number> = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const pids = [...new Set(rss.samples.map((x) => x.pid))];
    return {
      requests: results.length,
      wireMiBEach: mib(results[0]?.wireBytes ?? 0),
      elapsedMs: Date.now() - started,
      statuses,
      workerRssMiB: pids.map((pid) => ({
        idle: mib(rss.samples.find((x) => x.pid === pid)?.rss ?? 0),
        peak: mib(Math.max(...rss.samples.filter((x) => x.pid === pid).map((x) => x.rss))),
      })),
      idleMaxMiB: idle,
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    await cluster.destroy();
  }
}

async function deadline(): Promise<object> {
  const requestTimeoutMs = 10_000;
  const cluster = await startHardeningCluster({
    env: {
      SAMOVAR_TIMEOUTS_BODY_TIMEOUT_MS: '2000',
      SAMOVAR_TIMEOUTS_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
    },
  });
  try {
    const lives = await Promise.all(
      Array.from(
        { length: 50 },
        () =>
          new Promise<{ ms: number; status: string }>((resolve) => {
            const started = Date.now();
            const socket = net.connect(cluster.port, '127.0.0.1');
            let answer = '';
            const drip = setInterval(() => socket.writable && socket.write('x'), 1_500);
            socket.setEncoding('latin1');
            socket.on('data', (d: string) => (answer += d));
            socket.on('error', () => {});
            socket.on('close', () => {
              clearInterval(drip);
              resolve({ ms: Date.now() - started, status: answer.slice(0, answer.indexOf('\r\n')) });
            });
            socket.write('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n');
          }),
      ),
    );
    const ms = lives.map((l) => l.ms).sort((a, b) => a - b);
    return {
      clients: lives.length,
      bodyTimeoutMs: 2000,
      requestTimeoutMs,
      answered408: lives.filter((l) => l.status.startsWith('HTTP/1.1 408 ')).length,
      lifeMs: { min: ms[0], p50: percentile(ms, 50), max: ms[ms.length - 1] },
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    await cluster.destroy();
  }
}

async function pace(): Promise<object> {
  const writeTimeoutMs = 10_000;
  const rate = 64 * 1024;
  const cluster = await startHardeningCluster({
    env: {
      SAMOVAR_TIMEOUTS_WRITE_TIMEOUT_MS: String(writeTimeoutMs),
      SAMOVAR_TIMEOUTS_MIN_SEND_RATE_BYTES_PER_SECOND: String(rate),
    },
  });
  const watchMs = 40_000;
  interface Reader {
    readonly socket: net.Socket;
    readonly tick: NodeJS.Timeout;
    received: number;
    /** When the server's side left ESTABLISHED, ms after the start; 0 while open. */
    cutAt: number;
  }
  const started = Date.now();
  const open = (everyMs: number): Reader => {
    const socket = net.connect(cluster.port, '127.0.0.1');
    const reader: Reader = {
      socket,
      tick: setInterval(() => socket.resume(), everyMs),
      received: 0,
      cutAt: 0,
    };
    socket.on('data', (d: Buffer) => {
      reader.received += d.length;
      socket.pause();
    });
    socket.on('error', () => {});
    socket.pause();
    socket.write('GET /big?kb=1048576 HTTP/1.1\r\nHost: a\r\n\r\n');
    return reader;
  };
  // One socket read every 4 s (≤ 16 KiB/s) against one every 50 ms (about 1 MiB/s).
  const slow = Array.from({ length: 20 }, () => open(4_000));
  const fast = Array.from({ length: 20 }, () => open(50));
  const all = [...slow, ...fast];
  try {
    // A cut is seen on the server's side of the socket (/proc/net/tcp): the client goes on
    // reading what its kernel already holds (megabytes on loopback) long after the close.
    await sleep(500);
    while (Date.now() - started < watchMs && all.some((r) => r.cutAt === 0)) {
      const established = serverSidePorts(cluster.port);
      for (const r of all) {
        if (r.cutAt === 0 && r.socket.localPort !== undefined && !established.has(r.socket.localPort)) {
          r.cutAt = Date.now() - started;
        }
      }
      await sleep(250);
    }
    const summary = (rs: Reader[]): object => {
      const cutMs = rs
        .filter((r) => r.cutAt > 0)
        .map((r) => r.cutAt)
        .sort((a, b) => a - b);
      return {
        clients: rs.length,
        cut: cutMs.length,
        cutAfterMs: cutMs.length
          ? { min: cutMs[0], p50: percentile(cutMs, 50), max: cutMs[cutMs.length - 1] }
          : null,
        receivedMiB: {
          min: mib(Math.min(...rs.map((r) => r.received))),
          max: mib(Math.max(...rs.map((r) => r.received))),
        },
      };
    };
    return {
      writeTimeoutMs,
      minSendRateBytesPerSecond: rate,
      watchMs,
      slowReaders: summary(slow),
      fastReaders: summary(fast),
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    for (const r of all) {
      clearInterval(r.tick);
      r.socket.destroy();
    }
    await cluster.destroy();
  }
}

/** GET `path` on 127.0.0.1:`port`: its status and milliseconds, or status 0 after `timeoutMs`. */
function timedGet(port: number, path: string, timeoutMs: number): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    const done = (status: number): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, ms: Date.now() - started });
    };
    const timer = setTimeout(() => done(0), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      head += d;
      if (head.includes('\r\n')) done(Number(head.slice(9, 12)));
    });
    socket.on('error', () => done(0));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

async function stallScenario(): Promise<object> {
  const fifo = await startOnFifo(FIXTURE_ENTRY, {
    ...BASE_ENV,
    SAMOVAR_LOG_ACCESS: 'on',
    SAMOVAR_METRICS_ENABLED: 'true',
    SAMOVAR_METRICS_PORT: '0',
  });
  const { cluster, reader } = fifo;
  const port = cluster.port;
  try {
    await cluster.waitFor('ready', () => true, { count: 2, timeoutMs: 20_000 });
    const metricsPort = (await cluster.waitFor('listen', () => true, { timeoutMs: 10_000 })).port as number;
    const url = `http://127.0.0.1:${port}/`;
    const reading = await normalTraffic(url, 20, 8, 'ok\n');
    reader.kill('SIGSTOP');
    const polls: { status: number; ms: number }[] = [];
    let polling = true;
    const poller = (async () => {
      for (let i = 0; polling; i++) {
        polls.push(await timedGet(metricsPort, i % 2 === 0 ? '/metrics' : '/healthz', 5_000));
        await sleep(200);
      }
    })();
    setTimeout(() => cluster.signal('SIGHUP'), 3_000);
    const stalled = await normalTraffic(url, 20, 8, 'ok\n');
    polling = false;
    await poller;
    const metrics = await new Promise<string>((resolve) => {
      const socket = net.connect(metricsPort, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    });
    const value = (pattern: RegExp): number => Number(pattern.exec(metrics)?.[1] ?? NaN);
    const ms = polls.map((p) => p.ms).sort((a, b) => a - b);
    reader.kill('SIGCONT');
    return {
      reading: {
        requests: reading.requests,
        p99Ms: reading.p99Ms,
        errors: reading.errors + reading.timeouts,
      },
      stalled: {
        requests: stalled.requests,
        p99Ms: stalled.p99Ms,
        errors: stalled.errors + stalled.timeouts,
      },
      metricsPort: {
        polls: polls.length,
        failed: polls.filter((p) => p.status !== 200).length,
        ms: { p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms[ms.length - 1] },
      },
      reloadsOk: value(/^samovar_reloads_total\{result="ok"\} (\d+)/m),
      hangRestarts: value(/^samovar_worker_restarts_total\{reason="hang"\} (\d+)/m),
      linesDropped: value(/^samovar_log_lines_dropped_total (\d+)/m),
    };
  } finally {
    await fifo.stop();
  }
}

async function scrapeScenario(): Promise<object> {
  const cluster = await startHardeningCluster({
    env: { SAMOVAR_METRICS_ENABLED: 'true', SAMOVAR_METRICS_PORT: '0' },
  });
  const held: net.Socket[] = [];
  try {
    const metricsPort = (await cluster.waitFor('listen', () => true, { timeoutMs: 10_000 })).port as number;
    for (let i = 0; i < 300; i++) {
      const socket = net.connect(metricsPort, '127.0.0.1');
      socket.on('error', () => {});
      if (i % 2 === 1) socket.write('GET /metrics HTTP/1.1\r\nHost: a\r\n');
      held.push(socket);
      if (i % 50 === 49) await sleep(50);
    }
    await sleep(500);
    const scrapes: { status: number; ms: number }[] = [];
    for (let i = 0; i < 40; i++) {
      scrapes.push(await timedGet(metricsPort, i % 4 === 3 ? '/readyz' : '/metrics', 10_000));
      await sleep(250);
    }
    const ms = scrapes.map((p) => p.ms).sort((a, b) => a - b);
    return {
      heldConnections: held.length,
      stillOpenAtEnd: held.filter((s) => !s.destroyed && s.readyState === 'open').length,
      scrapes: scrapes.length,
      failed: scrapes.filter((p) => p.status !== 200).length,
      ms: { p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms[ms.length - 1] },
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    for (const s of held) s.destroy();
    await cluster.destroy();
  }
}

/** What harness/tls/hostile.ts runs in the `tls` scenario unless `--attack` says otherwise. */
const DEFAULT_TLS_ATTACK = 'flood=2 slow=100 garbage=2 plain=2';

/** `harness/tls/paced-run.ts` in its own process pinned to `cpu`: the paced clients' latencies. */
async function pacedElsewhere(
  cpu: string,
  port: number,
  ms: number,
  caFile: string,
): Promise<{ lat: number[]; failed: number }> {
  const argv = [
    'taskset',
    '-c',
    cpu,
    process.execPath,
    'harness/tls/paced-run.ts',
    String(port),
    String(ms),
    caFile,
  ];
  const child = spawn(argv[0] as string, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`paced clients exited with ${String(code)}`);
  return JSON.parse(out) as { lat: number[]; failed: number };
}

async function tlsScenario(
  attackerCpu: string | undefined,
  clientsCpu: string | undefined,
  attack = DEFAULT_TLS_ATTACK,
): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'samovar-hostile-tls-'));
  const ca = await makeCa();
  const pem = await issue(ca);
  writeFileSync(join(dir, 'server.crt'), pem.cert);
  writeFileSync(join(dir, 'server.key'), pem.key);
  writeFileSync(join(dir, 'ca.crt'), ca.cert);
  const cluster = await startCluster({
    env: {
      SAMOVAR_WORKERS: '1',
      SAMOVAR_TLS_CERT: join(dir, 'server.crt'),
      SAMOVAR_TLS_KEY: join(dir, 'server.key'),
    },
  });
  const agent = new Agent({ connections: 4, connect: { ca: ca.cert, servername: 'localhost' } });
  // `--clients-cpu N`: the measuring clients in a process of their own on core N, so what they
  // measure is the server's latency, not their own share of the server's core.
  const paced = (ms: number): Promise<{ lat: number[]; failed: number }> =>
    clientsCpu === undefined
      ? pacedHttps(cluster.port, agent, ms)
      : pacedElsewhere(clientsCpu, cluster.port, ms, join(dir, 'ca.crt'));
  const rounds: object[] = [];
  try {
    await paced(2000); // warm-up
    for (let round = 1; round <= 3; round++) {
      const alone = await paced(10_000);
      const argv = [
        process.execPath,
        'harness/tls/hostile.ts',
        String(cluster.port),
        '12',
        ...attack.split(/\s+/).filter((kind) => kind !== ''),
      ];
      // `--attacker-cpu N`: the attacker on a core of its own (taskset), the rest left to the
      // server and the measuring clients (run the script itself under `taskset -c` for those).
      // Sharing the clients' core, it runs at the lowest priority: the clients then wait for the
      // server, not for the attacker's own CPU.
      const niced = attackerCpu !== undefined && attackerCpu === clientsCpu ? ['nice', '-n', '19'] : [];
      const pinned = attackerCpu === undefined ? argv : ['taskset', '-c', attackerCpu, ...niced, ...argv];
      const attacker = spawn(pinned[0] as string, pinned.slice(1), {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let report = '';
      attacker.stdout.on('data', (d: Buffer) => (report += d.toString()));
      const ended = new Promise((resolve) => attacker.on('close', resolve));
      await sleep(1000);
      const hostile = await paced(10_000);
      await ended;
      const p99Alone = percentile(alone.lat, 99);
      const p99Hostile = percentile(hostile.lat, 99);
      const line = {
        round,
        alone: {
          requests: alone.lat.length,
          failed: alone.failed,
          p50: percentile(alone.lat, 50),
          p99: p99Alone,
        },
        underAttack: {
          requests: hostile.lat.length,
          failed: hostile.failed,
          p50: percentile(hostile.lat, 50),
          p99: p99Hostile,
        },
        p99Ratio: Math.round((p99Hostile / p99Alone) * 100) / 100,
        attacker: JSON.parse(report) as object,
      };
      process.stderr.write(`${JSON.stringify(line)}\n`);
      rounds.push(line);
    }
    return {
      attack,
      attackerCpu: attackerCpu ?? 'unpinned',
      clientsCpu: clientsCpu ?? "the script's own",
      rounds,
      unplannedExits: unplannedExits(cluster),
    };
  } finally {
    await agent.close();
    await cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      tricklers: { type: 'string' },
      'non-readers': { type: 'string' },
      seconds: { type: 'string' },
      'attacker-cpu': { type: 'string' },
      'clients-cpu': { type: 'string' },
      attack: { type: 'string' },
    },
  });
  const only = values.only;
  const out: Record<string, object> = {};
  if (only === undefined || only === 'slow') {
    out.slow = await slowClients(
      Number(values.tricklers ?? '1000'),
      Number(values['non-readers'] ?? '200'),
      Number(values.seconds ?? '10'),
    );
    process.stdout.write(JSON.stringify({ slow: out.slow }, null, 2) + '\n');
  }
  if (only === undefined || only === 'body') {
    out.body = await bigBody();
    process.stdout.write(JSON.stringify({ body: out.body }, null, 2) + '\n');
  }
  for (const [name, run] of [
    ['pieces', pieces],
    ['deadline', deadline],
    ['pace', pace],
    ['stall', stallScenario],
    ['scrape', scrapeScenario],
    ['tls', () => tlsScenario(values['attacker-cpu'], values['clients-cpu'], values.attack)],
  ] as const) {
    if (only !== undefined && only !== name) continue;
    out[name] = await run();
    process.stdout.write(JSON.stringify({ [name]: out[name] }, null, 2) + '\n');
  }
  const dir = new URL('results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}hostile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(`wrote ${file}\n`);
}

await main();
