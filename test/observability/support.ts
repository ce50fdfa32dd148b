/**
 * Helpers for the observability tests: start a cluster with its metrics port (and learn the
 * port from the `listen` line), scrape it, and read the Prometheus text format back into
 * samples the tests can sum.
 * Must not: reach into the cluster other than over HTTP, signals and its log.
 */

import { request } from 'node:http';
import { startCluster } from '../../harness/cluster.ts';
import type { Cluster, StartOptions } from '../../harness/cluster.ts';

export const ENTRY = 'test/observability/fixtures/entry.ts';

export interface MetricsCluster {
  readonly cluster: Cluster;
  readonly metricsPort: number;
}

/** A cluster of `workers` (default 2, round-robin so each gets its share) with its metrics port. */
export async function startMetricsCluster(options: StartOptions = {}): Promise<MetricsCluster> {
  const cluster = await startCluster({
    entry: ENTRY,
    ...options,
    env: { SAMOVAR_CLUSTER_SCHEDULING_POLICY: 'rr', ...options.env },
  });
  try {
    const line = await cluster.waitFor('listen', () => true, { timeoutMs: 10_000 });
    return { cluster, metricsPort: line.port as number };
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly text: string;
  readonly samples: readonly Sample[];
  readonly types: ReadonlyMap<string, string>;
}

/** Parses the text format (enough of it for these tests: no escapes inside label values). */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { text, samples, types };
}

/** Sum of every sample named `name` whose labels include `where`. */
export function sum(e: Exposition, name: string, where: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const s of e.samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

export interface Scraped {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly exposition: Exposition;
  readonly ms: number;
}

export function scrape(port: number, timeoutMs = 10_000): Promise<Scraped> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              contentType: res.headers['content-type'],
              exposition: parseExposition(body),
              ms: Date.now() - started,
            });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`scrape timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request on a fresh connection, with optional headers and method. */
export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends `count` GETs of `path`, `parallel` at a time, each on its own connection. */
export async function sendMany(port: number, path: string, count: number, parallel = 8): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      answers.push(await send(port, path));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
  return answers;
}
