/**
 * The request deadline as an operator sets it (issue 16 §2): `SAMOVAR_TIMEOUTS_*` on a real
 * cluster, a client dripping its body one byte at a time (never idle for the body timeout), the
 * 408 it gets, and the `REQUEST_TIMEOUT` count on the metrics port. The engine's own tests are in
 * test/integration/timeouts.test.ts.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, sleep, type Cluster } from '../../harness/cluster.ts';
import { startHardeningCluster } from '../../harness/hardening/cluster.ts';

let cluster: Cluster;
let metricsPort: number;

beforeAll(async () => {
  cluster = await startHardeningCluster({
    env: {
      SAMOVAR_WORKERS: '1',
      SAMOVAR_METRICS_ENABLED: 'true',
      SAMOVAR_METRICS_PORT: '0',
      SAMOVAR_TIMEOUTS_BODY_TIMEOUT_MS: '400',
      SAMOVAR_TIMEOUTS_REQUEST_TIMEOUT_MS: '900',
    },
  });
  metricsPort = (await cluster.waitFor('listen', () => true, { timeoutMs: 10_000 })).port as number;
});

afterAll(async () => {
  await cluster?.destroy();
});

describe('timeouts.requestTimeoutMs from the environment', () => {
  it('answers a body dripped a byte every 150 ms with 408 at the deadline, and counts it', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(cluster.port, '127.0.0.1');
      let text = '';
      const drip = setInterval(() => socket.writable && socket.write('x'), 150);
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (text += d));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(drip);
        resolve(text);
      });
      socket.write('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n');
    });
    const elapsed = Date.now() - started;
    expect(answer.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(answer.endsWith('Request timeout\n')).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(850);
    expect(elapsed).toBeLessThan(3_000);
    // Workers push their counts every 200 ms.
    const counted = /^http_server_protocol_errors_total\{code="REQUEST_TIMEOUT"\} (\d+)/m;
    let value = 0;
    for (let i = 0; i < 30 && value === 0; i++) {
      value = Number(counted.exec((await get(metricsPort, '/metrics')).body)?.[1] ?? 0);
      if (value === 0) await sleep(100);
    }
    expect(value).toBe(1);
  });
});
