/**
 * The environment layer: `SAMOVAR_<PATH>` variables named by the rule in fields.ts, plus the
 * aliases platforms set for us (`PORT`, honoured only when `SAMOVAR_PORT` is unset).
 *
 * Every other `SAMOVAR_` variable is an error, so a misspelt one cannot be silently ignored;
 * variables without the prefix are none of our business.
 * Must not: read `process.env` itself (the caller passes it) or decide precedence between layers.
 */
import { CONFIG_FILE_KEY, ENV_PREFIX, envName } from './fields.ts';
import type { FieldIndex } from './fields.ts';
import { unknownIssue } from './issues.ts';
import { assignText, emptyLayer } from './layer.ts';
import type { Layer } from './layer.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** The variable naming the optional JSON config file. */
export const CONFIG_FILE_ENV = envName([CONFIG_FILE_KEY]);

/** Conventional variables honoured when the field's own `SAMOVAR_` variable is unset. */
export const ENV_ALIASES: Readonly<Record<string, string>> = { PORT: 'port' };

/** Reads every `SAMOVAR_` variable (and alias) in `env` into a layer. */
export function readEnv(index: FieldIndex, env: Env): Layer {
  const layer = emptyLayer();
  const known = [...index.byEnv.keys(), CONFIG_FILE_ENV];
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV) continue;
    const field = index.byEnv.get(name);
    if (field) assignText(layer, field, raw, { source: 'env', name });
    else layer.issues.push(unknownIssue(name, { source: 'env', name }, 'environment variable', known));
  }
  for (const [alias, path] of Object.entries(ENV_ALIASES)) {
    const field = index.byPath.get(path);
    const raw = env[alias];
    if (!field || raw === undefined || env[field.env] !== undefined) continue;
    assignText(layer, field, raw, { source: 'env', name: alias });
  }
  return layer;
}
