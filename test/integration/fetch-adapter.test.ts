/**
 * The fetch adapter on a real Samovar server, with bare `{ fetch }` apps and real clients (raw
 * sockets that assert bytes, undici as an oracle): the lazy request (url, headers, method, body
 * readers, formData, clone, the double-read TypeError), the response writer (one write with
 * Content-Length, HEAD, Set-Cookie lines, hop-by-hop fields dropped, Response.json), errors (a
 * throw, a rejection, a non-Response: one 500 and one report each), pipelining order, the route
 * label, and `instanceof` both ways with the light Response installed.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, FormData as UndiciFormData } from 'undici';
import {
  fetchHandler,
  installFastResponse,
  LightResponse,
  NativeResponse,
  uninstallFastResponse,
  type FetchApp,
  type FetchInfo,
} from '../../src/fetch/index.ts';
import type { Handler, ServerOptionsOverrides } from '../../src/server/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { cleanup, countWrites, sleep, startServer, track, type TestServer } from '../support/server.ts';

afterEach(cleanup);

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

function serve(fetch: FetchApp['fetch'], overrides: ServerOptionsOverrides = {}): Promise<TestServer> {
  return startServer(fetchHandler({ fetch }), overrides);
}

function undici(url: string): Client {
  const client = new Client(url);
  track(client);
  return client;
}

describe('the lazy request', () => {
  it('round-trips method, url (query included) and headers; info names the request', async () => {
    let seen: { info: FetchInfo; isRequest: boolean } | null = null;
    const { port } = await serve((request, info) => {
      seen = { info, isRequest: request instanceof Request };
      const url = new URL(request.url);
      return new LightResponse(
        JSON.stringify({
          method: request.method,
          url: request.url,
          q: url.searchParams.get('q'),
          a: request.headers.get('X-A'),
          ua: request.headers.get('user-agent'),
          names: [...request.headers.keys()],
        }),
      );
    });
    const c = await RawClient.connect(port);
    c.write(
      'GET /p/a%20b?q=1+2&z HTTP/1.1\r\nHost: Example.COM:80\r\nX-A: one\r\nUser-Agent: t\r\nX-A: two\r\n\r\n',
    );
    const [r] = await c.responses(1);
    expect(r?.status).toBe(200);
    expect(JSON.parse(r?.body.toString() ?? '')).toEqual({
      method: 'GET',
      url: 'http://example.com/p/a%20b?q=1+2&z',
      q: '1 2',
      a: 'one, two',
      ua: 't',
      names: ['host', 'user-agent', 'x-a'],
    });
    const remoteAddress = `127.0.0.1:${c.socket.localPort}`;
    expect(seen).toEqual({ isRequest: true, info: { remoteAddress, requestId: '1' } });
  });

  it('serializes url as URL does: dot segments, escapes, absolute-form, the https scheme', async () => {
    const urls: string[] = [];
    const app = (request: Request): Response => {
      urls.push(request.url);
      return new LightResponse(null, { status: 204 });
    };
    const { port } = await startServer(fetchHandler({ fetch: app }, { scheme: 'https' }));
    const c = await RawClient.connect(port);
    c.write(
      get("/a/./b/../c?x='y'") +
        get('/%2e%2E/d') +
        get('/plain/path?k=v') +
        'GET http://Other.Test:8080/abs?q HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /h HTTP/1.1\r\nHost: x:443\r\n\r\n' +
        'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    await c.responses(6);
    expect(urls).toEqual([
      'https://x/a/c?x=%27y%27',
      'https://x/d',
      'https://x/plain/path?k=v',
      'http://other.test:8080/abs?q',
      'https://x/h',
      'https://x/*',
    ]);
  });

  it('reads a JSON body with request.json() (POST echo through undici)', async () => {
    const { url } = await serve(async (request) => {
      const value = (await request.json()) as { n: number };
      return LightResponse.json({
        got: value,
        used: request.bodyUsed,
        type: request.headers.get('content-type'),
      });
    });
    const r = await undici(url).request({
      path: '/echo',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 42, s: 'é' }),
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(await r.body.json()).toEqual({ got: { n: 42, s: 'é' }, used: true, type: 'application/json' });
  });

  it('reads bodies as text, arrayBuffer, bytes and blob; GET has no body', async () => {
    const { port } = await serve(async (request) => {
      const kind = new URL(request.url).pathname.slice(1);
      if (kind === 'get')
        return new LightResponse(`${request.body === null ? 'null' : 'stream'} ${await request.text()}|`);
      if (kind === 'text') return new LightResponse(await request.text());
      if (kind === 'ab') return new LightResponse(new Uint8Array(await request.arrayBuffer()));
      if (kind === 'bytes') return new LightResponse(await request.bytes());
      const blob = await request.blob();
      return new LightResponse(`${blob.type} ${blob.size} ${await blob.text()}`);
    });
    const c = await RawClient.connect(port);
    const post = (path: string, body: string): Buffer =>
      Buffer.from(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    c.write(
      Buffer.concat([
        Buffer.from(get('/get')),
        post('/text', '\ufeffhé'),
        post('/ab', 'ab'),
        post('/bytes', 'by'),
        post('/blob', 'bl'),
      ]),
    );
    const rs = await c.responses(5);
    expect(rs.map((r) => r.body.toString())).toEqual(['null |', 'hé', 'ab', 'by', 'text/x 2 bl']);
  });

  it('parses formData(), urlencoded and multipart', async () => {
    const { url } = await serve(async (request) => {
      const form = await request.formData();
      const file = form.get('file');
      return LightResponse.json({
        a: form.getAll('a'),
        file: file instanceof Blob ? [file.size, await file.text()] : null,
      });
    });
    const client = undici(url);
    const urlencoded = await client.request({
      path: '/',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&a=two+words',
    });
    expect(await urlencoded.body.json()).toEqual({ a: ['1', 'two words'], file: null });
    const form = new UndiciFormData();
    form.append('a', 'x');
    form.append('file', new Blob(['file body']), 'f.txt');
    const multipart = await client.request({ path: '/', method: 'POST', body: form });
    expect(await multipart.body.json()).toEqual({ a: ['x'], file: [9, 'file body'] });
  });

  it('clones: both copies read the same body', async () => {
    const { url } = await serve(async (request) => {
      const copy = request.clone();
      const [a, b] = await Promise.all([request.text(), copy.text()]);
      return LightResponse.json({ a, b, copyIsRequest: copy instanceof Request, url: copy.url });
    });
    const r = await undici(url).request({ path: '/c?x', method: 'PUT', body: 'same bytes' });
    expect(await r.body.json()).toEqual({
      a: 'same bytes',
      b: 'same bytes',
      copyIsRequest: true,
      url: `${url}/c?x`,
    });
  });

  it('rejects a second read with a TypeError, as the standard does, whichever way it was read', async () => {
    const { port } = await serve(async (request) => {
      const how = new URL(request.url).pathname;
      if (how === '/stream') {
        for await (const chunk of request.body as ReadableStream<Uint8Array>) void chunk;
      } else {
        await request.text();
      }
      const outcomes = await Promise.allSettled([request.text(), request.json(), request.formData()]);
      let cloned = 'no throw';
      try {
        request.clone();
      } catch (error) {
        cloned = (error as Error).name;
      }
      const names = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).name : 'fulfilled'));
      return LightResponse.json({ used: request.bodyUsed, names, cloned });
    });
    const c = await RawClient.connect(port);
    const post = (path: string): string => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`;
    c.write(post('/text') + post('/stream'));
    const rs = await c.responses(2);
    const expected = { used: true, names: ['TypeError', 'TypeError', 'TypeError'], cloned: 'TypeError' };
    expect(JSON.parse(rs[0]?.body.toString() ?? '')).toEqual(expected);
    expect(JSON.parse(rs[1]?.body.toString() ?? '')).toEqual(expected);
  });

  it('labels the route `fetch`, unless something already set one', async () => {
    const routes: string[] = [];
    const inner = fetchHandler({ fetch: () => new LightResponse('ok') });
    const handler: Handler = (req, res) => {
      if (req.path === '/preset') req.route = '/preset';
      const done = inner(req, res);
      routes.push(req.route);
      return done;
    };
    const { port } = await startServer(handler);
    const c = await RawClient.connect(port);
    c.write(get('/users/123') + get('/preset'));
    await c.responses(2);
    expect(routes).toEqual(['fetch', '/preset']);
  });
});

describe('the response writer', () => {
  it('writes a string, bytes, or no body in one socket write with Content-Length (light and undici)', async () => {
    const { port, server } = await serve((request) => {
      const path = new URL(request.url).pathname;
      if (path === '/light') return new LightResponse('light body', { headers: { 'x-kind': 'light' } });
      if (path === '/bytes') return new LightResponse(new Uint8Array([0xff, 0, 0x41]));
      if (path === '/none') return new LightResponse(null, { status: 201 });
      return new NativeResponse('native body', { headers: [['x-kind', 'native']] });
    });
    const c = await RawClient.connect(port);
    c.write(get('/warm-up'));
    await c.responses(1);
    const writes = countWrites(server);
    const paths = ['/light', '/native', '/bytes', '/none'];
    for (const [i, path] of paths.entries()) {
      c.write(get(path));
      await c.responses(i + 2);
    }
    const rs = (await c.responses(5)).slice(1);
    expect(writes).toHaveLength(4);
    expect(rs.map((r) => [r.status, r.get('content-length'), r.get('content-type'), r.chunked])).toEqual([
      [200, '10', 'text/plain;charset=UTF-8', false],
      [200, '11', 'text/plain;charset=UTF-8', false],
      [200, '3', 'application/octet-stream', false],
      [201, '0', undefined, false],
    ]);
    expect(rs[0]?.get('x-kind')).toBe('light');
    expect(rs[1]?.get('x-kind')).toBe('native');
    expect([...(rs[2]?.body ?? [])]).toEqual([0xff, 0, 0x41]);
  });

  it('answers HEAD with the GET head and no body; a streamed route is cancelled, not read', async () => {
    let cancelled = 0;
    let pulled = 0;
    const { port } = await serve((request) => {
      const path = new URL(request.url).pathname;
      if (path === '/text') return new LightResponse('twelve bytes');
      // As Hono and h3 answer HEAD: the GET's head, the body dropped by the app itself.
      if (path === '/dropped') return new LightResponse(null, { headers: { 'x-route': 'dropped' } });
      if (path === '/declared') return new LightResponse(null, { headers: { 'content-length': '12' } });
      const stream = new ReadableStream<Uint8Array>({
        pull: () => {
          pulled++;
          return new Promise<void>(() => {});
        },
        cancel: () => {
          cancelled++;
        },
      });
      return new LightResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
    });
    const c = await RawClient.connect(port);
    const head = (path: string): string => `HEAD ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    c.write(head('/text') + head('/stream') + get('/text') + head('/dropped') + head('/declared'));
    const rs = await c.responses(5, { head: [true, true, false, true, true] });
    expect(rs[0]?.get('content-length')).toBe('12');
    expect(rs[0]?.body.length).toBe(0);
    expect(rs[1]?.get('content-type')).toBe('text/event-stream');
    expect(rs[1]?.get('transfer-encoding')).toBe('chunked');
    expect(rs[2]?.body.toString()).toBe('twelve bytes');
    expect([rs[3]?.get('x-route'), rs[3]?.get('content-length')]).toEqual(['dropped', undefined]);
    expect(rs[4]?.get('content-length')).toBe('12');
    expect(c.text.endsWith('\r\n\r\n')).toBe(true);
    expect(cancelled).toBe(1);
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('keeps two Set-Cookie fields as two lines (a Headers object and an array of pairs)', async () => {
    const { port } = await serve((request) => {
      if (new URL(request.url).pathname === '/pairs') {
        return new LightResponse('p', {
          headers: [
            ['Set-Cookie', 'a=1'],
            ['Set-Cookie', 'b=2; HttpOnly'],
          ],
        });
      }
      const headers = new Headers();
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2; HttpOnly');
      return new NativeResponse('h', { headers });
    });
    const c = await RawClient.connect(port);
    c.write(get('/headers') + get('/pairs'));
    const rs = await c.responses(2);
    for (const r of rs) {
      const cookies = r.fields.filter(([n]) => n.toLowerCase() === 'set-cookie').map(([, v]) => v);
      expect(cookies).toEqual(['a=1', 'b=2; HttpOnly']);
    }
  });

  it('drops hop-by-hop fields and a wrong Content-Length instead of failing, and keeps the connection', async () => {
    const { port, errors } = await serve(
      () =>
        new LightResponse('body', {
          headers: {
            Connection: 'close',
            'Keep-Alive': 'timeout=5',
            'Transfer-Encoding': 'chunked',
            Upgrade: 'h2c',
            'Proxy-Connection': 'keep-alive',
            TE: 'trailers',
            Trailer: 'x-t',
            'Content-Length': '999',
            'X-Kept': '  padded  ',
          },
        }),
    );
    const c = await RawClient.connect(port);
    c.write(get('/') + get('/'));
    const rs = await c.responses(2);
    expect(rs).toHaveLength(2);
    const names = rs[0]?.fields.map(([n]) => n.toLowerCase());
    for (const hop of [
      'connection',
      'keep-alive',
      'transfer-encoding',
      'upgrade',
      'proxy-connection',
      'te',
      'trailer',
    ]) {
      expect(names).not.toContain(hop);
    }
    expect(rs[0]?.get('content-length')).toBe('4');
    expect(rs[0]?.raw).toContain('\r\nX-Kept: padded\r\n');
    expect(rs[1]?.body.toString()).toBe('body');
    expect(c.ended).toBe(false);
    expect(errors).toHaveLength(0);
  });

  it('uses a valid Content-Length for a live stream and ignores an invalid one', async () => {
    const { port } = await serve((request) => {
      const length = new URL(request.url).searchParams.get('cl') ?? '';
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(5);
          controller.enqueue(new TextEncoder().encode('abc'));
          controller.close();
        },
      });
      return new LightResponse(stream, { headers: { 'content-length': length } });
    });
    const c = await RawClient.connect(port);
    c.write(get('/?cl=3') + get('/?cl=3x'));
    const rs = await c.responses(2);
    expect([rs[0]?.get('content-length'), rs[0]?.chunked, rs[0]?.body.toString()]).toEqual([
      '3',
      false,
      'abc',
    ]);
    expect([rs[1]?.get('content-length'), rs[1]?.chunked, rs[1]?.body.toString()]).toEqual([
      undefined,
      true,
      'abc',
    ]);
  });

  it('sends a stream that is already complete whole, in one write with Content-Length', async () => {
    const { port, server } = await serve(() => {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('all '));
          controller.enqueue(new TextEncoder().encode('there'));
          controller.close();
        },
      });
      return new LightResponse(stream, { headers: { 'content-length': 'bogus' } });
    });
    const c = await RawClient.connect(port);
    c.write(get('/'));
    await c.responses(1);
    const writes = countWrites(server);
    c.write(get('/'));
    const rs = await c.responses(2);
    expect(writes).toHaveLength(1);
    expect([rs[1]?.get('content-length'), rs[1]?.chunked, rs[1]?.body.toString()]).toEqual([
      '9',
      false,
      'all there',
    ]);
  });

  it('streams an undici Response whose body is a live ReadableStream', async () => {
    const { port } = await serve(() => {
      let n = 0;
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(5);
          if (++n > 3) controller.close();
          else controller.enqueue(new TextEncoder().encode(`part${n};`));
        },
      });
      return new NativeResponse(stream, { status: 202, headers: { 'x-native': 'yes' } });
    });
    const c = await RawClient.connect(port);
    c.write(get('/'));
    const [r] = await c.responses(1);
    expect([r?.status, r?.chunked, r?.get('x-native'), r?.body.toString()]).toEqual([
      202,
      true,
      'yes',
      'part1;part2;part3;',
    ]);
  });

  it('writes pipelined answers in request order when the app finishes them out of order', async () => {
    const { port } = await serve(async (request) => {
      const ms = Number(new URL(request.url).searchParams.get('ms'));
      await sleep(ms);
      return new LightResponse(`waited ${ms}`);
    });
    const c = await RawClient.connect(port);
    c.write(get('/?ms=60') + get('/?ms=30') + get('/?ms=0'));
    const rs = await c.responses(3);
    expect(rs.map((r) => r.body.toString())).toEqual(['waited 60', 'waited 30', 'waited 0']);
  });
});

describe('errors', () => {
  it('answers 500 once for a throw and for a rejection, and reports each once', async () => {
    const { port, errors } = await serve((request) => {
      if (new URL(request.url).pathname === '/throw') throw new Error('sync boom');
      return Promise.reject(new Error('async boom'));
    });
    const c = await RawClient.connect(port);
    c.write(get('/throw') + get('/reject'));
    const rs = await c.responses(2);
    expect(rs.map((r) => r.status)).toEqual([500, 500]);
    expect(errors.map((e) => (e.error as Error).message)).toEqual(['sync boom', 'async boom']);
  });

  it('answers 500 for a value that is not a Response, naming what came back', async () => {
    const values: unknown[] = [undefined, 'text', { status: 200 }];
    let i = 0;
    const { port, errors } = await serve(() => {
      const value = values[i++];
      return (i === 3 ? Promise.resolve(value) : value) as Response;
    });
    const c = await RawClient.connect(port);
    c.write(get('/') + get('/') + get('/'));
    const rs = await c.responses(3);
    expect(rs.map((r) => r.status)).toEqual([500, 500, 500]);
    expect(errors.map((e) => (e.error as Error).message)).toEqual([
      'fetch() returned undefined; expected a Response (or a Promise of one)',
      'fetch() returned a string; expected a Response (or a Promise of one)',
      'fetch() returned an object of class Object; expected a Response (or a Promise of one)',
    ]);
  });

  it('answers 500 for Response.error() and for a response whose body was already read', async () => {
    const { port, errors } = await serve(async (request) => {
      if (new URL(request.url).pathname === '/error') return NativeResponse.error();
      const response = new LightResponse('read twice');
      await response.text();
      return response;
    });
    const c = await RawClient.connect(port);
    c.write(get('/error') + get('/used'));
    const rs = await c.responses(2);
    expect(rs.map((r) => r.status)).toEqual([500, 500]);
    expect(errors).toHaveLength(2);
  });
});

describe('with the light Response installed as the global', () => {
  beforeAll(installFastResponse);
  afterAll(uninstallFastResponse);

  it('makes `new Response` and `Response.json` light, and instanceof holds both ways', async () => {
    let checks: Record<string, boolean> = {};
    const { url } = await serve((request) => {
      const light = new Response('x');
      const native = new NativeResponse('y');
      checks = {
        lightIsGlobal: light instanceof Response,
        lightIsNative: light instanceof NativeResponse,
        nativeIsGlobal: native instanceof Response,
        requestIsRequest: request instanceof Request,
        globalIsLight: Response === (LightResponse as unknown),
      };
      return Response.json({ ok: true }, { status: 201, headers: { 'x-a': 'b' } });
    });
    const r = await undici(url).request({ path: '/', method: 'GET' });
    expect(r.statusCode).toBe(201);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-a']).toBe('b');
    expect(await r.body.json()).toEqual({ ok: true });
    expect(checks).toEqual({
      lightIsGlobal: true,
      lightIsNative: true,
      nativeIsGlobal: true,
      requestIsRequest: true,
      globalIsLight: true,
    });
  });

  it('serves a Hono app as it is (c.text, c.json, c.req, c.env, headers set by middleware)', async () => {
    const { Hono } = await import('hono');
    const app = new Hono<{ Bindings: FetchInfo }>();
    app.use(async (c, next) => {
      await next();
      c.header('x-middleware', 'after');
    });
    app.get('/', (c) => c.text('Hello, World!'));
    app.get('/users/:id', (c) =>
      c.json({ id: c.req.param('id'), q: c.req.query('q'), rid: c.env.requestId }),
    );
    const { url } = await startServer(fetchHandler(app));
    const client = undici(url);
    const hello = await client.request({ path: '/', method: 'GET' });
    expect([hello.statusCode, hello.headers['x-middleware']]).toEqual([200, 'after']);
    expect(hello.headers['content-type']).toMatch(/^text\/plain; ?charset=UTF-8$/);
    expect(await hello.body.text()).toBe('Hello, World!');
    const user = await client.request({ path: '/users/7?q=z', method: 'GET' });
    expect(await user.body.json()).toEqual({ id: '7', q: 'z', rid: '2' });
  });
});

describe('foreign light responses', () => {
  it('serves an h3 app, reading srvx FastResponses as srvx does (text, JSON, cookies, a stream)', async () => {
    const { H3 } = await import('h3');
    const app = new H3();
    app.get('/', () => 'hello h3');
    app.get('/json', () => ({ a: 1 }));
    app.get('/cookies', (event) => {
      event.res.headers.append('set-cookie', 'a=1');
      event.res.headers.append('set-cookie', 'b=2');
      event.res.headers.set('connection', 'close');
      return 'c';
    });
    app.get('/stream', () => {
      let n = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(2);
          if (++n > 2) controller.close();
          else controller.enqueue(new TextEncoder().encode(`s${n}`));
        },
      });
    });
    const { port } = await startServer(fetchHandler(app));
    const c = await RawClient.connect(port);
    c.write(get('/') + get('/json') + get('/cookies') + get('/stream'));
    const rs = await c.responses(4);
    expect(rs.map((r) => [r.status, r.body.toString(), r.chunked])).toEqual([
      [200, 'hello h3', false],
      [200, '{"a":1}', false],
      [200, 'c', false],
      [200, 's1s2', true],
    ]);
    expect(rs[1]?.get('content-type')).toMatch(/^application\/json/);
    const cookies = rs[2]?.fields.filter(([n]) => n.toLowerCase() === 'set-cookie').map(([, v]) => v);
    expect(cookies).toEqual(['a=1', 'b=2']);
    expect(rs[2]?.get('connection')).toBeUndefined();
    expect(c.ended).toBe(false);
  });
});
