/**
 * SIGHUP's first half: re-read the configuration exactly as at start-up (same argv and
 * environment; the config file is read again) and decide whether it can be rolled out.
 * Invalid → one error line with every problem, and nothing changes. Two groups cannot change
 * without a restart, so they are kept, with one warning naming what was asked: a changed
 * `cluster.schedulingPolicy` (node:cluster fixes it at the first fork), `metrics.*` (the
 * primary's own port and the workers' counters: a port rebound under Prometheus, or counters
 * frozen while traffic goes on, would make dashboards lie) and `health.*` (the metrics port's
 * routes are fixed when it starts, and both ports must answer the same paths). Every other field
 * takes effect through the rolling restart.
 * Must not: touch workers (the rolling path does), or exit on bad input (`loadConfigOrExit` would).
 */

import type { Config, LoadConfigOptions } from '../config/index.ts';
import { formatConfigIssues, loadConfig } from '../config/index.ts';
import type { ClusterLogger } from './lifecycle-log.ts';

/** How a SIGHUP ended: rolled out, aborted by a replacement that never became ready, or rejected. */
export const ReloadResult = { OK: 'ok', ABORTED: 'aborted', INVALID: 'invalid' } as const;
export type ReloadResult = (typeof ReloadResult)[keyof typeof ReloadResult];

/** The new configuration to roll out, or null when the running one must stay. */
export function rereadConfig(
  source: LoadConfigOptions,
  running: Config,
  logger: ClusterLogger,
): Config | null {
  const loaded = loadConfig(source);
  if (!loaded.ok) {
    const errors = formatConfigIssues(loaded.errors, 'keeping the running configuration').trimEnd();
    const fields = { result: ReloadResult.INVALID, errors };
    logger.log('error', 'reload', 'reload rejected: invalid configuration', fields);
    return null;
  }
  const policy = running.cluster.schedulingPolicy;
  const asked = loaded.config;
  // Checked at start for the policy asked, here for the one kept: each worker would bind its own port.
  if (policy === 'reuseport' && asked.port === 0) {
    const errors = 'port: 0 cannot be served under the running cluster.schedulingPolicy reuseport';
    logger.log('error', 'reload', 'reload rejected: invalid configuration', {
      result: ReloadResult.INVALID,
      errors,
    });
    return null;
  }
  const changed = [
    ...changedFields('metrics', running.metrics, asked.metrics),
    ...changedFields('health', running.health, asked.health),
  ];
  if (asked.cluster.schedulingPolicy !== policy) changed.unshift('cluster.schedulingPolicy');
  if (changed.length === 0) return asked;
  logger.log(
    'warn',
    'reload',
    `${changed.join(', ')} only change on a full restart; keeping the running values`,
    {
      kept: changed.join(' '),
    },
  );
  const cluster = { ...asked.cluster, schedulingPolicy: policy };
  return { ...asked, metrics: running.metrics, health: running.health, cluster };
}

function changedFields(group: string, running: object, asked: object): string[] {
  const before = running as Record<string, unknown>;
  return Object.entries(asked)
    .filter(([name, value]) => before[name] !== value)
    .map(([name]) => `${group}.${name}`);
}
