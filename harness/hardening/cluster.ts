/**
 * Starts the hardening fixture cluster (entry.ts beside this file) the way ../cluster.ts starts
 * the real one — configuration in the environment, lifecycle read from its JSON log lines, every
 * process killed by PID at the end — plus what hardening needs on top: an optional lowered
 * `ulimit -n` applied to the cluster's processes only (`bash -c 'ulimit -n N; exec node …'`),
 * and a list of the exits nobody asked for.
 * Must not: change the limits of the calling process.
 */

import { launchCluster, onFreePort } from '../cluster.ts';
import type { Cluster } from '../cluster.ts';

export const FIXTURE_ENTRY = 'harness/hardening/entry.ts';

export interface HardeningClusterOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** A lower `ulimit -n` for the cluster (primary and workers inherit it). */
  readonly maxFiles?: number;
  readonly entry?: string;
  readonly readyTimeoutMs?: number;
}

/** Quiet, self-contained defaults: no access log, no metrics port, no static files. */
export const BASE_ENV: Readonly<Record<string, string>> = Object.freeze({
  SAMOVAR_HOST: '127.0.0.1',
  SAMOVAR_WORKERS: '2',
  SAMOVAR_LOG_ACCESS: 'off',
  SAMOVAR_METRICS_ENABLED: 'false',
  SAMOVAR_STATIC_ROOT: '',
});

export function startHardeningCluster(options: HardeningClusterOptions = {}): Promise<Cluster> {
  return onFreePort((port) => {
    const env: Record<string, string> = { ...BASE_ENV, SAMOVAR_PORT: String(port), ...options.env };
    const entry = options.entry ?? FIXTURE_ENTRY;
    const argv =
      options.maxFiles === undefined
        ? [process.execPath, entry]
        : ['bash', '-c', `ulimit -n ${options.maxFiles} && exec "$0" "$@"`, process.execPath, entry];
    return launchCluster(argv, env, port, {
      ready: Number(env.SAMOVAR_WORKERS),
      timeoutMs: options.readyTimeoutMs ?? 20_000,
    });
  });
}

/** Lifecycle lines that mean a worker died or was replaced without being asked to. */
export function unplannedExits(cluster: Cluster): string[] {
  const lines = [
    ...cluster.events('exit', (l) => l.reason !== 'reload' && l.reason !== 'shutdown'),
    ...cluster.events('restart'),
  ];
  return lines.map((l) => JSON.stringify(l));
}

export const MiB = 1024 * 1024;
