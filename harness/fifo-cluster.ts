/**
 * A cluster whose stdout is a FIFO read by `cat`, as `samovar | reader`, Docker's log FIFO or a
 * stuck log shipper give it: stop the reader (`reader.kill('SIGSTOP')`) and the log stalls. The
 * test (test/observability/log-stall.test.ts) and the hostile run (`npm run hostile -- --only
 * stall`) both start theirs here. The cluster's log is read from `cat`'s output.
 * Must not: leave the FIFO, the reader or the cluster behind (`stop`).
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, freePort, ROOT } from './cluster.ts';

export interface FifoCluster {
  readonly cluster: Cluster;
  /** The `cat` reading the FIFO. */
  readonly reader: ChildProcess;
  /** The directory holding the FIFO and the control socket. */
  readonly dir: string;
  /** Lets the reader go on, destroys the cluster, kills the reader, removes the directory. */
  stop(): Promise<void>;
}

/** Starts `entry` with `env` (SAMOVAR_PORT and the control socket are set here) on a FIFO. */
export async function startOnFifo(entry: string, env: Record<string, string>): Promise<FifoCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'samovar-fifo-'));
  const fifo = join(dir, 'log');
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error('mkfifo failed (coreutils)');
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => reader.once('spawn', resolve));
  // A blocking open, as a shell's `|` or Docker's log FIFO gives: it returns once `cat` opened.
  const fd = openSync(fifo, 'w');
  const port = await freePort();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SAMOVAR_') && name !== 'PORT'),
  );
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    // Its control socket in the FIFO's directory: a killed primary leaves nothing in the repository.
    env: {
      ...inherited,
      ...env,
      SAMOVAR_PORT: String(port),
      SAMOVAR_CONTROL_SOCKET: join(dir, 'control.sock'),
    },
    stdio: ['ignore', fd, 'pipe'],
  });
  closeSync(fd);
  const cluster = new Cluster(child, port, reader.stdout);
  return {
    cluster,
    reader,
    dir,
    async stop() {
      reader.kill('SIGCONT');
      await cluster.destroy();
      reader.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
