/**
 * A fresh project that depends on Samovar the way a user's does, for test/package/: the tarball
 * from `npm pack` (which runs `prepack`, so the build), installed with `npm ci --offline
 * --ignore-scripts` from a lockfile written here, then the installed `samovar` command started
 * as a user starts it.
 *
 * Why a lockfile of our own instead of `npm install ./samovar.tgz`: resolving Samovar's
 * dependency ranges needs the registry's package documents, which `npm ci` (the repository's
 * install) never fetches, so an offline install would fail on a clean CI machine, and an online
 * one would test whatever upstream published today. The lock takes every version, integrity and
 * place in the tree from the repository's own package-lock.json, so the consumer gets exactly
 * the dependencies the rest of the suite ran with, from the npm cache `npm ci` filled.
 * Must not: write outside its temporary folder (the build writes dist/, as `npm pack` always
 * does), or leave a process running: every server it starts is stopped by PID.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Cluster, ROOT, freePort } from '../../harness/cluster.ts';
import { runOk } from '../system/docker/run.ts';
import type { RunResult } from '../system/docker/run.ts';

/** A lockfile entry, as npm writes it (lockfileVersion 3). */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string> | string;
  engines?: Record<string, string>;
  license?: string;
  [key: string]: unknown;
}

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly engines?: Record<string, string>;
  readonly bin?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
}

/**
 * PATH for every child: the Node running this test (24) first, so `npm`, `tsc` and the
 * `#!/usr/bin/env node` of the installed bin all get it, not the machine's older node.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SAMOVAR_') && name !== 'PORT'),
  );
  const path = [dirname(process.execPath), join(ROOT, 'node_modules/.bin'), process.env.PATH ?? ''];
  return { ...inherited, PATH: path.join(':'), ...extra };
}

/** The npm that runs this test (`npm test`, `npx vitest`), else the one on PATH. */
function npmCli(): string[] {
  const execpath = process.env.npm_execpath ?? '';
  const cli = join(dirname(execpath), 'npm-cli.js');
  return execpath !== '' && existsSync(cli) ? [process.execPath, cli] : ['npm'];
}

/** `npm …` with the test's Node. */
export function npm(args: readonly string[], cwd: string, timeoutMs = 60_000): Promise<RunResult> {
  const [program = 'npm', ...prefix] = npmCli();
  return runOk(program, [...prefix, ...args], { cwd, env: childEnv(), timeoutMs });
}

