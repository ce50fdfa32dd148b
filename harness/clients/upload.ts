/**
 * A chunked upload of any size from one reused buffer (RFC 9112 §7.1), with backpressure: the
 * client never holds more than one socket buffer of its own. It stops sending as soon as the
 * server answers early (a 413 mid-body) or closes, and reports how many bytes it had sent then.
 * Used by the big-body test and `npm run hostile -- --only body`.
 * Must not: buffer the body or judge the result.
 */

import { Buffer } from 'node:buffer';
import net from 'node:net';

export interface UploadResult {
  /** Body bytes written to the socket (not necessarily read by the server). */
  readonly sent: number;
  /** Body bytes written when the first byte of the answer arrived (or `sent`). */
  readonly sentAtAnswer: number;
  /** Everything the server sent, latin1. */
  readonly answer: string;
  /** Milliseconds from the first answer byte to the connection's close (-1: never closed). */
  readonly closeAfterAnswerMs: number;
  readonly elapsedMs: number;
}

const CHUNK_BYTES = 64 * 1024;
const CHUNK = Buffer.alloc(CHUNK_BYTES, 0x78);
const CHUNK_LINE = Buffer.from(`${CHUNK_BYTES.toString(16)}\r\n`, 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * POSTs `total` bytes, chunked, to `path`; `progress(sent)` is called every chunk. Resolves
 * once the server has answered and closed, or `timeoutMs` after the last byte was sent.
 */
export function chunkedUpload(
  port: number,
  path: string,
  total: number,
  progress: (sent: number) => void = () => {},
  timeoutMs = 10_000,
): Promise<UploadResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let sent = 0;
    let sentAtAnswer = -1;
    let answeredAt = 0;
    let answer = '';
    let closed = false;
    let timer: NodeJS.Timeout | null = null;
    const done = (): void => {
      if (timer !== null) clearTimeout(timer);
      socket.destroy();
      resolve({
        sent,
        sentAtAnswer: sentAtAnswer < 0 ? sent : sentAtAnswer,
        answer,
        closeAfterAnswerMs: closed && answeredAt > 0 ? Date.now() - answeredAt : -1,
        elapsedMs: Date.now() - started,
      });
    };
    socket.on('data', (chunk: Buffer) => {
      if (sentAtAnswer < 0) {
        sentAtAnswer = sent;
        answeredAt = Date.now();
        timer ??= setTimeout(done, timeoutMs);
      }
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      done();
    });
    const pump = (): void => {
      while (sent < total && sentAtAnswer < 0 && !socket.destroyed) {
        const n = Math.min(CHUNK_BYTES, total - sent);
        socket.cork();
        socket.write(n === CHUNK_BYTES ? CHUNK_LINE : `${n.toString(16)}\r\n`);
        socket.write(n === CHUNK_BYTES ? CHUNK : CHUNK.subarray(0, n));
        const more = socket.write(CRLF);
        socket.uncork();
        sent += n;
        progress(sent);
        if (!more) return void socket.once('drain', pump);
      }
      if (sent >= total && sentAtAnswer < 0 && socket.writable) socket.write('0\r\n\r\n');
      timer ??= setTimeout(done, timeoutMs);
    };
    socket.once('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      );
      pump();
    });
  });
}
