/**
 * `npm run load:profile`: where a Samovar worker's time goes under load. Starts Samovar (one
 * worker, `--cpu-prof`, which the worker inherits through execArgv, pinned to CPU 1), drives
 * `GET /` with wrk (50 keep-alive connections, CPU 0), stops it with SIGTERM (a worker writes its
 * profile on a clean exit), and sums the worker profile's self time by where it is spent: parse,
 * route, handler, write, metrics, logging, Node's socket layer, native calls (syscalls), GC.
 *
 *     npm run load:profile                          # 10 s of GET /
 *     npm run load:profile -- --duration 5 --path /echo --env SAMOVAR_LOG_ACCESS=off
 *
 * Samovar runs on its defaults, access log on (its lines to /dev/null), as users run it: a
 * profile without the log measured a server nobody runs (issue 19).
 * Prints the categories and the top functions; keeps the .cpuprofile (open it in Chrome DevTools)
 * under load/results/profile-<time>/. Must not: run in `npm test`.
 */
import { mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { startRun } from './lib/generators.ts';
import { parseOptions } from './lib/options.ts';
import {
  decidePinning,
  installCleanupHooks,
  listenOn,
  startOnFreePort,
  stopAll,
  stopChild,
} from './lib/processes.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    scenario: { type: 'string', default: 'get' },
    env: { type: 'string', multiple: true, default: [] },
  },
});

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** First match wins: the category of a function, by its file (or its name when native). */
const CATEGORIES: readonly (readonly [string, RegExp])[] = [
  ['idle (waiting for I/O)', /^\(idle\)/],
  ['garbage collection', /^\(garbage collector\)/],
  ['parse (src/http)', /\/src\/http\//],
  ['route (router)', /\/src\/server\/router\.ts/],
  ['handler (src/app, static)', /\/src\/app\/|\/src\/server\/static\//],
  ['metrics (src/metrics)', /\/src\/metrics\/|prom-client/],
  ['logging (src/log, pino)', /\/src\/log\/|\/pino|sonic-boom|observe\.ts/],
  ['connection, response, write (src/server)', /\/src\/server\//],
  ['cluster, config (src)', /\/src\//],
  ['Node socket and stream JS (node:net, streams)', /^node:/],
  ['other JavaScript', /\S/],
];

function categoryOf(node: Node): string {
  const { functionName, url } = node.callFrame;
  const key = url === '' ? functionName : url;
  if (url === '' && !functionName.startsWith('(')) return 'native (syscalls: writev, read, epoll via libuv)';
  if (functionName === '(program)') return 'native (syscalls: writev, read, epoll via libuv)';
  for (const [name, pattern] of CATEGORIES) if (pattern.test(key)) return name;
  return 'other JavaScript';
}

function summarize(profile: Profile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const category = categoryOf(node);
    categories.set(category, (categories.get(category) ?? 0) + us);
    if (category.startsWith('idle')) continue;
    busy += us;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const pct = (us: number, of: number): string => `${((100 * us) / of).toFixed(1)} %`;
  process.stdout.write(
    `\nWorker profile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy\n\n`,
  );
  process.stdout.write('| where | share of busy time |\n| --- | ---: |\n');
  for (const [name, us] of [...categories].sort((a, b) => b[1] - a[1])) {
    if (!name.startsWith('idle')) process.stdout.write(`| ${name} | ${pct(us, busy)} |\n`);
  }
  process.stdout.write('\n| top functions (self time) | share of busy time |\n| --- | ---: |\n');
  for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    process.stdout.write(`| \`${name}\` | ${pct(us, busy)} |\n`);
  }
}

async function main(): Promise<void> {
  installCleanupHooks();
  const options = parseOptions(['--scenarios', flags.scenario]);
  const scenario = options?.scenarios[0];
  if (!options || !scenario) throw new Error('no scenario');
  const pinning = decidePinning(true);
  const dir = fileURLToPath(
    new URL(`./results/profile-${new Date().toISOString().replace(/[:.]/g, '-')}/`, import.meta.url),
  );
  mkdirSync(dir, { recursive: true });
  const extra = Object.fromEntries(
    flags.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  const devNull = openSync('/dev/null', 'w');
  const { child: server, port } = await startOnFreePort(
    'samovar',
    (port) => ({
      argv: [...pinning.serverPrefix, process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, 'src/main.ts'],
      env: {
        ...listenOn('SAMOVAR', port),
        SAMOVAR_WORKERS: '1',
        SAMOVAR_METRICS_PORT: '0',
        SAMOVAR_CONNECTIONS_MAX_REQUESTS_PER_CONNECTION: '1000000000',
        ...extra,
      },
    }),
    { stdoutFd: devNull },
  );
  const run = startRun({
    tool: 'wrk',
    scenario,
    port,
    connections: scenario.connections ?? 50,
    durationS: Number(flags.duration),
    pinPrefix: pinning.generatorPrefix,
  });
  const m = await run.done;
  process.stderr.write(
    `wrk: ${Math.round(m.rps)} req/s, p99 ${m.p99Ms.toFixed(2)} ms, errors ${m.errors}/${m.non2xx}\n`,
  );
  await stopChild(server);
  // The worker's profile is the larger one: the primary idles under load.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  const worker = files[0];
  if (worker === undefined) throw new Error(`no profile written in ${dir} (did the worker exit cleanly?)`);
  process.stderr.write(`profiles: ${files.join(', ')}\n`);
  summarize(JSON.parse(readFileSync(worker, 'utf8')) as Profile);
}

let code = 0;
try {
  await main();
} catch (error) {
  process.stderr.write(`load:profile failed: ${(error as Error).stack ?? String(error)}\n`);
  code = 1;
} finally {
  await stopAll();
}
process.exit(code);
