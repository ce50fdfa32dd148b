/**
 * Busy-machine detection: how much CPU did processes other than ours use while we measured?
 *
 * On Linux, "foreign" CPU = (user + nice + system + steal ticks of the whole machine, from
 * /proc/stat) − (ticks of our own processes: this one and every member of the process groups we
 * spawned, from /proc/<pid>/stat). irq/softirq columns are left out on both sides, because the
 * loopback traffic we generate ourselves lands there. Elsewhere only a coarse fallback exists:
 * the idle share of `os.cpus()` while our servers are idle before a measurement.
 * The same samples give the CPU of the server under load (its process group: a primary and its
 * workers, or nginx's master and workers), for CPU per request and per handshake.
 * Must not: start or stop processes, or decide what counts as "busy" for the report.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Kernel clock ticks per second; 100 on every mainstream Linux build (USER_HZ). */
const TICKS_PER_S = 100;
const SAMPLE_EVERY_MS = 500;
const HAS_PROC = process.platform === 'linux';

interface Snapshot {
  readonly atMs: number;
  readonly machineTicks: number;
  /** Ticks so far of each of our processes, with its process group. */
  readonly own: ReadonlyMap<number, { readonly group: number; readonly ticks: number }>;
}

function machineTicks(): number {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
  const [, user, nice, system, , , , , steal] = line.trim().split(/\s+/).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (steal ?? 0);
}

/** utime + stime of every process whose group is in `groups`, plus this process. */
function ownTicks(groups: ReadonlySet<number>): Map<number, { group: number; ticks: number }> {
  const own = new Map<number, { group: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited between readdir and read
    }
    // Fields after the parenthesised command (which may itself hold spaces or parentheses).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(name);
    const group = Number(rest[2]);
    if (pid !== process.pid && !groups.has(group)) continue;
    own.set(pid, { group, ticks: Number(rest[11]) + Number(rest[12]) });
  }
  return own;
}

function snapshot(groups: ReadonlySet<number>): Snapshot {
  return { atMs: performance.now(), machineTicks: machineTicks(), own: ownTicks(groups) };
}

/**
 * Ticks our processes (those `include` accepts) used from the first snapshot to the last: each
 * process's last-seen count minus its first, so one that exited between samples (an s_time client
 * just before its shell) keeps what it used instead of turning into someone else's CPU.
 */
function ownUsed(snapshots: readonly Snapshot[], include: (pid: number, group: number) => boolean): number {
  const first = snapshots[0];
  if (!first) return 0;
  const lastSeen = new Map<number, number>();
  for (const s of snapshots) {
    for (const [pid, p] of s.own) if (include(pid, p.group)) lastSeen.set(pid, p.ticks);
  }
  let used = 0;
  for (const [pid, ticks] of lastSeen) used += ticks - (first.own.get(pid)?.ticks ?? 0);
  return used;
}

/** Foreign CPU over the snapshots, in cores (1.0 = one core fully used by someone else). */
function foreignCores(snapshots: readonly Snapshot[]): number {
  const from = snapshots[0];
  const to = snapshots[snapshots.length - 1];
  if (!from || !to) return 0;
  const own = ownUsed(snapshots, () => true);
  const seconds = (to.atMs - from.atMs) / 1000;
  if (seconds <= 0) return 0;
  return Math.max(0, (to.machineTicks - from.machineTicks - own) / TICKS_PER_S / seconds);
}

export interface CpuWindow {
  /** Average CPU used by other processes over the window, in cores; `null` where unmeasurable. */
  readonly foreignCores: number | null;
  /** Average CPU of the load generator (the sampler's anchor) over the window, in cores. */
  readonly generatorCores: number | null;
  /**
   * Average CPU of the server under load (the subject's process group) over the window, in
   * cores (user + system time of its processes; the loopback's softirq time is not in it);
   * `null` where unmeasured.
   */
  readonly serverCores?: number | null;
  readonly loadavg1: number;
}

/**
 * Samples while a measurement runs. The window ends at the last sample at which `anchorPid` (the
 * load generator) was still alive, so ticks it spent after that sample are not mistaken for
 * someone else's.
 */
export class CpuSampler {
  readonly #groups: Set<number>;
  readonly #snapshots: Snapshot[] = [];
  readonly #loadavg1 = loadavg()[0] ?? 0;
  #timer: NodeJS.Timeout | null = null;
  #anchorPid = 0;
  #subjectGroup: number | null = null;
  #result: CpuWindow | null = null;

  constructor(groups: Iterable<number>) {
    this.#groups = new Set(groups);
  }

  /** `subjectGroup`: the process group of the server under load, whose CPU is reported. */
  start(anchorPid: number, subjectGroup: number | null = null): void {
    if (!HAS_PROC) return;
    this.#groups.add(anchorPid);
    this.#anchorPid = anchorPid;
    this.#subjectGroup = subjectGroup;
    this.#snapshots.push(snapshot(this.#groups));
    this.#timer = setInterval(() => this.#snapshots.push(snapshot(this.#groups)), SAMPLE_EVERY_MS);
  }

  /** Ends sampling and returns the window; later calls return the same window. */
  stop(): CpuWindow {
    this.#result ??= this.#compute();
    return this.#result;
  }

  #compute(): CpuWindow {
    if (this.#timer) clearInterval(this.#timer);
    const first = this.#snapshots[0];
    const lastIndex = this.#snapshots.findLastIndex((s) => s.own.has(this.#anchorPid));
    const last = this.#snapshots[lastIndex];
    if (!first || !last || last === first) {
      return { foreignCores: null, generatorCores: null, loadavg1: this.#loadavg1 };
    }
    const window = this.#snapshots.slice(0, lastIndex + 1);
    // The generator is its process group (spawned detached, it leads one): wrk or autocannon's
    // runner alone, or the shell and its s_time clients.
    const anchorTicks = ownUsed(window, (_pid, group) => group === this.#anchorPid);
    const seconds = (last.atMs - first.atMs) / 1000;
    const subject = this.#subjectGroup;
    const serverTicks = subject === null ? null : ownUsed(window, (_pid, group) => group === subject);
    return {
      foreignCores: foreignCores(window),
      generatorCores: anchorTicks / TICKS_PER_S / seconds,
      serverCores: serverTicks === null ? null : serverTicks / TICKS_PER_S / seconds,
      loadavg1: this.#loadavg1,
    };
  }
}

function idleShare(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus()) {
    idle += cpu.times.idle;
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.idle + cpu.times.irq;
  }
  return { idle, total };
}

/**
 * Foreign CPU over `ms` while our servers sit idle (before a measurement). Doubles as the pause
 * that lets the previous run's sockets close.
 */
export async function quietCheck(groups: Iterable<number>, ms: number): Promise<CpuWindow> {
  const load = loadavg()[0] ?? 0;
  if (HAS_PROC) {
    const set = new Set(groups);
    const from = snapshot(set);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { foreignCores: foreignCores([from, snapshot(set)]), generatorCores: null, loadavg1: load };
  }
  const from = idleShare();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const to = idleShare();
  const busyShare = 1 - (to.idle - from.idle) / Math.max(1, to.total - from.total);
  return { foreignCores: busyShare * cpus().length, generatorCores: null, loadavg1: load };
}
