/**
 * The four sources of configuration, each read into a `Layer`: a flat list of field assignments,
 * each already checked against its field's schema, plus the issues found reading it. Lowest
 * precedence first:
 * - defaults: `config/defaults.json`, every field (kept as JSON, not code, so that it doubles as a
 *   starting point for an operator's config file and cannot compute anything);
 * - file: an optional JSON config file (`--config PATH` or `SAMOVAR_CONFIG`), any subset of the
 *   same shape, values as JSON values (numbers as numbers, `"auto"` as a string);
 * - env: `SAMOVAR_<PATH>` variables, plus the aliases platforms set for us (`PORT`);
 * - flags: `--limits.max-body-bytes=N` or `--limits.max-body-bytes N`, booleans also as `--flag` /
 *   `--no-flag`, a later flag overriding an earlier one; one bare argument, `samovar ./app.ts`, is
 *   `app.entry`, as gunicorn's `module:app`.
 *
 * Unknown keys, unknown `SAMOVAR_` variables, unknown flags and stray arguments are all issues: a
 * typo must not start a server configured otherwise than its operator believes. Text from the
 * environment and flags is read strictly: integers are plain decimal digits only (no sign, `1e3`,
 * hex, `_`, whitespace or `Number()` leniency), booleans are `true` or `false`.
 * Must not: read `process.env` or `process.argv` (the caller passes them), merge layers or decide
 * precedence (load.ts does), or name a field or word an issue itself (fields.ts, issues.ts do).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CONFIG_FILE, ENV_ALIASES, ENV_PREFIX, isSwitch } from './fields.ts';
import type { FieldIndex, FieldSpec } from './fields.ts';
import {
  badValueIssue,
  fileIssue,
  groupIssue,
  missingValueIssue,
  showValue,
  strayIssue,
  unknownIssue,
} from './issues.ts';
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

const layerOf = (...issues: ConfigIssue[]): Layer => ({ assignments: [], issues });

/** Checks a typed value against its field and records it, or records why not. */
function assignValue(layer: Layer, field: FieldSpec, value: unknown, origin: Origin, given = value): void {
  if (field.schema.safeParse(value).success) layer.assignments.push({ field, value, origin });
  else layer.issues.push(badValueIssue(field, origin, given));
}

const DIGITS = /^[0-9]+$/;

/** Environment or flag text as the field's input type; `undefined` when it is not one. */
function typedText({ type }: FieldSpec, raw: string): unknown {
  if (type.words.includes(raw)) return raw;
  if (type.integer && DIGITS.test(raw)) return Number(raw);
  if (type.boolean && (raw === 'true' || raw === 'false')) return raw === 'true';
  return type.text ? raw : undefined;
}

/** Reads environment or flag text for a field, then checks and records it. */
function assignText(layer: Layer, field: FieldSpec, raw: string, origin: Origin): void {
  const value = typedText(field, raw);
  if (value === undefined) layer.issues.push(badValueIssue(field, origin, raw));
  else assignValue(layer, field, value, origin, raw);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Turns a nested object into checked field assignments; unknown keys become issues. */
function flattenInto(layer: Layer, index: FieldIndex, object: object, prefix: string, origin: Origin): Layer {
  for (const [key, value] of Object.entries(object)) {
    const path = prefix + key;
    const field = index.byPath.get(path);
    if (field) assignValue(layer, field, value, origin);
    else if (!index.groups.has(path)) {
      layer.issues.push(unknownIssue(path, origin, 'key', [...index.byPath.keys(), ...index.groups]));
    } else if (isPlainObject(value)) flattenInto(layer, index, value, path + '.', origin);
    else {
      const keys = index.fields
        .filter((f) => f.path.startsWith(path + '.'))
        .map((f) => f.path.slice(path.length + 1));
      layer.issues.push(groupIssue(path, keys, value, origin));
    }
  }
  return layer;
}

/** Relative to this file; the same from `src/config/` and from a built `dist/config/`. */
const DEFAULTS_URL = new URL('../../config/defaults.json', import.meta.url);
export const DEFAULTS_ORIGIN: Origin = { source: 'defaults', name: 'config/defaults.json' };
const defaultsCache = new WeakMap<FieldIndex, Layer>();

/**
 * The defaults as a layer, read once per process. The file ships with the code, so a missing or
 * unparsable one is a packaging bug and throws; a value the schema rejects is an issue as any.
 */
export function readDefaults(index: FieldIndex): Layer {
  const cached = defaultsCache.get(index);
  if (cached) return cached;
  const json: unknown = JSON.parse(readFileSync(DEFAULTS_URL, 'utf8'));
  if (!isPlainObject(json)) throw new Error(`${DEFAULTS_ORIGIN.name} must hold a JSON object`);
  const layer = flattenInto(layerOf(), index, json, '', DEFAULTS_ORIGIN);
  defaultsCache.set(index, layer);
  return layer;
}

const reason = (error: unknown): string =>
  error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);

