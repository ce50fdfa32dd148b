/**
 * Test helper for static files: builds a throw-away site (and a secret directory beside it that
 * must never be reachable), starts Samovar's static handler on it (once, or fresh for each test of
 * a file), and asks single requests over raw sockets. Everything is removed by `cleanup()`.
 */

import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, expect } from 'vitest';
import { createStaticHandler, DEFAULT_STATIC_OPTIONS } from '../../src/server/static/index.ts';
import type { StaticOptions } from '../../src/server/static/index.ts';
import type { Handler } from '../../src/server/index.ts';
import { RawClient } from './raw-client.ts';
import type { ParsedResponse } from './response-reader.ts';
import { cleanup, startServer, track } from './server.ts';

export const SECRET = 'TOP SECRET: outside the root';
/** An hour ago, whole seconds: old enough for a strong Last-Modified (RFC 9110 §8.8.2.2). */
export const OLD_MTIME_S = Math.floor(Date.now() / 1000) - 3600;

export interface Site {
  /** The directory that holds `root/` and `outside/`. */
  readonly dir: string;
  readonly root: string;
  readonly files: Readonly<Record<string, Buffer>>;
}

/** Text that compresses well and is long enough to be compressed. */
export function prose(bytes: number): Buffer {
  const line = 'Samovar pours HTTP/1.1 from raw TCP sockets, one strict byte at a time.\n';
  return Buffer.from(line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes));
}

export function makeSite(): Site {
  const dir = mkdtempSync(join(tmpdir(), 'samovar-static-'));
  track({ close: () => rmSync(dir, { recursive: true, force: true }) });
  const root = join(dir, 'root');
  const files: Record<string, Buffer> = {
    'hello.txt': Buffer.from('Hello, static!\n'),
    'page.html': prose(4096),
    'small.css': Buffer.from('body { color: brown; }\n'),
    'logo.png': randomBytes(4096),
    'data.json': Buffer.from('{"samovar":true}\n'),
    'blob.unknownext': Buffer.from('opaque'),
    'empty.txt': Buffer.alloc(0),
    'big.bin': randomBytes(3 * 1024 * 1024),
    'big.txt': prose(300 * 1024),
    'pre.js': prose(2048),
    'stale.css': prose(2048),
    'dir/index.html': Buffer.from('<p>index of dir</p>\n'),
    'dir/sub/leaf.txt': Buffer.from('leaf\n'),
    'sp ace ü.txt': Buffer.from('unicode name\n'),
    '.env': Buffer.from('SECRET_KEY=dotfile\n'),
    '.git/config': Buffer.from('[core]\n'),
  };
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'outside', 'secret.txt'), SECRET);
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), bytes);
    utimesSync(join(root, name), OLD_MTIME_S, OLD_MTIME_S);
  }
  // Precompressed siblings with contents of their own, so a test can tell which was sent.
  writeFileSync(join(root, 'pre.js.br'), brotliCompressSync(Buffer.from('/* from pre.js.br */\n')));
  writeFileSync(join(root, 'pre.js.gz'), gzipSync(Buffer.from('/* from pre.js.gz */\n')));
  writeFileSync(join(root, 'stale.css.gz'), gzipSync(Buffer.from('/* stale */\n')));
  utimesSync(join(root, 'stale.css.gz'), OLD_MTIME_S - 60, OLD_MTIME_S - 60);
  symlinkSync(join(dir, 'outside', 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(dir, 'outside'), join(root, 'dirlink-out'));
  symlinkSync('/etc/passwd', join(root, 'passwd'));
  symlinkSync('.env', join(root, 'link-dot.txt'));
  symlinkSync('hello.txt', join(root, 'link-in.txt'));
  symlinkSync('dir', join(root, 'dirlink-in'));
  return { dir, root, files };
}

/**
 * The attack corpus against `makeSite()`: [request-target, status], 400 for a malformed
 * encoding, 404 for anything refused. No answer may reveal SECRET, `.env` or /etc/passwd.
 */
