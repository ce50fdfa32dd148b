/**
 * Samovar as a user gets it: `npm pack` (its `prepack` builds dist/), the tarball installed into
 * a fresh project (consumer.ts: offline, `--ignore-scripts`, the repository's locked versions),
 * then only what that project can reach:
 *   - the tarball holds dist/ JavaScript with declarations, config/defaults.json and public/,
 *     and no TypeScript source (Node refuses to strip types under node_modules); every
 *     declaration's relative import names a file that is there;
 *   - the exports map: `samovar`, `samovar/cluster`, `samovar/fetch`, `samovar/package.json`
 *     load at run time, and nothing deeper does;
 *   - a strict `module: nodenext` consumer type-checks against the declarations with
 *     `skipLibCheck: false` (examples/native and examples/hono included);
 *   - `node_modules/.bin/samovar` serves a native `{ handle }` app (.mjs), a bare `{ fetch }`
 *     app (.ts, named by SAMOVAR_APP_ENTRY, from another working directory), the built-in demo
 *     (no entry), and both examples as they are; each stops on SIGTERM with exit code 0.
 * One build and one install per run (beforeAll); one worker per server (two shared cores).
 * Must not: leave a process or the temporary folder behind.
 */

import {
  accessSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHonoExample, checkNativeExample } from '../support/examples.ts';
import { ROOT } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';
import { run } from '../system/docker/run.ts';
import {
  childEnv,
  installConsumer,
  npm,
  packSamovar,
  startBin,
  stopBin,
  writeConsumerProject,
} from './consumer.ts';
import { CONSUMER_CHECK, CONSUMER_TSCONFIG, FETCH_APP, IMPORTS_PROBE, NATIVE_APP } from './fixtures.ts';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let work = '';
let consumer = '';
let installed = '';
const running = new Set<Cluster>();
const timings: Record<string, number | boolean> = {};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** Starts the installed bin, remembering it so afterAll can kill it if a test fails midway. */
async function serveWith(options: Parameters<typeof startBin>[1]): Promise<Cluster> {
  const cluster = await startBin(consumer, options);
  running.add(cluster);
  return cluster;
}

async function stop(cluster: Cluster): Promise<void> {
  const code = await stopBin(cluster);
  running.delete(cluster);
  expect(code, cluster.dump()).toBe(0);
  expect(cluster.events('shutdown', (line) => line.phase === 'exit').map((line) => line.code)).toEqual([0]);
}

async function get(cluster: Cluster, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${cluster.port}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
}

beforeAll(async () => {
  const started = Date.now();
  work = mkdtempSync(join(tmpdir(), 'samovar-package-'));
  const tarball = await packSamovar(work);
  timings.packMs = Date.now() - started;
  // prepack rebuilt dist/: the tarball cannot hold JavaScript older than the sources.
  expect(statSync(join(ROOT, 'dist/index.js')).mtimeMs).toBeGreaterThanOrEqual(started - 1_000);

  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  const registry = (await npm(['config', 'get', 'registry'], consumer)).stdout.trim();
  writeConsumerProject(consumer, tarball, registry, { prod: ['hono'], dev: ['@types/node'] });
  const install = await installConsumer(consumer);
  timings.installMs = install.ms;
  timings.installOffline = install.offline;
  installed = join(consumer, 'node_modules/samovar');

  writeFileSync(join(consumer, 'native-app.mjs'), NATIVE_APP);
  writeFileSync(join(consumer, 'fetch-app.ts'), FETCH_APP);
  writeFileSync(join(consumer, 'check.ts'), CONSUMER_CHECK);
  writeFileSync(join(consumer, 'imports.mjs'), IMPORTS_PROBE);
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
  for (const example of ['native', 'hono'])
    for (const file of ['app.ts', 'package.json'])
      cpSync(join(ROOT, 'examples', example, file), join(consumer, 'examples', example, file));
  mkdirSync(join(work, 'elsewhere'));
}, 180_000);

afterAll(async () => {
  for (const cluster of running) await cluster.destroy();
  if (work !== '') rmSync(work, { recursive: true, force: true });
  console.log(`package test timings: ${JSON.stringify(timings)}`);
});

