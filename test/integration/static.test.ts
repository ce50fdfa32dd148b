/**
 * Static files over raw sockets: Content-Type, validators, every conditional of RFC 9110 §13.2.2
 * and its precedence, ranges (§14) and If-Range, HEAD, directories and their redirects, methods,
 * Cache-Control rules, large files, and the demo application with its landing page.
 */

import { createHash } from 'node:crypto';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/index.ts';
import { DEFAULT_STATIC_OPTIONS } from '../../src/server/static/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { startServer } from '../support/server.ts';
import { ask, OLD_MTIME_S, serveSite, siteForEachTest } from '../support/static-site.ts';

const served = siteForEachTest({
  cacheControl: [
    { pattern: '*.html', value: 'no-cache' },
    { pattern: '/dir/**', value: 'public, max-age=60' },
    { pattern: '*.png', value: 'public, max-age=31536000, immutable' },
  ],
});

const LAST_MODIFIED = new Date(OLD_MTIME_S * 1000).toUTCString();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('a file', () => {
  it('is sent with its type, length, strong ETag, Last-Modified and Accept-Ranges', async () => {
    const r = await ask(served.port, '/hello.txt');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('Hello, static!\n');
    expect(r.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.get('content-length')).toBe('15');
    expect(r.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(r.get('last-modified')).toBe(LAST_MODIFIED);
    expect(r.get('accept-ranges')).toBe('bytes');
    expect(r.get('cache-control')).toBeUndefined(); // no rule matches *.txt
  });

  it.each([
    ['/page.html', 'text/html; charset=utf-8'],
    ['/small.css', 'text/css; charset=utf-8'],
    ['/pre.js', 'text/javascript; charset=utf-8'],
    ['/data.json', 'application/json; charset=utf-8'],
    ['/logo.png', 'image/png'],
    ['/blob.unknownext', 'application/octet-stream'],
  ])('%s is %s', async (path, type) => {
    expect((await ask(served.port, path)).get('content-type')).toBe(type);
  });

  it('names with spaces and UTF-8 are found through their percent-encoding', async () => {
    const r = await ask(served.port, '/sp%20ace%20%C3%BC.txt');
    expect([r.status, r.body.toString()]).toEqual([200, 'unicode name\n']);
  });

  it('HEAD has the GET head and no body, for small, large and empty files', async () => {
    for (const path of ['/hello.txt', '/big.bin', '/empty.txt']) {
      const get = await ask(served.port, path);
      const head = await ask(served.port, path, {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      const strip = (f: [string, string][]) => f.filter(([n]) => n !== 'Date');
      expect(strip(head.fields)).toEqual(strip(get.fields));
    }
  });

  it('streams a 3 MiB file whole and intact', async () => {
    const r = await ask(served.port, '/big.bin');
    expect(r.get('content-length')).toBe(String(3 * 1024 * 1024));
    expect(sha(r.body)).toBe(sha(served.site.files['big.bin'] as Buffer));
  });

  it('gets a new ETag when it changes, and the old one no longer revalidates', async () => {
    const first = await ask(served.port, '/hello.txt');
    const etag = first.get('etag') as string;
    writeFileSync(join(served.site.root, 'hello.txt'), 'Hello, changed!\n');
    const second = await ask(served.port, '/hello.txt', { 'If-None-Match': etag });
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe('Hello, changed!\n');
    expect(second.get('etag')).not.toBe(etag);
  });
});

describe('conditional requests (RFC 9110 §13.2.2)', () => {
  let etag: string;
  beforeEach(async () => {
    etag = (await ask(served.port, '/page.html')).get('etag') as string;
  });
  const before = new Date((OLD_MTIME_S - 10) * 1000).toUTCString();
  const after = new Date((OLD_MTIME_S + 10) * 1000).toUTCString();

  it.each<[string, Record<string, string>, number]>([
    ['If-None-Match matching', { 'If-None-Match': '@' }, 304],
    ['If-None-Match in a list', { 'If-None-Match': '"nope", @ , "other"' }, 304],
    ['If-None-Match weak form (weak comparison)', { 'If-None-Match': 'W/@' }, 304],
    ['If-None-Match *', { 'If-None-Match': '*' }, 304],
    ['If-None-Match not matching', { 'If-None-Match': '"nope"' }, 200],
    ['If-Modified-Since = Last-Modified', { 'If-Modified-Since': LAST_MODIFIED }, 304],
    ['If-Modified-Since later', { 'If-Modified-Since': after }, 304],
    ['If-Modified-Since earlier', { 'If-Modified-Since': before }, 200],
    ['If-Modified-Since invalid date', { 'If-Modified-Since': 'yesterday' }, 200],
    ['If-Modified-Since, RFC 850 form', { 'If-Modified-Since': rfc850(OLD_MTIME_S) }, 304],
    ['If-Modified-Since, asctime form', { 'If-Modified-Since': asctime(OLD_MTIME_S) }, 304],
    [
      'If-None-Match wins over If-Modified-Since (miss)',
      { 'If-None-Match': '"nope"', 'If-Modified-Since': after },
      200,
    ],
    [
      'If-None-Match wins over If-Modified-Since (hit)',
      { 'If-None-Match': '@', 'If-Modified-Since': before },
      304,
    ],
    ['If-Match matching', { 'If-Match': '@' }, 200],
    ['If-Match *', { 'If-Match': '*' }, 200],
    ['If-Match not matching', { 'If-Match': '"nope"' }, 412],
    ['If-Match weak (strong comparison)', { 'If-Match': 'W/@' }, 412],
    ['If-Unmodified-Since later', { 'If-Unmodified-Since': after }, 200],
    ['If-Unmodified-Since earlier', { 'If-Unmodified-Since': before }, 412],
    ['If-Unmodified-Since invalid: ignored', { 'If-Unmodified-Since': 'soon' }, 200],
    ['If-Match wins over If-Unmodified-Since', { 'If-Match': '@', 'If-Unmodified-Since': before }, 200],
    ['If-Match failing beats If-None-Match matching', { 'If-Match': '"nope"', 'If-None-Match': '@' }, 412],
    [
      'If-Unmodified-Since failing beats If-Modified-Since',
      { 'If-Unmodified-Since': before, 'If-Modified-Since': after },
      412,
    ],
  ])('%s → %i', async (_name, headers, status) => {
    const withTag = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('@', etag)]));
    const r = await ask(served.port, '/page.html', withTag);
    expect(r.status).toBe(status);
    if (status === 304) {
      expect(r.raw).not.toMatch(/content-length|content-type/i);
      expect(r.get('etag')).toBe(etag);
      expect(r.get('last-modified')).toBe(LAST_MODIFIED);
      expect(r.get('cache-control')).toBe('no-cache');
      expect(r.get('vary')).toBe('Accept-Encoding');
    }
    if (status === 412) expect(r.body.toString()).toBe('Precondition Failed\n');
  });

  it('a 304 to HEAD as to GET', async () => {
    const r = await ask(served.port, '/page.html', { 'If-None-Match': etag }, 'HEAD');
    expect(r.status).toBe(304);
  });
});

