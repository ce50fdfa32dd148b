/**
 * The environment layer: `SAMOVAR_<PATH>` variables named by the rule in fields.ts, plus the
 * aliases platforms set for us (`PORT`, honoured only when `SAMOVAR_PORT` is unset).
 *
 * Every other `SAMOVAR_` variable is an error, so a misspelt one cannot be silently ignored;
 * variables without the prefix are none of our business — with one exception, by exact shape:
 * the Docker-link variables a kubelet injects for every Service in the namespace
 * (`enableServiceLinks`, on by default). A Service named `samovar` yields `SAMOVAR_SERVICE_HOST`,
 * `SAMOVAR_SERVICE_PORT[_NAME]`, `SAMOVAR_PORT=tcp://10.0.0.1:80` and `SAMOVAR_PORT_80_TCP[_PROTO|
 * _PORT|_ADDR]`; one named `samovar-metrics` the same under `SAMOVAR_METRICS_`. Those are skipped
 * (and listed, so the primary says so in one line) rather than fatal: fatal, every pod created
 * after the Service crash-loops. The shapes are narrow enough that a typo of a real field (they
 * never end in SERVICE_HOST, SERVICE_PORT…, or PORT_<n>_TCP, and a port is never `tcp://…`)
 * is still an error.
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

/** `SAMOVAR[_X]_SERVICE_HOST`, `…_SERVICE_PORT[_NAME]`, `…_PORT_<n>_<PROTO>[_PROTO|_PORT|_ADDR]`. */
const SERVICE_LINK_NAME =
  /^SAMOVAR_(?:[A-Z0-9_]+_)?(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT_[0-9]+_(?:TCP|UDP|SCTP)(?:_PROTO|_PORT|_ADDR)?)$/;
/** `SAMOVAR[_X]_PORT=tcp://10.0.0.1:80`: a link's address, never a port number. */
const SERVICE_LINK_PORT = /^SAMOVAR_(?:[A-Z0-9_]+_)?PORT$/;
const LINK_URL = /^(?:tcp|udp|sctp):\/\//;

/** Whether `name=value` is a variable a kubelet injects for a Service (enableServiceLinks). */
export function isServiceLink(name: string, value: string): boolean {
  if (SERVICE_LINK_NAME.test(name)) return true;
  return SERVICE_LINK_PORT.test(name) && LINK_URL.test(value);
}

/** The service-link variables in `env`, by name (the primary names them in one line). */
export function serviceLinks(env: Env): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && isServiceLink(name, value))
    .map(([name]) => name);
}

/** Reads every `SAMOVAR_` variable (and alias) in `env` into a layer. */
export function readEnv(index: FieldIndex, env: Env): Layer {
  const layer = emptyLayer();
  const known = [...index.byEnv.keys(), CONFIG_FILE_ENV];
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV) continue;
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
