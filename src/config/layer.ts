/**
 * One layer of configuration (defaults, file, environment or flags) as a flat list of field
 * assignments, each already checked against its field's schema, plus the issues found reading it.
 *
 * Text from the environment and flags is read strictly: integers are plain decimal digits only
 * (no sign, `1e3`, hex, `_`, whitespace or `Number()` leniency), booleans are `true` or `false`.
 * Must not: merge layers or decide precedence (load.ts does).
 */
import type { FieldSpec } from './fields.ts';
import { badValueIssue } from './issues.ts';
import type { ConfigIssue, Origin } from './issues.ts';

export interface Assignment {
  readonly field: FieldSpec;
  /** The value in the schema's input form (`"auto"` stays `"auto"`). */
  readonly value: unknown;
  readonly origin: Origin;
}

export interface Layer {
  readonly assignments: Assignment[];
  readonly issues: ConfigIssue[];
}

export function emptyLayer(): Layer {
  return { assignments: [], issues: [] };
}

const DIGITS = /^[0-9]+$/;

/** Reads environment or flag text as the field's input type; `undefined` when it is not one. */
export function parseText(field: FieldSpec, raw: string): unknown {
  const { type } = field;
  if (type.words.includes(raw)) return raw;
  if (type.integer && DIGITS.test(raw)) return Number(raw);
  if (type.boolean && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (type.text) return raw;
  return undefined;
}

/** Checks a typed value against its field and records it, or records why not. */
export function assignValue(
  layer: Layer,
  field: FieldSpec,
  value: unknown,
  origin: Origin,
  given = value,
): void {
  const result = field.schema.safeParse(value);
  if (result.success) layer.assignments.push({ field, value, origin });
  else layer.issues.push(badValueIssue(field, origin, given));
}

/** Parses environment or flag text for a field, then checks and records it. */
export function assignText(layer: Layer, field: FieldSpec, raw: string, origin: Origin): void {
  const value = parseText(field, raw);
  if (value === undefined) layer.issues.push(badValueIssue(field, origin, raw));
  else assignValue(layer, field, value, origin, raw);
}
