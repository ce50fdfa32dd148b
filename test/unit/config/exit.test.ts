/**
 * loadConfigOrExit in a real child process: exit code 78 and a stderr that names each field,
 * its variable and flag, the value given and what is allowed; a good config starts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const NODE = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const START = fileURLToPath(new URL('./fixtures/start.ts', import.meta.url));

function start(argv: string[], env: Record<string, string>) {
  return spawnSync(NODE, [START, ...argv], { env, encoding: 'utf8', timeout: 20_000 });
}

describe('loadConfigOrExit', () => {
  it('exits 78 with one helpful stderr line per problem', () => {
    const child = start(['--port', 'abc', '--limits.max-body-byte=1'], { SAMOVAR_LOG_LEVEL: 'loud' });
    expect(child.status).toBe(78);
    expect(child.stdout).toBe('');
    const lines = child.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('samovar: invalid configuration (3 problems), not starting:');
    expect(lines.slice(1, 4)).toEqual([
      '  - log.level (env SAMOVAR_LOG_LEVEL, flag --log.level): got "loud" from SAMOVAR_LOG_LEVEL; ' +
        'allowed: one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
      '  - port (env SAMOVAR_PORT, flag --port): got "abc" from --port; ' +
        'allowed: an integer from 0 to 65535, written in plain decimal digits',
      '  - --limits.max-body-byte: unknown flag (did you mean --limits.max-body-bytes?); ' +
        'allowed: the flags listed in docs/configuration.md',
    ]);
    expect(lines.at(-1)).toContain('docs/configuration.md');
  });

  it('returns the config when it is valid', () => {
    const child = start(['--port=0'], { PORT: '9', SAMOVAR_WORKERS: '2' });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ port: 0, workers: 2, host: '0.0.0.0' });
  });
});
