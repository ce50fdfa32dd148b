/**
 * Reads `config/defaults.json`: every field's default, in the same shape and under the same
 * schema as a config file. Kept as JSON (not code) so that it doubles as a starting point for an
 * operator's `--config` file and cannot compute anything.
 *
 * The file ships with the code, so a missing or unparsable one is a packaging bug and throws;
 * a value the schema rejects is reported as an issue like any other.
 * Must not: be read for anything but defaults.
 */
import { readFileSync } from 'node:fs';
import type { FieldIndex } from './fields.ts';
import type { Origin } from './issues.ts';
import { flattenObject } from './file.ts';
import type { Layer } from './layer.ts';

/** Relative to this file; the same from `src/config/` and from a built `dist/config/`. */
const DEFAULTS_URL = new URL('../../config/defaults.json', import.meta.url);

export const DEFAULTS_ORIGIN: Origin = { source: 'defaults', name: 'config/defaults.json' };

const cache = new WeakMap<FieldIndex, Layer>();

/** The defaults as a layer, read once per process. */
export function readDefaults(index: FieldIndex): Layer {
  const cached = cache.get(index);
  if (cached) return cached;
  const json: unknown = JSON.parse(readFileSync(DEFAULTS_URL, 'utf8'));
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${DEFAULTS_ORIGIN.name} must hold a JSON object`);
  }
  const layer = flattenObject(index, json as Record<string, unknown>, DEFAULTS_ORIGIN);
  cache.set(index, layer);
  return layer;
}
