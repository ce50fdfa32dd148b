/**
 * `npm run docs:config`: regenerates `docs/configuration.md` from the schema and the defaults,
 * formatted by the project's prettier settings so that `prettier --check` agrees with it. (The
 * README no longer carries a copy of the table: it links here.)
 * Must not: be imported by the server (prettier is a development dependency).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { renderConfigDoc } from './describe.ts';

export const CONFIG_DOC_PATH = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));

/** The page exactly as it should be committed. */
export async function formattedConfigDoc(): Promise<string> {
  const options = await resolveConfig(CONFIG_DOC_PATH);
  return format(renderConfigDoc(), { ...options, filepath: CONFIG_DOC_PATH });
}

if (import.meta.main) {
  const doc = await formattedConfigDoc();
  writeFileSync(CONFIG_DOC_PATH, doc);
  process.stdout.write(`wrote ${CONFIG_DOC_PATH}\n`);
}
