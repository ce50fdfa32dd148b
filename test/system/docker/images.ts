/**
 * The images the container test needs, made on this machine (no image registry is reachable):
 *   - a Debian bookworm root file system from `debootstrap --variant=minbase`, kept as a tarball
 *     in CACHE_DIR between runs (it takes ~25 s to make, ~2 s to import);
 *   - the Node base the Dockerfile's `ARG NODE_IMAGE` is pointed at: that root file system plus
 *     the Node 24 binary of the `node` npm package, the machine's npm, the machine's CA bundle
 *     (the registry is reached through it) and a `node` user with uid 1000, as in node:24-*;
 *   - a Prometheus image from Debian's /usr/bin/prometheus, laid out like prom/prometheus
 *     (/bin/prometheus as entrypoint, /prometheus for data, user nobody).
 * Must not: write outside the test's work folder except the cache tarball.
 */

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  closeSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../../../harness/cluster.ts';
import type { Engine } from './engine.ts';
import { runOk } from './run.ts';

export const CACHE_DIR = process.env.SAMOVAR_CI_CACHE_DIR ?? '/var/cache/samovar-ci';
export const SUITE = 'bookworm';
export const MINBASE_IMAGE = 'samovar-ci/bookworm-minbase:latest';

const DEBIAN_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** The Debian mirror apt uses here (deb822 or one-line sources), else deb.debian.org. */
export function debianMirror(): string {
  const files: string[] = [];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir)) if (f.endsWith('.sources')) files.push(join(dir, f));
  for (const file of files) {
    for (const stanza of readFileSync(file, 'utf8').split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uri !== undefined && suites.includes(SUITE) && /\/debian\/?$/.test(uri)) return uri;
    }
  }
  if (existsSync('/etc/apt/sources.list')) {
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian\/?)\s+bookworm\s/m.exec(
      readFileSync('/etc/apt/sources.list', 'utf8'),
    );
    if (line?.[1] !== undefined) return line[1];
  }
  return 'http://deb.debian.org/debian';
}

/**
 * The minbase root file system as a tarball, made with debootstrap unless the cache has it.
 * Written to a temporary name and renamed, so an interrupted run never leaves half a tarball.
 */
export async function minbaseTarball(work: string): Promise<{ path: string; cached: boolean; ms: number }> {
  const arch = DEBIAN_ARCH[process.arch] ?? process.arch;
  const path = join(CACHE_DIR, `debootstrap-${SUITE}-minbase-${arch}.tar`);
  if (existsSync(path) && statSync(path).size > 50_000_000) return { path, cached: true, ms: 0 };
  const started = performance.now();
  mkdirSync(CACHE_DIR, { recursive: true });
  const rootfs = join(work, 'rootfs');
  await runOk('debootstrap', ['--variant=minbase', `--arch=${arch}`, SUITE, rootfs, debianMirror()], {
    timeoutMs: 600_000,
  });
  // Downloaded .debs and package lists are half the size and never used in an image.
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists'])
    for (const f of readdirSync(join(rootfs, dir)))
      if (f !== 'partial' && f !== 'lock') rmSync(join(rootfs, dir, f), { force: true, recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await runOk('tar', ['-C', rootfs, '--numeric-owner', '-cf', partial, '.'], { timeoutMs: 300_000 });
  renameSync(partial, path);
  rmSync(rootfs, { recursive: true, force: true });
  return { path, cached: false, ms: Math.round(performance.now() - started) };
}

function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/**
 * The real Node 24 executable shipped by the `node` devDependency: `node_modules/node/bin/node`
 * once its install script has put the platform binary there, else the platform package itself.
 */
export function nodeBinary(): { path: string; version: string } {
  const candidates = [
    join(ROOT, 'node_modules/node/bin/node'),
    join(ROOT, `node_modules/node-linux-${process.arch}/bin/node`),
    join(ROOT, `node_modules/node/node_modules/node-linux-${process.arch}/bin/node`),
  ];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const path = realpathSync(candidate);
    if (!isElf(path)) continue;
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    if (version.startsWith('v24.')) return { path, version };
  }
  throw new Error(`no Node 24 binary in node_modules (looked at ${candidates.join(', ')}); run npm ci`);
}

/** The npm package folder of the npm running this test (or the one on PATH). */
export function npmDir(): string {
  const fromScript = process.env.npm_execpath;
  const candidates: string[] = [];
  if (fromScript !== undefined && fromScript !== '')
    candidates.push(dirname(dirname(realpathSync(fromScript))));
  try {
    candidates.push(join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm'));
  } catch {
    // No npm on PATH.
  }
  for (const dir of candidates) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'npm' && existsSync(join(dir, 'bin/npm-cli.js'))) return dir;
    } catch {
      // Not npm's folder.
    }
  }
  throw new Error(`npm's package folder not found (tried ${candidates.join(', ') || 'nothing'})`);
}

