/**
 * The console's pure parts: what a control request may say (parseRequest), where the socket is
 * (controlSocketPath), how `samovar status | reload | scale | stop | log-level` split their
 * arguments, and the p99 a heartbeat's duration buckets give.
 */
import { describe, expect, it } from 'vitest';
import { controlSocketPath, parseRequest } from '../../src/cluster/control-protocol.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { parseConsoleArgs } from '../../src/console/args.ts';
import { bucketDelta, DURATION_BUCKETS_S, histogramQuantile } from '../../src/metrics/index.ts';

function config(env: Record<string, string> = {}): Config {
  const loaded = loadConfig({ argv: [], env });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

describe('parseRequest', () => {
  const ok = (body: object): string => JSON.stringify({ v: 1, uid: 1000, ...body });
  it.each([
    [ok({ command: 'status' }), { command: 'status' }],
    [ok({ command: 'reload' }), { command: 'reload' }],
    [ok({ command: 'scale', workers: 4 }), { command: 'scale', workers: 4 }],
    [ok({ command: 'stop', timeoutMs: null }), { command: 'stop', timeoutMs: null }],
    [ok({ command: 'stop', timeoutMs: 5000 }), { command: 'stop', timeoutMs: 5000 }],
    [ok({ command: 'log-level', level: 'debug' }), { command: 'log-level', level: 'debug' }],
  ])('accepts %s', (line, expected) => {
    expect(parseRequest(line)).toEqual({ v: 1, uid: 1000, ...expected });
  });

  it.each([
    ['not json', /not JSON/],
    ['[1]', /protocol version/],
    [JSON.stringify({ v: 2, uid: 0, command: 'status' }), /protocol version 2/],
    [JSON.stringify({ v: 1, command: 'status' }), /uid/],
    [JSON.stringify({ v: 1, uid: -1, command: 'status' }), /uid/],
    [ok({ command: 'restart' }), /command must be one of status, reload, scale, stop, log-level/],
    [ok({ command: 'scale', workers: 0 }), /workers must be an integer from 1 to 1024/],
    [ok({ command: 'scale', workers: 1025 }), /workers/],
    [ok({ command: 'scale', workers: 2.5 }), /workers/],
    [ok({ command: 'stop', timeoutMs: -1 }), /timeoutMs/],
    [ok({ command: 'stop', timeoutMs: 2 ** 31 }), /timeoutMs/],
    [ok({ command: 'log-level', level: 'verbose' }), /level must be one of fatal/],
  ])('refuses %s', (line, error) => {
    expect(parseRequest(line)).toMatch(error);
  });
});

describe('controlSocketPath', () => {
  it('is samovar-PORT.sock in $XDG_RUNTIME_DIR, else in the working directory', () => {
    const c = config({ SAMOVAR_PORT: '3000' });
    expect(controlSocketPath(c, { XDG_RUNTIME_DIR: '/run/user/1000' }, '/srv/app')).toBe(
      '/run/user/1000/samovar-3000.sock',
    );
    expect(controlSocketPath(c, {}, '/srv/app')).toBe('/srv/app/samovar-3000.sock');
    // A relative XDG_RUNTIME_DIR is invalid by the spec: ignored.
    expect(controlSocketPath(c, { XDG_RUNTIME_DIR: 'run' }, '/srv/app')).toBe('/srv/app/samovar-3000.sock');
  });

  it('takes control.socket from the working directory when set', () => {
    const c = config({ SAMOVAR_CONTROL_SOCKET: 'run/ctl.sock' });
    expect(controlSocketPath(c, { XDG_RUNTIME_DIR: '/run/user/0' }, '/srv/app')).toBe(
      '/srv/app/run/ctl.sock',
    );
    const abs = config({ SAMOVAR_CONTROL_SOCKET: '/var/run/samovar.sock' });
    expect(controlSocketPath(abs, {}, '/srv/app')).toBe('/var/run/samovar.sock');
  });
});

describe('parseConsoleArgs', () => {
  it('splits the command, its own options and the configuration flags', () => {
    expect(parseConsoleArgs(['status', '--json', '--port', '3000'])).toEqual({
      request: { command: 'status' },
      json: true,
      waitMs: 10_000,
      configArgv: ['--port', '3000'],
    });
    expect(parseConsoleArgs(['scale', '4', '--control.socket=/tmp/x.sock'])).toMatchObject({
      request: { command: 'scale', workers: 4 },
      configArgv: ['--control.socket=/tmp/x.sock'],
    });
    expect(parseConsoleArgs(['stop', '--timeout', '2.5'])).toMatchObject({
      request: { command: 'stop', timeoutMs: 2500 },
    });
    expect(parseConsoleArgs(['stop'])).toMatchObject({ request: { command: 'stop', timeoutMs: null } });
    expect(parseConsoleArgs(['reload', '--wait', '30'])).toMatchObject({
      request: { command: 'reload' },
      waitMs: 30_000,
    });
    expect(parseConsoleArgs(['log-level', 'warn'])).toMatchObject({
      request: { command: 'log-level', level: 'warn' },
    });
  });

  it.each([
    [['scale'], /scale takes a number of workers/],
    [['scale', 'many'], /scale takes a number of workers/],
    [['scale', '0'], /from 1 to 1024/],
    [['scale', '2', '3'], /one argument/],
    [['status', 'now'], /no argument/],
    [['log-level', 'loud'], /log-level takes one of/],
    [['reload', '--timeout', '5'], /--timeout belongs to stop/],
    [['stop', '--timeout', 'soon'], /number of seconds/],
  ])('refuses %j', (argv, error) => {
    expect(parseConsoleArgs(argv)).toMatch(error);
  });
});

describe('histogramQuantile', () => {
  const bounds = [0.001, 0.0025, 0.005, 0.01];

  it('interpolates inside the bucket the rank falls in, as Prometheus does', () => {
    // 100 observations: 50 ≤ 1 ms, 49 in (1, 2.5] ms, 1 in (2.5, 5] ms.
    expect(histogramQuantile(bounds, [50, 49, 1, 0, 0], 0.5)).toBeCloseTo(0.001);
    expect(histogramQuantile(bounds, [50, 49, 1, 0, 0], 0.99)).toBeCloseTo(0.0025);
    expect(histogramQuantile(bounds, [50, 49, 1, 0, 0], 0.995)).toBeCloseTo(0.00375);
    expect(histogramQuantile(bounds, [100, 0, 0, 0, 0], 0.99)).toBeCloseTo(0.00099);
  });

  it('says null without observations and the last bound past it', () => {
    expect(histogramQuantile(bounds, [0, 0, 0, 0, 0], 0.99)).toBeNull();
    expect(histogramQuantile(bounds, [0, 0, 0, 0, 10], 0.99)).toBe(0.01);
  });

  it('takes the difference of two cumulative readings, or none after a reset', () => {
    expect(bucketDelta([1, 2, 3], [4, 2, 5])).toEqual([3, 0, 2]);
    expect(bucketDelta([5, 2], [1, 2])).toBeNull();
    expect(bucketDelta([1, 2], [1, 2, 3])).toBeNull();
    expect(DURATION_BUCKETS_S[0]).toBe(0.001);
  });
});