/** Reads and flattens a JSON config file; `filePath` is resolved against `cwd`. */
export function readConfigFile(index: FieldIndex, filePath: string, setBy: Origin, cwd: string): Layer {
  const absolute = resolve(cwd, filePath);
  const failed = (problem: string): Layer => layerOf(fileIssue(setBy, filePath, problem));
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    return failed(`cannot read ${absolute} (${reason(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return failed(`${absolute} is not valid JSON (${reason(error)})`);
  }
  if (!isPlainObject(json)) return failed(`${absolute} holds ${showValue(json)}, not a JSON object`);
  return flattenInto(layerOf(), index, json, '', { source: 'file', name: absolute });
}

/** `SAMOVAR[_X]_SERVICE_HOST`, `…_SERVICE_PORT[_NAME]`, `…_PORT_<n>_<PROTO>[_PROTO|_PORT|_ADDR]`. */
const SERVICE_LINK_NAME =
  /^SAMOVAR_(?:[A-Z0-9_]+_)?(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT_[0-9]+_(?:TCP|UDP|SCTP)(?:_PROTO|_PORT|_ADDR)?)$/;
/** `SAMOVAR[_X]_PORT=tcp://10.0.0.1:80`: a link's address, never a port number. */
const SERVICE_LINK_PORT = /^SAMOVAR_(?:[A-Z0-9_]+_)?PORT$/;
const LINK_URL = /^(?:tcp|udp|sctp):\/\//;

/**
 * Whether `name=value` is a variable a kubelet injects for a Service (`enableServiceLinks`, on
 * by default). A Service named `samovar` yields `SAMOVAR_SERVICE_HOST`, `SAMOVAR_SERVICE_PORT
 * [_NAME]`, `SAMOVAR_PORT=tcp://10.0.0.1:80` and `SAMOVAR_PORT_80_TCP[_PROTO|_PORT|_ADDR]`; one
 * named `samovar-metrics` the same under `SAMOVAR_METRICS_`. Those are skipped (and listed, so the
 * primary says so in one line) rather than fatal: fatal, every pod created after the Service
 * crash-loops. The shapes are narrow enough that a typo of a real field (they never end in
 * SERVICE_HOST, SERVICE_PORT…, or PORT_<n>_TCP, and a port is never `tcp://…`) is still an error.
 */
export function isServiceLink(name: string, value: string): boolean {
  if (SERVICE_LINK_NAME.test(name)) return true;
  return SERVICE_LINK_PORT.test(name) && LINK_URL.test(value);
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The service-link variables in `env`, by name (the primary names them in one line). */
export function serviceLinks(env: Env): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && isServiceLink(name, value))
    .map(([name]) => name);
}

/** Reads every `SAMOVAR_` variable (and alias) in `env` into a layer; others are none of ours. */
export function readEnv(index: FieldIndex, env: Env): Layer {
  const layer = layerOf();
  const known = [...index.byEnv.keys(), CONFIG_FILE.env];
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.startsWith(ENV_PREFIX) || name === CONFIG_FILE.env) continue;
    if (isServiceLink(name, raw)) continue;
    const field = index.byEnv.get(name);
    if (field) assignText(layer, field, raw, { source: 'env', name });
    else layer.issues.push(unknownIssue(name, { source: 'env', name }, 'environment variable', known));
  }
  for (const [alias, path] of Object.entries(ENV_ALIASES)) {
    const field = index.byPath.get(path);
    const raw = env[alias];
    const own = env[field?.env ?? ''];
    if (!field || raw === undefined || (own !== undefined && !isServiceLink(field.env, own))) continue;
    assignText(layer, field, raw, { source: 'env', name: alias });
  }
  return layer;
}

