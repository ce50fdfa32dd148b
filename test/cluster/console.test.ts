/**
 * The operator's console against real clusters (issue 18): `samovar status | reload | scale |
 * stop | log-level` run as the real command (`node src/cli.ts …`, a separate process) against a
 * real primary's control socket.
 *   - status: its rows are the workers the log says are serving (real PIDs), as JSON and as text;
 *   - reload under load: every replaced slot reported, old PID → new PID, and no failed request;
 *   - reload with a broken configuration, and one whose replacement never becomes ready: exit 1,
 *     why, and the old generation still serving;
 *   - scale up and down, stop, log-level: what they did, each logged with the uid that asked;
 *   - the socket: a second primary on the same path is refused before it forks, a stale file is
 *     detected and replaced, another user cannot connect (mode 0600, the kernel refuses), and a
 *     client claiming a uid the kernel would not have let in is refused by the primary too.
 */

import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ClusterStatus, ControlResult } from '../../src/cluster/control-protocol.ts';
import { clustersPerTest, FIXTURE } from '../support/clusters.ts';
import { get, MAIN, ROOT, sleep, startCluster } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';
import { failures, steadyGets } from '../../harness/measure/traffic.ts';

const own = clustersPerTest();
const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `samovar ARGS` as its own process, finding the socket through SAMOVAR_CONTROL_SOCKET. */
function samovar(args: readonly string[], socket: string, { as }: { as?: string } = {}): Promise<Run> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SAMOVAR_') && name !== 'PORT'),
  );
  const command = [process.execPath, 'src/cli.ts', ...args];
  // setpriv (util-linux) runs it as another user, with that user's groups only.
  const argv =
    as === undefined
      ? command
      : ['setpriv', `--reuid=${as}`, '--regid=nogroup', '--clear-groups', ...command];
  return new Promise((resolve) => {
    execFile(
      argv[0] as string,
      argv.slice(1),
      { cwd: ROOT, env: { ...inherited, SAMOVAR_CONTROL_SOCKET: socket }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function status(c: Cluster): Promise<ClusterStatus> {
  const run = await samovar(['status', '--json'], c.controlSocket as string);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as Extract<ControlResult, { command: 'status' }>).status;
}

const sorted = (pids: readonly (number | null)[]): (number | null)[] =>
  [...pids].sort((a, b) => (a ?? 0) - (b ?? 0));

function tempDir(mode = 0o700): string {
  const dir = mkdtempSync(join(tmpdir(), 'samovar-console-'));
  chmodSync(dir, mode);
  scratch.push(dir);
  return dir;
}

it('status shows the serving workers with their real PIDs, as JSON and as text; log-level is logged with the uid', async () => {
  const c = own(await startCluster({ entry: MAIN }));
  const s = await status(c);
  expect(s).toMatchObject({
    pid: c.pid,
    state: 'serving',
    health: 'ok',
    generation: 1,
    wantedWorkers: 2,
    readyWorkers: 2,
  });
  expect(s.configChecksum).toMatch(/^[0-9a-f]{12}$/);
  expect(sorted(s.workers.map((w) => w.pid))).toEqual(sorted(c.liveWorkers()));
  for (const w of s.workers)
    expect(w).toMatchObject({ state: 'ready', generation: 1, restarts: 0, lastExit: null });

  // Not a terminal: one tab-separated row per worker under a header.
  const text = await samovar(['status'], c.controlSocket as string);
  expect(text.code).toBe(0);
  const lines = text.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(
    new RegExp(
      `^serving · generation 1 · config [0-9a-f]{12} · 2/2 ready · on 127\\.0\\.0\\.1:${c.port} · primary ${c.pid}`,
    ),
  );
  expect(lines[1]?.split('\t')).toEqual([
    'SLOT',
    'PID',
    'GEN',
    'STATE',
    'UPTIME',
    'REQ/S',
    'P99',
    'CONNS',
    'RSS',
    'LAG',
    'RESTARTS',
    'LAST EXIT',
  ]);
  expect(sorted(lines.slice(2).map((l) => Number(l.split('\t')[1])))).toEqual(sorted(c.liveWorkers()));

  const level = await samovar(['log-level', 'debug'], c.controlSocket as string);
  expect(level).toMatchObject({ code: 0, stdout: 'log level info → debug (the primary and 2 workers)\n' });
  expect(c.events('control', (l) => l.command === 'log-level')).toEqual([
    expect.objectContaining({ uid: 0, level: 'debug', msg: 'log-level asked by uid 0' }),
  ]);
  await c.waitFor('log-level', (l) => l.role === 'primary' && l.source === 'control socket, uid 0');
}, 30_000);

it('reload under load reports every replaced slot, old PID → new PID, and no request fails', async () => {
  const c = own(await startCluster({ entry: MAIN }));
  const before = c.liveWorkers();
  const load = steadyGets(`http://127.0.0.1:${c.port}/`, { connections: 50, durationS: 6 });
  await sleep(1_500);
  const run = await samovar(['reload'], c.controlSocket as string);
  const result = await load;
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(failures(result)).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
  expect(result.requests.total).toBeGreaterThan(1_000);

  const ready = c.events('ready', (l) => l.generation === 2);
  expect(ready).toHaveLength(2);
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^reloaded: generation 2 serves; 2 workers replaced in \d+\.\d\d s$/);
  const reported = lines
    .slice(1)
    .map((l) => /^ {2}slot (\d+) {2}(\d+) → (\d+) {2}ready in \d+\.\d\d s$/.exec(l));
  expect(reported.every((m) => m !== null)).toBe(true);
  const pairs = reported.map((m) => ({ slot: Number(m?.[1]), old: Number(m?.[2]), new: Number(m?.[3]) }));
  expect(sorted(pairs.map((p) => p.old))).toEqual(sorted(before));
  for (const p of pairs) expect(ready.find((l) => l.slot === p.slot)?.workerPid).toBe(p.new);
  // Progress came on stderr as each slot was replaced.
  expect(run.stderr).toMatch(/… slot \d: \d+ → \d+, ready in/);
  const s = await status(c);
  expect(sorted(s.workers.map((w) => w.pid))).toEqual(sorted(pairs.map((p) => p.new)));
  for (const w of s.workers)
    expect(w).toMatchObject({ generation: 2, restarts: 1, lastExit: { reason: 'reload', code: 0 } });
  expect(c.events('control', (l) => l.command === 'reload')).toEqual([expect.objectContaining({ uid: 0 })]);
}, 40_000);

it('reload with a broken configuration exits 1, says why, and the old generation serves on', async () => {
  const dir = tempDir();
  const file = join(dir, 'samovar.json');
  writeFileSync(file, JSON.stringify({ limits: { maxBodyBytes: 65536 } }));
  const c = own(await startCluster({ entry: MAIN, args: ['--config', file] }));
  const before = sorted(c.liveWorkers());
  writeFileSync(file, JSON.stringify({ limits: { maxBodyBytes: -1 } }));
  const run = await samovar(['reload'], c.controlSocket as string);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('reload rejected: the configuration is invalid; nothing was changed');
  expect(run.stdout).toContain('limits.maxBodyBytes');
  expect(run.stdout).toMatch(
    /still serving: generation 1 — slot 0 pid \d+ \(gen 1\), slot 1 pid \d+ \(gen 1\)/,
  );
  expect((await get(c.port, '/')).status).toBe(200);
  const s = await status(c);
  expect(s.generation).toBe(1);
  expect(sorted(s.workers.map((w) => w.pid))).toEqual(before);
}, 30_000);

it('reload whose replacement never becomes ready exits 1, naming it, and the old generation serves on', async () => {
  const c = own(
    await startCluster({
      entry: FIXTURE,
      env: { FIXTURE_STALL_FROM_GENERATION: '2', SAMOVAR_CLUSTER_READY_TIMEOUT_MS: '1000' },
    }),
  );
  const before = sorted(c.liveWorkers());
  const run = await samovar(['reload'], c.controlSocket as string);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(
    /^reload aborted: the replacement for slot \d \(pid \d+\) worker not ready in time/,
  );
  expect(run.stdout).toMatch(
    /still serving: generation 1 — slot 0 pid \d+ \(gen 1\), slot 1 pid \d+ \(gen 1\)/,
  );
  expect((await get(c.port, '/')).status).toBe(200);
  expect(sorted((await status(c)).workers.filter((w) => w.state === 'ready').map((w) => w.pid))).toEqual(
    before,
  );
}, 30_000);

it('scale adds workers and retires them, reporting each', async () => {
  const c = own(await startCluster({ entry: MAIN }));
  const up = await samovar(['scale', '3'], c.controlSocket as string);
  expect(up.code, up.stderr).toBe(0);
  expect(up.stdout).toMatch(/^workers 2 → 3\n {2}slot 2 {2}pid (\d+) started, ready in \d+\.\d\d s\n$/);
  const added = Number(/pid (\d+)/.exec(up.stdout)?.[1]);
  expect(c.liveWorkers()).toContain(added);
  let s = await status(c);
  expect(s.workers.map((w) => [w.slot, w.state])).toEqual([
    [0, 'ready'],
    [1, 'ready'],
    [2, 'ready'],
  ]);
  expect(sorted(s.workers.map((w) => w.pid))).toEqual(sorted(c.liveWorkers()));

  const down = await samovar(['scale', '1'], c.controlSocket as string);
  expect(down.code, down.stderr).toBe(0);
  expect(down.stdout).toMatch(/^workers 3 → 1\n/);
  expect(down.stdout).toContain(`slot 2  pid ${added} drained`);
  expect(down.stdout).toMatch(/slot 1 {2}pid \d+ drained in .+, exited/);
  s = await status(c);
  expect(s).toMatchObject({ wantedWorkers: 1, readyWorkers: 1 });
  expect(s.workers.map((w) => w.pid)).toEqual(c.liveWorkers());
  expect(c.events('control', (l) => l.command === 'scale').map((l) => l.workers)).toEqual([3, 1]);
  expect((await samovar(['scale', '1'], c.controlSocket as string)).stdout).toBe(
    'already 1 workers; nothing to do\n',
  );
}, 30_000);

it('refuses a second primary on the same socket before it forks, and the first serves on', async () => {
  const a = own(await startCluster({ entry: MAIN }));
  const b = own(
    await startCluster({ entry: MAIN, env: { SAMOVAR_CONTROL_SOCKET: a.controlSocket as string }, ready: 0 }),
  );
  await b.exited;
  expect(b.exitCode).toBe(1);
  expect(b.stderr.join('')).toContain(
    `samovar: another Samovar primary (pid ${a.pid}) holds the control socket ${a.controlSocket}; stop it first`,
  );
  expect(b.events('control', (l) => l.level === 'fatal')).toHaveLength(1);
  expect(b.events('spawn')).toEqual([]);
  expect((await status(a)).pid).toBe(a.pid);
  expect(existsSync(a.controlSocket as string)).toBe(true);
}, 30_000);

it('detects a stale socket file, replaces it at start, and removes its own on stop', async () => {
  const dir = tempDir();
  const path = join(dir, 'control.sock');
  // A process that bound the path and was killed: the file stays, nobody accepts on it.
  const holder = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)})`,
  ]);
  for (let i = 0; i < 100 && !existsSync(path); i++) await sleep(50);
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  expect(statSync(path).isSocket()).toBe(true);

  const stale = await samovar(['status'], path);
  expect(stale.code).toBe(69);
  expect(stale.stderr).toContain(`${path} is a stale control socket: the primary that made it is gone`);

  const c = own(await startCluster({ entry: MAIN, env: { SAMOVAR_CONTROL_SOCKET: path } }));
  expect(c.events('control', (l) => l.replacedStale === true)).toHaveLength(1);
  expect((await status(c)).pid).toBe(c.pid);

  const stop = await samovar(['stop', '--timeout', '5'], path);
  expect(stop.code, stop.stderr).toBe(0);
  expect(stop.stdout).toMatch(/^stopped: every worker drained; the primary exited 0 after \d+\.\d\d s\n$/);
  expect(stop.stderr).toContain('… draining 2 worker(s)');
  await c.exited;
  expect(c.exitCode).toBe(0);
  expect(c.events('shutdown', (l) => l.phase === 'unready')[0]).toMatchObject({ timeoutMs: 5000 });
  expect(existsSync(path)).toBe(false);
  const gone = await samovar(['status'], path);
  expect(gone.code).toBe(69);
  expect(gone.stderr).toContain('no Samovar primary at');
}, 30_000);

it('lets no other user in: mode 0600, the kernel refuses them, and a false uid is refused by the primary', async () => {
  // setpriv needs CAP_SETUID to become nobody: CI runs as root (.ci/run), so must a local run.
  expect(process.getuid?.(), 'run as root: this test becomes the user nobody with setpriv').toBe(0);
  // A directory anyone may enter: only the socket's own mode stands between another user and it.
  const dir = tempDir(0o755);
  const path = join(dir, 'control.sock');
  const c = own(await startCluster({ entry: MAIN, env: { SAMOVAR_CONTROL_SOCKET: path } }));
  const mode = statSync(path);
  expect(mode.isSocket()).toBe(true);
  expect(mode.mode & 0o777).toBe(0o600);
  expect(mode.uid).toBe(process.getuid?.());

  const stranger = await samovar(['status'], path, { as: 'nobody' });
  expect(stranger.code).toBe(77);
  expect(stranger.stderr).toContain(
    `permission denied on ${path}: the control socket (mode 0600) belongs to uid 0`,
  );
  const stop = await samovar(['stop'], path, { as: 'nobody' });
  expect(stop.code).toBe(77);
  expect(c.events('control', (l) => l.command !== undefined)).toEqual([]);

  // Past the kernel (as root), a request that claims another uid is still refused.
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.createConnection({ path }, () => {
      socket.end(`${JSON.stringify({ v: 1, uid: 65534, command: 'stop', timeoutMs: null })}\n`);
    });
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => resolve(text)).on('error', reject);
  });
  expect(JSON.parse(answer)).toEqual({
    type: 'error',
    error: 'uid 65534 may not use this socket: it belongs to uid 0',
  });
  await c.waitFor('control', (l) => l.level === 'warn' && /uid 65534/.test(l.msg));
  expect((await status(c)).state).toBe('serving');
}, 30_000);
