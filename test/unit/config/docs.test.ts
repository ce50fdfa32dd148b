/**
 * The documentation rows and the committed page: `docs/configuration.md` must be exactly what
 * `npm run docs:config` writes now.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC_PATH, describeConfig, formattedConfigDoc } from '../../../scripts/write-config-docs.ts';

describe('describeConfig', () => {
  it('gives every field its type, default, names and description', () => {
    const rows = describeConfig();
    expect(rows).toHaveLength(84);
    expect(rows.find((row) => row.field === 'port')).toEqual({
      field: 'port',
      type: 'integer 0–65535',
      default: '`8080`',
      env: ['SAMOVAR_PORT', 'PORT'],
      flag: '--port',
      description: expect.stringContaining('TCP port') as string,
    });
    expect(rows.find((row) => row.field === 'limits.maxBodyBytes')).toMatchObject({
      type: 'integer ≥ 1, bytes',
      default: '`1048576` (1 MiB)',
    });
    expect(rows.find((row) => row.field === 'workers')?.default).toBe('`"auto"`');
    for (const row of rows) expect(row.description.length).toBeGreaterThan(20);
  });
});

describe('docs/configuration.md', () => {
  it('is up to date (run `npm run docs:config`)', async () => {
    expect(readFileSync(CONFIG_DOC_PATH, 'utf8')).toBe(await formattedConfigDoc());
  });
});
