/**
 * The descriptor the log is written to: stdout, arranged so that a reader that stops reading makes
 * a write fail with EAGAIN instead of blocking the process. Whether to wait then, or to drop, is
 * the sink's choice (line-sink.ts); a blocked write(2) would leave it no choice at all.
 *
 * - A regular file, or a character device that is not a terminal (`/dev/null`): as it is. Their
 *   writes never wait for a reader.
 * - A pipe or FIFO (`samovar | x`, Docker's and Kubernetes' log FIFOs) or a terminal: a private
 *   open file description of the same pipe, `open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK)`.
 *   O_NONBLOCK belongs to the description, so the one other processes share with us (a shell, the
 *   workers, `npm`) keeps its own mode. Writes of up to PIPE_BUF are atomic on the pipe, whichever
 *   description they go through, so lines still never interleave.
 * - A socket (journald; a Node parent's `stdio: 'pipe'`, which is a socketpair): /proc cannot open
 *   one (ENXIO). `process.stdout` is touched instead, and libuv makes the shared description
 *   non-blocking, for every process that shares it (a Samovar worker, or anything a worker spawns
 *   with inherited stdio). Node restores the mode it found when the process that changed it exits.
 *   The same fallback serves a pipe when /proc is not mounted (a terminal then stays as it is:
 *   only Ctrl-S stalls one).
 * Must not: close or replace descriptor 1 (a child spawned with inherited stdio still gets it).
 */

import { constants, fstatSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

export const StdoutKind = {
  FILE: 'file',
  PIPE: 'pipe',
  TERMINAL: 'terminal',
  SOCKET: 'socket',
  /** fstat failed: stdout is closed. Writes will fail with EBADF and end logging. */
  CLOSED: 'closed',
} as const;
export type StdoutKind = (typeof StdoutKind)[keyof typeof StdoutKind];

export interface LogDescriptor {
  readonly fd: number;
  readonly kind: StdoutKind;
  /** The description is ours alone (opened through /proc), not shared with other processes. */
  readonly private: boolean;
}

/** Opens (once per process) stdout for a log that must never block on its reader. */
export function nonBlockingStdout(): LogDescriptor {
  cached ??= open();
  return cached;
}

let cached: LogDescriptor | undefined;

function open(): LogDescriptor {
  const kind = stdoutKind();
  if (kind === StdoutKind.FILE || kind === StdoutKind.CLOSED) return { fd: 1, kind, private: false };
  if (kind !== StdoutKind.SOCKET) {
    try {
      // O_NOCTTY: reopening a terminal must not make it this process's controlling terminal.
      const flags = constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
      return { fd: openSync('/proc/self/fd/1', flags), kind, private: true };
    } catch {
      // No /proc (or no reader left: ENXIO); fall back to the shared description.
    }
    // libuv reopens a terminal for its own stream and leaves descriptor 1 as it was.
    if (kind === StdoutKind.TERMINAL) return { fd: 1, kind, private: false };
  }
  // Creating the stream is what makes libuv set O_NONBLOCK; nothing is written through it.
  void process.stdout.writable;
  return { fd: 1, kind, private: false };
}

function stdoutKind(): StdoutKind {
  try {
    const st = fstatSync(1);
    if (isatty(1)) return StdoutKind.TERMINAL;
    if (st.isFile() || st.isCharacterDevice() || st.isBlockDevice()) return StdoutKind.FILE;
    if (st.isFIFO()) return StdoutKind.PIPE;
    return StdoutKind.SOCKET;
  } catch {
    return StdoutKind.CLOSED;
  }
}
