/**
 * The client side of the control socket: connect, send one request, hand each progress line to
 * the caller, and resolve with the result — or with what went wrong in words a CLI can print:
 * no socket there, a stale one nobody listens on, one this user may not open, a primary that
 * closed without answering. Used by the `samovar` console commands (src/console/) and by a
 * starting primary probing whether another one holds its socket.
 * Must not: print, exit or format; it returns values.
 */

import net from 'node:net';
import { CONTROL_PROTOCOL, MAX_REQUEST_BYTES } from './control-protocol.ts';
import type { ControlLine, ControlRequest, ControlResult } from './control-protocol.ts';

/** An answer is a status or a report: a few kilobytes per worker at most. */
const MAX_LINE_BYTES = 4 * 1024 * 1024;

export type ControlOutcome =
  | { readonly kind: 'answered'; readonly result: ControlResult }
  | { readonly kind: 'refused'; readonly error: string }
  | { readonly kind: 'absent' }
  | { readonly kind: 'stale' }
  | { readonly kind: 'denied'; readonly code: string }
  | { readonly kind: 'closed'; readonly progress: number }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'failed'; readonly error: string };

export interface AskOptions {
  /** Give up after this long without a result (the connection is closed; the primary goes on). */
  readonly timeoutMs: number;
  readonly onProgress?: (text: string) => void;
}

/** Sends `request` to the primary listening on `path` and waits for its result. */
export function askControl(
  path: string,
  request: ControlRequest,
  options: AskOptions,
): Promise<ControlOutcome> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ path });
    let buffer = '';
    let progress = 0;
    let settled = false;
    const settle = (outcome: ControlOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ kind: 'timeout' }), options.timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      const uid = process.getuid?.() ?? 0;
      const line = JSON.stringify({ v: CONTROL_PROTOCOL, uid, ...request });
      if (Buffer.byteLength(line) >= MAX_REQUEST_BYTES)
        return settle({ kind: 'failed', error: 'request too long' });
      socket.write(`${line}\n`);
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE_BYTES) return settle({ kind: 'failed', error: 'answer too long' });
      let nl = buffer.indexOf('\n');
      while (nl >= 0 && !settled) {
        const line = parseLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (line === null)
          return settle({ kind: 'failed', error: 'the primary answered something that is not JSON' });
        if (line.type === 'progress') {
          progress++;
          options.onProgress?.(line.text);
        } else if (line.type === 'error') settle({ kind: 'refused', error: line.error });
        else settle({ kind: 'answered', result: line });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => settle(connectFailure(error)));
    socket.on('close', () => settle({ kind: 'closed', progress }));
  });
}

function parseLine(text: string): ControlLine | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || !('type' in value)) return null;
    return value as ControlLine;
  } catch {
    return null;
  }
}

function connectFailure(error: NodeJS.ErrnoException): ControlOutcome {
  switch (error.code) {
    case 'ENOENT':
      return { kind: 'absent' };
    case 'ECONNREFUSED':
      return { kind: 'stale' };
    case 'EACCES':
    case 'EPERM':
      return { kind: 'denied', code: error.code };
    case 'EPIPE':
    case 'ECONNRESET':
      return { kind: 'closed', progress: 0 };
    default:
      return { kind: 'failed', error: `${error.code ?? 'error'}: ${error.message}` };
  }
}
