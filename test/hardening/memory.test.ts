/**
 * Memory follows bytes, not pieces (issue 16 §1): many concurrent bodies cut into 1-byte chunks
 * keep a worker's RSS (read from /proc) within a stated bound of the bytes they carry. Before the
 * fix each 1-byte chunk cost a Buffer of its own: one 1 MiB body took a worker ~110 MB.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { piecewiseUpload } from '../../harness/clients/piecewise.ts';
import type { Cluster } from '../../harness/cluster.ts';
import { MiB, startHardeningCluster, unplannedExits } from '../../harness/hardening/cluster.ts';

const BODY = 256 * 1024;
const READERS = 16; // `/x`: the whole body with `bytes()`
const ITERATORS = 8; // `/sink`: the body read piece by piece, nothing kept
/** Allowance over the idle worker: the young generation and allocator slack, whatever the load. */
const BASE_ALLOWANCE = 64 * MiB;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startHardeningCluster({ env: { SAMOVAR_WORKERS: '1' } });
});

afterAll(async () => {
  await cluster?.destroy();
});

describe('bodies of 1-byte chunks', () => {
  it(`${READERS + ITERATORS} at once cost about their bytes, not their pieces`, async () => {
    const [pid] = cluster.liveWorkers() as [number];
    // Warm the worker (code paths compiled, pools made) so the idle figure is the settled one.
    await piecewiseUpload(cluster.port, '/x', { bodyBytes: 4096 });
    const idle = rssOf(pid);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
    const uploads = [
      ...Array.from({ length: READERS }, () => piecewiseUpload(cluster.port, '/x', { bodyBytes: BODY })),
      ...Array.from({ length: ITERATORS }, (_, i) =>
        piecewiseUpload(cluster.port, '/sink', { bodyBytes: BODY, extension: i % 2 ? ';a=b' : '' }),
      ),
    ];
    const results = await Promise.all(uploads);
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(pid));
    for (const r of results) expect(r.status).toBe('HTTP/1.1 200 OK');
    const sinks = results.slice(READERS).map((r) => r.answer.slice(r.answer.indexOf('\r\n\r\n') + 4));
    for (const s of sinks) expect(JSON.parse(s)).toEqual({ received: BODY });
    // Each body may be held twice (its pieces, then the gathered copy) while it is read.
    const bound = idle + BASE_ALLOWANCE + (READERS + ITERATORS) * 2 * BODY;
    expect(peak, `peak ${Math.round(peak / MiB)} MiB, idle ${Math.round(idle / MiB)} MiB`).toBeLessThan(
      bound,
    );
    expect(unplannedExits(cluster)).toEqual([]);
  });
});
