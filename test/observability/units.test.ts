/**
 * The observability modules on their own, without processes: request ids, the HTTP metric cells
 * (label bounds, no allocation on the hot path), the text format, the cluster aggregate
 * (policies, retired totals, workers left out of a scrape) and the scrape bookkeeping.
 */

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  AccessLog,
  type AccessRequest,
  createLogger,
  LineSink,
  roundMs,
  isSafeRequestId,
  MAX_REQUEST_ID_LENGTH,
  RequestIds,
} from '../../src/log/index.ts';
import { Scrapes } from '../../src/cluster/scrape.ts';
import {
  ClusterAggregate,
  HttpMetrics,
  MAX_ROUTES,
  renderFamilies,
  type FamilySnapshot,
} from '../../src/metrics/index.ts';
import { parseExposition, sum } from './support.ts';

/** A temporary log file for `fn` (its descriptor and path), closed and removed afterwards. */
async function withLogFile(fn: (fd: number, file: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'samovar-access-'));
  const file = join(dir, 'log');
  const fd = openSync(file, 'w');
  try {
    await fn(fd, file);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('request ids', () => {
  it.each([
    ['abc-123', true],
    ['0f8fad5b-d9cb-469f-a165-70867728950e', true],
    ['svc:a/b+c=@~_.', true],
    ['x'.repeat(MAX_REQUEST_ID_LENGTH), true],
    ['x'.repeat(MAX_REQUEST_ID_LENGTH + 1), false],
    ['', false],
    ['a b', false],
    ['a"b', false],
    ['a\r\nX-Evil: 1', false],
    ['<script>', false],
    ['tée', false],
    ['a,b', false],
  ])('%j is safe: %s', (id, safe) => {
    expect(isSafeRequestId(id)).toBe(safe);
  });

  it('keeps a safe inbound id and makes unique ones otherwise', () => {
    const a = new RequestIds(1, 'boot01');
    const b = new RequestIds(2, 'boot01');
    expect(a.next('given-1')).toBe('given-1');
    expect(a.next('bad id')).toBe('boot01-1-1');
    expect(a.next(undefined)).toBe('boot01-1-2');
    expect(b.next(undefined)).toBe('boot01-2-1');
    const ids = new Set(Array.from({ length: 1000 }, () => a.next(undefined)));
    expect(ids.size).toBe(1000);
    expect(new RequestIds(1).next(undefined)).not.toBe(new RequestIds(1).next(undefined));
  });
});

describe('access log', () => {
  function capture(): { lines: string[]; stream: Writable } {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done): void {
        lines.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter((l) => l !== ''),
        );
        done();
      },
    });
    return { lines, stream };
  }
  interface Record_ {
    reqId: string;
    method: string;
    path: string;
    route: string;
    status: number;
    outcome: string;
    bytes: number;
    reqBytes: number;
    durationMs: number;
    remote: string;
    userAgent?: string;
  }
  /** Writes `r`'s line as the request observer does: the request, the answer, body bytes, time. */
  function writeRecord(access: AccessLog, r: Record_): void {
    const req = {
      id: r.reqId,
      method: r.method,
      path: r.path,
      route: r.route,
      remoteAddress: r.remote,
      tls: null,
      get: (name: string) => (name === 'user-agent' ? r.userAgent : undefined),
    };
    access.write(
      req,
      { statusCode: r.status, outcome: r.outcome, bodyBytes: r.bytes },
      r.reqBytes,
      r.durationMs,
    );
  }
  /** A `GET /` as the access line reads it, with these fields changed (`tls` for a TLS one). */
  function accessRequest(fields: Partial<AccessRequest> = {}): AccessRequest {
    return {
      id: 'r',
      method: 'GET',
      path: '/',
      route: '/',
      remoteAddress: '1.2.3.4:5',
      tls: null,
      get: () => undefined,
      ...fields,
    };
  }
  const record: Record_ = {
    reqId: 'r-1',
    method: 'GET',
    path: '/a"b\\c',
    route: 'unmatched',
    status: 404,
    outcome: 'completed',
    bytes: 10,
    reqBytes: 0,
    durationMs: 0.25,
    remote: '127.0.0.1:1234',
    userAgent: 'evil"\n{"level":"fatal"}',
  };

  it('writes pino-shaped JSON lines that no client string can break', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({
      level: 'info',
      base: { role: 'worker', workerId: 3 },
      destination: stream,
    });
    const access = new AccessLog(logger, 'on', 1);
    logger.info({ event: 'before' }, 'first');
    if (access.wanted()) writeRecord(access, record);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
    const line = JSON.parse(lines[1] as string) as Record<string, unknown>;
    // The fields of few values (method, route, status, outcome) sit together: one cached run of bytes.
    expect(Object.keys(line)).toEqual([
      ...['level', 'time', 'pid', 'role', 'workerId', 'event', 'reqId'],
      ...['method', 'route', 'status', 'outcome', 'path', 'bytes', 'reqBytes', 'durationMs', 'remote'],
      ...['userAgent', 'msg'],
    ]);
    expect(line).toMatchObject({
      level: 'info',
      pid: process.pid,
      role: 'worker',
      workerId: 3,
      event: 'access',
      msg: 'request',
      ...record,
    });
    expect(Object.keys(JSON.parse(lines[0] as string) as object).slice(0, 5)).toEqual([
      'level',
      'time',
      'pid',
      'role',
      'workerId',
    ]);
  });

  it('escapes every string field: quotes, backslashes, controls, DEL, non-ASCII, lone surrogates', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', base: {}, destination: stream });
    const access = new AccessLog(logger, 'on', 1);
    const hostile = [
      '"',
      '\\',
      '\n',
      '\r',
      '\u0000',
      '\u001f',
      '\u007f',
      'é',
      '€',
      '\u2028',
      '\ud800',
      '𝄞',
      'plain',
    ];
    const fields = ['reqId', 'method', 'path', 'route', 'remote', 'userAgent'] as const;
    const written: Record<string, unknown>[] = [];
    for (const field of fields) {
      for (const h of hostile) {
        const r = { ...record, [field]: `a${h}b` };
        written.push(r);
        writeRecord(access, r);
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(written.length);
    lines.forEach((text, i) => {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const want = written[i] as Record<string, unknown>;
      // A lone surrogate cannot survive UTF-8; JSON.stringify escapes it, so it round-trips.
      for (const field of fields) expect(parsed[field]).toBe(want[field]);
    });
  });

  it("builds lines in the sink's own buffer: in order with pino's lines, every field exact", async () => {
    await withLogFile((fd, file) => {
      const sink = new LineSink({ fd, flushOnExit: false });
      const logger = createLogger({
        level: 'info',
        base: { role: 'worker', workerId: 7 },
        destination: sink,
      });
      const access = new AccessLog(logger, 'on', 1);
      const written: Record_[] = [];
      const durations = [0, 0.0004, 0.0005, 0.001, 0.25, 0.1 + 0.2, 1, 9.999, 12.0004, 123456.789, 1e9 + 0.5];
      const sizes = [0, 1, 9, 10, 99, 100, 65535, 2 ** 31, 2 ** 53 - 1];
      const hostile = ['plain', 'a"b', 'a\\b', '\n', 'é', '€', '\ud800', '𝄞', '\u007f', 'x'.repeat(300)];
      let n = 0;
      for (const durationMs of durations) {
        for (const bytes of sizes) {
          const h = hostile[n++ % hostile.length] as string;
          const r: Record_ = {
            ...record,
            reqId: `id-${n}`,
            path: `/p/${h}`,
            route: n % 3 === 0 ? h : '/p/:x',
            status: 100 + (n % 500),
            bytes,
            reqBytes: sizes[(n + 3) % sizes.length] as number,
            durationMs,
            remote: n % 2 === 0 ? '[::1]:5' : `127.0.0.${n}:${n * 7}`,
            userAgent: n % 4 === 0 ? undefined : `agent ${h}`,
          };
          if (r.userAgent === undefined) delete r.userAgent;
          written.push(r);
          writeRecord(access, r);
          // A pino line between access lines keeps its place.
          if (n % 10 === 0) logger.warn({ event: 'between', n }, 'between');
        }
      }
      sink.flushSync();
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const accessLines = parsed.filter((l) => l.event === 'access');
      expect(accessLines).toHaveLength(written.length);
      expect(parsed.filter((l) => l.event === 'between').map((l) => l.n)).toEqual(
        Array.from({ length: Math.floor(written.length / 10) }, (_, i) => (i + 1) * 10),
      );
      // The pino line comes right after the tenth access line of each ten.
      expect(parsed[10]).toMatchObject({ event: 'between', n: 10 });
      accessLines.forEach((line, i) => {
        const want = written[i] as Record_;
        const { durationMs, ...rest } = want;
        expect(line).toMatchObject({
          level: 'info',
          pid: process.pid,
          role: 'worker',
          workerId: 7,
          msg: 'request',
          ...rest,
        });
        expect(line.durationMs).toBe(roundMs(durationMs));
        expect('userAgent' in line).toBe(want.userAgent !== undefined);
        expect(Math.abs((line.time as number) - Date.now())).toBeLessThan(60_000);
      });
    });
  });

  it('writes the TLS facts as an object, and the subject only when a client certificate verified', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', base: {}, destination: stream });
    const access = new AccessLog(logger, 'on', 1);
    const tlsFacts = [
      {
        protocol: 'TLSv1.3',
        cipher: 'TLS_AES_128_GCM_SHA256',
        servername: 'a.example',
        resumed: true,
        clientSubject: '',
      },
      {
        protocol: 'TLSv1.2',
        cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
        servername: '',
        resumed: false,
        clientSubject: 'CN=al"ice, O=Ex',
      },
    ];
    for (const tls of tlsFacts) {
      access.write(accessRequest({ tls }), { statusCode: 200, outcome: 'completed', bodyBytes: 2 }, 0, 1);
    }
    await new Promise((resolve) => setImmediate(resolve));
    const got = lines.map((l) => (JSON.parse(l) as { tls: unknown }).tls);
    expect(got).toEqual([
      { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', sni: 'a.example', resumed: true },
      {
        protocol: 'TLSv1.2',
        cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
        sni: '',
        resumed: false,
        clientSubject: 'CN=al"ice, O=Ex',
      },
    ]);
  });

  it("into a LineSink: a quiet worker's queued line is built and written by the sink's delayed write alone", async () => {
    await withLogFile(async (fd, file) => {
      const sink = new LineSink({ fd, flushOnExit: false, flushDelayMs: 40 });
      const access = new AccessLog(createLogger({ level: 'info', base: {}, destination: sink }), 'on', 1);
      const started = performance.now();
      writeRecord(access, { ...record, reqId: 'quiet' });
      await new Promise((resolve) => setImmediate(resolve));
      // Turns later, nothing yet (unless the machine took the whole delay) …
      if (performance.now() - started < 30) expect(readFileSync(file, 'utf8')).toBe('');
      // … and once the delay is over, the line, with no flush, write or exit to trigger it.
      await new Promise((resolve) => setTimeout(resolve, 120));
      const line = JSON.parse(readFileSync(file, 'utf8')) as { reqId: string; event: string };
      expect(line).toMatchObject({ reqId: 'quiet', event: 'access' });
    });
  });

  it('into a LineSink: builds the lines when the sink writes, at the end of a busy turn, before any other line, and at exit', async () => {
    await withLogFile(async (fd, file) => {
      // A worker's sink writes 20 ms after its first line; this one would wait a minute.
      const sink = new LineSink({ fd, flushOnExit: false, flushDelayMs: 60_000 });
      const logger = createLogger({ level: 'info', base: {}, destination: sink });
      const access = new AccessLog(logger, 'on', 1);
      const lines = (): { reqId?: string; time: number }[] =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as { reqId?: string; time: number });
      const ids = (): string[] => lines().map((l) => l.reqId ?? 'pino');
      const turn = (): Promise<unknown> => new Promise((resolve) => setImmediate(resolve));
      // Queued, not built, also after the turn: a quiet turn costs no callback of its own.
      for (let i = 0; i < 3; i++) writeRecord(access, { ...record, reqId: `t${i}` });
      await turn();
      expect(sink.pendingBytes).toBe(0);
      // A pino line written while lines are queued comes after them.
      logger.info('pino');
      expect(sink.pendingBytes).toBeGreaterThan(0);
      sink.flushSync();
      expect(ids()).toEqual(['t0', 't1', 't2', 'pino']);
      // A busy turn (257 queued) builds them at its end.
      for (let i = 0; i < 257; i++) writeRecord(access, { ...record, reqId: `b${i}` });
      expect(sink.pendingBytes).toBe(0);
      await turn();
      expect(sink.pendingBytes).toBeGreaterThan(0);
      sink.flushSync();
      // A turn that queues 4096 builds them without waiting for its end.
      for (let i = 0; i < 4096; i++) writeRecord(access, { ...record, reqId: `c${i}` });
      expect(sink.pendingBytes).toBeGreaterThan(0);
      sink.flushSync();
      expect(ids().slice(4)).toEqual([
        ...Array.from({ length: 257 }, (_, i) => `b${i}`),
        ...Array.from({ length: 4096 }, (_, i) => `c${i}`),
      ]);
      // Stamped with the time each was answered: not back by under a millisecond (the clocks'
      // jitter), back by seconds when the wall clock was set back; the exit flush builds them.
      const before = lines().length;
      const req = accessRequest({ id: 'old' });
      const res = { statusCode: 200, outcome: 'completed', bodyBytes: 0 };
      const answered = performance.now() - 5000;
      const wall = Date.now() - 5000;
      const fresh = new AccessLog(logger, 'on', 1);
      fresh.write(req, res, 0, 1, answered);
      // Under a millisecond earlier: the same time (no line goes back by the clocks' jitter).
      fresh.write(accessRequest({ id: 'jitter' }), res, 0, 1, answered - 0.9);
      // Seconds earlier (a wall clock set back): its own time.
      fresh.write(accessRequest({ id: 'older' }), res, 0, 1, answered - 3000);
      sink.flushSync();
      const [old, jitter, older] = lines().slice(before);
      expect(old?.reqId).toBe('old');
      expect(Math.abs((old?.time as number) - wall)).toBeLessThanOrEqual(2);
      expect(jitter?.time).toBe(old?.time);
      expect(older?.time).toBe((old?.time as number) - 3000);
    });
  });

  it('into a LineSink: reads the TLS facts when the request is answered, not when its line is built', async () => {
    await withLogFile((fd, file) => {
      const sink = new LineSink({ fd, flushOnExit: false });
      const access = new AccessLog(createLogger({ level: 'info', base: {}, destination: sink }), 'on', 1);
      // TlsFacts reads each fact from its socket once and keeps it; a socket already destroyed
      // by the turn's end would answer nothing.
      let socketGone = false;
      const fact = (value: string) => () => (socketGone ? '' : value);
      const tls = {
        resumed: false,
        servername: 'a.example',
        protocol: '',
        cipher: '',
        clientSubject: '',
      };
      const kept: Record<string, string> = {};
      for (const [name, value] of [
        ['protocol', 'TLSv1.3'],
        ['cipher', 'TLS_AES_256_GCM_SHA384'],
        ['clientSubject', 'CN=alice'],
      ] as const) {
        const read = fact(value);
        Object.defineProperty(tls, name, { get: () => (kept[name] ??= read()) });
      }
      access.write(accessRequest({ tls }), { statusCode: 200, outcome: 'completed', bodyBytes: 2 }, 0, 1);
      socketGone = true;
      sink.flushSync();
      const line = JSON.parse(readFileSync(file, 'utf8')) as { tls: unknown };
      expect(line.tls).toEqual({
        protocol: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        sni: 'a.example',
        resumed: false,
        clientSubject: 'CN=alice',
      });
    });
  });

  it('follows the logger level and samples one in N', () => {
    const { stream } = capture();
    const logger = createLogger({ level: 'info', base: {}, destination: stream });
    const sampled = new AccessLog(logger, 'sampled', 4);
    expect(Array.from({ length: 12 }, () => sampled.wanted()).filter(Boolean)).toHaveLength(3);
    const on = new AccessLog(logger, 'on', 1);
    logger.level = 'warn';
    expect(on.wanted()).toBe(false);
    logger.level = 'debug';
    expect(on.wanted()).toBe(true);
    expect(new AccessLog(logger, 'off', 1).wanted()).toBe(false);
  });
});

