/**
 * Builds the one `Config`: defaults < config file < environment < flags, each value checked
 * against its field, the whole then parsed by the schema, checked against the machine (the entry
 * file, the static root) and deeply frozen.
 *
 * `loadConfig` is re-callable (the cluster re-reads configuration on SIGHUP without exiting): it
 * returns every problem found, never throws on bad input, and never exits. `loadConfigOrExit` is
 * the start-up door: the config, or exit 78 (EX_CONFIG, sysexits.h) with one stderr line per
 * problem. `parseEntry` is the one rule for reading `app.entry`, shared with the entry loader.
 * Must not: print or exit (only `loadConfigOrExit` does, at start-up), read `process.env` or
 * `process.argv` but as `loadConfigOrExit`'s defaults, or import the application module.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { z } from 'zod';
import { CONFIG_FILE, indexFields } from './fields.ts';
import { badValueIssue, defaultsIssue, formatConfigIssues } from './issues.ts';
import type { ConfigIssue } from './issues.ts';
import { configSchema } from './schema.ts';
import type { Config } from './schema.ts';
import { DEFAULTS_ORIGIN, readArgv, readConfigFile, readDefaults, readEnv } from './sources.ts';
import type { Assignment, Env, Layer } from './sources.ts';
// The material check alone (node:crypto and files), not the engine's TLS layer.
import { loadMaterial } from '../tls/material.ts';

/** Every field of the real schema, indexed; built once. */
export const CONFIG_FIELDS = indexFields(configSchema);

/** sysexits.h: "Something was found in an unconfigured or misconfigured state." */
export const EX_CONFIG = 78;

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
  const cwd = options.cwd ?? process.cwd();
  const flags = readArgv(CONFIG_FIELDS, options.argv);
  const env = readEnv(CONFIG_FIELDS, options.env);
  const layers = [readDefaults(CONFIG_FIELDS), fileLayer(flags.configPath, options.env, cwd), env, flags];
  const errors = layers.flatMap((layer) => layer.issues);
  const winners = new Map<string, Assignment>();
  for (const layer of layers) for (const a of layer.assignments) winners.set(a.field.path, a);
  const parsed = configSchema.safeParse(nest(winners));
  if (!parsed.success) errors.push(...parsed.error.issues.map((issue) => schemaIssue(issue, winners)));
  if (errors.length === 0 && parsed.success) {
    errors.push(
      ...worldIssues(parsed.data, winners, cwd),
      ...tlsIssues(parsed.data, winners, cwd),
      ...portIssues(parsed.data, winners),
    );
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: deepFreeze(parsed.data) as Config };
}

let defaults: Config | null = null;

/**
 * The defaults alone (`config/defaults.json` under the schema), deeply frozen: what a library
 * user of the engine gets without options, so that `createServer()` and `serve()` build the same
 * server as `npm start`. The file ships with the code: a value the schema rejects is a packaging
 * bug, and throws.
 */
export function defaultConfig(): Config {
  if (defaults !== null) return defaults;
  const layer = readDefaults(CONFIG_FIELDS);
  const winners = new Map<string, Assignment>();
  for (const a of layer.assignments) winners.set(a.field.path, a);
  const parsed = configSchema.safeParse(nest(winners));
  if (layer.issues.length > 0 || !parsed.success) {
    throw new Error(`config/defaults.json does not hold valid defaults: ${formatConfigIssues(layer.issues)}`);
  }
  defaults = deepFreeze(parsed.data);
  return defaults;
}

/**
 * Loads the configuration from the process's arguments and environment, or exits 78. Not for
 * re-reads (SIGHUP): a running server keeps its old config, so those call `loadConfig` and log
 * `formatConfigIssues` instead.
 */
export function loadConfigOrExit(
  argv: readonly string[] = process.argv.slice(2),
  env: Env = process.env,
): Config {
  const result = loadConfig({ argv, env });
  if (result.ok) return result.config;
  // Synchronous for files and pipes on Linux, so the text is out before the exit.
  process.stderr.write(formatConfigIssues(result.errors));
  process.exit(EX_CONFIG);
}

