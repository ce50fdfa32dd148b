/**
 * Routing through a real server: static and parametric paths, static beating a parameter,
 * percent-decoded parameters, 404, 405 with Allow, automatic OPTIONS and HEAD (RFC 9110 §9.3).
 * And the demo application's routes, byte for byte where it matters.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/index.ts';
import { Router } from '../../src/server/index.ts';
import { RawClient } from '../support/raw-client.ts';
import { cleanup, startServer } from '../support/server.ts';

afterEach(cleanup);

async function ask(
  port: number,
  requests: string[],
  head: boolean[] = [],
): Promise<ReturnType<RawClient['responses']>> {
  const c = await RawClient.connect(port);
  c.write(requests.map((r) => `${r} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
  return c.responses(requests.length, { head });
}

describe('router', () => {
  const router = new Router()
    .get('/users/:id', (req, res) => res.json(req.params))
    .get('/users/me', (_req, res) => res.send('me'))
    .get('/users/:id/posts/:post', (req, res) => res.json(req.params))
    .delete('/users/:id', (_req, res) => res.status(204).send());

  it('matches static before parametric paths and decodes parameters', async () => {
    const { port } = await startServer(router.handler());
    const rs = await ask(port, [
      'GET /users/me',
      'GET /users/42',
      'GET /users/a%20b/posts/7',
      'DELETE /users/1',
    ]);
    expect(rs.map((r) => r.body.toString())).toEqual(['me', '{"id":"42"}', '{"id":"a b","post":"7"}', '']);
    expect(rs[3]?.status).toBe(204);
  });

  it('answers 404, 405 with Allow, OPTIONS with 204 + Allow, HEAD from GET', async () => {
    const { port } = await startServer(router.handler());
    const rs = await ask(
      port,
      [
        'GET /nope',
        'GET /users',
        'GET /users/1/',
        'POST /users/1',
        'OPTIONS /users/1',
        'HEAD /users/1',
        'OPTIONS *',
      ],
      [false, false, false, false, false, true, false],
    );
    expect(rs.map((r) => r.status)).toEqual([404, 404, 404, 405, 204, 200, 204]);
    expect(rs[3]?.get('allow')).toBe('GET, DELETE, HEAD, OPTIONS');
    expect(rs[4]?.get('allow')).toBe('GET, DELETE, HEAD, OPTIONS');
    expect(rs[5]?.get('content-length')).toBe('10');
    expect(rs[5]?.body.length).toBe(0);
  });

  it('refuses a malformed percent-escape in a parameter with 400', async () => {
    const { port, errors } = await startServer(router.handler());
    const [r] = await ask(port, ['GET /users/%FF']);
    expect(r?.status).toBe(400);
    expect(errors).toHaveLength(0);
  });

  it('rejects duplicate routes and conflicting parameter names at registration', () => {
    const r = new Router().get('/a/:x', () => {});
    expect(() => r.get('/a/:x', () => {})).toThrow(TypeError);
    expect(() => r.get('/a/:y/z', () => {})).toThrow(TypeError);
  });
});

describe('demo application', () => {
  it('serves /, /echo, /teapot, /healthz, /delay and 404', async () => {
    const { port } = await startServer(createApp());
    const c = await RawClient.connect(port);
    c.write(
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n' +
        'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n' +
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' +
        'OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n' +
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}' +
        'GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /delay?ms=5 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /delay?ms=30001 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /missing HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    const rs = await c.responses(10, { head: [false, true] });
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 204, 200, 418, 200, 200, 400, 404]);
    expect(rs[0]?.body.toString()).toBe('Hello, World!');
    expect(rs[4]?.get('content-type')).toBe('application/json');
    expect(rs[4]?.body.toString()).toBe('{"a":1}');
    expect(rs[7]?.body.toString()).toBe('waited 5 ms\n');
  });
});