function familiesOf(m: HttpMetrics): FamilySnapshot[] {
  return m.snapshot();
}

describe('HTTP metrics', () => {
  it('labels by method, route template and status; unknown methods are _OTHER', () => {
    const m = new HttpMetrics();
    m.observe('GET', '/users/:id', 200, 0, 10, 0.002);
    m.observe('GET', '/users/:id', 200, 0, 30, 0.2);
    m.observe('BREW', 'unmatched', 405, 5, 0, 0.001);
    const e = parseExposition(renderFamilies(familiesOf(m)));
    expect(
      sum(e, 'http_server_requests_total', { method: 'GET', route: '/users/:id', status_code: '200' }),
    ).toBe(2);
    expect(sum(e, 'http_server_requests_total', { method: '_OTHER' })).toBe(1);
    expect(sum(e, 'http_server_response_body_bytes_sum')).toBe(40);
    expect(sum(e, 'http_server_request_body_bytes_sum')).toBe(5);
    expect(sum(e, 'http_server_request_duration_seconds_bucket', { route: '/users/:id', le: '0.0025' })).toBe(
      1,
    );
    expect(sum(e, 'http_server_request_duration_seconds_bucket', { route: '/users/:id', le: '0.25' })).toBe(
      2,
    );
  });

  it('caps distinct routes: past MAX_ROUTES they share `_overflow`', () => {
    const m = new HttpMetrics();
    for (let i = 0; i < MAX_ROUTES + 50; i++) m.observe('GET', `/r${i}`, 200, 0, 0, 0);
    const e = parseExposition(renderFamilies(familiesOf(m)));
    const routes = new Set(
      e.samples.filter((s) => s.name === 'http_server_requests_total').map((s) => s.labels.route),
    );
    expect(routes.size).toBe(MAX_ROUTES + 1);
    expect(sum(e, 'http_server_requests_total', { route: '_overflow' })).toBe(50);
  });

  it('counts without allocating: a million observations cause no garbage collection', () => {
    const m = new HttpMetrics();
    const routes = ['/', '/users/:id', 'unmatched'];
    const methods = ['GET', 'POST', 'PATCH'];
    for (let i = 0; i < 1000; i++)
      m.observe(methods[i % 3] as string, routes[i % 3] as string, 200 + (i % 2), 0, 13, 0.001);
    // A collection already under way (incremental marking of earlier tests' garbage) may
    // finish inside the loop; start each measurement from a full collection so only the
    // loop's own allocations can cause one.
    v8.setFlagsFromString('--expose-gc');
    const collect = vm.runInNewContext('gc') as () => void;
    const gcs = (work: () => void): number => {
      collect();
      const profiler = new v8.GCProfiler();
      profiler.start();
      work();
      return profiler.stop()?.statistics.length ?? 0;
    };
    const ours = gcs(() => {
      for (let i = 0; i < 1_000_000; i++) {
        m.observe(methods[i % 3] as string, routes[i % 3] as string, 200 + (i % 2), i & 1023, 13, 0.001);
      }
    });
    // The same loop through prom-client's labelled counter allocates (a label hash per call).
    const registry = new Registry();
    const counter = new Counter({
      name: 'x_total',
      help: 'x',
      labelNames: ['method', 'route'],
      registers: [registry],
    });
    const theirs = gcs(() => {
      for (let i = 0; i < 1_000_000; i++) counter.inc({ method: methods[i % 3], route: routes[i % 3] });
    });
    expect(ours).toBe(0);
    expect(theirs).toBeGreaterThan(0);
  });
});

