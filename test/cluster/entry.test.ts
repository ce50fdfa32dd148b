/**
 * The front door as a user meets it: `samovar ENTRY` (src/cli.ts) run as a real cluster on an
 * application written to a temporary directory.
 *   - the lifecycle: `setup` before ready with the worker's context, new code rolled by SIGHUP
 *     under load with no failed request, an entry broken on disk aborts the roll and the old
 *     code keeps serving, `close` exactly once per worker;
 *   - bad entries at first start: one clear message and a non-zero exit, never a crash loop;
 *   - the health paths: configurable, and left to the application with `health.mainPort` off.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { failures, steadyGets } from '../../harness/measure/traffic.ts';
import { clustersPerTest } from '../support/clusters.ts';
import { get, ROOT, sleep, startCluster } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';

const CLI = 'src/cli.ts';
const LIBRARY = pathToFileURL(join(ROOT, 'src/index.ts')).href;
const dir = mkdtempSync(join(tmpdir(), 'samovar-entry-'));
const own = clustersPerTest();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A native app answering `version`, with a slow `setup` and a `close` that logs its pid to a file. */
function nativeApp(version: string, closeLog: string): string {
  return `
import { Router } from ${JSON.stringify(LIBRARY)};
import { appendFileSync } from 'node:fs';
let context = null;
const router = new Router()
  .get('/', (_req, res) => res.send(${JSON.stringify(version)}))
  .get('/context', (_req, res) => res.json(context))
  .get('/healthz', (_req, res) => res.send('the app owns /healthz'));
export default {
  async setup(ctx) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    context = { workerId: ctx.workerId, slot: ctx.slot, generation: ctx.generation, port: ctx.config.port };
  },
  handle: router.handler(),
  close(info) {
    appendFileSync(${JSON.stringify(closeLog)}, JSON.stringify({ pid: process.pid, ...info }) + '\\n');
  },
};
`;
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('an application through samovar ENTRY', () => {
  it('sets up before ready, rolls new code on SIGHUP under load, refuses broken code, closes once per worker', async () => {
    const closeLog = join(dir, 'close.log');
    writeFileSync(closeLog, '');
    const entry = write('app.mjs', nativeApp('v1', closeLog));
    const c = own(await startCluster({ entry: CLI, args: [entry], env: { SAMOVAR_WORKERS: '2' } }));
    expect((await get(c.port, '/')).body).toBe('v1');
    const context = JSON.parse((await get(c.port, '/context')).body) as Record<string, number>;
    expect(context).toMatchObject({ generation: 1, port: c.port });
    expect([0, 1]).toContain(context.slot);
    expect(context.workerId).toBeGreaterThan(0);

    const url = `http://127.0.0.1:${c.port}/`;
    const load = steadyGets(url, { connections: 10, durationS: 5 });
    await sleep(1_000);
    write('app.mjs', nativeApp('v2', closeLog));
    c.signal('SIGHUP');
    await c.waitFor('reload', (l) => l.result === 'ok', { timeoutMs: 15_000 });
    const result = await load;
    expect(failures(result)).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
    expect((await get(c.port, '/')).body).toBe('v2');

    // Broken on disk: the replacement fails to import, the roll aborts, v2 keeps serving.
    write('app.mjs', 'export default { handle(req, res) { res.send("v3") ');
    c.signal('SIGHUP');
    const aborted = await c.waitFor('reload', (l) => l.result === 'aborted', { timeoutMs: 15_000 });
    expect(aborted.msg).toMatch(/reload aborted/);
    const failure = c.events('error', (l) => typeof l.error === 'string' && l.error.includes('SyntaxError'));
    expect(failure.length).toBe(1);
    expect(failure[0]?.error).toContain(entry);
    expect((await get(c.port, '/')).body).toBe('v2');

    const live = c.liveWorkers();
    expect(live).toHaveLength(2);
    c.signal('SIGTERM');
    await c.exited;
    expect(c.exitCode).toBe(0);
    const closes = readFileSync(closeLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { pid: number; reason: string; deadline: number });
    // Every worker that ever served called close exactly once: two of v1 (retired by the roll), two of v2.
    const pids = closes.map((line) => line.pid);
    expect(new Set(pids).size).toBe(pids.length);
    expect(pids).toEqual(expect.arrayContaining(live));
    expect(closes.filter((line) => line.reason === 'shutdown')).toHaveLength(2);
    expect(closes.filter((line) => line.reason === 'reload')).toHaveLength(2);
    for (const line of closes) expect(line.deadline).toBeGreaterThan(Date.now() - 60_000);
  }, 60_000);

  it('moves the health paths, and leaves them to the application with health.mainPort off', async () => {
    const entry = write('health.mjs', nativeApp('h', join(dir, 'health-close.log')));
    const cluster = own(
      await startCluster({
        entry: CLI,
        args: [entry, '--no-health.main-port', '--health.ready-path', '/ready'],
        env: { SAMOVAR_WORKERS: '1' },
      }),
    );
    expect((await get(cluster.port, '/healthz')).body).toBe('the app owns /healthz');
    expect((await get(cluster.port, '/ready')).status).toBe(404);
    const listen = await cluster.waitFor('listen');
    const metricsPort = listen.port as number;
    expect((await get(metricsPort, '/ready')).status).toBe(200);
    expect((await get(metricsPort, '/healthz')).body).toBe('ok\n');
  });
});

describe('the command and the programmatic cluster', () => {
  it('prints its usage and its version, and starts nothing', () => {
    const run = (flag: string): string =>
      execFileSync(process.execPath, [CLI, flag], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
    expect(run('--help')).toMatch(/^Usage: samovar \[ENTRY\] \[--flags…\]/);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(run('--version')).toBe(`samovar ${version}\n`);
  });

  it("runCluster() from a script of the user's own serves the entry it is given", async () => {
    const app = write(
      'run-app.mjs',
      'export default { fetch() { return new Response("from runCluster") } };',
    );
    const script = write(
      'run-cluster.mjs',
      `import { runCluster } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src/cluster/index.ts')).href)};\n` +
        `runCluster({ argv: [${JSON.stringify(app)}] });\n`,
    );
    const cluster = own(await startCluster({ entry: script, env: { SAMOVAR_WORKERS: '1' }, ready: 1 }));
    expect((await get(cluster.port, '/')).body).toBe('from runCluster');
  });
});

describe('an entry that cannot be served at first start', () => {
  async function fails(args: string[]): Promise<Cluster> {
    const cluster = own(await startCluster({ entry: CLI, args, env: { SAMOVAR_WORKERS: '2' }, ready: 0 }));
    await cluster.exited;
    return cluster;
  }

  const fatal = (c: Cluster): string[] => c.lines.filter((l) => l.level === 'fatal').map((l) => l.msg);

  it('a missing file: exit 78 naming the field and the path, no worker forked', async () => {
    const c = await fails(['./no/such/app.ts']);
    expect(c.exitCode).toBe(78);
    const text = c.stderr.join('');
    expect(text).toContain('app.entry');
    expect(text).toContain(join(ROOT, 'no/such/app.ts'));
    expect(c.events('spawn')).toHaveLength(0);
  });

  it.each([
    ['the wrong shape', 'shape.mjs', 'export default 42;', /the number 42; expected .*fetch.*handle/],
    [
      'no default export',
      'named.mjs',
      'export const app = {};',
      /has no default export \(its exports: app\)/,
    ],
    [
      'a throwing setup',
      'setup.mjs',
      'export default { handle() {}, setup() { throw new Error("db down"); } };',
      /setup\(\) of .* failed: Error: db down/,
    ],
    ['a syntax error', 'syntax.mjs', 'export default {', /cannot import .*syntax\.mjs: SyntaxError/],
    [
      'TypeScript that cannot be stripped',
      'enum.ts',
      'enum A { B }\nexport default { handle() {} };',
      /ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX/,
    ],
  ])('%s: one fatal line, exit 1, no respawn', async (_name, file, text, message) => {
    const c = await fails([write(file, text)]);
    expect(c.exitCode).toBe(1);
    const lines = fatal(c);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(c.events('spawn')).toHaveLength(2);
    expect(c.events('restart')).toHaveLength(0);
  });

  it('a named export through FILE#name', async () => {
    const entry = write('named-ok.mjs', 'export const api = { handle(req, res) { res.send("named") } };');
    const cluster = own(
      await startCluster({ entry: CLI, args: [`${entry}#api`], env: { SAMOVAR_WORKERS: '1' } }),
    );
    expect((await get(cluster.port, '/')).body).toBe('named');
  });
});
