/**
 * Start-up entry: load the configuration or stop with exit code 78 (EX_CONFIG, sysexits.h) and
 * one stderr line per problem, naming the field, its environment variable and flag, the value
 * given, and what is allowed.
 * Must not: be used for re-reads (SIGHUP): a running server keeps its old config, so those call
 * `loadConfig` and log `formatConfigIssues` instead.
 */
import type { Env } from './env.ts';
import type { ConfigIssue } from './issues.ts';
import { loadConfig } from './load.ts';
import type { Config } from './schema.ts';

/** sysexits.h: "Something was found in an unconfigured or misconfigured state." */
export const EX_CONFIG = 78;

/** The problems as text for a human: a heading, one line each, and where the fields are listed. */
export function formatConfigIssues(issues: readonly ConfigIssue[], outcome = 'not starting'): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map((issue) => `  - ${issue.message}`);
  return [
    `samovar: invalid configuration (${count}), ${outcome}:`,
    ...lines,
    'Every field, its default, environment variable and flag: docs/configuration.md',
    '',
  ].join('\n');
}

/** Loads the configuration from the process's arguments and environment, or exits 78. */
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
