/**
 * loadConfig with real values: defaults, each layer's overrides, their precedence, the config
 * file, and the frozen result.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import type { Config, ConfigIssue, LoadConfigOptions } from '../../../src/config/index.ts';
import { DEFAULT_SERVER_OPTIONS, serverOptions } from '../../../src/server/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'samovar-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

function load(options: Partial<LoadConfigOptions>): Config {
  const result = loadConfig({ argv: [], env: {}, ...options });
  if (!result.ok) throw new Error(result.errors.map((e: ConfigIssue) => e.message).join('\n'));
  return result.config;
}

describe('defaults', () => {
  it('validate and give the documented values', () => {
    const config = load({});
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(8080);
    expect(config.workers).toBe(availableParallelism());
    expect(config.cluster.schedulingPolicy).toBe('none');
    expect(config.limits).toEqual({
      maxRequestLineBytes: 8192,
      maxHeaderBytes: 16384,
      maxHeaderCount: 100,
      maxBodyBytes: 1048576,
      maxChunkExtensionBytes: 1024,
      maxTrailerBytes: 8192,
    });
    expect(config.timeouts).toEqual({
      headersTimeoutMs: 10000,
      idleTimeoutMs: 5000,
      bodyTimeoutMs: 30000,
      requestTimeoutMs: 60000,
      writeTimeoutMs: 30000,
      minSendRateBytesPerSecond: 240,
    });
    expect(config.connections).toEqual({
      maxConnections: 10000,
      maxRequestsPerConnection: 1000,
      maxPipelinedRequests: 16,
      maxUnreadBodyBytes: 65536,
      writeHighWaterMarkBytes: 65536,
      maxAcceptors: 128,
    });
    expect(config.log.level).toBe('info');
  });

  it("are the engine's too: createServer() and serve() without options build the npm start server", () => {
    const config = load({});
    const engine = serverOptions();
    expect(engine.host).toBe(config.host);
    expect(engine.port).toBe(config.port);
    expect(engine.limits).toEqual(config.limits);
    expect(engine.timeouts).toEqual(config.timeouts);
    expect(engine.connections).toEqual(config.connections);
    expect(engine.overload).toEqual(config.overload);
    expect(engine.rateLimit).toEqual(config.rateLimit);
    expect(DEFAULT_SERVER_OPTIONS.limits).toEqual(config.limits);
  });

  it('ignore environment variables without the SAMOVAR_ prefix', () => {
    expect(load({ env: { HOME: '/root', LIMITS_MAX_BODY_BYTES: 'x', samovar_port: 'x' } }).port).toBe(8080);
  });
});

describe('environment', () => {
  it('overrides every kind of field by the naming rule', () => {
    const config = load({
      env: {
        SAMOVAR_HOST: '127.0.0.1',
        SAMOVAR_PORT: '0',
        SAMOVAR_WORKERS: '3',
        SAMOVAR_CLUSTER_SCHEDULING_POLICY: 'none',
        SAMOVAR_LIMITS_MAX_BODY_BYTES: '2048',
        SAMOVAR_TIMEOUTS_HEADERS_TIMEOUT_MS: '50',
        SAMOVAR_CONNECTIONS_WRITE_HIGH_WATER_MARK_BYTES: '1',
        SAMOVAR_LOG_LEVEL: 'silent',
      },
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      workers: 3,
      cluster: { schedulingPolicy: 'none' },
      limits: { maxBodyBytes: 2048 },
      timeouts: { headersTimeoutMs: 50 },
      connections: { writeHighWaterMarkBytes: 1 },
      log: { level: 'silent' },
    });
  });

  it('takes each scheduling policy from the environment and from a flag', () => {
    for (const policy of ['none', 'rr', 'reuseport'] as const) {
      const env = { SAMOVAR_CLUSTER_SCHEDULING_POLICY: policy };
      expect(load({ env }).cluster.schedulingPolicy).toBe(policy);
      const argv = [`--cluster.scheduling-policy=${policy}`];
      expect(load({ argv }).cluster.schedulingPolicy).toBe(policy);
    }
  });

  it('takes workers=auto as os.availableParallelism()', () => {
    expect(load({ env: { SAMOVAR_WORKERS: 'auto' } }).workers).toBe(availableParallelism());
  });

  it('honours PORT, but SAMOVAR_PORT wins over it', () => {
    expect(load({ env: { PORT: '3000' } }).port).toBe(3000);
    expect(load({ env: { PORT: '3000', SAMOVAR_PORT: '4000' } }).port).toBe(4000);
    expect(load({ env: { PORT: 'junk', SAMOVAR_PORT: '4000' } }).port).toBe(4000);
    expect(load({ env: { PORT: '3000' }, argv: ['--port=5000'] }).port).toBe(5000);
  });
});

describe('flags', () => {
  it('take --name=value and --name value', () => {
    const config = load({
      argv: ['--limits.max-body-bytes=10', '--timeouts.idle-timeout-ms', '20', '--host', '::'],
    });
    expect(config.limits.maxBodyBytes).toBe(10);
    expect(config.timeouts.idleTimeoutMs).toBe(20);
    expect(config.host).toBe('::');
  });

  it('let a later flag override an earlier one', () => {
    expect(load({ argv: ['--port=1', '--port', '2'] }).port).toBe(2);
  });
});

describe('precedence: defaults < file < env < flags', () => {
  const file = writeJson('layers.json', { port: 1111, limits: { maxBodyBytes: 1111, maxHeaderCount: 1111 } });
  it.each([
    ['file only', [], {}, 1111],
    ['env over file', [], { SAMOVAR_PORT: '2222' }, 2222],
    ['flags over env', ['--port=3333'], { SAMOVAR_PORT: '2222' }, 3333],
  ])('%s', (_name, argv: string[], env: Record<string, string>, port: number) => {
    const config = load({ argv: ['--config', file, ...argv], env });
    expect(config.port).toBe(port);
    expect(config.limits.maxHeaderCount).toBe(1111);
    expect(config.limits.maxHeaderBytes).toBe(16384);
  });

  it('finds the file by SAMOVAR_CONFIG, and --config wins over it', () => {
    const other = writeJson('other.json', { port: 4444 });
    expect(load({ env: { SAMOVAR_CONFIG: file } }).port).toBe(1111);
    expect(load({ env: { SAMOVAR_CONFIG: file }, argv: [`--config=${other}`] }).port).toBe(4444);
  });

  it('resolves a relative file path against cwd', () => {
    writeJson('relative.json', { workers: 'auto', log: { level: 'debug' } });
    expect(load({ argv: ['--config', 'relative.json'], cwd: dir }).log.level).toBe('debug');
  });
});

describe('the result', () => {
  it('is deeply frozen', () => {
    const config = load({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.limits as { maxBodyBytes: number }).maxBodyBytes = 1;
    }).toThrow(TypeError);
  });

  it('is rebuilt on each call (re-readable on SIGHUP)', () => {
    const file = writeJson('reload.json', { port: 1 });
    const first = load({ argv: ['--config', file] });
    writeJson('reload.json', { port: 2 });
    const second = load({ argv: ['--config', file] });
    expect([first.port, second.port]).toEqual([1, 2]);
  });
});