describe('text format', () => {
  it('escapes label values and help, and orders histogram lines', () => {
    const text = renderFamilies([
      {
        name: 'a_total',
        help: 'line\\one\ntwo',
        type: 'counter',
        values: [{ value: 1, labels: { p: 'x"y\\z\nw' } }],
      },
      {
        name: 'h',
        help: 'h',
        type: 'histogram',
        values: [
          { value: 3, labels: {}, metricName: 'h_count' },
          { value: 3, labels: { le: '+Inf' }, metricName: 'h_bucket' },
          { value: 2, labels: { le: 1 }, metricName: 'h_bucket' },
          { value: 0.5, labels: {}, metricName: 'h_sum' },
          { value: 1, labels: { le: 0.1 }, metricName: 'h_bucket' },
        ],
      },
      { name: 'g', help: 'g', type: 'gauge', values: [{ value: null, labels: {} }] },
    ]);
    expect(text).toBe(
      [
        '# HELP a_total line\\\\one\\ntwo',
        '# TYPE a_total counter',
        'a_total{p="x\\"y\\\\z\\nw"} 1',
        '# HELP h h',
        '# TYPE h histogram',
        'h_bucket{le="0.1"} 1',
        'h_bucket{le="1"} 2',
        'h_bucket{le="+Inf"} 3',
        'h_sum 0.5',
        'h_count 3',
        '# HELP g g',
        '# TYPE g gauge',
        'g NaN',
        '',
      ].join('\n'),
    );
  });
});

