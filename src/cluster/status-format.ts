/**
 * The words and numbers of a status row, written once for `samovar status` (src/console/) and
 * for the page's table as the primary renders it (status-page.ts): the same columns, the same
 * units, whichever way an operator looks. The page's script formats live updates with its own
 * copy of these few rules (it runs in the browser, with no build step).
 * Must not: know about terminals, colours or HTML.
 */

import type { ClusterStatus, ExitSummary, WorkerStatus } from './control-protocol.ts';

export const STATUS_COLUMNS = [
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
] as const;

const DASH = '–';

/** `0.4 s`, `12 s`, `3m05s`, `2h03m`, `4d02h`. */
export function formatUptime(ms: number | null): string {
  if (ms === null) return DASH;
  const s = Math.floor(ms / 1000);
  if (s < 10) return `${(ms / 1000).toFixed(1)} s`;
  if (s < 60) return `${s} s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/** Requests per second: whole numbers with thousands grouped, one decimal below 10. */
export function formatRate(rate: number | null): string {
  if (rate === null) return DASH;
  if (rate < 10) return rate.toFixed(1);
  return Math.round(rate).toLocaleString('en-US');
}

/** Milliseconds: `0.42 ms`, `3.1 ms`, `250 ms`. */
export function formatMs(ms: number | null): string {
  if (ms === null) return DASH;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/**
 * The p99 as the histogram can tell it: its first bucket ends at 1 ms (DURATION_BUCKETS_S), so
 * below that it only knows `< 1 ms` (an interpolated 0.99 ms would be a made-up figure).
 */
export function formatP99(ms: number | null): string {
  if (ms !== null && ms < 1) return '< 1 ms';
  return formatMs(ms);
}

/** Binary units, as `ps` and `top` count memory: `61 MiB`. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return DASH;
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  if (bytes < 1024 ** 3) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** `reload`, `crash (SIGKILL)`, `boot (code 1)`: why the slot's last worker left. */
export function formatExit(exit: ExitSummary | null): string {
  if (exit === null) return DASH;
  const clean = exit.code === 0 && exit.signal === null;
  if (clean) return exit.reason;
  return `${exit.reason} (${exit.signal ?? `code ${String(exit.code)}`})`;
}

/** A worker's row as the columns above, in text. */
export function statusCells(w: WorkerStatus): string[] {
  const lag = w.lagMaxMs === null ? DASH : `${formatMs(w.lagMeanMs)} / ${formatMs(w.lagMaxMs)}`;
  return [
    String(w.slot),
    w.pid === null ? DASH : String(w.pid),
    w.generation === null ? DASH : String(w.generation),
    w.state,
    formatUptime(w.uptimeMs),
    formatRate(w.requestsPerSecond),
    formatP99(w.p99Ms),
    w.openConnections === null ? DASH : String(w.openConnections),
    formatBytes(w.rssBytes),
    lag,
    String(w.restarts),
    formatExit(w.lastExit),
  ];
}

/** The cluster's line above the table: `serving · generation 3 · config 9f2c1a7e04b1 · 2/2 ready …`. */
export function statusSummary(s: ClusterStatus): string {
  return [
    s.state,
    `generation ${s.generation}`,
    `config ${s.configChecksum}`,
    `${s.readyWorkers}/${s.wantedWorkers} ready`,
    `on ${s.address}`,
    `primary ${s.pid}`,
    `up ${formatUptime(s.at - s.startedAt)}`,
    `log ${s.logLevel}`,
  ].join(' · ');
}

/** A log field in words: a number or a string as it is, anything else as JSON. */
export function fieldText(value: unknown): string {
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