function fileLayer(flagPath: string | undefined, env: Env, cwd: string): Layer {
  if (flagPath !== undefined)
    return readConfigFile(CONFIG_FIELDS, flagPath, { source: 'flag', name: CONFIG_FILE.flag }, cwd);
  const envPath = env[CONFIG_FILE.env];
  if (envPath !== undefined)
    return readConfigFile(CONFIG_FIELDS, envPath, { source: 'env', name: CONFIG_FILE.env }, cwd);
  return { assignments: [], issues: [] };
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
  return defaultsIssue(path, CONFIG_FIELDS.byPath.get(path), DEFAULTS_ORIGIN, issue.message);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
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
  cwd: string,
): ConfigIssue[] {
  const entry = config.app.entry;
  const root = config.static.root;
  const path = entry !== '' ? 'app.entry' : root !== '' ? 'static.root' : null;
  if (path === null) return [];
  const problem = entry !== '' ? entryFileProblem(entry, cwd) : pathProblem(absolute(root, cwd), 'directory');
  const winner = winners.get(path);
  if (problem === null || winner === undefined || winner.origin.source === 'defaults') return [];
  return [badValueIssue(winner.field, winner.origin, entry !== '' ? entry : root, problem)];
}

/**
 * What the TLS fields get wrong about the machine or OpenSSL: a certificate or key that cannot be
 * read, does not parse, does not match, has expired (tls/material.ts says which and why); a cipher
 * list or curve list OpenSSL rejects; a plain-HTTP port equal to the main one. The same check
 * refuses a SIGHUP whose renewed pair is bad, so the running pair stays.
 */
function tlsIssues(
  config: z.output<typeof configSchema>,
  winners: ReadonlyMap<string, Assignment>,
  cwd: string,
): ConfigIssue[] {
  const t = config.tls;
  const issues: ConfigIssue[] = [];
  const issue = (name: string, value: unknown, problem: string): void => {
    const winner = winners.get(`tls.${name}`);
    const field = winner?.field ?? CONFIG_FIELDS.byPath.get(`tls.${name}`);
    if (field === undefined) return;
    issues.push(badValueIssue(field, winner?.origin ?? DEFAULTS_ORIGIN, value, problem));
  };
  for (const [name, options] of [
    ['ciphers', { ciphers: t.ciphers }],
    ['curves', { ecdhCurve: t.curves }],
  ] as const) {
    try {
      createSecureContext(options);
    } catch (error) {
      issue(
        name,
        name === 'ciphers' ? t.ciphers : t.curves,
        `OpenSSL refuses it (${(error as Error).message})`,
      );
    }
  }
  if (t.cert === '') return issues;
  if (t.httpPort !== 0 && t.httpPort === config.port) issue('httpPort', t.httpPort, 'must differ from port');
  const loaded = loadMaterial({ cert: t.cert, key: t.key, ca: t.ca }, cwd);
  if (!loaded.ok) for (const p of loaded.problems) issue(p.field, t[p.field], p.problem);
  return issues;
}

/**
 * Under `cluster.schedulingPolicy` `reuseport` each worker binds the port itself (no shared
 * socket): with port 0 each would be given a different free port, and clients could reach none
 * of them knowingly.
 */
function portIssues(
  config: z.output<typeof configSchema>,
  winners: ReadonlyMap<string, Assignment>,
): ConfigIssue[] {
  if (config.cluster.schedulingPolicy !== 'reuseport' || config.port !== 0) return [];
  const winner = winners.get('cluster.schedulingPolicy');
  const field = winner?.field ?? CONFIG_FIELDS.byPath.get('cluster.schedulingPolicy');
  if (field === undefined) return [];
  const problem = 'needs a fixed port: with port 0 every worker would bind a different one';
  return [badValueIssue(field, winner?.origin ?? DEFAULTS_ORIGIN, 'reuseport', problem)];
}

export interface EntrySpec {
  /** The file as written (before `#`). */
  readonly file: string;
  /** Absolute path of the module. */
  readonly path: string;
  /** `default`, or the name after `#`. */
  readonly exportName: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const absolute = (path: string, cwd: string): string => (isAbsolute(path) ? path : resolve(cwd, path));

/**
 * `app.entry` is `FILE` or `FILE#exportName`: the last `#`, followed by a JavaScript identifier
 * (so a path may hold a `#`), FILE resolved against the working directory.
 */
export function parseEntry(entry: string, cwd: string): EntrySpec {
  const hash = entry.lastIndexOf('#');
  const named = hash > 0 && IDENTIFIER.test(entry.slice(hash + 1));
  const file = named ? entry.slice(0, hash) : entry;
  return { file, path: absolute(file, cwd), exportName: named ? entry.slice(hash + 1) : 'default' };
}

/** What is wrong with the entry's file, in words, or null when it is a readable file. */
export function entryFileProblem(entry: string, cwd: string): string | null {
  return pathProblem(parseEntry(entry, cwd).path, 'file');
}

/** What is wrong with the absolute `path`, in words, or null when it is a `kind`. */
function pathProblem(path: string, kind: 'file' | 'directory'): string | null {
  try {
    const stats = statSync(path);
    return (kind === 'file' ? stats.isFile() : stats.isDirectory()) ? null : `${path} is not a ${kind}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code})`;
  }
}