export const TRAVERSAL_CORPUS: readonly (readonly [string, 400 | 404])[] = [
  ['/../outside/secret.txt', 404],
  ['/../../../../../../etc/passwd', 404],
  ['/dir/../../outside/secret.txt', 404],
  ['/dir/../hello.txt', 404], // inside the root, but dot segments are refused, not normalised
  ['/./hello.txt', 404],
  ['/hello.txt/.', 404],
  ['/%2e%2e/outside/secret.txt', 404],
  ['/%2E%2E/outside/secret.txt', 404],
  ['/.%2e/outside/secret.txt', 404],
  ['/%2e./outside/secret.txt', 404],
  ['/%2e%2e%2foutside%2fsecret.txt', 404],
  ['/..%2foutside%2fsecret.txt', 404],
  ['/dir/..%2f..%2foutside/secret.txt', 404],
  ['/%2fetc%2fpasswd', 404],
  ['/dir%2f..%2f..%2foutside%2fsecret.txt', 404],
  ['/..\\outside\\secret.txt', 404],
  ['/dir\\..\\hello.txt', 404],
  ['/%5c..%5coutside%5csecret.txt', 404],
  ['/..%5coutside%5csecret.txt', 404],
  ['/hello.txt%00', 404],
  ['/hello.txt%00.png', 404],
  ['/%00', 404],
  ['/hello%0a.txt', 404],
  ['/hello%7f.txt', 404],
  ['//etc/passwd', 404],
  ['//outside/secret.txt', 404],
  ['/dir//index.html', 404],
  ['/%c0%ae%c0%ae/outside/secret.txt', 400], // overlong '.', the classic IIS traversal
  ['/%c0%af', 400], // overlong '/'
  ['/%e0%80%ae%e0%80%ae/outside/secret.txt', 400], // three-byte overlong '.'
  ['/%c1%9c', 400], // overlong '\'
  ['/%ff', 400],
  ['/%ed%a0%80', 400], // a UTF-16 surrogate encoded in UTF-8
  ['/%', 400],
  ['/%2', 400],
  ['/%zz', 400],
  ['/%%32%65%%32%65/outside/secret.txt', 400], // double-encoding tricks stay encoded
  ['/%252e%252e/outside/secret.txt', 404], // decoded once: a file literally named "%2e%2e"
  ['/.env', 404],
  ['/%2eenv', 404],
  ['/.git/config', 404],
  ['/.git/', 404],
  ['/dir/../.env', 404],
  ['/link-out.txt', 404], // symlink to a file outside the root
  ['/dirlink-out/secret.txt', 404], // symlink to a directory outside the root
  ['/passwd', 404], // symlink to /etc/passwd
  ['/link-dot.txt', 404], // symlink to .env inside the root
];

/**
 * Files far larger than loopback socket buffers (several MiB), so a client that stops reading
 * really leaves the server mid-file: `huge.bin`, 64 MiB of a sparse file (no disk), and
 * `huge.txt`, 16 MiB of base64 text, compressible in type but not much in fact, so even its
 * compressed form outgrows the buffers.
 */
export function addHugeFiles(site: Site): void {
  writeFileSync(join(site.root, 'huge.bin'), '');
  truncateSync(join(site.root, 'huge.bin'), 64 * 1024 * 1024);
  writeFileSync(join(site.root, 'huge.txt'), randomBytes(12 * 1024 * 1024).toString('base64'));
}

/** Starts the static handler alone on `site` (fallback: a 404 that says so). */
export async function serveSite(
  site: Site,
  options: Partial<StaticOptions> = {},
  fallback?: Handler,
): Promise<{ port: number; url: string; errors: unknown[] }> {
  const handler = createStaticHandler({ ...DEFAULT_STATIC_OPTIONS, root: site.root, ...options }, fallback);
  const { port, url, errors } = await startServer(handler);
  return { port, url, errors };
}

/** The site and port of the test that is running; see `siteForEachTest`. */
export interface ServedSite {
  readonly site: Site;
  readonly port: number;
}

/**
 * Each test of the file gets a fresh site served by the static handler (with `options`), and
 * fails if the handler reported an error; everything is removed after it. Call once, at the
 * top of a test file; read `site` and `port` inside the tests.
 */
export function siteForEachTest(options: Partial<StaticOptions> = {}): ServedSite {
  let current: { site: Site; port: number; errors: unknown[] } | null = null;
  afterEach(cleanup);
  beforeEach(async () => {
    const site = makeSite();
    current = { site, ...(await serveSite(site, options)) };
  });
  afterEach(() => expect(current?.errors).toEqual([]));
  const now = (): { site: Site; port: number } => {
    if (current === null) throw new Error('siteForEachTest: read inside a test, not at collection');
    return current;
  };
  return {
    get site() {
      return now().site;
    },
    get port() {
      return now().port;
    },
  };
}

/** One request on its own connection; returns the parsed response. */
export async function ask(
  port: number,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<ParsedResponse> {
  const client = await RawClient.connect(port);
  const lines = Object.entries(headers).map(([n, v]) => `${n}: ${v}\r\n`);
  client.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${lines.join('')}\r\n`);
  const [response] = await client.responses(1, { head: [method === 'HEAD'] }, 10_000);
  client.close();
  if (response === undefined) throw new Error(`no response to ${method} ${target}: ${client.text}`);
  return response;
}

/** The names of the response's header fields, lower-case, in order. */
export function fieldNames(r: ParsedResponse): string[] {
  return r.fields.map(([name]) => name.toLowerCase());
}

/** How many file descriptors this process holds (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** The fd count once it has not changed for 100 ms (sockets of earlier requests finish closing). */
export async function settledFds(): Promise<number> {
  let last = openFds();
  for (let stable = 0; stable < 10;) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = openFds();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return last;
}