const counter = (n: number): FamilySnapshot => ({
  name: 'http_server_requests_total',
  help: 'r',
  type: 'counter',
  values: [{ value: n, labels: { method: 'GET' } }],
});
const gauge = (name: string, n: number): FamilySnapshot => ({
  name,
  help: name,
  type: 'gauge',
  values: [{ value: n, labels: {} }],
});

describe('cluster aggregate', () => {
  it('sums amounts, labels per-process values by worker, keeps one info series', () => {
    const agg = new ClusterAggregate();
    const info: FamilySnapshot = {
      name: 'nodejs_version_info',
      help: 'v',
      type: 'gauge',
      values: [{ value: 1, labels: { version: 'v24' } }],
    };
    agg.update('1', 1, [
      counter(3),
      gauge('process_resident_memory_bytes', 100),
      gauge('process_start_time_seconds', 10),
      info,
    ]);
    agg.update('2', 1, [
      counter(4),
      gauge('process_resident_memory_bytes', 50),
      gauge('process_start_time_seconds', 20),
      info,
    ]);
    const e = parseExposition(
      agg.render([gauge('process_start_time_seconds', 5), info], new Set(['1', '2'])),
    );
    expect(sum(e, 'http_server_requests_total')).toBe(7);
    expect(sum(e, 'process_resident_memory_bytes')).toBe(150);
    expect(
      e.samples.filter((s) => s.name === 'process_start_time_seconds').map((s) => s.labels.worker),
    ).toEqual(['1', '2', 'primary']);
    expect(e.samples.filter((s) => s.name === 'nodejs_version_info').map((s) => s.value)).toEqual([1]);
  });

  it('never lets a counter go down: stale snapshots are ignored, retired workers kept', () => {
    const agg = new ClusterAggregate();
    agg.update('1', 2, [counter(10), gauge('process_resident_memory_bytes', 100)]);
    agg.update('1', 1, [counter(5)]); // older, arriving late
    agg.update('2', 1, [counter(1)]);
    const total = (fresh: string[]): number =>
      sum(parseExposition(agg.render([], new Set(fresh))), 'http_server_requests_total');
    expect(total(['1', '2'])).toBe(11);
    // Worker 1 did not answer this scrape: its gauges are left out, its counters are not.
    const stale = parseExposition(agg.render([], new Set(['2'])));
    expect(sum(stale, 'http_server_requests_total')).toBe(11);
    expect(stale.samples.some((s) => s.name === 'process_resident_memory_bytes')).toBe(false);
    agg.retire('1');
    agg.update('3', 1, [counter(2)]);
    expect(total(['2', '3'])).toBe(13);
    agg.retire('2');
    agg.retire('3');
    expect(total([])).toBe(13);
    expect(agg.retiredCount).toBe(3);
  });
});

describe('scrapes', () => {
  it('ends when every worker answered, or at the timeout with the rest missed', async () => {
    const scrapes = new Scrapes();
    const asked: number[] = [];
    const targets = ['1', '2', '3'].map((key) => ({
      key,
      ask: (id: number) => (asked.push(id), key !== '3'),
    }));
    const pending = scrapes.run(targets, 10_000);
    const id = asked[0] as number;
    scrapes.answered('1', id);
    scrapes.gone('2');
    expect(await pending).toEqual({ fresh: new Set(['1']), missed: 2 });
    const started = Date.now();
    const late = await scrapes.run([{ key: '9', ask: () => true }], 50);
    expect(late.missed).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
