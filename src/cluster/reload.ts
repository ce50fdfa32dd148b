/**
 * SIGHUP's first half: re-read the configuration exactly as at start-up (same argv and
 * environment; the config file is read again) and decide whether it can be rolled out.
 * Invalid → one error line with every problem, and nothing changes. A changed
 * `cluster.schedulingPolicy` cannot take effect (node:cluster fixes it at the first fork), so it
 * is kept, with a warning; every other field takes effect through the rolling restart.
 * Must not: touch workers (the rolling path does), or exit on bad input (`loadConfigOrExit` would).
 */

import type { Config, Env } from '../config/index.ts';
import { formatConfigIssues, loadConfig } from '../config/index.ts';
import type { ClusterLogger } from './log.ts';

export interface ConfigSource {
  readonly argv: readonly string[];
  readonly env: Env;
}

/** The new configuration to roll out, or null when the running one must stay. */
export function rereadConfig(source: ConfigSource, running: Config, logger: ClusterLogger): Config | null {
  const loaded = loadConfig({ argv: source.argv, env: source.env });
  if (!loaded.ok) {
    const errors = formatConfigIssues(loaded.errors, 'keeping the running configuration').trimEnd();
    logger.log('error', 'reload', 'reload rejected: invalid configuration', { result: 'invalid', errors });
    return null;
  }
  const kept = running.cluster.schedulingPolicy;
  if (loaded.config.cluster.schedulingPolicy === kept) return loaded.config;
  logger.log('warn', 'reload', 'cluster.schedulingPolicy only changes on a full restart; keeping it', {
    kept,
  });
  return { ...loaded.config, cluster: { ...loaded.config.cluster, schedulingPolicy: kept } };
}
