/**
 * The configuration module's public face: load (or exit 78), the `Config` type, the issue type,
 * and the service-link names the primary reports.
 * Must not: be bypassed: nothing else in Samovar reads `process.env` or argv for settings.
 */
export { loadConfig, CONFIG_FIELDS } from './load.ts';
export type { LoadConfigOptions, LoadConfigResult } from './load.ts';
export { loadConfigOrExit, formatConfigIssues, EX_CONFIG } from './exit.ts';
export { configSchema, LOG_LEVELS, MAX_TIMER_MS } from './schema.ts';
export type { Config, ConfigInput } from './schema.ts';
export type { ConfigIssue, ConfigSource } from './issues.ts';
export { serviceLinks } from './env.ts';
export type { Env } from './env.ts';
export { parseEntry, entryFileProblem, type EntrySpec } from './entry-file.ts';
