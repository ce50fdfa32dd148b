/**
 * The file layer: an optional JSON config file (`--config PATH` or `SAMOVAR_CONFIG`) holding an
 * object shaped like `Config`, any subset of its fields. Also flattens `config/defaults.json`,
 * which has the same shape and must name every field.
 *
 * Values in a file are JSON values (numbers as numbers, `"auto"` as a string). Unknown keys are
 * errors, like unknown flags: a misspelt key must not be silently ignored.
 * Must not: read anything but the one file it is given.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FieldIndex } from './fields.ts';
import { fileIssue, makeIssue, showValue, unknownIssue } from './issues.ts';
import type { ConfigIssue, Origin } from './issues.ts';
import { assignValue, emptyLayer } from './layer.ts';
import type { Layer } from './layer.ts';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads and flattens a JSON config file; `filePath` is resolved against `cwd`. */
export function readConfigFile(index: FieldIndex, filePath: string, setBy: Origin, cwd: string): Layer {
  const absolute = resolve(cwd, filePath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    return failed(fileIssue(setBy, filePath, `cannot read ${absolute} (${reason(error)})`));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return failed(fileIssue(setBy, filePath, `${absolute} is not valid JSON (${reason(error)})`));
  }
  if (!isPlainObject(json)) {
    return failed(fileIssue(setBy, filePath, `${absolute} holds ${showValue(json)}, not a JSON object`));
  }
  return flattenObject(index, json, { source: 'file', name: absolute });
}

function failed(issue: ConfigIssue): Layer {
  const layer = emptyLayer();
  layer.issues.push(issue);
  return layer;
}

function reason(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

/** Turns a nested object into checked field assignments; unknown keys become issues. */
export function flattenObject(index: FieldIndex, object: Record<string, unknown>, origin: Origin): Layer {
  const layer = emptyLayer();
  flattenInto(layer, index, object, '', origin);
  return layer;
}

function flattenInto(layer: Layer, index: FieldIndex, object: object, prefix: string, origin: Origin): void {
  for (const [key, value] of Object.entries(object)) {
    const path = prefix + key;
    const field = index.byPath.get(path);
    if (field) assignValue(layer, field, value, origin);
    else if (!index.groups.has(path)) {
      const known = [...index.byPath.keys(), ...index.groups];
      layer.issues.push(unknownIssue(path, origin, 'key', known));
    } else if (isPlainObject(value)) flattenInto(layer, index, value, path + '.', origin);
    else layer.issues.push(groupIssue(index, path, value, origin));
  }
}

function groupIssue(index: FieldIndex, path: string, value: unknown, origin: Origin): ConfigIssue {
  const inside = index.fields.filter((f) => f.path.startsWith(path + '.'));
  const keys = inside.map((f) => f.path.slice(path.length + 1));
  return makeIssue({
    path,
    origin,
    given: showValue(value),
    allowed: `an object with some of the keys ${keys.join(', ')}`,
  });
}
