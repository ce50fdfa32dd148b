/**
 * Configuration problems as values, and every builder of them: each `ConfigIssue` names the field
 * (its path, environment variable and flag), the value given and where it came from, and what is
 * allowed, so that an operator can fix it from the message alone. `formatConfigIssues` turns them
 * into the text printed before exit 78, or logged when a reload is refused.
 * Must not: print, exit or throw; a bad value is reported, never fatal here.
 */
import { CONFIG_FILE } from './fields.ts';
import type { FieldNames, FieldSpec } from './fields.ts';

/** Where a value came from, lowest precedence first. */
export type ConfigSource = 'defaults' | 'file' | 'env' | 'flag';

export interface ConfigIssue {
  /** The field's dotted path (`limits.maxBodyBytes`), `config` for the config file itself, or an unknown name as written. */
  readonly path: string;
  /** The field's environment variable, when the issue is about a known field. */
  readonly env: string | undefined;
  /** The field's flag, when the issue is about a known field. */
  readonly flag: string | undefined;
  readonly source: ConfigSource;
  /** What gave the value: `SAMOVAR_PORT`, `PORT`, `--port`, a file's path. */
  readonly origin: string;
  /** The value as given, shown as JSON (quoted strings); undefined when none was given. */
  readonly given: string | undefined;
  /** What would have been accepted, in words. */
  readonly allowed: string;
  /** One line for humans, holding all of the above. */
  readonly message: string;
}

/** Where a value came from: the layer and the variable, flag or file that set it. */
export interface Origin {
  readonly source: ConfigSource;
  readonly name: string;
}

const MAX_SHOWN_CHARS = 80;

/** A value as JSON, cut short: messages must stay one readable line. */
export function showValue(value: unknown): string {
  // Values come from JSON, env or argv, so JSON can show them all (undefined: a missing one).
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}

function integerText({ type, unit }: FieldSpec): string | undefined {
  if (!type.integer) return undefined;
  const { min, max } = type.integer;
  const bounds = max >= Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  return `an integer ${bounds}${unit === 'ms' ? ' (milliseconds)' : unit === 'bytes' ? ' (bytes)' : ''}`;
}

/** What a field accepts, in words: `an integer from 0 to 65535`, `one of "rr", "none"`. */
export function allowedText(field: FieldSpec): string {
  const { type } = field;
  const parts: string[] = [];
  if (type.words.length === 1) parts.push(showValue(type.words[0]));
  if (type.words.length > 1) parts.push(`one of ${type.words.map((w) => showValue(w)).join(', ')}`);
  const integer = integerText(field);
  if (integer) parts.push(integer);
  if (type.boolean) parts.push('true or false');
  if (field.allowedText) parts.push(field.allowedText);
  return parts.join(' or ');
}

interface IssueParts {
  /** The field (or the config file) the issue is about, or a name that is none, as written. */
  readonly about: FieldNames | string;
  readonly origin: Origin;
  readonly given?: string | undefined;
  readonly allowed: string;
  /** What went wrong; defaults to "got <given> from <origin>". */
  readonly problem?: string;
}

function makeIssue({ about, origin, given, allowed, problem }: IssueParts): ConfigIssue {
  const { path, env, flag } =
    typeof about === 'string' ? { path: about, env: undefined, flag: undefined } : about;
  const label = env && flag ? `${path} (env ${env}, flag ${flag})` : path;
  const what = problem ?? `got ${given ?? 'nothing'} from ${origin.name}`;
  const message = `${label}: ${what}; allowed: ${allowed}`;
  return { path, env, flag, source: origin.source, origin: origin.name, given, allowed, message };
}

/** A known field was given a value it does not accept; `note` says more than "not allowed". */
export function badValueIssue(field: FieldSpec, origin: Origin, given: unknown, note?: string): ConfigIssue {
  const digits = field.type.integer && (origin.source === 'env' || origin.source === 'flag');
  const allowed = allowedText(field) + (digits ? ', written in plain decimal digits' : '');
  const shown = showValue(given);
  const problem = `got ${shown} from ${origin.name}${note === undefined ? '' : ` (${note})`}`;
  return makeIssue({ about: field, origin, given: shown, allowed, problem });
}

/** The whole-schema parse found a field without a default, or a rule about no one field. */
export function defaultsIssue(
  path: string,
  field: FieldSpec | undefined,
  origin: Origin,
  message: string,
): ConfigIssue {
  if (!field) return makeIssue({ about: path || '(root)', origin, allowed: message, problem: message });
  return makeIssue({
    about: field,
    origin,
    allowed: allowedText(field),
    problem: `missing from ${origin.name}`,
  });
}

/** An issue about the config file itself (`--config` / `SAMOVAR_CONFIG`). */
export function fileIssue(origin: Origin, filePath: string, problem: string): ConfigIssue {
  const allowed = 'a readable JSON file holding one object of config fields';
  return makeIssue({ about: CONFIG_FILE, origin, given: showValue(filePath), allowed, problem });
}

/** A key of the config file naming a group (`timeouts`) holds something other than an object. */
export function groupIssue(
  path: string,
  keys: readonly string[],
  value: unknown,
  origin: Origin,
): ConfigIssue {
  const allowed = `an object with some of the keys ${keys.join(', ')}`;
  return makeIssue({ about: path, origin, given: showValue(value), allowed });
}

/** A flag that needs a value was given none (`--port` last, or followed by another flag). */
export function missingValueIssue(about: FieldNames, origin: Origin): ConfigIssue {
  const { flag } = about;
  return makeIssue({
    about,
    origin,
    allowed: `${flag}=value or ${flag} value`,
    problem: `${flag} has no value`,
  });
}

/** A command-line argument that is neither a flag nor the one ENTRY. */
export function strayIssue(arg: string): ConfigIssue {
  return makeIssue({
    about: arg,
    origin: { source: 'flag', name: 'the command line' },
    given: JSON.stringify(arg),
    allowed: 'one ENTRY, then --name=value, --name value, or --flag / --no-flag for booleans',
    problem: `unexpected argument ${JSON.stringify(arg)}`,
  });
}

/** A flag, variable or key that names no field: a typo must not pass silently. */
export function unknownIssue(
  name: string,
  origin: Origin,
  what: string,
  known: readonly string[],
): ConfigIssue {
  const guess = closest(name, known);
  const hint = guess === undefined ? '' : ` (did you mean ${guess}?)`;
  return makeIssue({
    about: name,
    origin,
    allowed: `the ${what}s listed in docs/configuration.md`,
    problem: `unknown ${what}${origin.name === name ? '' : ` in ${origin.name}`}${hint}`,
  });
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known name nearest to `name`, if it is near enough to be the one meant. */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** The problems as text for a human: a heading, one line each, and where the fields are listed. */
export function formatConfigIssues(issues: readonly ConfigIssue[], outcome = 'not starting'): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return [
    `samovar: invalid configuration (${count}), ${outcome}:`,
    ...issues.map((issue) => `  - ${issue.message}`),
    'Every field, its default, environment variable and flag: docs/configuration.md',
    '',
  ].join('\n');
}
