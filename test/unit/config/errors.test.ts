/**
 * Every kind of bad input gives an issue that names the field (path, variable, flag), the value
 * given, where it came from, and what is allowed; and loadConfig reports, never throws.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import type { ConfigIssue, Env } from '../../../src/config/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'samovar-config-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errors(argv: string[], env: Env = {}): readonly ConfigIssue[] {
  const result = loadConfig({ argv, env });
  if (result.ok) throw new Error('expected the configuration to be rejected');
  return result.errors;
}

function only(argv: string[], env: Env = {}): ConfigIssue {
  const found = errors(argv, env);
  expect(found).toHaveLength(1);
  return found[0] as ConfigIssue;
}

const PORT_ALLOWED = 'an integer from 0 to 65535, written in plain decimal digits';

describe('bad numbers from env and flags', () => {
  it.each([
    'abc',
    '1e3',
    '0x50',
    '-1',
    '+80',
    ' 80',
    '80 ',
    '8_080',
    '80.0',
    '',
    '65536',
    '99999999999999999999',
  ])('SAMOVAR_PORT=%j', (raw) => {
    const issue = only([], { SAMOVAR_PORT: raw });
    expect(issue).toMatchObject({
      path: 'port',
      env: 'SAMOVAR_PORT',
      flag: '--port',
      source: 'env',
      origin: 'SAMOVAR_PORT',
      given: JSON.stringify(raw),
      allowed: PORT_ALLOWED,
    });
    expect(issue.message).toContain('port (env SAMOVAR_PORT, flag --port)');
    expect(issue.message).toContain(JSON.stringify(raw));
    expect(issue.message).toContain(PORT_ALLOWED);
  });

  it.each([
    [['--limits.max-body-bytes=1e3'], 'limits.maxBodyBytes', '"1e3"', 'an integer of at least 1 (bytes)'],
    [['--limits.max-body-bytes', '0'], 'limits.maxBodyBytes', '"0"', 'an integer of at least 1 (bytes)'],
    [
      ['--timeouts.idle-timeout-ms=2147483648'],
      'timeouts.idleTimeoutMs',
      '"2147483648"',
      'from 1 to 2147483647',
    ],
    [['--workers=0'], 'workers', '"0"', '"auto" or an integer of at least 1'],
    [['--workers=many'], 'workers', '"many"', '"auto" or an integer of at least 1'],
    [['--connections.max-connections=-5'], 'connections.maxConnections', '"-5"', 'of at least 1'],
    [['--port='], 'port', '""', PORT_ALLOWED],
  ])('%j', (argv, path, given, allowed) => {
    const issue = only(argv);
    expect(issue).toMatchObject({ path, given, source: 'flag' });
    expect(issue.allowed).toContain(allowed);
  });

  it('reports PORT by its own name', () => {
    expect(only([], { PORT: '1e3' })).toMatchObject({ path: 'port', origin: 'PORT', given: '"1e3"' });
  });
});

describe('bad words', () => {
  it('names the allowed values of an enum', () => {
    const issue = only([], { SAMOVAR_LOG_LEVEL: 'verbose' });
    expect(issue.path).toBe('log.level');
    expect(issue.allowed).toBe('one of "fatal", "error", "warn", "info", "debug", "trace", "silent"');
    expect(only(['--cluster.scheduling-policy', 'RR']).allowed).toBe('one of "rr", "none", "reuseport"');
  });

  it('refuses reuseport with port 0: each worker would bind a port of its own', () => {
    const issue = only(['--cluster.scheduling-policy', 'reuseport', '--port', '0']);
    expect(issue).toMatchObject({ path: 'cluster.schedulingPolicy', source: 'flag', given: '"reuseport"' });
    expect(issue.message).toContain('needs a fixed port');
    expect(only([], { SAMOVAR_CLUSTER_SCHEDULING_POLICY: 'reuseport', PORT: '0' })).toMatchObject({
      path: 'cluster.schedulingPolicy',
      origin: 'SAMOVAR_CLUSTER_SCHEDULING_POLICY',
    });
  });

  it('rejects a host with whitespace', () => {
    expect(only(['--host', 'local host']).path).toBe('host');
  });
});

describe('unknown names', () => {
  it('rejects an unknown flag and suggests the near one', () => {
    const issue = only(['--limits.maxBodyBytes=5']);
    expect(issue).toMatchObject({ path: '--limits.maxBodyBytes', source: 'flag' });
    expect(issue.message).toContain('unknown flag (did you mean --limits.max-body-bytes?)');
  });

  it('rejects an unknown SAMOVAR_ variable and suggests the near one', () => {
    const issue = only([], { SAMOVAR_PROT: '80' });
    expect(issue).toMatchObject({ path: 'SAMOVAR_PROT', source: 'env' });
    expect(issue.message).toContain('did you mean SAMOVAR_PORT?');
  });

  it('rejects --no- on a field that is not a boolean', () => {
    expect(only(['--no-port']).path).toBe('--no-port');
  });

  it('rejects stray arguments and a flag without its value', () => {
    expect(only(['./app.ts', '8080']).message).toContain('unexpected argument "8080"');
    expect(only(['--port', '80', 'false']).message).toContain('unexpected argument "false"');
    expect(only(['--port']).message).toContain('--port has no value');
    expect(only(['--port', '--host=x']).path).toBe('port');
  });

  it('reports every problem at once, in precedence order', () => {
    const found = errors(['--nope'], { SAMOVAR_NOPE: '1', SAMOVAR_PORT: 'x' });
    expect(found.map((issue) => issue.source)).toEqual(['env', 'env', 'flag']);
  });
});

describe('the config file', () => {
  const origin = { path: 'config', env: 'SAMOVAR_CONFIG', flag: '--config' };

  it('names an unreadable file', () => {
    const missing = join(dir, 'missing.json');
    const issue = only(['--config', missing]);
    expect(issue).toMatchObject({ ...origin, source: 'flag', given: JSON.stringify(missing) });
    expect(issue.message).toContain('ENOENT');
    mkdirSync(join(dir, 'a-directory'));
    expect(only([], { SAMOVAR_CONFIG: join(dir, 'a-directory') }).message).toContain('EISDIR');
  });

  it('names invalid JSON and a non-object', () => {
    expect(only(['--config', file('bad.json', '{ "port": 80, }')]).message).toContain('is not valid JSON');
    expect(only(['--config', file('array.json', '[1]')]).message).toContain('not a JSON object');
  });

  it('rejects unknown keys, with their path', () => {
    const path = file('typo.json', '{ "limits": { "maxBodyByte": 5 }, "extra": true }');
    const found = errors(['--config', path]);
    expect(found.map((issue) => issue.path)).toEqual(['limits.maxBodyByte', 'extra']);
    expect(found[0]?.message).toContain('did you mean limits.maxBodyBytes?');
    expect(found[0]?.origin).toBe(path);
  });

  it('checks value types strictly: numbers as JSON numbers', () => {
    const path = file('types.json', '{ "port": "8080", "limits": { "maxBodyBytes": 1.5 }, "timeouts": 5 }');
    const found = errors(['--config', path]);
    expect(found.map((issue) => [issue.path, issue.given])).toEqual([
      ['port', '"8080"'],
      ['limits.maxBodyBytes', '1.5'],
      ['timeouts', '5'],
    ]);
    expect(found[2]?.allowed).toContain('headersTimeoutMs');
  });

  it('reports a bad file value even when the environment overrides it', () => {
    const path = file('masked.json', '{ "port": -1 }');
    expect(only(['--config', path], { SAMOVAR_PORT: '80' })).toMatchObject({ path: 'port', source: 'file' });
  });
});