describe('the packed package', () => {
  it('ships dist/ (JavaScript, declarations, maps), config/defaults.json and public/, and no TypeScript source', () => {
    const files = filesUnder(installed);
    for (const file of [
      'package.json',
      'dist/cli.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/index.js.map',
      'dist/cluster/index.js',
      'dist/cluster/index.d.ts',
      'dist/fetch/index.js',
      'dist/fetch/index.d.ts',
      'config/defaults.json',
      'public/index.html',
    ])
      expect(files, file).toContain(file);
    expect(files.filter((f) => /\.[mc]?tsx?$/.test(f) && !/\.d\.[mc]?ts$/.test(f))).toEqual([]);
    const tops = new Set(files.map((f) => f.split('/')[0]));
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'config', 'dist', 'package.json', 'public']);
    expect(readdirSync(join(installed, 'config'))).toEqual(['defaults.json']);

    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe('MIT');
    expect(manifest.bin).toEqual({ samovar: 'dist/cli.js' });
    expect(Object.keys(manifest.exports as object)).toEqual(['.', './cluster', './fetch', './package.json']);
    expect(readFileSync(join(installed, 'dist/cli.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    accessSync(join(consumer, 'node_modules/.bin/samovar'), constants.X_OK);
  });

  it('has declarations whose relative imports all name a .js file that has its .d.ts beside it', () => {
    const declarations = filesUnder(join(installed, 'dist')).filter((f) => f.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const file of declarations) {
      const text = readFileSync(join(installed, 'dist', file), 'utf8');
      for (const [, specifier = ''] of text.matchAll(/(?:from |import\()'(\.\.?\/[^']+)'/g)) {
        const target = join(installed, 'dist', file, '..', specifier.replace(/\.js$/, '.d.ts'));
        if (!specifier.endsWith('.js') || !filesUnder(installed).includes(relative(installed, target)))
          wrong.push(`${file}: ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('resolves the exports map at run time, and nothing deeper', async () => {
    const probe = await run(process.execPath, ['imports.mjs'], {
      cwd: consumer,
      env: childEnv(),
      timeoutMs: 15_000,
    });
    expect(probe.code, probe.stderr).toBe(0);
    const seen = JSON.parse(probe.stdout) as Record<string, unknown>;
    expect(seen.root).toEqual(
      expect.arrayContaining(['serve', 'Router', 'HttpError', 'RequestAbortedError', 'createStaticHandler']),
    );
    expect(seen.root).toContain('fetchHandler');
    expect(seen.cluster).toContain('runCluster');
    expect(seen.fetch).toContain('fetchHandler');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(seen.version).toBe(manifest.version);
    expect(seen.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(seen.source).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    // `default`, not `import`, in the exports map: CommonJS callers get the ES module through
    // require(esm) (Node >= 22.12), instead of "No exports main defined".
    expect(seen.require).toBe('loaded');
  });

  it('type-checks a strict nodenext consumer and both examples against the declarations (skipLibCheck off)', async () => {
    const started = Date.now();
    const check = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], {
      cwd: consumer,
      env: childEnv(),
      timeoutMs: 60_000,
    });
    timings.typecheckMs = Date.now() - started;
    expect(check.stdout + check.stderr).toBe('');
    expect(check.code).toBe(0);
  });
});

describe('the installed samovar command', () => {
  it('serves a native { handle } app (.mjs) and exits 0 on SIGTERM', async () => {
    const cluster = await serveWith({ cwd: consumer, entry: 'native-app.mjs' });
    const hello = await get(cluster, '/hello/tea');
    expect(hello.status).toBe(200);
    expect(await hello.json()).toEqual({ hello: 'tea' });
    const echo = await get(cluster, '/echo', { method: 'POST', body: 'samovar' });
    expect(await echo.text()).toBe('samovar');
    // The app's HttpError is the engine's class: its status, not a 500.
    const missing = await get(cluster, '/missing');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('no such thing');
    expect((await get(cluster, '/healthz')).status).toBe(200);
    await stop(cluster);
  });

  it('serves a bare { fetch } app (.ts) named by SAMOVAR_APP_ENTRY, from another working directory', async () => {
    const cluster = await serveWith({
      cwd: join(work, 'elsewhere'),
      env: { SAMOVAR_APP_ENTRY: join(consumer, 'fetch-app.ts') },
    });
    const hello = await get(cluster, '/?name=samovar');
    expect(hello.status).toBe(200);
    expect(hello.headers.get('x-app')).toBe('fetch');
    expect(await hello.json()).toEqual({ hello: 'samovar', method: 'GET' });
    const echo = await get(cluster, '/', { method: 'POST', body: '{"a":[1,2]}' });
    expect(await echo.json()).toEqual({ echo: { a: [1, 2] } });
    await stop(cluster);
  });

  it('serves the built-in demo without an entry, from a directory with no public/ in it', async () => {
    const cluster = await serveWith({ cwd: join(work, 'elsewhere') });
    const hello = await get(cluster, '/');
    expect(await hello.text()).toBe('Hello, World!');
    const page = await get(cluster, '/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    await stop(cluster);
  });

  it('serves examples/native as it is: Router, path parameter, JSON echo, HttpError, server-sent events', async () => {
    const cluster = await serveWith({ cwd: consumer, entry: 'examples/native/app.ts' });
    await checkNativeExample(cluster.port);
    await stop(cluster);
  });

  it('serves examples/hono as it is: text, JSON echo, path parameter, server-sent events', async () => {
    const cluster = await serveWith({ cwd: join(consumer, 'examples/hono'), entry: 'app.ts' });
    await checkHonoExample(cluster.port);
    await stop(cluster);
  });
});
