/**
 * `node load/tls-compare.ts [--rounds N] [--seconds S] [--workers W]`: a first look at HTTPS
 * speed, not yet the load lab's rows (docs/tls.md says what is left): Samovar's demo over TLS
 * against node:https under node:cluster and nginx, the same certificate (ECDSA P-256, made here),
 * the same worker count, the same Mozilla intermediate ciphers; wrk with `--latency`, keep-alive
 * (`GET /`, 50 connections) and `Connection: close` (a handshake per request, 20 connections),
 * servers interleaved round by round. Prints a Markdown table of medians.
 * Must not: run in `npm test`; trust a figure from a busy machine (the load average is printed).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startCluster } from '../harness/cluster.ts';
import { issue, makeCa, writePem } from '../harness/tls/certs.ts';
import { INTERMEDIATE_CIPHERS } from '../src/tls/profile.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    workers: { type: 'string', default: '1' },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const WORKERS = Number(values.workers);
const dir = mkdtempSync(join(tmpdir(), 'samovar-tls-compare-'));
const ca = await makeCa();
const files = writePem(dir, 'server', await issue(ca));

const NODE_HTTPS = `
import cluster from 'node:cluster';
import https from 'node:https';
import { readFileSync } from 'node:fs';
if (cluster.isPrimary) { for (let i = 0; i < ${WORKERS}; i++) cluster.fork(); }
else https.createServer({ cert: readFileSync(${JSON.stringify(files.cert)}), key: readFileSync(${JSON.stringify(files.key)}),
  ciphers: ${JSON.stringify(INTERMEDIATE_CIPHERS)}, minVersion: 'TLSv1.2' },
  (req, res) => { res.setHeader('Content-Type', 'text/plain; charset=utf-8'); res.end('Hello, World!'); })
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

function nginxConf(port: number): string {
  return `worker_processes ${WORKERS}; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port} ssl; ssl_certificate ${files.cert}; ssl_certificate_key ${files.key};
    ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ${INTERMEDIATE_CIPHERS.split(':')
      .filter((c) => !c.startsWith('TLS_'))
      .join(':')};
    ssl_session_tickets on; location / { default_type text/plain; return 200 'Hello, World!'; } } }`;
}

interface Server {
  readonly name: string;
  readonly port: number;
  stop(): Promise<void>;
}

async function child(name: string, argv: string[], port: number): Promise<Server> {
  const proc: ChildProcess = spawn(argv[0] as string, argv.slice(1), {
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
    detached: true,
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return {
    name,
    port,
    stop: async () => {
      // The process group: node:cluster's workers and nginx's workers go with their parent.
      if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 200));
    },
  };
}

async function startAll(): Promise<Server[]> {
  const samovar = await startCluster({
    env: {
      SAMOVAR_WORKERS: String(WORKERS),
      SAMOVAR_TLS_CERT: files.cert,
      SAMOVAR_TLS_KEY: files.key,
      SAMOVAR_METRICS_ENABLED: 'false',
      SAMOVAR_LOG_ACCESS: 'off',
    },
  });
  const nodeFile = join(dir, 'node-https.mjs');
  writeFileSync(nodeFile, NODE_HTTPS);
  const nginxFile = join(dir, 'nginx.conf');
  const nginxPort = await freePort();
  writeFileSync(nginxFile, nginxConf(nginxPort));
  return [
    { name: 'Samovar', port: samovar.port, stop: () => samovar.destroy() },
    await child('node:https', [process.execPath, nodeFile], await freePort()),
    await child('nginx', ['nginx', '-c', nginxFile, '-e', join(dir, 'nginx.err')], nginxPort),
  ];
}

interface Result {
  readonly rps: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function wrk(port: number, close: boolean): Promise<Result> {
  const args = ['-t1', `-c${close ? 20 : 50}`, `-d${SECONDS}s`, '--latency'];
  if (close) args.push('-H', 'Connection: close');
  args.push(`https://127.0.0.1:${port}/`);
  return new Promise((resolve) => {
    const proc = spawn('wrk', args);
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('close', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
      const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
      const scale = p99?.[2] === 'us' ? 0.001 : p99?.[2] === 's' ? 1000 : 1;
      const errors =
        Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
        Number(/Socket errors:.*?(\d+)/.exec(out)?.[1] ?? 0);
      resolve({ rps, p99Ms: Number(p99?.[1] ?? NaN) * scale, errors });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const servers = await startAll();
const results = new Map<string, Result[]>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of ['keep-alive', 'close'] as const) {
      for (const server of servers) {
        const r = await wrk(server.port, scenario === 'close');
        const key = `${scenario}|${server.name}`;
        results.set(key, [...(results.get(key) ?? []), r]);
      }
    }
  }
} finally {
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${WORKERS} worker(s); medians of ${ROUNDS}\n`,
);
console.log('| scenario | server | req/s | p99 ms | Samovar ÷ this |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const scenario of ['keep-alive', 'close']) {
  const ours = median((results.get(`${scenario}|Samovar`) ?? []).map((r) => r.rps));
  for (const server of servers) {
    const rs = results.get(`${scenario}|${server.name}`) ?? [];
    const rps = median(rs.map((r) => r.rps));
    const errors = rs.reduce((n, r) => n + r.errors, 0);
    console.log(
      `| ${scenario} | ${server.name} | ${rps.toFixed(0)}${errors ? ` (${errors} errors)` : ''} | ${median(rs.map((r) => r.p99Ms)).toFixed(2)} | ${(ours / rps).toFixed(2)} |`,
    );
  }
}
