/**
 * The lazy Request against a real `new Request()` as the oracle (Fetch Standard §5.4): every
 * getter of `Request.prototype` (so a member the class forgot would show here), the headers, the
 * body readers; and `request.url` against the URL Standard's own serialization (§4.5) for
 * generated targets and a table of hosts, since the fast path skips `URL` for plain targets.
 */

import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LazyRequest } from '../../src/fetch/index.ts';
import { UrlBuilder } from '../../src/fetch/request-url.ts';
import type { Request as ServerRequest } from '../../src/server/index.ts';

/** What LazyRequest reads from the engine's request, over an in-memory body. */
function serverRequest(
  method: string,
  target: string,
  host: string,
  raw: string[],
  chunks: string[],
): ServerRequest {
  const buffers = chunks.map((c) => Buffer.from(c));
  let next = 0;
  const body = {
    received: buffers.reduce((n, b) => n + b.length, 0),
    complete: true,
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () =>
      Promise.resolve(
        next < buffers.length ? { done: false, value: buffers[next++] } : { done: true, value: undefined },
      ),
    bytes: () => Promise.resolve(Buffer.concat(buffers.slice(next))),
  };
  return {
    method,
    target,
    host,
    rawHeaders: raw,
    body,
    signal: new AbortController().signal,
  } as unknown as ServerRequest;
}

const RAW = ['host', 'x.test', 'content-type', 'text/plain', 'x-a', '1', 'x-a', '2'];

function pair(method: string, chunks: string[]): [Request, Request] {
  const lazy = new LazyRequest(
    serverRequest(method, '/p?q=1', 'x.test', RAW, chunks),
    new UrlBuilder('http'),
  );
  const headers = RAW.flatMap((_v, i) => (i % 2 === 0 ? [[RAW[i], RAW[i + 1]] as [string, string]] : []));
  const body = method === 'GET' || method === 'HEAD' ? null : chunks.join('');
  const real = new Request('http://x.test/p?q=1', { method, headers, body, duplex: 'half' });
  return [lazy, real];
}

describe('LazyRequest against new Request()', () => {
  it('is a Request and answers every getter of Request.prototype as a real one does', () => {
    const [lazy, real] = pair('POST', ['a=1']);
    expect(lazy).toBeInstanceOf(Request);
    const skip = new Set(['body', 'signal', 'headers']);
    for (const key of Object.getOwnPropertyNames(Request.prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, key);
      if (descriptor?.get === undefined || skip.has(key)) continue;
      expect([key, Reflect.get(lazy, key)]).toEqual([key, Reflect.get(real, key)]);
    }
    expect([...lazy.headers]).toEqual([...real.headers]);
    expect(lazy.body).toBeInstanceOf(ReadableStream);
    expect(Object.prototype.toString.call(lazy)).toBe('[object Request]');
  });

  it('normalizes the method as the standard does (six methods only)', () => {
    const method = (m: string): string =>
      new LazyRequest(serverRequest(m, '/', 'x', [], []), new UrlBuilder('http')).method;
    expect(['get', 'Post', 'delete', 'patch', 'PROPFIND'].map(method)).toEqual([
      'GET',
      'POST',
      'DELETE',
      'patch',
      'PROPFIND',
    ]);
  });

  it('reads the body like a real one: text, then a TypeError; body null for GET', async () => {
    for (const method of ['GET', 'POST']) {
      const [lazy, real] = pair(method, ['he', 'llo']);
      expect([method, lazy.body === null]).toEqual([method, real.body === null]);
      expect(await lazy.text()).toBe(await real.text());
      expect(lazy.bodyUsed).toBe(real.bodyUsed);
      const second = await Promise.allSettled([lazy.text(), real.text()]);
      expect(second.map((o) => o.status)).toEqual(
        method === 'GET' ? ['fulfilled', 'fulfilled'] : ['rejected', 'rejected'],
      );
    }
  });

  it('streams the body chunk by chunk as Uint8Array views, and counts it used after', async () => {
    const [lazy] = pair('PUT', ['ab', 'cd', 'ef']);
    const reader = (lazy.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.value?.constructor).toBe(Uint8Array);
    expect(Buffer.from(first.value ?? []).toString()).toBe('ab');
    expect(lazy.bodyUsed).toBe(true);
    await expect(lazy.text()).rejects.toBeInstanceOf(TypeError);
  });
});

describe('request.url', () => {
  const HOSTS = [
    'x.test',
    'Example.COM',
    'x.test:80',
    'x.test:8080',
    '127.0.0.1:3000',
    '[::1]:8443',
    '',
    'xn--nxasmq6b.com',
  ];
  const CHARS = [...'abcXYZ019-._~!$&\'()*+,;=:@/?%#[]|^`{}"<> \\'];
  const target = fc
    .array(fc.constantFrom(...CHARS, '/.', '/..', '/%2e', '/%2E%2e'), { maxLength: 24 })
    .map((a) => '/' + a.join(''));

  it('serializes origin-form targets exactly as URL does', () => {
    for (const scheme of ['http', 'https'] as const) {
      const urls = new UrlBuilder(scheme);
      fc.assert(
        fc.property(target, fc.constantFrom(...HOSTS), (t, host) => {
          const expected = new URL(`${scheme}://${host === '' ? 'localhost' : host}${t}`).href;
          expect(urls.build('GET', t, host)).toBe(expected);
        }),
        { numRuns: 2000 },
      );
    }
  });

  it('keeps a plain target as it is and reuses the canonical origin', () => {
    const urls = new UrlBuilder('http');
    expect(urls.build('GET', '/a/b.c?d=e&f', 'X.Test:80')).toBe('http://x.test/a/b.c?d=e&f');
    expect(urls.build('GET', '//evil.test/x', 'x.test')).toBe('http://x.test//evil.test/x');
    expect(urls.build('GET', 'HTTP://Y.Test/p', 'x.test')).toBe('http://y.test/p');
    expect(urls.build('CONNECT', 'y.test:443', 'y.test:443')).toBe('http://y.test:443/');
  });
});
