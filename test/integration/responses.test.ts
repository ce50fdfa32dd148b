/**
 * Response framing on the wire, byte for byte: Content-Length, chunked, HEAD, 204/304,
 * HTTP/1.0 persistence, the Date header, and handler API guards (RFC 9112 §6, §9; RFC 9110 §6.4).
 */

import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../../src/server/index.ts';
import { RawClient, rawExchange } from '../support/raw-client.ts';
import { cleanup, startServer } from '../support/server.ts';

afterEach(cleanup);

const DATE = /^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/m;

function withoutDate(raw: string): string {
  return raw.replace(/\r\nDate: [^\r]*/, '');
}

function app(): Router {
  return new Router()
    .get('/', (_req, res) => res.send('Hello, World!'))
    .get('/empty', (_req, res) => res.status(204).send())
    .get('/not-modified', (_req, res) => res.status(304).header('etag', '"x"').send())
    .get('/chunks', (_req, res) => res.stream(['ab', Buffer.from('cde'), '', 'f']))
    .get('/readable', (_req, res) => res.stream(Readable.from(['one', 'two'])))
    .get('/sized', (_req, res) => res.header('content-length', 6).stream(['abc', 'def']))
    .get('/json', (_req, res) => res.json({ a: 1 }));
}

describe('responses', () => {
  it('answers GET with Content-Length and a cached IMF-fixdate Date', async () => {
    const { port } = await startServer(app().handler());
    const raw = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(DATE);
    expect(withoutDate(raw)).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!',
    );
  });

  it('keeps an HTTP/1.1 connection open by default and serves a second request', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.responses(1);
    expect(c.ended).toBe(false);
    c.write('GET /json HTTP/1.1\r\nHost: x\r\n\r\n');
    const [first, second] = await c.responses(2);
    expect(first?.get('connection')).toBeUndefined();
    expect(second?.body.toString()).toBe('{"a":1}');
    expect(second?.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('closes after an HTTP/1.0 request without keep-alive', async () => {
    const { port } = await startServer(app().handler());
    const raw = await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(withoutDate(raw)).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!',
    );
  });

  it('keeps an HTTP/1.0 keep-alive connection open and says keep-alive', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
    const [r] = await c.responses(1);
    expect(r?.get('connection')).toBe('keep-alive');
    expect(await c.quietFor(50)).toBe(true);
    c.write('GET / HTTP/1.0\r\n\r\n');
    await c.readToEnd();
    expect(c.text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
  });

  it('honours Connection: close inside a token list, case-insensitively', async () => {
    const { port } = await startServer(app().handler());
    const raw = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, CLOSE\r\n\r\n');
    expect(raw).toContain('Connection: close\r\n');
  });

  it('gives HEAD the GET headers and no body', async () => {
    const { port } = await startServer(app().handler());
    const raw = await rawExchange(port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(withoutDate(raw)).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\nConnection: close\r\n\r\n',
    );
  });

  it('sends 204 without body or Content-Length, and 304 without body', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write(
      'GET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET /not-modified HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const raw = await c.readToEnd();
    expect(raw.replace(/Date: [^\r]*\r\n/g, '')).toBe(
      'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\netag: "x"\r\nConnection: close\r\n\r\n',
    );
  });

  it('streams an unknown-length body chunked on HTTP/1.1, skipping empty chunks', async () => {
    const { port } = await startServer(app().handler());
    const raw = await rawExchange(port, 'GET /chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(withoutDate(raw)).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '2\r\nab\r\n3\r\ncde\r\n1\r\nf\r\n0\r\n\r\n',
    );
  });

  it('streams a Node Readable, and uses Content-Length when the handler set one', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write('GET /readable HTTP/1.1\r\nHost: x\r\n\r\nGET /sized HTTP/1.1\r\nHost: x\r\n\r\n');
    const [a, b] = await c.responses(2);
    expect(a?.chunked).toBe(true);
    expect(a?.body.toString()).toBe('onetwo');
    expect(b?.chunked).toBe(false);
    expect(b?.get('content-length')).toBe('6');
    expect(b?.body.toString()).toBe('abcdef');
  });

  it('delimits a stream by closing on HTTP/1.0', async () => {
    const { port } = await startServer(app().handler());
    const raw = await rawExchange(port, 'GET /chunks HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect(withoutDate(raw)).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\nabcdef',
    );
  });

  it('answers HEAD for a stream with headers only and keeps the connection', async () => {
    const { port } = await startServer(app().handler());
    const c = await RawClient.connect(port);
    c.write('HEAD /chunks HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [a, b] = await c.responses(2, { head: [true, false] });
    expect(a?.raw).toContain('Transfer-Encoding: chunked\r\n');
    expect(a?.body.length).toBe(0);
    expect(b?.body.toString()).toBe('Hello, World!');
  });
});

describe('handler API guards', () => {
  it('throws a TypeError for CR, LF or NUL in a header and never writes it', async () => {
    const thrown: unknown[] = [];
    const handler = new Router().get('/', (_req, res) => {
      for (const [k, v] of [
        ['x-a', 'ok\r\nInjected: yes'],
        ['x-b', 'a\nb'],
        ['x-c', 'a\0b'],
        ['bad name', 'v'],
        ['x-d\r\n', 'v'],
      ] as const) {
        try {
          res.header(k, v);
        } catch (error) {
          thrown.push(error);
        }
      }
      res.send('fine');
    });
    const { port } = await startServer(handler.handler());
    const raw = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(thrown).toHaveLength(5);
    for (const e of thrown) expect(e).toBeInstanceOf(TypeError);
    expect(raw).not.toContain('Injected');
    expect(raw.endsWith('\r\n\r\nfine')).toBe(true);
  });

  it('rejects a body on 204 and a Transfer-Encoding set by hand', async () => {
    const thrown: unknown[] = [];
    const handler = new Router().get('/', (_req, res) => {
      try {
        res.header('transfer-encoding', 'chunked');
      } catch (error) {
        thrown.push(error);
      }
      try {
        res.status(204).send('x');
      } catch (error) {
        thrown.push(error);
      }
      res.send();
    });
    const { port } = await startServer(handler.handler());
    const raw = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(thrown.map((e) => (e as Error).name)).toEqual(['TypeError', 'TypeError']);
    expect(raw.startsWith('HTTP/1.1 204 No Content\r\n')).toBe(true);
  });
});
