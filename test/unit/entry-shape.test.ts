/**
 * The module contract decided by shape (src/entry/shape.ts) and the `FILE#name` rule
 * (src/config/load.ts): real Hono, itty-router and h3 apps classify as fetch apps as they
 * are; `fetch` wins over `handle`; anything else gets a sentence that names what it is and the
 * shapes expected — never a guess from a function's arity.
 */

import { H3 } from 'h3';
import { Hono } from 'hono';
import { AutoRouter, Router } from 'itty-router';
import { describe, expect, it } from 'vitest';
import { parseEntry } from '../../src/config/index.ts';
import { AppKind, classifyApp } from '../../src/entry/shape.ts';

const kind = (value: unknown): string => {
  const c = classifyApp(value);
  return typeof c === 'string' ? `error: ${c}` : c.kind;
};

describe('classifyApp', () => {
  it('takes real fetch-standard apps as they are', () => {
    expect(kind(new Hono())).toBe(AppKind.FETCH);
    expect(kind(AutoRouter())).toBe(AppKind.FETCH);
    expect(kind(Router())).toBe(AppKind.FETCH);
    expect(kind(new H3())).toBe(AppKind.FETCH);
    expect(kind({ fetch: () => new Response('x') })).toBe(AppKind.FETCH);
  });

  it("does not take itty-router's Proxy, which answers every name, for a lifecycle", async () => {
    const router = AutoRouter();
    router.get('/', () => 'ok');
    expect(typeof (router as unknown as Record<string, unknown>).setup).toBe('function');
    const c = classifyApp(router);
    if (typeof c === 'string') throw new Error(c);
    expect(['setup' in c.app, 'close' in c.app]).toEqual([false, false]);
    const res = await (c.app as { fetch(r: Request): Promise<Response> }).fetch(new Request('http://x/'));
    expect(await res.text()).toBe('"ok"');
  });

  it('takes a native app, also as a class instance with methods on its prototype', () => {
    class App {
      handle(): void {}
      setup(): void {}
    }
    expect(kind({ handle: () => undefined })).toBe(AppKind.NATIVE);
    expect(kind(new App())).toBe(AppKind.NATIVE);
  });

  it('serves an export with both through fetch: the standard wins', () => {
    expect(kind({ fetch: () => new Response(''), handle: () => undefined })).toBe(AppKind.FETCH);
  });

  it('refuses a bare function, whatever its arity', () => {
    expect(kind((req: unknown, res: unknown) => [req, res])).toMatch(
      /bare function.*never by parameter count/,
    );
    expect(kind((request: unknown) => request)).toMatch(/bare function/);
  });

  it('names what it got and the shapes it expected', () => {
    expect(kind(undefined)).toMatch(/^error: it is undefined; expected .*fetch.*handle/);
    expect(kind(42)).toMatch(/the number 42/);
    expect(kind({ get: 1, post: 2 })).toMatch(/without a fetch or handle method \(keys: get, post\)/);
    expect(kind({ handle: () => undefined, setup: 'yes' })).toMatch(/its setup is the string "yes"/);
    expect(kind({ fetch: () => undefined, close: {} })).toMatch(/its close is an object/);
  });
});

describe('parseEntry', () => {
  it('resolves against the working directory and reads #name only when it is an identifier', () => {
    expect(parseEntry('./app.ts', '/srv')).toEqual({
      file: './app.ts',
      path: '/srv/app.ts',
      exportName: 'default',
    });
    expect(parseEntry('dist/server.js#app', '/srv')).toMatchObject({
      path: '/srv/dist/server.js',
      exportName: 'app',
    });
    expect(parseEntry('/abs/a#b/app.mjs', '/srv')).toMatchObject({
      path: '/abs/a#b/app.mjs',
      exportName: 'default',
    });
    expect(parseEntry('./x.mjs#', '/srv')).toMatchObject({ path: '/srv/x.mjs#', exportName: 'default' });
  });
});
