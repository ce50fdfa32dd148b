/**
 * `health.*` fields: paths the metrics port can route (distinct, not its own `/metrics` or admin
 * path, no router syntax), refused with exit-78-style issues instead of crashing the primary.
 */

import { expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';

const problems = (argv: string[]): string[] => {
  const result = loadConfig({ argv, env: {} });
  return result.ok ? [] : result.errors.map((e) => e.message);
};

it('takes distinct plain paths, and refuses what the metrics port could not route', () => {
  expect(problems(['--health.live-path', '/live', '--health.ready-path', '/ready'])).toEqual([]);
  expect(problems(['--health.ready-path', '/healthz'])).toEqual([
    expect.stringContaining('must differ from health.livePath'),
  ]);
  expect(problems(['--health.live-path', '/metrics'])).toEqual([
    expect.stringContaining("the metrics port's own"),
  ]);
  expect(problems(['--health.ready-path', '/:x'])).toHaveLength(1);
  expect(problems(['--health.ready-path', '/*'])).toHaveLength(1);
  expect(problems(['--health.live-path', 'healthz'])).toHaveLength(1);
});
