/**
 * The command-line layer: `--limits.max-body-bytes=N` or `--limits.max-body-bytes N`, flag names
 * derived from the schema by the rule in fields.ts; booleans also as `--flag` / `--no-flag`.
 * `--config PATH` names the JSON config file. A later flag overrides an earlier one. One bare
 * argument, `samovar ./app.ts`, is the application entry (`app.entry`), as gunicorn's `module:app`.
 *
 * Unknown flags and stray arguments (a second bare one) are errors: a typo must not start a
 * server configured otherwise than its operator believes.
 * Must not: read `process.argv` itself (the caller passes the arguments after the script).
 */
import { CONFIG_FILE_KEY, envName, flagName } from './fields.ts';
import type { FieldIndex, FieldSpec } from './fields.ts';
import { makeIssue, unknownIssue } from './issues.ts';
import type { ConfigIssue, Origin } from './issues.ts';
import { assignText, assignValue, emptyLayer } from './layer.ts';
import type { Layer } from './layer.ts';

export const CONFIG_FILE_FLAG = flagName([CONFIG_FILE_KEY]);
/** The field a bare argument sets. */
const ENTRY_PATH = 'app.entry';

export interface ArgvLayer extends Layer {
  /** The last `--config` path given, if any. */
  readonly configPath: string | undefined;
}

interface Token {
  /** Flag as written, without `=value`: `--port`, `--no-debug`. */
  readonly flag: string;
  readonly inline: string | undefined;
}

function splitToken(arg: string): Token {
  const eq = arg.indexOf('=');
  return eq < 0 ? { flag: arg, inline: undefined } : { flag: arg.slice(0, eq), inline: arg.slice(eq + 1) };
}

const isBooleanOnly = (field: FieldSpec): boolean =>
  field.type.boolean && !field.type.integer && !field.type.text && field.type.words.length === 0;

/** `--no-x` for a boolean field `--x`, else undefined. */
function negated(index: FieldIndex, token: Token): FieldSpec | undefined {
  if (token.inline !== undefined || !token.flag.startsWith('--no-')) return undefined;
  const field = index.byFlag.get('--' + token.flag.slice(5));
  return field && isBooleanOnly(field) ? field : undefined;
}

interface ArgvState {
  readonly layer: Layer;
  configPath: string | undefined;
  /** Whether the bare entry argument was seen. */
  entry: boolean;
}

/** Reads the arguments after the script name into a layer. */
export function readArgv(index: FieldIndex, argv: readonly string[]): ArgvLayer {
  const state: ArgvState = { layer: emptyLayer(), configPath: undefined, entry: false };
  for (let i = 0; i < argv.length;) i += readOne(index, argv, i, state);
  return { ...state.layer, configPath: state.configPath };
}

/** Reads the flag at `argv[i]` and its value; returns how many arguments that used. */
function readOne(index: FieldIndex, argv: readonly string[], i: number, state: ArgvState): number {
  const { layer } = state;
  const arg = argv[i] ?? '';
  const entry = index.byPath.get(ENTRY_PATH);
  // `--flag false` is a mistaken boolean, not an application called "false".
  if (entry && !state.entry && !arg.startsWith('-') && arg !== '' && arg !== 'true' && arg !== 'false') {
    state.entry = true;
    assignText(layer, entry, arg, { source: 'flag', name: 'ENTRY (the bare argument)' });
    return 1;
  }
  if (!arg.startsWith('--') || arg === '--') return push(layer, strayIssue(arg));
  const token = splitToken(arg);
  const origin: Origin = { source: 'flag', name: token.flag };
  const no = negated(index, token);
  if (no) {
    assignValue(layer, no, false, origin, arg);
    return 1;
  }
  const field = index.byFlag.get(token.flag);
  if (!field && token.flag !== CONFIG_FILE_FLAG) {
    return push(layer, unknownIssue(token.flag, origin, 'flag', [...index.byFlag.keys(), CONFIG_FILE_FLAG]));
  }
  if (field && isBooleanOnly(field) && token.inline === undefined) {
    assignValue(layer, field, true, origin, arg);
    return 1;
  }
  const raw = takeValue(argv, i, token);
  if (raw === undefined) return push(layer, missingIssue(field, token.flag, origin));
  if (field) assignText(layer, field, raw, origin);
  else state.configPath = raw;
  return token.inline === undefined ? 2 : 1;
}

function push(layer: Layer, issue: ConfigIssue): number {
  layer.issues.push(issue);
  return 1;
}

/** The value after `=`, else the next argument unless that is itself a flag. */
function takeValue(argv: readonly string[], i: number, token: Token): string | undefined {
  if (token.inline !== undefined) return token.inline;
  const next = argv[i + 1];
  return next === undefined || next.startsWith('--') ? undefined : next;
}

function strayIssue(arg: string): ConfigIssue {
  return makeIssue({
    path: arg,
    origin: { source: 'flag', name: 'the command line' },
    given: JSON.stringify(arg),
    allowed: 'one ENTRY, then --name=value, --name value, or --flag / --no-flag for booleans',
    problem: `unexpected argument ${JSON.stringify(arg)}`,
  });
}

function missingIssue(field: FieldSpec | undefined, flag: string, origin: Origin): ConfigIssue {
  return makeIssue({
    path: field?.path ?? CONFIG_FILE_KEY,
    env: field?.env ?? envName([CONFIG_FILE_KEY]),
    flag,
    origin,
    allowed: `${flag}=value or ${flag} value`,
    problem: `${flag} has no value`,
  });
}
