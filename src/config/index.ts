/**
 * The configuration module's public face: load (or exit 78), the `Config` type, the issue type,
 * the service-link names the primary reports, and the one rule for reading `app.entry`.
 * Must not: be bypassed: nothing else in Samovar reads `process.env` or argv for settings.
 */
export {
  loadConfig,
  loadConfigOrExit,
  CONFIG_FIELDS,
  EX_CONFIG,
  parseEntry,
  entryFileProblem,
} from './load.ts';
export { defaultConfig } from './load.ts';
export type { LoadConfigOptions, LoadConfigResult, EntrySpec } from './load.ts';
export { formatConfigIssues } from './issues.ts';
export type { ConfigIssue, ConfigSource } from './issues.ts';
export { configSchema, MAX_TIMER_MS } from './schema.ts';
export type { Config, ConfigInput } from './schema.ts';
export type { CacheControlRule } from './static-rules.ts';
export { serviceLinks } from './sources.ts';
export type { Env } from './sources.ts';
