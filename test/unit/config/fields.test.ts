/**
 * The naming rule and the schema walk: names derived from paths, units enforced, collisions and
 * unsupported leaves refused; booleans (`--flag`, `--no-flag`) on a small schema of their own.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readArgv, readEnv } from '../../../src/config/sources.ts';
import { envName, flagName, indexFields } from '../../../src/config/fields.ts';
import type { Layer } from '../../../src/config/sources.ts';
import { CONFIG_FIELDS } from '../../../src/config/index.ts';

describe('the naming rule', () => {
  it.each([
    ['port', 'SAMOVAR_PORT', '--port'],
    ['limits.maxBodyBytes', 'SAMOVAR_LIMITS_MAX_BODY_BYTES', '--limits.max-body-bytes'],
    ['cluster.schedulingPolicy', 'SAMOVAR_CLUSTER_SCHEDULING_POLICY', '--cluster.scheduling-policy'],
    ['a.http2Port', 'SAMOVAR_A_HTTP2_PORT', '--a.http2-port'],
  ])('%s → %s, %s', (path, env, flag) => {
    const segments = path.split('.');
    expect(envName(segments)).toBe(env);
    expect(flagName(segments)).toBe(flag);
  });

  it('gives every real field a name by it', () => {
    for (const field of CONFIG_FIELDS.fields) {
      expect(field.env).toBe(envName(field.path.split('.')));
      expect(field.flag).toBe(flagName(field.path.split('.')));
    }
    expect(CONFIG_FIELDS.fields).toHaveLength(84);
  });

  it('types every …Ms field as integer ms and every …Bytes field as integer bytes', () => {
    for (const field of CONFIG_FIELDS.fields) {
      if (field.path.endsWith('Ms')) expect([field.path, field.unit]).toEqual([field.path, 'ms']);
      if (field.path.endsWith('Bytes')) expect([field.path, field.unit]).toEqual([field.path, 'bytes']);
      if (field.unit) expect(field.type.integer).toBeDefined();
    }
  });
});

describe('a schema the walk refuses', () => {
  const d = 'described';
  it.each([
    [
      'two fields with one env name',
      z.object({
        aB: z.object({ c: z.int().min(0).describe(d) }),
        a: z.object({ bC: z.int().min(0).describe(d) }),
      }),
      /both named SAMOVAR_A_B_C/,
    ],
    [
      'a field named config',
      z.object({ config: z.string().meta({ description: d, allowed: 'x' }) }),
      /names the config file/,
    ],
    ['a field without description', z.object({ port: z.int().min(0) }), /no description/],
    ['a non-integer number', z.object({ ratio: z.number().describe(d) }), /bounded integers/],
    [
      'a unit on a non-integer',
      z.object({ sizeBytes: z.string().meta({ description: d, allowed: 'x' }) }),
      /ends in a unit/,
    ],
    [
      'an unsupported leaf',
      z.object({ list: z.array(z.string()).describe(d) }),
      /unsupported leaf type array/,
    ],
  ])('%s', (_name, schema, reason) => {
    expect(() => indexFields(schema)).toThrow(reason);
  });
});

describe('booleans', () => {
  const index = indexFields(
    z.strictObject({
      debug: z.boolean().describe('d'),
      log: z.strictObject({ pretty: z.boolean().describe('p') }),
    }),
  );
  const values = (layer: Layer) => layer.assignments.map((a) => [a.field.path, a.value, a.origin.name]);

  it('take --flag, --no-flag and --flag=true|false', () => {
    const layer = readArgv(index, ['--debug', '--no-log.pretty', '--log.pretty=true', '--debug=false']);
    expect(layer.issues).toEqual([]);
    expect(values(layer)).toEqual([
      ['debug', true, '--debug'],
      ['log.pretty', false, '--no-log.pretty'],
      ['log.pretty', true, '--log.pretty'],
      ['debug', false, '--debug'],
    ]);
  });

  it('never take the next argument as their value', () => {
    const layer = readArgv(index, ['--debug', 'false']);
    expect(layer.issues.map((issue) => issue.message)).toEqual([
      expect.stringContaining('unexpected argument "false"'),
    ]);
  });

  it('take only true or false from the environment and flags', () => {
    const env = readEnv(index, { SAMOVAR_DEBUG: 'true', SAMOVAR_LOG_PRETTY: '1' });
    expect(values(env)).toEqual([['debug', true, 'SAMOVAR_DEBUG']]);
    expect(env.issues[0]?.allowed).toBe('true or false');
    expect(readArgv(index, ['--debug=yes']).issues[0]?.given).toBe('"yes"');
  });
});
