/**
 * The real `curl` against Samovar's static files: every conditional (curl's own `-z` and
 * `--etag-compare` among them), ranges, If-Range, HEAD, redirects, content coding (curl decodes
 * with `--compressed`), and the whole traversal corpus sent verbatim with `--request-target`.
 * Needs the Debian package `curl`; without it this suite fails (it does not skip).
 */

import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/server.ts';
import { makeSite, OLD_MTIME_S, SECRET, serveSite, TRAVERSAL_CORPUS } from '../support/static-site.ts';
import type { Site } from '../support/static-site.ts';

interface CurlResult {
  readonly status: number;
  /** Response header fields, names lower-case (the last response's, after redirects). */
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

let site: Site;
let url: string;

beforeAll(async () => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('curl is not installed: install the Debian package `curl` (apt-get install curl)');
  }
  site = makeSite();
  ({ url } = await serveSite(site));
});
afterAll(cleanup);

/** Runs curl with `args`; headers are dumped to stdout ahead of the body and split off here. */
function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const all = ['--silent', '--show-error', '--max-time', '20', '--dump-header', '-', ...args];
    execFile('curl', all, { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error)
        return reject(new Error(`curl ${args.join(' ')} failed: ${stderr.toString() || error.message}`));
      resolve(parse(stdout));
    });
  });
}