describe('ranges (RFC 9110 §14)', () => {
  const text = 'Hello, static!\n'; // 15 bytes
  it.each<[string, number, string | undefined, string]>([
    ['bytes=0-4', 206, 'bytes 0-4/15', 'Hello'],
    ['bytes=7-', 206, 'bytes 7-14/15', 'static!\n'],
    ['bytes=-4', 206, 'bytes 11-14/15', 'ic!\n'],
    ['bytes=-100', 206, 'bytes 0-14/15', text],
    ['bytes=10-1000', 206, 'bytes 10-14/15', 'tic!\n'],
    ['bytes=14-14', 206, 'bytes 14-14/15', '\n'],
    ['BYTES = 0-1', 206, 'bytes 0-1/15', 'He'],
    ['bytes=0-4,3-6', 206, 'bytes 0-6/15', 'Hello, '],
    ['bytes=0-1,2-3', 206, 'bytes 0-3/15', 'Hell'],
    ['bytes=0-1,5-6', 200, undefined, text],
    ['bytes=0-0,-1', 200, undefined, text],
    ['bytes=15-', 416, 'bytes */15', 'Range Not Satisfiable\n'],
    ['bytes=100-200', 416, 'bytes */15', 'Range Not Satisfiable\n'],
    ['bytes=-0', 416, 'bytes */15', 'Range Not Satisfiable\n'],
    ['bytes=20-30,40-', 416, 'bytes */15', 'Range Not Satisfiable\n'],
    ['bytes=20-30,0-1', 206, 'bytes 0-1/15', 'He'],
    ['bytes=5-1', 200, undefined, text],
    ['bytes=a-b', 200, undefined, text],
    ['bytes=', 200, undefined, text],
    ['items=0-1', 200, undefined, text],
    ['bytes=0-1;x', 200, undefined, text],
  ])('Range: %s → %i %s', async (range, status, contentRange, body) => {
    const r = await ask(served.port, '/hello.txt', { Range: range });
    expect(r.status).toBe(status);
    expect(r.get('content-range')).toBe(contentRange);
    expect(r.body.toString()).toBe(body);
    expect(r.get('content-length')).toBe(String(Buffer.byteLength(body)));
    if (status === 416) expect(r.get('content-type')).toBe('text/plain; charset=utf-8');
    else expect(r.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('an empty file satisfies no range', async () => {
    const r = await ask(served.port, '/empty.txt', { Range: 'bytes=0-' });
    expect([r.status, r.get('content-range')]).toEqual([416, 'bytes */0']);
  });

  it('more ranges than MAX_RANGES are ignored', async () => {
    const many = Array.from({ length: 101 }, (_, i) => `${i % 10}-${i % 10}`).join(',');
    expect((await ask(served.port, '/hello.txt', { Range: `bytes=${many}` })).status).toBe(200);
  });

  it('a range of a large, streamed file', async () => {
    const big = served.site.files['big.bin'] as Buffer;
    const r = await ask(served.port, '/big.bin', { Range: 'bytes=1000000-2100000' });
    expect(r.status).toBe(206);
    expect(r.get('content-range')).toBe(`bytes 1000000-2100000/${big.length}`);
    expect(sha(r.body)).toBe(sha(big.subarray(1_000_000, 2_100_001)));
  });

  it('HEAD ignores Range (it applies to GET only)', async () => {
    const r = await ask(served.port, '/hello.txt', { Range: 'bytes=0-4' }, 'HEAD');
    expect([r.status, r.get('content-length')]).toEqual([200, '15']);
  });

  it('a precondition is evaluated before the range', async () => {
    const r = await ask(served.port, '/hello.txt', { Range: 'bytes=0-4', 'If-Match': '"nope"' });
    expect(r.status).toBe(412);
  });

  describe('If-Range (strong comparison only)', () => {
    let etag: string;
    beforeEach(async () => {
      etag = (await ask(served.port, '/hello.txt')).get('etag') as string;
    });
    it.each<[string, (tag: string) => string, number]>([
      ['the current ETag', (t) => t, 206],
      ['an old ETag', () => '"0-0"', 200],
      ['the current ETag, weak', (t) => `W/${t}`, 200],
      ['the exact Last-Modified', () => LAST_MODIFIED, 206],
      ['another date', () => new Date((OLD_MTIME_S + 1) * 1000).toUTCString(), 200],
      ['garbage', () => 'whenever', 200],
    ])('%s → %i', async (_name, value, status) => {
      const r = await ask(served.port, '/hello.txt', { Range: 'bytes=0-4', 'If-Range': value(etag) });
      expect(r.status).toBe(status);
      expect(r.body.toString()).toBe(status === 206 ? 'Hello' : 'Hello, static!\n');
    });

    it('a Last-Modified of this very second is weak, so a date never matches it', async () => {
      const file = join(served.site.root, 'hello.txt');
      const now = Math.floor(Date.now() / 1000);
      utimesSync(file, now, now);
      const lm = new Date(statSync(file).mtimeMs).toUTCString();
      const r = await ask(served.port, '/hello.txt', { Range: 'bytes=0-4', 'If-Range': lm });
      expect(r.status).toBe(200);
    });
  });
});

describe('directories', () => {
  it('without the slash → 301 to it, query kept', async () => {
    const r = await ask(served.port, '/dir');
    expect([r.status, r.get('location')]).toEqual([301, '/dir/']);
    const q = await ask(served.port, '/dir/sub?x=1&y=%20');
    expect([q.status, q.get('location')]).toEqual([301, '/dir/sub/?x=1&y=%20']);
  });

  it('with the slash → the index file, Cache-Control by its own path', async () => {
    const r = await ask(served.port, '/dir/');
    expect([r.status, r.body.toString()]).toEqual([200, '<p>index of dir</p>\n']);
    expect(r.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.get('cache-control')).toBe('no-cache'); // *.html comes first
    expect((await ask(served.port, '/dir/sub/leaf.txt')).get('cache-control')).toBe('public, max-age=60');
    expect((await ask(served.port, '/logo.png')).get('cache-control')).toBe(
      'public, max-age=31536000, immutable',
    );
  });

  it('without an index file → 404; a file with a slash → 404', async () => {
    expect((await ask(served.port, '/dir/sub/')).status).toBe(404);
    expect((await ask(served.port, '/hello.txt/')).status).toBe(404);
    expect((await ask(served.port, '/missing.txt')).status).toBe(404);
  });

  it('the root is a directory too', async () => {
    writeFileSync(join(served.site.root, 'index.html'), 'root index\n');
    expect((await ask(served.port, '/')).body.toString()).toBe('root index\n');
  });

  it('with index "" every directory is 404', async () => {
    const other = await serveSite(served.site, { index: '' });
    expect((await ask(other.port, '/dir/')).status).toBe(404);
  });
});

describe('methods', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s → 405 with Allow: GET, HEAD', async (method) => {
    const r = await ask(served.port, '/hello.txt', {}, method);
    expect([r.status, r.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});

describe('a mount below /', () => {
  it('serves /static/…, redirects /static, leaves other paths to the fallback', async () => {
    const s = await serveSite(served.site, { mount: '/static' }, (_req, res) =>
      res.status(418).send('fallback\n'),
    );
    expect((await ask(s.port, '/static/hello.txt')).body.toString()).toBe('Hello, static!\n');
    const r = await ask(s.port, '/static?a=b');
    expect([r.status, r.get('location')]).toEqual([301, '/static/?a=b']);
    expect((await ask(s.port, '/staticx/hello.txt')).status).toBe(418);
    expect((await ask(s.port, '/hello.txt')).status).toBe(418);
    expect((await ask(s.port, '/static/dir/')).status).toBe(200);
  });
});

describe('keep-alive', () => {
  it('serves several files, conditionals and ranges pipelined on one connection', async () => {
    const c = await RawClient.connect(served.port);
    c.write(
      'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n' +
        'HEAD /page.html HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /hello.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\n' +
        'GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /dir HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    const rs = await c.responses(6, { head: [false, true] }, 10_000);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 206, 200, 301, 404]);
    expect(rs[3]?.body.length).toBe(3 * 1024 * 1024);
  });
});

describe('the demo application', () => {
  it('keeps its routes and serves public/ for the rest', async () => {
    const config = { static: { ...DEFAULT_STATIC_OPTIONS, root: 'public' } };
    const { port: p } = await startServer(createApp({ config }));
    expect((await ask(p, '/')).body.toString()).toBe('Hello, World!');
    expect((await ask(p, '/healthz')).body.toString()).toBe('ok\n');
    expect((await ask(p, '/teapot')).status).toBe(418);
    const page = await ask(p, '/index.html');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('Samovar');
    for (const asset of ['/style.css', '/app.js', '/samovar.svg', '/favicon.png']) {
      expect((await ask(p, asset)).status).toBe(200);
    }
    expect((await ask(p, '/missing')).status).toBe(404);
    const c = await RawClient.connect(p);
    c.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi');
    expect((await c.responses(1))[0]?.body.toString()).toBe('hi');
  });

  it('without a static root it is the routes alone', async () => {
    const { port: p } = await startServer(createApp());
    expect((await ask(p, '/index.html')).status).toBe(404);
  });
});

function rfc850(seconds: number): string {
  const d = new Date(seconds * 1000);
  const day = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][d.getUTCDay()];
  const [, dd, mon, yyyy, time] = d.toUTCString().split(' ');
  return `${day}, ${dd}-${mon}-${yyyy?.slice(2)} ${time} GMT`;
}

function asctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const [wkd, dd, mon, yyyy, time] = d.toUTCString().split(' ');
  return `${wkd?.slice(0, 3)} ${mon} ${String(Number(dd)).padStart(2, ' ')} ${time} ${yyyy}`;
}
