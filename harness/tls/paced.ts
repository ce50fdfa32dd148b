/**
 * The normal clients of the hostile TLS measurements (test/hardening/tls-hostile.test.ts and
 * `npm run hostile -- --only tls`): four keep-alive HTTPS connections, each sending `GET /` and
 * pausing 5 ms after every answer, so their latency is the server's, not a queue they built.
 * Must not: import a test runner, or judge the figures.
 */

import { request } from 'undici';
import type { Agent } from 'undici';

const CLIENTS = 4;
const PAUSE_MS = 5;

/** Latencies (ms, sorted) of the paced clients' answered requests for `ms`; failures counted. */
export async function pacedHttps(
  port: number,
  agent: Agent,
  ms: number,
): Promise<{ lat: number[]; failed: number }> {
  const lat: number[] = [];
  let failed = 0;
  const end = Date.now() + ms;
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const started = performance.now();
      try {
        const res = await request(`https://127.0.0.1:${port}/`, { dispatcher: agent });
        await res.body.text();
        if (res.statusCode === 200) lat.push(performance.now() - started);
        else failed++;
      } catch {
        failed++;
      }
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, loop));
  return { lat: lat.sort((a, b) => a - b), failed };
}
