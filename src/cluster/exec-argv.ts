/**
 * The Node flags a worker is forked with: the primary's own, plus V8's young-generation ceiling
 * (`cluster.workerSemiSpaceMb`). Left to itself V8 grows the semi-space to 32 MiB once a worker
 * has been under load and keeps it there; scavenges of that much new space, and the incremental
 * marking after them, paused the worker 2–10 ms, which is what lifted Samovar's p99 over
 * node:http's after a burst (docs/performance.md).
 * A flag the operator gave (on node's command line or in `NODE_OPTIONS`) wins.
 * Must not: read the configuration itself, or fork.
 */

const SEMI_SPACE_FLAG = '--max-semi-space-size';

export function workerExecArgv(
  semiSpaceMb: number,
  execArgv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const own = [...execArgv];
  if (semiSpaceMb <= 0) return own;
  const given = (flag: string): boolean => flag === SEMI_SPACE_FLAG || flag.startsWith(`${SEMI_SPACE_FLAG}=`);
  if (own.some(given) || (env['NODE_OPTIONS'] ?? '').split(/\s+/).some(given)) return own;
  return [...own, `${SEMI_SPACE_FLAG}=${semiSpaceMb}`];
}
