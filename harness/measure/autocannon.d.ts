/**
 * The slice of autocannon 8's API that the runner, the in-process steady GETs and the cluster
 * policy benchmark use (the package ships no types).
 * Must not: grow beyond what harness/ and load/ call; field meanings are autocannon's README's.
 */
declare module 'autocannon' {
  export interface AutocannonOptions {
    url: string;
    connections: number;
    duration: number;
    pipelining: number;
    method: string;
    body?: string;
    headers?: Record<string, string>;
    expectBody?: string;
    timeout?: number;
    requests?: { method: string; path: string; body?: string }[];
  }

  export interface Histogram {
    average: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
    total: number;
  }

  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram & { sent: number };
    throughput: Histogram;
  }

  function autocannon(options: AutocannonOptions): Promise<AutocannonResult>;
  export default autocannon;
}
