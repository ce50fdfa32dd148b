/**
 * Builds the one `Config`: defaults < config file < environment < flags, each value checked
 * against its field, the whole then parsed by the schema and deeply frozen.
 *
 * `loadConfig` is re-callable (the cluster re-reads configuration on SIGHUP without exiting):
 * it returns every problem found, never throws on bad input, and never exits.
 * Must not: print, exit, or read `process.env` / `process.argv` (the caller passes them).
 */
import type { z } from 'zod';
import { readArgv } from './argv.ts';
import { DEFAULTS_ORIGIN, readDefaults } from './defaults.ts';
import { CONFIG_FILE_ENV, readEnv } from './env.ts';
import type { Env } from './env.ts';
import { indexFields } from './fields.ts';
import { readConfigFile } from './file.ts';
import { allowedText, badValueIssue, makeIssue } from './issues.ts';
import type { ConfigIssue } from './issues.ts';
import type { Assignment, Layer } from './layer.ts';
import { emptyLayer } from './layer.ts';
import { directoryProblem, entryFileProblem } from './entry-file.ts';
import { configSchema } from './schema.ts';
import type { Config } from './schema.ts';

/** Every field of the real schema, indexed; built once. */
export const CONFIG_FIELDS = indexFields(configSchema);

export interface LoadConfigOptions {
  /** The arguments after the script: `process.argv.slice(2)`. */
  readonly argv: readonly string[];
  readonly env: Env;
  /** Resolves a relative config-file path; defaults to `process.cwd()`. */
  readonly cwd?: string;
}

export type LoadConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigIssue[] };

export function loadConfig(options: LoadConfigOptions): LoadConfigResult {
  const flags = readArgv(CONFIG_FIELDS, options.argv);
  const env = readEnv(CONFIG_FIELDS, options.env);
  const file = fileLayer(flags.configPath, options.env, options.cwd ?? process.cwd());
  const layers = [readDefaults(CONFIG_FIELDS), file, env, flags];
  const errors = layers.flatMap((layer) => layer.issues);
  const winners = new Map<string, Assignment>();
  for (const layer of layers) for (const a of layer.assignments) winners.set(a.field.path, a);
  const parsed = configSchema.safeParse(nest(winners));
  if (!parsed.success) errors.push(...parsed.error.issues.map((issue) => schemaIssue(issue, winners)));
  if (errors.length === 0 && parsed.success) errors.push(...worldIssues(parsed.data, winners, options.cwd));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: deepFreeze(parsed.data) as Config };
}

/**
 * What a valid value can still get wrong about the machine: an entry file that is not there, a
 * static root (served by the demo, when no entry is given) that is not a directory. The default
 * root (`public`) is exempt: run from a folder without `public/`, the demo serves the landing
 * page shipped with Samovar (src/app/index.ts); a root someone chose must exist.
 * Caught here, a configuration that can never serve is refused by the primary (exit 78 at start,
 * a rejected reload) instead of being discovered by crashing workers.
 */
function worldIssues(
  config: z.output<typeof configSchema>,
  winners: ReadonlyMap<string, Assignment>,
  cwd = process.cwd(),
): ConfigIssue[] {
  const entry = config.app.entry;
  const root = config.static.root;
  const path = entry !== '' ? 'app.entry' : root !== '' ? 'static.root' : null;
  if (path === null) return [];
  const problem = entry !== '' ? entryFileProblem(entry, cwd) : directoryProblem(root, cwd);
  const winner = winners.get(path);
  if (problem === null || winner === undefined || winner.origin.source === 'defaults') return [];
  return [badValueIssue(winner.field, winner.origin, entry !== '' ? entry : root, problem)];
}

function fileLayer(flagPath: string | undefined, env: Env, cwd: string): Layer {
  if (flagPath !== undefined)
    return readConfigFile(CONFIG_FIELDS, flagPath, { source: 'flag', name: '--config' }, cwd);
  const envPath = env[CONFIG_FILE_ENV];
  if (envPath !== undefined)
    return readConfigFile(CONFIG_FIELDS, envPath, { source: 'env', name: CONFIG_FILE_ENV }, cwd);
  return emptyLayer();
}

/** The winning assignments as the nested object the schema parses. */
function nest(winners: ReadonlyMap<string, Assignment>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const { field, value } of winners.values()) {
    let node = root;
    for (const segment of field.segments.slice(0, -1)) {
      node[segment] ??= {};
      node = node[segment] as Record<string, unknown>;
    }
    node[field.segments.at(-1) ?? ''] = value;
  }
  return root;
}

/** Maps what the whole-schema parse found (a missing default, a cross-field rule) to an issue. */
function schemaIssue(issue: z.core.$ZodIssue, winners: ReadonlyMap<string, Assignment>): ConfigIssue {
  const path = issue.path.join('.');
  const winner = winners.get(path);
  if (winner) return badValueIssue(winner.field, winner.origin, winner.value, issue.message);
  const field = CONFIG_FIELDS.byPath.get(path);
  const allowed = field ? allowedText(field) : issue.message;
  const problem = field ? `missing from ${DEFAULTS_ORIGIN.name}` : issue.message;
  return makeIssue({
    path: path || '(root)',
    env: field?.env,
    flag: field?.flag,
    origin: DEFAULTS_ORIGIN,
    allowed,
    problem,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
