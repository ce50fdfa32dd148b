/**
 * The example applications as the live container test runs them in Samovar's image: what each
 * must answer (examples/native mounted through the compose switch, examples/hono built FROM the
 * image), waiting for the first answer, and how a container ended (the engine's `die` event).
 * Must not: reach any address but 127.0.0.1, or start containers itself (the test does, so it
 * can remove them).
 */

import { expect } from 'vitest';
import { sleep } from '../../../harness/cluster.ts';
import type { Engine } from './engine.ts';

const ANSWER_TIMEOUT_MS = 5_000;

async function get(port: number, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
  });
}

/** Polls `GET path` until it answers 200 (a worker is serving), at most `timeoutMs`. */
export async function waitForAnswer(port: number, path: string, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  let last = 'no answer';
  while (Date.now() - started < timeoutMs) {
    try {
      const response = await get(port, path);
      await response.arrayBuffer();
      if (response.status === 200) return Date.now() - started;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(250);
  }
  throw new Error(`GET ${path} on 127.0.0.1:${port}: no 200 within ${timeoutMs} ms (${last})`);
}

const countTicks = (text: string): number => text.match(/^event: tick$/gm)?.length ?? 0;

/** examples/native/app.ts: Router, a path parameter, JSON echo, HttpError, server-sent events. */
export async function checkNativeExample(port: number): Promise<void> {
  expect(await (await get(port, '/')).text()).toBe('Hello from a native Samovar app\n');
  expect(await (await get(port, '/greet/tea')).json()).toEqual({ hello: 'tea' });
  const echo = await get(port, '/echo', { method: 'POST', body: '{"cups":2}' });
  expect(await echo.json()).toEqual({ echo: { cups: 2 } });
  // The app's HttpError is the image's own class (through /node_modules/samovar): 418, not 500.
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
  expect(countTicks(await events.text())).toBe(3);
  expect((await get(port, '/healthz')).status).toBe(200);
}

/** The exit code and time of a container's `die` event since `since` (epoch seconds). */
export async function dieEvent(
  engine: Engine,
  containerId: string,
  since: number,
): Promise<{ exitCode: string | undefined; timeMs: number; raw: string }> {
  const events = await engine.dockerOk([
    'events',
    '--since',
    String(since),
    '--until',
    String(Math.ceil(Date.now() / 1000) + 1),
    '--filter',
    `container=${containerId}`,
    '--filter',
    'event=die',
    '--format',
    '{{json .}}',
  ]);
  const die = JSON.parse(events.stdout.trim().split('\n')[0] ?? '{}') as {
    timeNano?: number;
    Actor?: { Attributes?: Record<string, string> };
  };
  return {
    exitCode: die.Actor?.Attributes?.exitCode,
    timeMs: Math.round((die.timeNano ?? 0) / 1e6),
    raw: events.stdout,
  };
}
