/**
 * The cluster for programmatic use (`import { runCluster } from 'samovar/cluster'`): the same
 * supervisor as the `samovar` command, started from the caller's own script. node:cluster forks
 * that script again for each worker, so `runCluster` must be called unconditionally at its top
 * level: in the primary it supervises, in a worker it serves `app.entry`.
 * Must not: import the application in the primary.
 */

import cluster from 'node:cluster';
import type { LoadConfigOptions } from '../config/index.ts';
import { runPrimary } from './primary.ts';
import { runWorker } from './worker.ts';

/**
 * Where the configuration is read from, as the command reads it: `argv` (ENTRY first, then
 * flags; default `process.argv.slice(2)`) and `env` (`SAMOVAR_*`; default `process.env`).
 */
export type ClusterOptions = Partial<Pick<LoadConfigOptions, 'argv' | 'env'>>;

/** Runs the supervisor (primary) or serves the configured application (worker). */
export function runCluster(options: ClusterOptions = {}): void {
  if (cluster.isPrimary) {
    runPrimary({ argv: options.argv ?? process.argv.slice(2), env: options.env ?? process.env });
    return;
  }
  runWorker(async (context) => (await import('../entry/app.ts')).prepareApp(context.config, context));
}

export type { Config, ConfigInput } from '../config/index.ts';
