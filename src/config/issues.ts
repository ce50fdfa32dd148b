/**
 * Configuration problems as values: each `ConfigIssue` names the field (its path, environment
 * variable and flag), the value given and where it came from, and what is allowed, so that an
 * operator can fix it from the message alone.
 * Must not: print, exit or throw; a bad value is reported, never fatal here.
 */
import { CONFIG_FILE_KEY, envName, flagName } from './fields.ts';
import type { FieldSpec } from './fields.ts';

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
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A value as JSON, cut short: messages must stay one readable line. */
export function showValue(value: unknown): string {
  // Values come from JSON, env or argv, so JSON can show them all (undefined: a missing one).
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}

function integerText(field: FieldSpec): string | undefined {
  const range = field.type.integer;
  if (!range) return undefined;
  const bounds = range.max >= MAX_SAFE ? `of at least ${range.min}` : `from ${range.min} to ${range.max}`;
  return `an integer ${bounds}${field.unit === 'ms' ? ' (milliseconds)' : field.unit === 'bytes' ? ' (bytes)' : ''}`;
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

function label(path: string, env: string | undefined, flag: string | undefined): string {
  return env && flag ? `${path} (env ${env}, flag ${flag})` : path;
}

interface IssueParts {
  readonly path: string;
  readonly env?: string | undefined;
  readonly flag?: string | undefined;
  readonly origin: Origin;
  readonly given?: string | undefined;
  readonly allowed: string;
  /** What went wrong; defaults to "got <given> from <origin>". */
  readonly problem?: string;
}

export function makeIssue(parts: IssueParts): ConfigIssue {
  const { path, env, flag, origin, given, allowed } = parts;
  const problem = parts.problem ?? `got ${given ?? 'nothing'} from ${origin.name}`;
  return {
    path,
    env,
    flag,
    source: origin.source,
    origin: origin.name,
    given,
    allowed,
    message: `${label(path, env, flag)}: ${problem}; allowed: ${allowed}`,
  };
}

/** A known field was given a value it does not accept; `note` says more than "not allowed". */
export function badValueIssue(field: FieldSpec, origin: Origin, given: unknown, note?: string): ConfigIssue {
  const digits = field.type.integer && (origin.source === 'env' || origin.source === 'flag');
  const allowed = allowedText(field) + (digits ? ', written in plain decimal digits' : '');
  const shown = showValue(given);
  const problem = `got ${shown} from ${origin.name}${note === undefined ? '' : ` (${note})`}`;
  return makeIssue({
    path: field.path,
    env: field.env,
    flag: field.flag,
    origin,
    given: shown,
    allowed,
    problem,
  });
}

/** An issue about the config file itself (`--config` / `SAMOVAR_CONFIG`). */
export function fileIssue(origin: Origin, filePath: string, problem: string): ConfigIssue {
  const key = CONFIG_FILE_KEY;
  return makeIssue({
    path: key,
    env: envName([key]),
    flag: flagName([key]),
    origin,
    given: showValue(filePath),
    allowed: 'a readable JSON file holding one object of config fields',
    problem,
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
    path: name,
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
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}
