/**
 * What the example applications (examples/native, examples/hono) must answer, wherever they run:
 * installed from the packed npm package (test/package) or in Samovar's container image
 * (test/system/docker). One request per check, each bounded, on 127.0.0.1.
 * Must not: start or stop what serves them (the callers do), or reach any other address.
 */

import { expect } from 'vitest';

const ANSWER_TIMEOUT_MS = 5_000;

/** One request to `path` on 127.0.0.1:`port`, given up after ANSWER_TIMEOUT_MS. */
export function get(port: number, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
  });
}

const countTicks = (text: string): number => text.match(/^event: tick$/gm)?.length ?? 0;

/** examples/native/app.ts: Router, a path parameter, JSON echo, HttpError, server-sent events. */
export async function checkNativeExample(port: number): Promise<void> {
  expect(await (await get(port, '/')).text()).toBe('Hello from a native Samovar app\n');
  expect(await (await get(port, '/greet/tea')).json()).toEqual({ hello: 'tea' });
  const echo = await get(port, '/echo', { method: 'POST', body: '{"cups":2}' });
  expect(await echo.json()).toEqual({ echo: { cups: 2 } });
  // The app's HttpError is the server's own class (the package's, or the image's through
  // /node_modules/samovar): 418, not 500.
  expect((await get(port, '/teapot')).status).toBe(418);
  const events = await get(port, '/ticks');
  expect(events.headers.get('content-type')).toBe('text/event-stream');
  expect(countTicks(await events.text())).toBe(3);
  // Samovar's own health answer, ahead of the application's routes.
  expect((await get(port, '/healthz')).status).toBe(200);
}

/** examples/hono/app.ts: text, JSON echo, a path parameter, server-sent events. */
export async function checkHonoExample(port: number): Promise<void> {
  expect(await (await get(port, '/')).text()).toBe('Hello from Hono on Samovar\n');
  const echo = await get(port, '/echo', {
    method: 'POST',
    body: '{"cups":2}',
    headers: { 'content-type': 'application/json' },
  });
  expect(await echo.json()).toEqual({ echo: { cups: 2 } });
  expect(await (await get(port, '/users/42')).json()).toEqual({ id: '42' });
  const events = await get(port, '/events');
  expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await events.text();
  expect(countTicks(text)).toBe(3);
  expect(text).toContain('data: {"n":3}');
  expect((await get(port, '/healthz')).status).toBe(200);
}
