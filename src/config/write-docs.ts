/**
 * `npm run docs:config`: regenerates `docs/configuration.md` from the schema and the defaults,
 * formatted by the project's prettier settings so that `prettier --check` agrees with it, and
 * copies its table into the README between the `config-table` markers.
 * Must not: be imported by the server (prettier is a development dependency).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { renderConfigDoc } from './describe.ts';

export const CONFIG_DOC_PATH = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));

export const README_PATH = fileURLToPath(new URL('../../README.md', import.meta.url));
const START = '<!-- config-table:start (npm run docs:config) -->';
const END = '<!-- config-table:end -->';

/** `readme` with the table of `doc` between the markers (which must be there). */
export function readmeWithConfigTable(readme: string, doc: string): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md lacks the markers ${START} … ${END}`);
  const table = doc
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .join('\n');
  return `${readme.slice(0, from + START.length)}\n\n${table}\n\n${readme.slice(to)}`;
}

/** The page exactly as it should be committed. */
export async function formattedConfigDoc(): Promise<string> {
  const options = await resolveConfig(CONFIG_DOC_PATH);
  return format(renderConfigDoc(), { ...options, filepath: CONFIG_DOC_PATH });
}

if (import.meta.main) {
  const doc = await formattedConfigDoc();
  writeFileSync(CONFIG_DOC_PATH, doc);
  writeFileSync(README_PATH, readmeWithConfigTable(readFileSync(README_PATH, 'utf8'), doc));
  process.stdout.write(`wrote ${CONFIG_DOC_PATH} and the table in ${README_PATH}\n`);
}
