/**
 * What the console commands print. `samovar status` is a summary line and a table: aligned and
 * coloured on a terminal (unless NO_COLOR is set, no-color.org), tab-separated and plain
 * otherwise, so `awk -F'\t'` and `cut` read it; `--json` prints the primary's answer as it is.
 * The other commands print what happened, one line per step.
 * Must not: write anywhere itself, or decide exit codes; it returns text.
 */

import type {
  ClusterStatus,
  ControlResult,
  RetiredWorker,
  WorkerStatus,
} from '../cluster/control-protocol.ts';
import { formatMs, STATUS_COLUMNS, statusCells, statusSummary } from '../cluster/status-format.ts';

export interface Style {
  /** Pad columns to align them (a terminal), or separate them with tabs. */
  readonly align: boolean;
  readonly colour: boolean;
}

/** A terminal gets both; a pipe or a file neither; NO_COLOR keeps the alignment only. */
export function styleFor(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): Style {
  const noColour = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return { align: isTTY, colour: isTTY && !noColour && env.TERM !== 'dumb' };
}

const SGR = { reset: 0, bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34 } as const;
type Tone = keyof typeof SGR;

function paint(style: Style, tone: Tone, text: string): string {
  return style.colour ? `\u001b[${SGR[tone]}m${text}\u001b[0m` : text;
}

const STATE_TONE: Readonly<Record<string, Tone>> = {
  serving: 'green',
  rolling: 'blue',
  degraded: 'yellow',
  draining: 'red',
};
const ROW_TONE: Readonly<Record<WorkerStatus['state'], Tone | null>> = {
  ready: null,
  starting: 'blue',
  draining: 'dim',
  empty: 'red',
};
/** Columns read as text (left-aligned); the rest are numbers. */
const LEFT_COLUMNS = new Set([3, 11]);
const BAD_EXITS = /^(crash|hang|boot)/;

export function formatStatus(status: ClusterStatus, style: Style): string {
  const summary = statusSummary(status);
  const head = style.colour
    ? summary.replace(status.state, paint(style, STATE_TONE[status.state] ?? 'bold', status.state))
    : summary;
  const rows = status.workers.map(statusCells);
  if (!style.align) return `${head}\n${[[...STATUS_COLUMNS], ...rows].map((r) => r.join('\t')).join('\n')}\n`;
  const widths = STATUS_COLUMNS.map((name, c) =>
    Math.max(name.length, ...rows.map((r) => (r[c] ?? '').length)),
  );
  const pad = (text: string, c: number): string =>
    LEFT_COLUMNS.has(c) ? text.padEnd(widths[c] as number) : text.padStart(widths[c] as number);
  const header = paint(
    style,
    'bold',
    STATUS_COLUMNS.map((name, c) => pad(name, c))
      .join('  ')
      .trimEnd(),
  );
  const lines = rows.map((cells, i) => {
    const w = status.workers[i] as WorkerStatus;
    const text = cells.map((cell, c) => {
      const padded = pad(cell, c);
      if (c === 11 && BAD_EXITS.test(cell)) return paint(style, 'red', padded);
      return padded;
    });
    const tone = ROW_TONE[w.state];
    const line = text.join('  ').trimEnd();
    return tone === null ? line : paint(style, tone, line);
  });
  return `${head}\n${header}\n${lines.join('\n')}\n`;
}

const seconds = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(2)} s`);

/** What a command did, in words (status has its own table). */
export function formatResult(result: ControlResult, style: Style): string {
  switch (result.command) {
    case 'status':
      return formatStatus(result.status, style);
    case 'reload':
      return formatReload(result, style);
    case 'scale':
      return formatScale(result, style);
    case 'stop':
      return result.ok
        ? `stopped: every worker drained; the primary exited 0 after ${seconds(result.durationMs)}\n`
        : `${paint(style, 'red', 'stopped with problems')}: the primary exited ${result.code} after ${seconds(result.durationMs)} (a request was cut, or a worker was killed or crashed; see its log)\n`;
    case 'log-level':
      return `log level ${result.from} → ${result.to} (the primary and ${plural(result.workers, 'worker')})\n`;
  }
}

function formatReload(r: Extract<ControlResult, { command: 'reload' }>, style: Style): string {
  const serving = r.serving.workers
    .map((w) => `slot ${w.slot} pid ${w.pid} (gen ${w.generation})`)
    .join(', ');
  const still = `still serving: generation ${r.serving.generation}${serving === '' ? '' : ` — ${serving}`}\n`;
  switch (r.result) {
    case 'ok': {
      const slots = r.replaced.map(
        (s) => `  slot ${s.slot}  ${s.oldPid ?? 'new'} → ${s.newPid}  ready in ${seconds(s.readyMs)}\n`,
      );
      const head = `${paint(style, 'green', 'reloaded')}: generation ${r.generation ?? '?'} serves; ${plural(r.replaced.length, 'worker')} replaced in ${seconds(r.durationMs)}\n`;
      return head + slots.join('');
    }
    case 'aborted':
      return `${paint(style, 'red', 'reload aborted')}: ${r.reason ?? 'a replacement never became ready'}\n${still}`;
    case 'invalid':
      return `${paint(style, 'red', 'reload rejected')}: the configuration is invalid; nothing was changed\n${indent(r.reason ?? '')}${still}`;
    case 'abandoned':
    case 'refused':
      return `${paint(style, 'red', `reload ${r.result}`)}: ${r.reason ?? ''}\n${still}`;
  }
}

function formatScale(r: Extract<ControlResult, { command: 'scale' }>, style: Style): string {
  if (r.from === r.to) return `already ${r.to} workers; nothing to do\n`;
  const lines = [`workers ${r.from} → ${r.to}`];
  for (const s of r.started)
    lines.push(
      s.error === undefined
        ? `  slot ${s.slot}  pid ${s.pid} started, ready in ${seconds(s.readyMs)}`
        : `  slot ${s.slot}  ${paint(style, 'red', s.error)}`,
    );
  for (const w of r.retired) lines.push(`  slot ${w.slot}  pid ${w.pid} ${retiredText(w)}`);
  if (r.reason !== undefined) lines.push(paint(style, 'red', `  ${r.reason}`));
  return `${lines.join('\n')}\n`;
}

function retiredText(w: RetiredWorker): string {
  const how =
    w.signal !== null ? `killed (${w.signal})` : w.code === 0 ? 'exited' : `exited ${String(w.code)}`;
  return `drained${w.durationMs === null ? '' : ` in ${formatMs(w.durationMs)}`}, ${how}`;
}

function indent(text: string): string {
  return text === '' ? '' : `${text.replace(/^/gm, '  ')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
