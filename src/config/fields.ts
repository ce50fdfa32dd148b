/**
 * The one naming rule, and the schema walk that applies it: every leaf of a config schema becomes
 * a field with its dotted path, its environment variable and flag, the shape of values it takes
 * and its description.
 *
 * The rule: camelCase path segments become UPPER_SNAKE joined by `_` after `SAMOVAR_` for the
 * environment, and kebab-case joined by `.` after `--` for flags. Names are only ever derived
 * from a path, never parsed back. The config file's own names (`SAMOVAR_CONFIG`, `--config`) and
 * the platform aliases (`PORT`) are named here too, so no reader spells a name itself.
 * Must not: read values from anywhere; a schema it cannot describe is a bug and throws.
 */
import { z } from 'zod';

export const ENV_PREFIX = 'SAMOVAR_';

/** A field's three names: `limits.maxBodyBytes`, `SAMOVAR_LIMITS_MAX_BODY_BYTES`, `--limits.max-body-bytes`. */
export interface FieldNames {
  readonly path: string;
  readonly env: string;
  readonly flag: string;
}

const words = (segment: string): string[] => segment.split(/(?<=[a-z0-9])(?=[A-Z])/);

export function envName(segments: readonly string[]): string {
  return ENV_PREFIX + segments.map((s) => words(s).join('_').toUpperCase()).join('_');
}

export function flagName(segments: readonly string[]): string {
  return '--' + segments.map((s) => words(s).join('-').toLowerCase()).join('.');
}

const namesOf = (segments: readonly string[]): FieldNames => ({
  path: segments.join('.'),
  env: envName(segments),
  flag: flagName(segments),
});

/** The pseudo-field naming the optional JSON config file; no schema field may take its names. */
export const CONFIG_FILE: FieldNames = namesOf(['config']);

/** Conventional variables honoured when the field's own `SAMOVAR_` variable is unset. */
export const ENV_ALIASES: Readonly<Record<string, string>> = { PORT: 'port' };

/** What values a leaf takes, read off its zod type; a union has several of these at once. */
export interface LeafType {
  /** Integer bounds when the leaf takes integers. */
  readonly integer: { readonly min: number; readonly max: number } | undefined;
  /** Literal or enum words it takes (`auto`, `rr`, …). */
  readonly words: readonly string[];
  readonly boolean: boolean;
  /** Free text (then `allowed` in the leaf's meta says what text). */
  readonly text: boolean;
}

export interface FieldSpec extends FieldNames {
  readonly segments: readonly string[];
  readonly unit: 'ms' | 'bytes' | undefined;
  readonly type: LeafType;
  readonly schema: z.ZodType;
  readonly description: string;
  /** For text leaves: what text is allowed, in words. */
  readonly allowedText: string | undefined;
}

export interface FieldIndex {
  readonly fields: readonly FieldSpec[];
  readonly byPath: ReadonlyMap<string, FieldSpec>;
  readonly byEnv: ReadonlyMap<string, FieldSpec>;
  readonly byFlag: ReadonlyMap<string, FieldSpec>;
  /** Dotted paths of the nested objects (`limits`, `timeouts`, …). */
  readonly groups: ReadonlySet<string>;
}

/** A field that takes `true` or `false` and nothing else: a flag may stand alone or as `--no-…`. */
export const isSwitch = ({ type }: FieldSpec): boolean =>
  type.boolean && !type.integer && !type.text && type.words.length === 0;

const EMPTY_LEAF: LeafType = { integer: undefined, words: [], boolean: false, text: false };

function mergeLeaves(a: LeafType, b: LeafType): LeafType {
  if (a.integer && b.integer) throw new Error('config schema: a union of two integer types');
  return {
    integer: a.integer ?? b.integer,
    words: [...a.words, ...b.words],
    boolean: a.boolean || b.boolean,
    text: a.text || b.text,
  };
}

/** Reads the value shape off a zod leaf; only the kinds config needs are understood. */
function leafType(schema: z.ZodType): LeafType {
  if (schema instanceof z.ZodPipe) return leafType(schema.in as z.ZodType);
  if (schema instanceof z.ZodUnion) {
    return (schema.options as z.ZodType[]).map(leafType).reduce(mergeLeaves, EMPTY_LEAF);
  }
  if (schema instanceof z.ZodLiteral) return { ...EMPTY_LEAF, words: [...schema.values].map(String) };
  if (schema instanceof z.ZodEnum) return { ...EMPTY_LEAF, words: schema.options.map(String) };
  if (schema instanceof z.ZodBoolean) return { ...EMPTY_LEAF, boolean: true };
  if (schema instanceof z.ZodString) return { ...EMPTY_LEAF, text: true };
  if (schema instanceof z.ZodNumber) {
    if (!schema.isInt || schema.minValue === null || schema.maxValue === null) {
      throw new Error('config schema: numbers must be bounded integers (z.int())');
    }
    return { ...EMPTY_LEAF, integer: { min: schema.minValue, max: schema.maxValue } };
  }
  throw new Error(`config schema: unsupported leaf type ${schema.type}`);
}

function makeField(segments: readonly string[], schema: z.ZodType): FieldSpec {
  const names = namesOf(segments);
  const { path } = names;
  const meta = schema.meta();
  const description = meta?.description;
  if (!description) throw new Error(`config schema: ${path} has no description`);
  const type = leafType(schema);
  const allowedText = typeof meta.allowed === 'string' ? meta.allowed : undefined;
  if (type.text && !allowedText) throw new Error(`config schema: text field ${path} needs meta.allowed`);
  const unit = path.endsWith('Ms') ? 'ms' : path.endsWith('Bytes') ? 'bytes' : undefined;
  if (unit && (!type.integer || type.words.length > 0)) {
    throw new Error(`config schema: ${path} ends in a unit, so it must be a plain integer`);
  }
  return { ...names, segments, unit, type, schema, description, allowedText };
}

function walk(
  shape: z.ZodRawShape,
  prefix: readonly string[],
  fields: FieldSpec[],
  groups: Set<string>,
): void {
  for (const [key, child] of Object.entries(shape)) {
    const segments = [...prefix, key];
    if (child instanceof z.ZodObject) {
      groups.add(segments.join('.'));
      walk(child.shape, segments, fields, groups);
    } else {
      fields.push(makeField(segments, child as z.ZodType));
    }
  }
}

function uniqueMap(fields: readonly FieldSpec[], key: keyof FieldNames): Map<string, FieldSpec> {
  const map = new Map<string, FieldSpec>();
  for (const field of fields) {
    const name = field[key];
    if (map.has(name)) throw new Error(`config schema: two fields are both named ${name}`);
    map.set(name, field);
  }
  return map;
}

/** Indexes every leaf of `schema` by path, environment variable and flag. */
export function indexFields(schema: z.ZodObject): FieldIndex {
  const fields: FieldSpec[] = [];
  const groups = new Set<string>();
  walk(schema.shape, [], fields, groups);
  const byPath = uniqueMap(fields, 'path');
  const byEnv = uniqueMap(fields, 'env');
  const byFlag = uniqueMap(fields, 'flag');
  const { path, env, flag } = CONFIG_FILE;
  if (byPath.has(path) || groups.has(path) || byEnv.has(env) || byFlag.has(flag)) {
    throw new Error(`config schema: "${path}" names the config file and cannot be a field`);
  }
  return { fields, byPath, byEnv, byFlag, groups };
}