export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const NODE_BASE_DOCKERFILE = [
  `FROM ${MINBASE_IMAGE}`,
  'COPY node /usr/local/bin/node',
  'COPY npm /usr/local/lib/node_modules/npm',
  'COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt',
  // Node's built-in CA list does not hold a machine's own CA; npm in the build needs it.
  'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
  'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
  ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
  ' && groupadd --gid 1000 node \\',
  ' && useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
  'CMD ["node"]',
  '',
].join('\n');

const PROMETHEUS_DOCKERFILE = [
  `FROM ${MINBASE_IMAGE}`,
  'COPY prometheus /bin/prometheus',
  'RUN mkdir -p /etc/prometheus /prometheus && chown 65534:65534 /prometheus',
  'USER 65534:65534',
  'WORKDIR /prometheus',
  'EXPOSE 9090',
  'ENTRYPOINT ["/bin/prometheus"]',
  'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]',
  '',
].join('\n');

export interface BaseImages {
  readonly node: string;
  readonly prometheus: string;
  readonly nodeVersion: string;
  readonly timings: Record<string, number>;
}

/** Imports the minbase tarball and builds the Node and Prometheus images on it. */
export async function buildBaseImages(engine: Engine, work: string, tarball: string): Promise<BaseImages> {
  const timings: Record<string, number> = {};
  timings.importMs = (await engine.dockerOk(['import', tarball, MINBASE_IMAGE], { timeoutMs: 300_000 })).ms;

  const node = nodeBinary();
  const nodeContext = join(work, 'node-base');
  mkdirSync(nodeContext, { recursive: true });
  copyFileSync(node.path, join(nodeContext, 'node'));
  cpSync(npmDir(), join(nodeContext, 'npm'), { recursive: true, dereference: true });
  if (existsSync(CA_BUNDLE)) copyFileSync(CA_BUNDLE, join(nodeContext, 'ca-certificates.crt'));
  else writeFileSync(join(nodeContext, 'ca-certificates.crt'), '');
  const nodeTag = 'samovar-ci/node:24';
  timings.nodeBaseMs = await buildOffline(engine, nodeContext, NODE_BASE_DOCKERFILE, nodeTag);

  const promContext = join(work, 'prometheus-image');
  mkdirSync(promContext, { recursive: true });
  copyFileSync('/usr/bin/prometheus', join(promContext, 'prometheus'));
  const promTag = 'samovar-ci/prometheus:debian';
  timings.prometheusImageMs = await buildOffline(engine, promContext, PROMETHEUS_DOCKERFILE, promTag);
  return { node: nodeTag, prometheus: promTag, nodeVersion: node.version, timings };
}

/** Builds `dockerfile` in `context` as `tag` with no network, then removes the context; the ms it took. */
async function buildOffline(
  engine: Engine,
  context: string,
  dockerfile: string,
  tag: string,
): Promise<number> {
  writeFileSync(join(context, 'Dockerfile'), dockerfile);
  const built = await engine.dockerOk(['build', '--network=none', '-q', '-t', tag, context], {
    timeoutMs: 300_000,
  });
  rmSync(context, { recursive: true, force: true });
  return built.ms;
}