export interface ArgvLayer extends Layer {
  /** The last `--config` path given, if any. */
  readonly configPath: string | undefined;
}

type ArgOptions = Record<string, { type: 'string' | 'boolean' }>;
/** Every argument comes back as a token, unknown flags too: strict mode would throw at the first. */
const PARSE_ARGS = { strict: false, allowPositionals: true, allowNegative: true, tokens: true } as const;
type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/**
 * Reads the arguments after the script name into a layer, split by `node:util`'s `parseArgs`:
 * switches are its booleans (with `--no-`), other fields and `--config` its strings. What it does
 * otherwise is set right around it, so that a mistake is named rather than absorbed:
 * - it takes the argument after `--name` as the value even when that is a flag, so `--host
 *   --port=1` would set host to "--port=1": such a `--name` is handed over as `--name=` and
 *   reported as having no value;
 * - `--` would end the flags and make every later one a stray argument: it is handed over as an
 *   empty argument and reported as the stray one itself;
 * - it splits `-abc` into three unknown options: a single-dash argument is reported once, whole.
 */
export function readArgv(index: FieldIndex, argv: readonly string[]): ArgvLayer {
  const options: ArgOptions = { [CONFIG_FILE.flag.slice(2)]: { type: 'string' } };
  for (const f of index.fields) options[f.flag.slice(2)] = { type: isSwitch(f) ? 'boolean' : 'string' };
  const missing = new Set<number>();
  const args = argv.map((arg, i) => {
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const next = argv[i + 1];
    if (arg === '--') return '';
    if (!Object.hasOwn(options, name) || options[name]?.type !== 'string') return arg;
    if (next !== undefined && !next.startsWith('--')) return arg;
    missing.add(i);
    return `${arg}=`;
  });
  const state: ArgvState = { index, argv, missing, layer: layerOf(), entry: false, stray: -1 };
  for (const token of parseArgs({ ...PARSE_ARGS, args, options }).tokens) readToken(state, token);
  return { ...state.layer, configPath: state.configPath };
}

interface ArgvState {
  readonly index: FieldIndex;
  readonly argv: readonly string[];
  /** Indices of `--name` arguments that have no value. */
  readonly missing: ReadonlySet<number>;
  readonly layer: Layer;
  configPath?: string;
  /** Whether the bare entry argument was seen. */
  entry: boolean;
  /** Index of the last stray argument reported (parseArgs makes several tokens of `-abc`). */
  stray: number;
}

/** One token: a flag, or a bare argument (the entry the first time, else a stray). */
function readToken(state: ArgvState, token: Token): void {
  const arg = state.argv[token.index] ?? '';
  if (token.kind === 'option' && arg.startsWith('--')) return readFlag(state, token, arg);
  const entry = state.index.byPath.get('app.entry');
  // `--flag false` is a mistaken boolean, not an application called "false".
  if (entry && !state.entry && !/^(?:-.*|true|false|)$/s.test(arg)) {
    state.entry = true;
    assignText(state.layer, entry, arg, { source: 'flag', name: 'ENTRY (the bare argument)' });
  } else if (state.stray !== token.index) {
    state.layer.issues.push(strayIssue(arg));
    state.stray = token.index;
  }
}

/** `--name=value`, `--name value`, `--switch`, `--no-switch` or `--config PATH`. */
function readFlag(state: ArgvState, token: Extract<Token, { kind: 'option' }>, arg: string): void {
  const { index, layer } = state;
  const flag = arg.split('=', 1)[0] ?? arg;
  const origin: Origin = { source: 'flag', name: flag };
  const field = index.byFlag.get(`--${token.name}`);
  const negated = token.rawName === `--no-${token.name}`;
  if (negated ? !field || !isSwitch(field) : !field && flag !== CONFIG_FILE.flag) {
    layer.issues.push(unknownIssue(flag, origin, 'flag', [...index.byFlag.keys(), CONFIG_FILE.flag]));
  } else if (field && isSwitch(field) && token.value === undefined) {
    assignValue(layer, field, !negated, origin, arg);
  } else if (token.value === undefined || state.missing.has(token.index)) {
    layer.issues.push(missingValueIssue(field ?? CONFIG_FILE, origin));
  } else if (field) assignText(layer, field, token.value, origin);
  else state.configPath = token.value;
}
