/**
 * Adversarial request bodies that cost the client little and a naive server much: a body cut
 * into as many pieces as the framing allows (1-byte chunks, `1\r\nx\r\n`, optionally with a chunk
 * extension on each). Used by test/hardening/memory.test.ts and `npm run hostile -- --only pieces`.
 * Must not: send anything but to 127.0.0.1, or hold a connection past its answer.
 */

import { connect } from 'node:net';

export interface PiecewiseOptions {
  /** Decoded body bytes (each one a chunk of its own). */
  readonly bodyBytes: number;
  /** A chunk extension on every chunk (e.g. `;a=b`), or none. */
  readonly extension?: string;
}

export interface PiecewiseResult {
  /** The answer's status line, or '' when the connection closed without one. */
  readonly status: string;
  /** The answer as received (head and body). */
  readonly answer: string;
  readonly wireBytes: number;
  readonly elapsedMs: number;
}

/** POSTs `path` with a chunked body of 1-byte chunks and reads the answer until the close. */
export function piecewiseUpload(
  port: number,
  path: string,
  options: PiecewiseOptions,
): Promise<PiecewiseResult> {
  const started = Date.now();
  const block = Buffer.from(`1${options.extension ?? ''}\r\nx\r\n`.repeat(4096));
  const blocks = Math.ceil(options.bodyBytes / 4096);
  const lastChunks = options.bodyBytes - (blocks - 1) * 4096;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let wireBytes = 0;
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      const answer = Buffer.concat(received).toString('latin1');
      const status = answer.startsWith('HTTP/1.1 ') ? answer.slice(0, answer.indexOf('\r\n')) : '';
      resolve({ status, answer, wireBytes, elapsedMs: Date.now() - started });
    });
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    socket.write(head);
    wireBytes += head.length;
    let sent = 0;
    const pump = (): void => {
      while (sent < blocks) {
        sent++;
        const piece = sent < blocks ? block : block.subarray(0, (block.length / 4096) * lastChunks);
        wireBytes += piece.length;
        if (!socket.write(piece)) return void socket.once('drain', pump);
      }
      socket.end('0\r\n\r\n');
      wireBytes += 5;
    };
    pump();
  });
}