/** `npm pack` of the repository into `dir` (its `prepack` builds dist/); the tarball's path. */
export async function packSamovar(dir: string): Promise<string> {
  await npm(['pack', '--pack-destination', dir, '--no-audit', '--no-fund'], ROOT, 120_000);
  const tarballs = readdirSync(dir).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${dir}`);
  return join(dir, tarballs[0] ?? '');
}

/** Where Node would find `name` from the package at lock path `from` (nested first, then up). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return null;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/** The registry URL of a lock entry's tarball (the repository's lock omits `resolved`). */
function registryTarball(registry: string, path: string, version: string): string {
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `${registry.replace(/\/?$/, '/')}${name}/-/${name.split('/').at(-1) ?? name}-${version}.tgz`;
}

/**
 * A consumer project in `dir`: package.json and package-lock.json depending on the tarball
 * (with Samovar's dependencies) and on `extra` packages, all with the repository's locked
 * versions. `dev` packages go to devDependencies (types for the type-check).
 */
export function writeConsumerProject(
  dir: string,
  tarball: string,
  registry: string,
  extra: { readonly prod: readonly string[]; readonly dev: readonly string[] },
): void {
  const samovar = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const closure: Record<string, LockEntry> = {};
  const pending: [string, string][] = [
    ...Object.keys(samovar.dependencies ?? {}).map((name): [string, string] => ['', name]),
    ...[...extra.prod, ...extra.dev].map((name): [string, string] => ['', name]),
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const path = locate(lock.packages, next[0], next[1]);
    if (path === null) throw new Error(`package-lock.json has no ${next[1]} (needed from '${next[0]}')`);
    if (closure[path]) continue;
    const { dev: _dev, devOptional: _devOptional, ...entry } = lock.packages[path] ?? {};
    closure[path] = { ...entry, resolved: registryTarball(registry, path, String(entry.version)) };
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }))
      pending.push([path, name]);
  }
  const version = (name: string): string => String(lock.packages[`node_modules/${name}`]?.version);
  const spec = `file:${tarball}`;
  const dependencies: Record<string, string> = { samovar: spec };
  for (const name of extra.prod) dependencies[name] = version(name);
  const devDependencies: Record<string, string> = {};
  for (const name of extra.dev) devDependencies[name] = version(name);
  const manifest = { name: 'samovar-consumer', private: true, type: 'module', dependencies, devDependencies };
  const samovarEntry: LockEntry = {
    version: samovar.version,
    resolved: spec,
    license: samovar.license,
    dependencies: samovar.dependencies,
    bin: samovar.bin,
    engines: samovar.engines,
  };
  const packages = {
    '': { name: manifest.name, dependencies, devDependencies },
    'node_modules/samovar': samovarEntry,
    ...closure,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(dir, 'package-lock.json'),
    `${JSON.stringify({ name: manifest.name, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
}

/**
 * `npm ci` in the consumer: offline from the npm cache; if the cache lacks a tarball (a machine
 * whose cache was cleaned), once more allowed to fetch what is missing.
 */
export async function installConsumer(dir: string): Promise<{ offline: boolean; ms: number }> {
  const args = ['ci', '--ignore-scripts', '--no-audit', '--no-fund'];
  try {
    return { offline: true, ms: (await npm([...args, '--offline'], dir)).ms };
  } catch (error) {
    if (!String(error).includes('ENOTCACHED')) throw error;
    return { offline: false, ms: (await npm([...args, '--prefer-offline'], dir, 120_000)).ms };
  }
}

export interface BinOptions {
  /** The working directory of the command. */
  readonly cwd: string;
  /** ENTRY, as the first argument; omitted: the demo (or SAMOVAR_APP_ENTRY from `env`). */
  readonly entry?: string;
  readonly env?: Record<string, string>;
}

/**
 * Starts the consumer's `node_modules/.bin/samovar` itself (its shebang, its link) with one
 * worker on a free port, and waits for that worker to be ready.
 */
export async function startBin(consumer: string, options: BinOptions): Promise<Cluster> {
  const port = await freePort();
  const flags = ['--host', '127.0.0.1', '--port', String(port), '--workers', '1', '--metrics.port', '0'];
  const args = [...(options.entry === undefined ? [] : [options.entry]), ...flags, '--log.access', 'off'];
  const child = spawn(join(consumer, 'node_modules/.bin/samovar'), args, {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cluster = new Cluster(child, port);
  const problem = await readyOrNot(cluster, READY_TIMEOUT_MS);
  if (problem !== null) {
    await cluster.destroy();
    throw new Error(`samovar ${args.join(' ')} (in ${options.cwd}): ${problem}; log:\n${cluster.dump()}`);
  }
  return cluster;
}

/** Long enough for a worker's first start on a busy two-core machine. */
const READY_TIMEOUT_MS = 15_000;

/**
 * Null once a worker is ready; else why not. A worker that fails to start is reported at its
 * first failure: the primary itself would keep respawning it with backoff, not exit.
 */
async function readyOrNot(cluster: Cluster, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cluster.events('ready').length > 0) return null;
    const failed = cluster.events('error', (line) => line.workerPid !== undefined)[0];
    if (failed) return `a worker failed to start: ${String(failed.error)}`;
    if (cluster.exitCode !== null || cluster.exitSignal !== null)
      return `it exited (${cluster.exitCode ?? cluster.exitSignal})`;
    if (Date.now() > deadline) return `no worker ready within ${timeoutMs} ms`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM to the primary; resolves with its exit code once it and its workers are gone. */
export async function stopBin(cluster: Cluster, timeoutMs = 15_000): Promise<number | null> {
  cluster.signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, 'late');
  });
  const outcome = await Promise.race([cluster.exited.then(() => 'exited' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    await cluster.destroy();
    throw new Error(`samovar did not exit within ${timeoutMs} ms of SIGTERM:\n${cluster.dump()}`);
  }
  return cluster.exitCode;
}
