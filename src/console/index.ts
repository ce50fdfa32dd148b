/**
 * The operator's console commands, run by `samovar status | reload | scale N | stop |
 * log-level LEVEL`: find the primary's control socket from the same configuration the server
 * reads (flags, `SAMOVAR_*`, `--config`), send the request, print progress as it comes and the
 * outcome at the end, and return an exit code that says whether it happened:
 *   0 done (for reload: the new generation serves), 1 it did not (aborted, rejected, cut),
 *   2 usage, 69 no primary there (EX_UNAVAILABLE), 75 no answer in time (EX_TEMPFAIL),
 *   77 not allowed (EX_NOPERM), 78 the configuration read to find the socket is invalid.
 * Must not: import the engine or the supervisor (it is a small client), or exit the process
 * itself (cli.ts does, with the code returned).
 */

import { statSync } from 'node:fs';
import { askControl } from '../cluster/control-client.ts';
import type { ControlOutcome } from '../cluster/control-client.ts';
import { controlSocketPath } from '../cluster/control-protocol.ts';
import type { ControlResult } from '../cluster/control-protocol.ts';
import { EX_CONFIG, formatConfigIssues, loadConfig } from '../config/index.ts';
import type { Env } from '../config/index.ts';
import { isConsoleCommand, parseConsoleArgs } from './args.ts';
import { formatResult, styleFor } from './format.ts';

export { isConsoleCommand };

export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  UNAVAILABLE: 69,
  TEMPFAIL: 75,
  NOPERM: 77,
  CONFIG: EX_CONFIG,
} as const;

export const CONSOLE_USAGE = `Usage: samovar status [--json]
       samovar reload [--json] [--wait SECONDS]
       samovar scale N [--json]
       samovar stop [--timeout SECONDS] [--json]
       samovar log-level LEVEL [--json]

Talk to a running primary through its control socket (control.socket; by default
samovar-PORT.sock in $XDG_RUNTIME_DIR or the working directory). Give the same
configuration flags, SAMOVAR_* variables or --config file as the server, so the
command finds the same socket: samovar status --port 3000. docs/console.md.
`;

export interface ConsoleIo {
  readonly env: Env;
  readonly cwd: string;
  readonly out: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly err: { write(text: string): unknown };
}

export async function runConsole(argv: readonly string[], io: ConsoleIo): Promise<number> {
  const args = parseConsoleArgs(argv);
  if (typeof args === 'string') {
    io.err.write(`samovar: ${args}\n\n${CONSOLE_USAGE}`);
    return ExitCode.USAGE;
  }
  const loaded = loadConfig({ argv: args.configArgv, env: io.env, cwd: io.cwd });
  if (!loaded.ok) {
    io.err.write(formatConfigIssues(loaded.errors, 'cannot tell where the control socket is'));
    return ExitCode.CONFIG;
  }
  const path = controlSocketPath(loaded.config, io.env, io.cwd);
  const style = styleFor(io.out.isTTY === true, io.env);
  // Progress goes to stderr as it happens; stdout gets the report alone, whole, at the end.
  const onProgress = args.json ? undefined : (text: string): unknown => io.err.write(`… ${text}\n`);
  const outcome = await askControl(path, args.request, { timeoutMs: args.waitMs, onProgress });
  if (outcome.kind === 'answered') {
    const { type: _type, ...result } = outcome.result as ControlResult & { type?: string };
    io.out.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(outcome.result, style));
    return outcome.result.ok ? ExitCode.OK : ExitCode.FAILED;
  }
  if (outcome.kind === 'closed' && args.request.command === 'stop' && outcome.progress > 0) {
    io.out.write('stopped: the primary has exited\n');
    return ExitCode.OK;
  }
  io.err.write(`samovar: ${explain(outcome, path, args.waitMs)}\n`);
  return exitCodeOf(outcome);
}

function explain(
  outcome: Exclude<ControlOutcome, { kind: 'answered' }>,
  path: string,
  waitMs: number,
): string {
  switch (outcome.kind) {
    case 'absent':
      return `no Samovar primary at ${path} (no such socket). Is it running with this configuration? Give the server's port, --config or --control.socket.`;
    case 'stale':
      return `${path} is a stale control socket: the primary that made it is gone (it was killed). Starting Samovar again replaces it.`;
    case 'denied':
      return `permission denied on ${path}: the control socket (mode 0600) belongs to ${owner(path)}; run this as that user or as root.`;
    case 'refused':
      return `the primary refused: ${outcome.error}`;
    case 'closed':
      return 'the primary closed the connection without an answer (it may have exited)';
    case 'timeout':
      return `no answer within ${waitMs / 1000} s; the primary goes on with it (samovar status shows where it is)`;
    case 'failed':
      return `cannot talk to the primary at ${path}: ${outcome.error}`;
  }
}

function exitCodeOf(outcome: Exclude<ControlOutcome, { kind: 'answered' }>): number {
  switch (outcome.kind) {
    case 'absent':
    case 'stale':
    case 'closed':
      return ExitCode.UNAVAILABLE;
    case 'denied':
      return ExitCode.NOPERM;
    case 'refused':
      return outcome.error.startsWith('uid ') ? ExitCode.NOPERM : ExitCode.FAILED;
    case 'timeout':
      return ExitCode.TEMPFAIL;
    case 'failed':
      return ExitCode.FAILED;
  }
}

function owner(path: string): string {
  try {
    return `uid ${statSync(path).uid}`;
  } catch {
    return 'another user';
  }
}

export type { ControlResult };
