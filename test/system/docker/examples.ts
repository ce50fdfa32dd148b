/**
 * The example applications as the live container test runs them in Samovar's image
 * (examples/native mounted through the compose switch, examples/hono built FROM the image):
 * waiting for the first answer, and how a container ended (the engine's `die` event). What each
 * must answer is test/support/examples.ts's, shared with the npm package test.
 * Must not: reach any address but 127.0.0.1, or start containers itself (the test does, so it
 * can remove them).
 */

import { sleep } from '../../../harness/cluster.ts';
import { get } from '../../support/examples.ts';
import type { Engine } from './engine.ts';

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
