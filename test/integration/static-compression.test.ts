/**
 * Content coding for static files: Accept-Encoding negotiation with q-values, Vary, precompressed
 * siblings (with their own ETag), on-the-fly brotli/gzip above the threshold for compressible
 * types only, never for ranges, and conditionals against the encoded representation's ETag.
 */

import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../support/raw-client.ts';
import { ask, serveSite, siteForEachTest } from '../support/static-site.ts';
import type { ParsedResponse } from '../support/response-reader.ts';

const served = siteForEachTest();

function decoded(r: ParsedResponse): Buffer {
  const coding = r.get('content-encoding');
  if (coding === 'br') return brotliDecompressSync(r.body);
  if (coding === 'gzip') return gunzipSync(r.body);
  expect(coding).toBeUndefined();
  return r.body;
}

describe('negotiation', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br, zstd', 'br'], // equal q: the server's order (br first)
    ['gzip;q=0.5, br;q=0.8', 'br'],
    ['br;q=0.1, gzip', 'gzip'],
    ['br;q=0, gzip;q=0.001', 'gzip'],
    ['br;q=0, gzip;q=0', undefined],
    ['*', 'br'],
    ['*;q=0', undefined],
    ['br;q=0, *', 'gzip'],
    ['gzip;q=0, *;q=0.5', 'br'],
    ['identity', undefined],
    ['deflate, zstd', undefined],
    ['x-gzip', 'gzip'],
    ['GZip', 'gzip'],
    ['gzip; q=1.000', 'gzip'],
    ['gzip;q=2', undefined], // a malformed weight: that element is ignored
    ['gzip;q=0.5x', undefined],
    ['', undefined],
    [' , ,gzip', 'gzip'],
  ])('Accept-Encoding: %s → %s', async (field, coding) => {
    const r = await ask(served.port, '/page.html', field === undefined ? {} : { 'Accept-Encoding': field });
    expect(r.status).toBe(200);
    expect(r.get('content-encoding')).toBe(coding);
    expect(r.get('vary')).toBe('Accept-Encoding');
    expect(decoded(r).equals(served.site.files['page.html'] as Buffer)).toBe(true);
    expect(Number(r.get('content-length'))).toBe(r.body.length);
  });

  it('repeated Accept-Encoding lines are one list', async () => {
    const c = await RawClient.connect(served.port);
    c.write('GET /page.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br;q=0\r\nAccept-Encoding: gzip\r\n\r\n');
    expect((await c.responses(1))[0]?.get('content-encoding')).toBe('gzip');
  });
});

