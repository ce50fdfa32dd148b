/**
 * `serve(app, options?)` (src/serve.ts), the one-process library entry: the same module contract
 * as the command — a native `{ handle }` app, a `{ fetch }` app (a real Hono app), a bare native
 * handler function — with `setup` awaited before listening and `close` after the drain, once,
 * whatever number of times `close()` is called. Real sockets, real client (undici).
 */

import { Hono } from 'hono';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { HttpError, Router, serve } from '../../src/index.ts';
import type { CloseInfo, SetupContext } from '../../src/index.ts';

const local = { host: '127.0.0.1', port: 0 };

async function text(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

describe('serve()', () => {
  it('runs a native app: setup before listening, close once after the drain', async () => {
    const calls: string[] = [];
    let seen: SetupContext | null = null;
    const router = new Router()
      .get('/', (_req, res) => res.send(calls.join(',')))
      .get('/teapot', () => {
        throw new HttpError(418, 'short and stout');
      });
    const app = {
      handle: router.handler(),
      async setup(context: SetupContext) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = context;
        calls.push('setup');
      },
      close(info: CloseInfo) {
        calls.push(`close:${info.reason}`);
      },
    };
    const server = await serve(app, { ...local, config: { mine: true } });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await text(server.url + '/')).toEqual({ status: 200, body: 'setup' });
    expect(await text(server.url + '/teapot')).toEqual({ status: 418, body: 'short and stout\n' });
    expect(seen).toEqual({ workerId: 0, slot: 0, generation: 1, config: { mine: true } });
    const [a, b] = await Promise.all([server.close(), server.close()]);
    expect(a).toBe(b);
    expect(calls).toEqual(['setup', 'close:close']);
    await expect(request(server.url + '/')).rejects.toThrow();
  });

  it('runs a Hono app as it is, through the fetch adapter', async () => {
    const hono = new Hono();
    hono.get('/users/:id', (c) => c.json({ id: c.req.param('id'), ua: c.req.header('user-agent') ?? null }));
    const server = await serve(hono, local);
    try {
      const res = await request(server.url + '/users/42', { headers: { 'user-agent': 'serve-test' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(await res.body.json()).toEqual({ id: '42', ua: 'serve-test' });
      expect((await text(server.url + '/nope')).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('takes a bare native handler function', async () => {
    const server = await serve((req, res) => res.send(`${req.method} ${req.path}`), local);
    try {
      expect(await text(server.url + '/x?y')).toEqual({ status: 200, body: 'GET /x' });
    } finally {
      await server.close();
    }
  });

  it("answers another copy of Samovar's HttpError by its status (an app with its own copy)", async () => {
    // What a second copy's class looks like to this engine: not `instanceof`, same registry brand.
    class ForeignHttpError extends Error {
      readonly status = 418;
    }
    Object.defineProperty(ForeignHttpError.prototype, Symbol.for('samovar.HttpError'), { value: true });
    const errors: unknown[] = [];
    const server = await serve(
      () => {
        throw new ForeignHttpError('from the other copy');
      },
      { ...local, onError: (error) => errors.push(error) },
    );
    try {
      expect(await text(server.url + '/')).toEqual({ status: 418, body: 'from the other copy\n' });
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses the wrong shape with the sentence that names it', async () => {
    await expect(serve({ get: () => 1 } as never, local)).rejects.toThrow(
      /serve\(app\): it is an object without a fetch or handle method \(keys: get\)/,
    );
  });
});
