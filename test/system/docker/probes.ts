/**
 * Small clients for the live container test: a port to use on 127.0.0.1, a raw HTTP request,
 * and queries to Prometheus' HTTP API (one-off, or polled until a value holds).
 * Must not: reach any address but 127.0.0.1.
 */

import net from 'node:net';
import { freePort, sleep } from '../../../harness/cluster.ts';

/** `preferred` when nothing listens there on 127.0.0.1, else a free port. */
export async function portOrFree(preferred: number, taken: readonly number[]): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (free && !taken.includes(preferred)) return preferred;
  for (;;) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
}

/** Writes `text` on a fresh connection and resolves with everything read until the server closes. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

export interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

export async function promQuery(
  port: number,
  promql: string,
): Promise<{ status: string; result: PromResult[]; error?: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`, {
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await response.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
  return { status: body.status, result: body.data?.result ?? [], error: body.error };
}

/** Polls `promql` until its first value satisfies `done` (at most `timeoutMs`). */
export async function waitForValue(
  port: number,
  promql: string,
  done: (value: number) => boolean,
  timeoutMs = 40_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = NaN;
  while (Date.now() < deadline) {
    try {
      const { result } = await promQuery(port, promql);
      last = result.length > 0 ? Number(result[0]?.value[1]) : NaN;
      if (!Number.isNaN(last) && done(last)) return last;
    } catch {
      // Prometheus not answering yet.
    }
    await sleep(500);
  }
  throw new Error(`${promql} never satisfied within ${timeoutMs} ms (last value ${last})`);
}
