/**
 * The load lab's pure parts (load/lib): which peers and scenarios `--peers` selects (the access
 * log's peers included), the summary's CPU per 100k requests and log lines per request, the
 * access log's on ÷ off rows and issue 19's goals, the peers' log files (counted, emptied, appended
 * to after emptying without a hole) and the chart's legend. The lab itself (`npm run
 * load:compare`) runs servers for minutes and is never part of `npm test`.
 */
import { closeSync, mkdtempSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { barChartsSvg } from './bar-chart.ts';
import type { CpuWindow } from './cpu.ts';
import type { Measurement } from './generators.ts';
import { issue19Goals, logCostRows, logCostTable } from './log-report.ts';
import { ENGINE_PEERS, LOG_PEERS, parseOptions, UsageError } from './options.ts';
import type { CompareOptions, PeerId } from './options.ts';
import { PeerLog } from './peer-log.ts';
import { markdownTable, SERVER_TITLE, summarize } from './report.ts';
import type { RunRecord } from './report.ts';

function options(...argv: string[]): CompareOptions {
  const parsed = parseOptions(argv);
  if (parsed === null) throw new Error('--help');
  return parsed;
}

describe('load:compare options', () => {
  it('measures the access log both ways by default: Samovar on and off, nginx without a log and with one', () => {
    expect(options().peers).toEqual([
      'samovar',
      'samovar-log-off',
      'node-http',
      'nginx',
      'nginx-log',
      'nginx-log-buffered',
      'node-net',
    ]);
    expect(options().peers).toEqual(ENGINE_PEERS);
  });

  it.each<[string, PeerId[]]>([
    ['logs', ['samovar', 'samovar-log-off', 'node-http', 'nginx', 'nginx-log', 'nginx-log-buffered']],
    ['nginx-log', ['samovar', 'node-http', 'nginx-log']],
    ['samovar-log-off,nginx-log-buffered', ['samovar', 'samovar-log-off', 'node-http', 'nginx-log-buffered']],
    ['apps', ['samovar', 'node-http', 'samovar-native', 'samovar-fetch', 'samovar-hono', 'hono-node']],
  ])('--peers %s', (list, peers) => {
    expect(options('--peers', list).peers).toEqual(peers);
  });

  it('the logs group is every server with its access log both ways', () => {
    expect(LOG_PEERS).toEqual(['samovar', 'samovar-log-off', 'nginx', 'nginx-log', 'nginx-log-buffered']);
  });

  it('refuses an unknown peer, and the log peers under --tls', () => {
    expect(() => options('--peers', 'nginx-logs')).toThrow(UsageError);
    expect(() => options('--tls', '--peers', 'samovar-log-off')).toThrow(/--tls/);
    expect(options('--tls').peers).toEqual(['samovar', 'node-https', 'nginx']);
  });

  it('gives the log peers the scenarios their servers serve', () => {
    const peersOf = (id: string): readonly PeerId[] => options('--scenarios', id).scenarios[0]?.peers ?? [];
    for (const id of ['get', 'get-pipelined', 'close', 'static-1k']) {
      expect(peersOf(id)).toEqual(
        expect.arrayContaining(['samovar-log-off', 'nginx-log', 'nginx-log-buffered']),
      );
    }
    expect(peersOf('echo-1k')).toEqual(['samovar', 'samovar-log-off', 'node-http']);
    expect(peersOf('mix')).not.toContain('nginx-log');
  });

  it('--access-log: on by default, off, nothing else', () => {
    expect(options().accessLog).toBe('on');
    expect(options('--access-log', 'off').accessLog).toBe('off');
    expect(() => options('--access-log', 'warn')).toThrow(UsageError);
  });
});

const QUIET: CpuWindow = { foreignCores: 0, generatorCores: 0.5, loadavg1: 0 };

function run(
  server: PeerId,
  scenario: string,
  rps: number,
  extra: { cores?: number; lines?: number | null; p99Ms?: number; round?: number } = {},
): RunRecord {
  const requests = rps * 10;
  const measurement: Measurement = {
    requests,
    durationS: 10,
    rps,
    p50Ms: 1,
    p99Ms: extra.p99Ms ?? 2,
    errors: 0,
    non2xx: 0,
    detail: {},
  };
  const lines = extra.lines === undefined ? null : extra.lines;
  return {
    round: extra.round ?? 1,
    tool: 'wrk',
    scenario,
    server,
    startedAt: '',
    before: QUIET,
    during: { ...QUIET, serverCores: extra.cores ?? 1 },
    busy: false,
    measurement,
    problems: [],
    log: lines === null ? null : { lines, bytes: lines * 250 },
  };
}

const TITLES = new Map([
  ['get', 'GET / keep-alive ×50'],
  ['get-pipelined', 'GET / pipelined ×10'],
]);

describe('the summary: CPU per 100k requests and log lines per request', () => {
  const runs = [
    run('samovar', 'get', 90_000, { cores: 0.99, lines: 900_000 }),
    run('samovar', 'get', 100_000, { cores: 1, lines: 1_000_900, round: 2 }),
    run('samovar-log-off', 'get', 100_000, { cores: 1, lines: 0 }),
    run('node-http', 'get', 50_000, { cores: 0.75 }),
  ];
  const rows = summarize(runs, TITLES);

  it('CPU s per 100k requests = server cores ÷ req/s × 100k, median over rounds', () => {
    const samovar = rows.find((r) => r.server === 'samovar');
    expect(samovar?.cpuPer100kS.min).toBeCloseTo(1.0, 6);
    expect(samovar?.cpuPer100kS.max).toBeCloseTo(1.1, 6);
    expect(rows.find((r) => r.server === 'node-http')?.cpuPer100kS.median).toBeCloseTo(1.5, 6);
  });

  it('log lines ÷ requests over every round; 0 for a log that is off; null without a log file', () => {
    expect(rows.find((r) => r.server === 'samovar')?.logLinesPerRequest).toBeCloseTo(
      1_900_900 / 1_900_000,
      9,
    );
    expect(rows.find((r) => r.server === 'samovar-log-off')?.logLinesPerRequest).toBe(0);
    expect(rows.find((r) => r.server === 'node-http')?.logLinesPerRequest).toBeNull();
  });

  it('the table has both columns', () => {
    const table = markdownTable(rows);
    expect(table).toContain('| CPU s / 100k req | log lines / req |');
    expect(table).toMatch(/\| Samovar, access log off \| 100,000 \| 1\.00 \| 2\.00 \| 1\.00 \| 0 \|/);
    expect(table).toMatch(/\| node:http \| 50,000 \| 1\.00 \| 2\.00 \| 1\.50 \| {2}\|/);
  });
});

describe('the access log on ÷ off, and issue 19 goals', () => {
  const runs = [
    run('samovar', 'get', 98_000, { lines: 980_000, p99Ms: 1.9 }),
    run('samovar-log-off', 'get', 100_000, { lines: 0 }),
    run('samovar', 'get-pipelined', 300_000, { lines: 3_000_000, cores: 0.6 }),
    run('samovar-log-off', 'get-pipelined', 400_000, { lines: 0, cores: 0.8 }),
    run('node-http', 'get', 70_000, { p99Ms: 2 }),
    run('node-http', 'get-pipelined', 90_000, { p99Ms: 1 }),
    run('nginx', 'get', 140_000),
    run('nginx', 'get-pipelined', 200_000, { cores: 1 }),
    run('nginx-log', 'get', 131_600, { lines: 1_316_000 }),
    run('nginx-log-buffered', 'get', 140_000, { lines: 1_400_000 }),
    run('node-net', 'get', 110_000),
  ];
  const summary = summarize(runs, TITLES);

  it('pairs each logging server with itself without a log, in the same tool and scenario', () => {
    const rows = logCostRows(summary, 'on');
    expect(rows.map((r) => [r.scenario, r.pair.subject, r.pair.yardstick])).toEqual([
      ['get', 'samovar', 'samovar-log-off'],
      ['get', 'nginx-log', 'nginx'],
      ['get', 'nginx-log-buffered', 'nginx'],
      ['get-pipelined', 'samovar', 'samovar-log-off'],
    ]);
    expect(rows[0]?.rpsRatio).toBeCloseTo(0.98, 9);
    expect(rows[1]?.rpsRatio).toBeCloseTo(0.94, 9);
    expect(rows[0]?.logLinesPerRequest).toEqual({ on: 1, off: 0 });
    expect(logCostTable(rows)).toContain(
      '| wrk | GET / keep-alive ×50 | Samovar: access log on ÷ off | **0.980×** |',
    );
  });

  it('judges the goals: 0.98 ≥ 0.97 met, 0.75 < 0.90 missed, p99 per scenario, node:net and nginx CPU', () => {
    const goals = issue19Goals(summary, 'on');
    expect(goals.map((g) => [g.measured, g.met])).toEqual([
      ['0.98×', true],
      ['0.75×, missed by 17%', false],
      ['p99 0.95×', true],
      ['p99 2.00×, 100% over', false],
      ['0.91×, missed by 9%', false],
      // Samovar log off: 0.8 cores ÷ 400k = 0.2 s / 100k; nginx 1 ÷ 200k = 0.5 s.
      ['0.40×', true],
    ]);
  });

  it('with --access-log off, Samovar has no log on either side: its rows and goals are left out', () => {
    expect(logCostRows(summary, 'off').map((r) => r.pair.subject)).toEqual([
      'nginx-log',
      'nginx-log-buffered',
    ]);
    const goals = issue19Goals(summary, 'off');
    expect(goals.slice(0, 3).map((g) => g.met)).toEqual([null, null, null]);
  });
});

describe('a peer log file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samovar-peer-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts lines and bytes, keeps the last lines, and empties the file', () => {
    const log = new PeerLog(join(dir, 'a.log'), 0);
    const fd = log.openForAppend();
    try {
      const line = `${'x'.repeat(299)}\n`;
      // More than one read chunk (1 MiB), so counting crosses chunk boundaries.
      let written = 0;
      for (let i = 0; i < 4000; i++) written += writeSync(fd, `${i} ${line}`);
      expect(written).toBeGreaterThan(1024 * 1024);
      const counted = log.collect();
      expect(counted).toEqual({ lines: 4000, bytes: written });
      expect(log.lastLines).toHaveLength(5);
      expect(log.lastLines.at(-1)?.startsWith('3999 ')).toBe(true);
      expect(statSync(log.path).size).toBe(0);
      // The writer's O_APPEND descriptor goes on at the new end: no hole at the old offset.
      writeSync(fd, 'after\n');
      expect(statSync(log.path).size).toBe(6);
      expect(log.count()).toEqual({ lines: 1, bytes: 6 });
    } finally {
      closeSync(fd);
    }
  });

  it('an empty or missing file: no lines, no tail', () => {
    const log = new PeerLog(join(dir, 'b.log'), 0);
    expect(log.count()).toEqual({ lines: 0, bytes: 0 });
    rmSync(log.path);
    expect(log.tail(5)).toEqual([]);
  });
});

describe('the chart', () => {
  it('gives every default peer a colour and wraps the legend onto a second row', () => {
    const rows = summarize(
      ENGINE_PEERS.map((id) => run(id, 'get', 100_000)),
      TITLES,
    );
    const svg = barChartsSvg(rows, 'caption');
    expect(svg).not.toContain('fill="undefined"');
    for (const id of ENGINE_PEERS) expect(svg).toContain(`>${SERVER_TITLE[id]}</text>`);
    // Seven peers at five a row: the legend's second row sits one row lower.
    expect(svg).toContain('<rect x="70" y="48" width="14" height="12"');
    expect(svg).toMatch(/height="668"/);
  });
});