describe('on-the-fly compression', () => {
  it('gives each encoding its own ETag, derived from the file', async () => {
    const plain = (await ask(served.port, '/page.html')).get('etag') as string;
    const br = (await ask(served.port, '/page.html', { 'Accept-Encoding': 'br' })).get('etag');
    const gz = (await ask(served.port, '/page.html', { 'Accept-Encoding': 'gzip' })).get('etag');
    expect(br).toBe(plain.replace(/"$/, '-br"'));
    expect(gz).toBe(plain.replace(/"$/, '-gz"'));
  });

  it('revalidates each representation against its own ETag', async () => {
    const gz = (await ask(served.port, '/page.html', { 'Accept-Encoding': 'gzip' })).get('etag') as string;
    const hit = await ask(served.port, '/page.html', { 'Accept-Encoding': 'gzip', 'If-None-Match': gz });
    expect([hit.status, hit.get('etag'), hit.get('vary')]).toEqual([304, gz, 'Accept-Encoding']);
    const other = await ask(served.port, '/page.html', { 'If-None-Match': gz });
    expect(other.status).toBe(200);
    expect(other.get('content-encoding')).toBeUndefined();
  });

  it('leaves files below compressMinBytes alone, but still says Vary', async () => {
    const r = await ask(served.port, '/small.css', { 'Accept-Encoding': 'br, gzip' });
    expect([r.get('content-encoding'), r.get('vary')]).toEqual([undefined, 'Accept-Encoding']);
  });

  it('never compresses what is compressed already, and then says no Vary', async () => {
    const r = await ask(served.port, '/logo.png', { 'Accept-Encoding': 'br, gzip' });
    expect([r.get('content-encoding'), r.get('vary')]).toEqual([undefined, undefined]);
    expect(r.body.equals(served.site.files['logo.png'] as Buffer)).toBe(true);
  });

  it('never compresses a range: a ranged GET is identity', async () => {
    const r = await ask(served.port, '/page.html', { 'Accept-Encoding': 'gzip, br', Range: 'bytes=0-9' });
    expect(r.status).toBe(206);
    expect(r.get('content-encoding')).toBeUndefined();
    expect(r.body.equals((served.site.files['page.html'] as Buffer).subarray(0, 10))).toBe(true);
  });

  it('streams a large file through the encoder, chunked, and HEAD says the same', async () => {
    for (const coding of ['gzip', 'br']) {
      const r = await ask(served.port, '/big.txt', { 'Accept-Encoding': coding });
      expect(r.get('content-encoding')).toBe(coding);
      expect(r.chunked).toBe(true);
      expect(r.get('content-length')).toBeUndefined();
      expect(decoded(r).equals(served.site.files['big.txt'] as Buffer)).toBe(true);
      expect(r.body.length).toBeLessThan(20_000);
      const head = await ask(served.port, '/big.txt', { 'Accept-Encoding': coding }, 'HEAD');
      expect([head.get('content-encoding'), head.body.length]).toEqual([coding, 0]);
      expect(head.get('etag')).toBe(r.get('etag'));
    }
  });

  it('on HTTP/1.0 a large encoded file is delimited by closing the connection', async () => {
    const c = await RawClient.connect(served.port);
    c.write('GET /big.txt HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n');
    await c.readToEnd(10_000);
    const [r] = await c.responses(1);
    expect(r?.get('connection')).toBe('close');
    expect(gunzipSync(r?.body as Buffer).equals(served.site.files['big.txt'] as Buffer)).toBe(true);
  });

  it('is off with compress: false', async () => {
    const s = await serveSite(served.site, { compress: false });
    expect(
      (await ask(s.port, '/page.html', { 'Accept-Encoding': 'br' })).get('content-encoding'),
    ).toBeUndefined();
  });
});

describe('precompressed siblings', () => {
  it('FILE.br and FILE.gz are sent as they are, with their own ETag and length', async () => {
    const plain = await ask(served.port, '/pre.js');
    const br = await ask(served.port, '/pre.js', { 'Accept-Encoding': 'br' });
    expect(br.get('content-encoding')).toBe('br');
    expect(decoded(br).toString()).toBe('/* from pre.js.br */\n');
    expect(br.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(br.get('etag')).not.toBe(plain.get('etag'));
    expect(br.get('etag')).not.toMatch(/-br"$/);
    const gz = await ask(served.port, '/pre.js', { 'Accept-Encoding': 'gzip' });
    expect(decoded(gz).toString()).toBe('/* from pre.js.gz */\n');
    expect(gz.get('content-length')).toBe(String(gz.body.length));
    const hit = await ask(served.port, '/pre.js', {
      'Accept-Encoding': 'gzip',
      'If-None-Match': gz.get('etag') as string,
    });
    expect(hit.status).toBe(304);
  });

  it('a sibling of an accepted coding beats compressing on the fly in a preferred one', async () => {
    const r = await ask(served.port, '/pre.js', { 'Accept-Encoding': 'br;q=1, gzip;q=0.5' });
    expect(decoded(r).toString()).toBe('/* from pre.js.br */\n');
  });

  it('a sibling older than its file is stale and ignored', async () => {
    const r = await ask(served.port, '/stale.css', { 'Accept-Encoding': 'gzip' });
    expect(r.get('content-encoding')).toBe('gzip');
    expect(decoded(r).equals(served.site.files['stale.css'] as Buffer)).toBe(true);
  });

  it('are not used with precompressed: false', async () => {
    const s = await serveSite(served.site, { precompressed: false });
    const r = await ask(s.port, '/pre.js', { 'Accept-Encoding': 'gzip' });
    expect(decoded(r).equals(served.site.files['pre.js'] as Buffer)).toBe(true);
  });

  it('are not served under their own name to a client that did not ask', async () => {
    const r = await ask(served.port, '/pre.js');
    expect(r.body.equals(served.site.files['pre.js'] as Buffer)).toBe(true);
  });
});