/** The last header block (curl prints one per response when following redirects) and the body. */
function parse(out: Buffer): CurlResult {
  let at = 0;
  let headers = new Map<string, string>();
  let status = 0;
  while (out.toString('latin1', at, at + 5) === 'HTTP/') {
    const end = out.indexOf('\r\n\r\n', at);
    const lines = out.toString('latin1', at, end).split('\r\n');
    status = Number(lines[0]?.split(' ')[1]);
    headers = new Map(
      lines
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    at = end + 4;
  }
  return { status, headers, body: out.subarray(at) };
}

describe('curl: conditionals', () => {
  const lastModified = new Date(OLD_MTIME_S * 1000).toUTCString();

  it('-z (If-Modified-Since) → 304 when not newer, 200 when newer', async () => {
    expect((await curl(['-z', lastModified, `${url}/page.html`])).status).toBe(304);
    const earlier = new Date((OLD_MTIME_S - 60) * 1000).toUTCString();
    expect((await curl(['-z', earlier, `${url}/page.html`])).status).toBe(200);
  });

  it('-z -DATE (If-Unmodified-Since) → 412 when modified since', async () => {
    const earlier = new Date((OLD_MTIME_S - 60) * 1000).toUTCString();
    expect((await curl(['-z', `-${earlier}`, `${url}/page.html`])).status).toBe(412);
  });

  it('--etag-save then --etag-compare (If-None-Match) → 304', async () => {
    const file = join(site.dir, 'etag');
    const first = await curl(['--etag-save', file, `${url}/page.html`]);
    expect(first.status).toBe(200);
    const second = await curl(['--etag-compare', file, `${url}/page.html`]);
    expect([second.status, second.headers.get('etag')]).toEqual([304, first.headers.get('etag')]);
    writeFileSync(file, '"stale"\n');
    expect((await curl(['--etag-compare', file, `${url}/page.html`])).status).toBe(200);
  });

  it('If-Match → 412 on a mismatch, 200 on a match; precedence over If-None-Match', async () => {
    const etag = (await curl(['-I', `${url}/page.html`])).headers.get('etag') as string;
    expect((await curl(['-H', 'If-Match: "nope"', `${url}/page.html`])).status).toBe(412);
    expect((await curl(['-H', `If-Match: ${etag}`, `${url}/page.html`])).status).toBe(200);
    const both = await curl(['-H', 'If-Match: "nope"', '-H', `If-None-Match: ${etag}`, `${url}/page.html`]);
    expect(both.status).toBe(412);
  });
});

describe('curl: ranges', () => {
  it('-r 0-4 → 206, -r -4 → the tail, -r 100-200 → 416, two ranges → the whole 200', async () => {
    const a = await curl(['-r', '0-4', `${url}/hello.txt`]);
    expect([a.status, a.headers.get('content-range'), a.body.toString()]).toEqual([
      206,
      'bytes 0-4/15',
      'Hello',
    ]);
    const b = await curl(['-r', '-4', `${url}/hello.txt`]);
    expect([b.status, b.body.toString()]).toEqual([206, 'ic!\n']);
    const c = await curl(['-r', '100-200', `${url}/hello.txt`]);
    expect([c.status, c.headers.get('content-range')]).toEqual([416, 'bytes */15']);
    const d = await curl(['-r', '0-1,5-6', `${url}/hello.txt`]);
    expect([d.status, d.body.toString()]).toEqual([200, 'Hello, static!\n']);
  });

  it('If-Range: the ETag → 206, another → 200', async () => {
    const etag = (await curl(['-I', `${url}/hello.txt`])).headers.get('etag') as string;
    expect((await curl(['-r', '0-4', '-H', `If-Range: ${etag}`, `${url}/hello.txt`])).status).toBe(206);
    expect((await curl(['-r', '0-4', '-H', 'If-Range: "old"', `${url}/hello.txt`])).status).toBe(200);
  });

  it('--continue-at resumes a large download exactly', async () => {
    const big = site.files['big.bin'] as Buffer;
    const r = await curl(['-C', '1000000', `${url}/big.bin`]);
    expect(r.status).toBe(206);
    expect(r.body.equals(big.subarray(1_000_000))).toBe(true);
  });
});

describe('curl: HEAD, directories, methods', () => {
  it('-I gives the head with the length and no body', async () => {
    const r = await curl(['-I', `${url}/big.bin`]);
    // With -I curl prints the head itself as well as dumping it: only whitespace may follow.
    expect([r.status, r.headers.get('content-length'), r.body.toString().trim()]).toEqual([
      200,
      String(3 * 1024 * 1024),
      '',
    ]);
  });

  it('-L follows /dir to /dir/ and its index', async () => {
    const r = await curl(['-L', `${url}/dir`]);
    expect([r.status, r.body.toString()]).toEqual([200, '<p>index of dir</p>\n']);
  });

  it('-X POST → 405 with Allow', async () => {
    const r = await curl(['-X', 'POST', `${url}/hello.txt`]);
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});

describe('curl: compression', () => {
  it('--compressed gets br and decodes it to the file', async () => {
    const r = await curl(['--compressed', `${url}/page.html`]);
    expect([r.headers.get('content-encoding'), r.headers.get('vary')]).toEqual(['br', 'Accept-Encoding']);
    expect(r.body.equals(site.files['page.html'] as Buffer)).toBe(true);
  });

  it('gzip only, raw: a gzip body; a large file streamed chunked', async () => {
    const r = await curl(['-H', 'Accept-Encoding: gzip', `${url}/big.txt`]);
    expect([r.headers.get('content-encoding'), r.headers.get('transfer-encoding')]).toEqual([
      'gzip',
      'chunked',
    ]);
    expect(gunzipSync(r.body).equals(site.files['big.txt'] as Buffer)).toBe(true);
  });

  it('q=0 excludes: br;q=0,gzip;q=0 → identity', async () => {
    const r = await curl(['-H', 'Accept-Encoding: br;q=0, gzip;q=0', `${url}/page.html`]);
    expect(r.headers.get('content-encoding')).toBeUndefined();
  });

  it('a precompressed sibling, decoded by curl', async () => {
    const r = await curl(['--compressed', `${url}/pre.js`]);
    expect(r.body.toString()).toBe('/* from pre.js.br */\n');
  });

  it('a range is never compressed', async () => {
    const r = await curl(['--compressed', '-r', '0-9', `${url}/page.html`]);
    expect([r.status, r.headers.get('content-encoding')]).toEqual([206, undefined]);
  });
});

describe('curl: the traversal corpus, sent verbatim', () => {
  it.each(TRAVERSAL_CORPUS)('%s → %i', async (target, status) => {
    const r = await curl(['--path-as-is', '--request-target', target, `${url}/`]);
    expect(r.status).toBe(status);
    expect(r.body.toString()).not.toContain(SECRET);
    expect(r.body.toString()).not.toContain('root:');
    expect(r.body.toString()).not.toContain('SECRET_KEY');
  });
});
