/**
 * The light Response against undici's as the oracle (Fetch Standard §5.5): for a table of
 * bodies and inits, every member a test can compare — status, statusText, ok, type, url,
 * redirected, headers (the default content-type included), text(), json(), arrayBuffer(),
 * bytes(), blob(), bodyUsed before and after, the second-read TypeError, clone() — and the
 * constructor's refusals; the statics; `instanceof` both ways; install and uninstall.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  installFastResponse,
  LightResponse,
  NativeResponse,
  uninstallFastResponse,
} from '../../src/fetch/index.ts';

afterEach(uninstallFastResponse);

type Body = ConstructorParameters<typeof Response>[0];
type Init = ConstructorParameters<typeof Response>[1];

const CASES: [string, () => Body, Init][] = [
  ['no body', () => null, undefined],
  ['a string', () => 'Hello, World!', undefined],
  [
    'a string with a status and a plain-object header',
    () => 'made',
    { status: 201, statusText: 'Made', headers: { 'X-A': 'b' } },
  ],
  [
    'a string with its own content-type',
    () => '{"a":1}',
    { headers: { 'content-type': 'application/json' } },
  ],
  [
    'bytes',
    () => new Uint8Array([104, 105]),
    {
      headers: [
        ['x-b', '1'],
        ['x-b', '2'],
      ],
    },
  ],
  ['a Buffer', () => Buffer.from('buf'), undefined],
  ['an ArrayBuffer', () => new Uint8Array([0x61, 0x62]).buffer, undefined],
  ['a DataView', () => new DataView(new Uint8Array([1, 0x63, 0x64, 1]).buffer, 1, 2), undefined],
  ['a stream', () => streamOf('str', 'eam'), { status: 404, headers: new Headers({ 'set-cookie': 'a=1' }) }],
  ['a Blob (built at once)', () => new Blob(['blob'], { type: 'text/x' }), undefined],
  ['URLSearchParams (built at once)', () => new URLSearchParams('a=1&b=2'), undefined],
  ['an error status, no body', () => undefined, { status: 503 }],
  ['a 204', () => null, { status: 204 }],
];

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });
}

function members(r: Response): Record<string, unknown> {
  return {
    status: r.status,
    statusText: r.statusText,
    ok: r.ok,
    type: r.type,
    url: r.url,
    redirected: r.redirected,
    headers: [...r.headers],
    bodyUsed: r.bodyUsed,
    hasBody: r.body !== null,
  };
}

describe('LightResponse against undici', () => {
  for (const [name, body, init] of CASES) {
    it(`matches for ${name}`, async () => {
      const light = new LightResponse(body(), init);
      const native = new NativeResponse(body(), init);
      expect(members(light)).toEqual(members(native));
      expect(await light.text()).toBe(await native.text());
      expect(light.bodyUsed).toBe(native.bodyUsed);
      const again = await Promise.allSettled([light.text(), native.text()]);
      expect(again.map((o) => o.status)).toEqual(
        native.body === null ? ['fulfilled', 'fulfilled'] : ['rejected', 'rejected'],
      );
      if (again[0]?.status === 'rejected') expect(again[0].reason).toBeInstanceOf(TypeError);
    });
  }

  it('reads json, arrayBuffer, bytes and blob as undici does', async () => {
    const make = (C: typeof NativeResponse): Response =>
      new C('{"n":1,"s":"é"}', { headers: { 'content-type': 'application/json' } });
    expect(await make(LightResponse).json()).toEqual(await make(NativeResponse).json());
    expect(new Uint8Array(await make(LightResponse).arrayBuffer())).toEqual(
      new Uint8Array(await make(NativeResponse).arrayBuffer()),
    );
    expect(await make(LightResponse).bytes()).toEqual(await make(NativeResponse).bytes());
    const [a, b] = [await make(LightResponse).blob(), await make(NativeResponse).blob()];
    expect([a.type, a.size, await a.text()]).toEqual([b.type, b.size, await b.text()]);
    await expect(new LightResponse('not json').json()).rejects.toBeInstanceOf(SyntaxError);
  });

  it('hands out bytes the caller owns', async () => {
    const source = new Uint8Array([1, 2, 3]);
    const bytes = await new LightResponse(source).bytes();
    bytes[0] = 9;
    expect(source[0]).toBe(1);
  });

  it('clones into two readable copies, and refuses to clone a used body', async () => {
    const light = new LightResponse('twice', { status: 202, headers: { 'x-a': 'b' } });
    const copy = light.clone();
    expect([copy.status, copy.headers.get('x-a'), await copy.text(), await light.text()]).toEqual([
      202,
      'b',
      'twice',
      'twice',
    ]);
    expect(() => light.clone()).toThrow(TypeError);
  });

  it('refuses what the real constructor refuses', () => {
    for (const C of [LightResponse, NativeResponse]) {
      expect(() => new C('x', { status: 199 })).toThrow(RangeError);
      expect(() => new C('x', { status: 600 })).toThrow(RangeError);
      expect(() => new C('x', { status: 204 })).toThrow(TypeError);
      expect(() => new C('x', { status: 304 })).toThrow(TypeError);
      const locked = streamOf('x');
      locked.getReader();
      expect(() => new C(locked)).toThrow(TypeError);
    }
  });

  it('keeps the statics: json, redirect, error', async () => {
    const json = LightResponse.json({ a: [1] }, { status: 201, headers: { 'x-a': 'b' } });
    const oracle = NativeResponse.json({ a: [1] }, { status: 201, headers: { 'x-a': 'b' } });
    expect(members(json)).toEqual(members(oracle));
    expect(await json.json()).toEqual({ a: [1] });
    expect(() => LightResponse.json(undefined)).toThrow(TypeError);
    const redirect = LightResponse.redirect('http://x.test/next', 307);
    expect([redirect.status, redirect.headers.get('location')]).toEqual([307, 'http://x.test/next']);
    expect(() => LightResponse.redirect('http://x.test/', 200)).toThrow(RangeError);
    expect([LightResponse.error().type, LightResponse.error().status]).toEqual(['error', 0]);
  });
});

describe('instanceof and installation', () => {
  it('holds both ways, and for subclasses only their own', () => {
    const light = new LightResponse('x');
    const native = new NativeResponse('y');
    expect(light).toBeInstanceOf(NativeResponse);
    expect(light).toBeInstanceOf(LightResponse);
    expect(native).toBeInstanceOf(LightResponse);
    class Mine extends LightResponse {}
    expect(new Mine('z')).toBeInstanceOf(Mine);
    expect(light).not.toBeInstanceOf(Mine);
    expect({ status: 200 }).not.toBeInstanceOf(LightResponse);
    expect(Object.prototype.toString.call(light)).toBe('[object Response]');
  });

  it('installs idempotently and uninstalls back to undici', () => {
    expect(globalThis.Response).toBe(NativeResponse);
    installFastResponse();
    installFastResponse();
    expect(globalThis.Response).toBe(LightResponse);
    const made = new Response('via the global');
    expect(made).toBeInstanceOf(LightResponse);
    expect(new NativeResponse('n')).toBeInstanceOf(Response);
    uninstallFastResponse();
    expect(globalThis.Response).toBe(NativeResponse);
    expect(made).toBeInstanceOf(Response);
  });
});
