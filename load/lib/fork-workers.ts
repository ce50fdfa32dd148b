/**
 * The primary of a load-lab peer under `node:cluster` (the node:http baseline, the node:net
 * responder, Hono on @hono/node-server): forks the workers and, on a stop signal, ends them and
 * exits once none is left, or after a grace at the latest. The primary only forks, as Samovar's
 * does, so the peers are measured with the same shape of process tree.
 * Must not: serve, or be imported by src/.
 */
import cluster from 'node:cluster';

export interface ForkOptions {
  /** How long the workers get to close before the primary exits anyway. */
  readonly graceMs: number;
  /** The signals that stop the peer (default SIGTERM, which the lab sends). */
  readonly signals?: readonly NodeJS.Signals[];
}

/** Call in the primary only: forks `workers` workers and stops them on `signals`. */
export function forkWorkers(workers: number, { graceMs, signals = ['SIGTERM'] }: ForkOptions): void {
  for (let i = 0; i < workers; i++) cluster.fork();
  for (const signal of signals) {
    process.once(signal, () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      setTimeout(() => process.exit(0), graceMs).unref();
      cluster.on('exit', () => {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      });
    });
  }
}
