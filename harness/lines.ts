/**
 * Splits a text stream into lines as they arrive (a child's stdout of JSON log lines): `onLine`
 * once per complete line, without its newline, in order; then `afterChunk`, once per chunk read.
 * A last line that never gets its newline is not reported.
 * Must not: parse the lines (the caller decides what a line is), or pause the stream.
 */

import type { Readable } from 'node:stream';

export function onLines(stream: Readable, onLine: (line: string) => void, afterChunk?: () => void): void {
  let buffer = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      onLine(line);
      newline = buffer.indexOf('\n');
    }
    afterChunk?.();
  });
}
