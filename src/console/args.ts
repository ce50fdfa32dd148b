/**
 * The console commands' arguments: `samovar status | reload | scale N | stop | log-level LEVEL`,
 * their own options (`--json`, `--timeout SECONDS`, `--wait SECONDS`), and every other flag
 * left for the configuration, which says where the control socket is (`--port`, `--config`,
 * `--control.socket`, the same `SAMOVAR_*` variables as the server's).
 * Must not: read the environment or touch the socket; it only splits argv.
 */

import { CONTROL_COMMANDS, MAX_SCALE_WORKERS } from '../cluster/control-protocol.ts';
import type { ControlCommand, ControlRequest } from '../cluster/control-protocol.ts';
import { MAX_TIMER_MS } from '../config/schema.ts';
import { isLogLevel, LOG_LEVELS } from '../log/settings.ts';

/** How long a command waits for its result unless `--wait` says otherwise: a long roll of many slots. */
export const DEFAULT_WAIT_MS = 10 * 60 * 1000;
/** `status` and `log-level` answer at once; a primary silent this long is stuck. */
const QUICK_WAIT_MS = 10_000;

export interface ConsoleArgs {
  readonly request: ControlRequest;
  readonly json: boolean;
  /** How long to wait for the result. */
  readonly waitMs: number;
  /** What is left: configuration flags, read to find the socket. */
  readonly configArgv: readonly string[];
}

export function isConsoleCommand(word: string | undefined): word is ControlCommand {
  return (CONTROL_COMMANDS as readonly (string | undefined)[]).includes(word);
}

/** The parsed command line, or a usage error in words. `argv[0]` is the command. */
export function parseConsoleArgs(argv: readonly string[]): ConsoleArgs | string {
  const command = argv[0];
  if (!isConsoleCommand(command)) return `unknown command ${String(command)}`;
  const rest: string[] = [];
  const positional: string[] = [];
  let json = false;
  let timeoutMs: number | null = null;
  let waitMs: number | null = null;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    if (name === '--json') json = true;
    else if (name === '--timeout' || name === '--wait') {
      const value = inline ?? argv[++i];
      const ms = seconds(value);
      if (ms === null)
        return `${name} takes a number of seconds (up to ${MAX_TIMER_MS / 1000}), not ${String(value)}`;
      if (name === '--timeout') timeoutMs = ms;
      else waitMs = ms;
    } else if (arg.startsWith('-')) {
      rest.push(arg);
      // A configuration flag's value follows it, unless it is --flag=value or a --no- boolean.
      const next = argv[i + 1];
      if (inline === undefined && next !== undefined && !next.startsWith('-') && !arg.startsWith('--no-')) {
        rest.push(next);
        i++;
      }
    } else positional.push(arg);
  }
  if (timeoutMs !== null && command !== 'stop') return '--timeout belongs to stop (the drain deadline)';
  const request = requestOf(command, positional, timeoutMs);
  if (typeof request === 'string') return request;
  const quick = command === 'status' || command === 'log-level';
  return { request, json, waitMs: waitMs ?? (quick ? QUICK_WAIT_MS : DEFAULT_WAIT_MS), configArgv: rest };
}

function requestOf(
  command: ControlCommand,
  positional: readonly string[],
  timeoutMs: number | null,
): ControlRequest | string {
  const [first, ...extra] = positional;
  const wants = command === 'scale' || command === 'log-level' ? 1 : 0;
  if (extra.length > 0 || (wants === 0 && first !== undefined))
    return `${command} takes ${wants === 0 ? 'no argument' : 'one argument'}; got ${positional.join(' ')}`;
  switch (command) {
    case 'status':
    case 'reload':
      return { command };
    case 'stop':
      return { command, timeoutMs };
    case 'scale': {
      const workers = Number(first);
      if (first === undefined || !/^\d+$/.test(first) || workers < 1 || workers > MAX_SCALE_WORKERS)
        return `scale takes a number of workers from 1 to ${MAX_SCALE_WORKERS}`;
      return { command, workers };
    }
    case 'log-level':
      if (first === undefined || !isLogLevel(first)) return `log-level takes one of ${LOG_LEVELS.join(', ')}`;
      return { command, level: first };
  }
}

function seconds(value: string | undefined): number | null {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value)) return null;
  const ms = Math.round(Number(value) * 1000);
  return ms <= MAX_TIMER_MS ? ms : null;
}

function splitOnce(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}
