/**
 * Test helper: a raw TCP client that writes exact bytes and collects every byte the server
 * sends, so tests can assert framing byte for byte. It records how the connection ended
 * (FIN from the server, or an error such as ECONNRESET).
 */

import net from 'node:net';
import { Buffer } from 'node:buffer';
import { track } from './server.ts';
import { splitResponses, type ParsedResponse } from './response-reader.ts';

export class RawClient {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  /** The server half-closed (we received FIN). */
  ended = false;
  closed = false;
  error: NodeJS.ErrnoException | null = null;
  /** Bytes received so far (cheap to poll, unlike `bytes`). */
  received = 0;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.received += chunk.length;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error = error;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
      const client = new RawClient(socket);
      track({ close: () => void socket.destroy() });
      socket.once('connect', () => resolve(client));
      socket.once('error', reject);
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.bytes.toString('latin1');
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Waits until `done()` holds, the connection ends, or `timeoutMs` passes (then rejects). */
  async waitFor(done: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.text)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Everything the server sent until it closed its side (FIN or reset). */
  async readToEnd(timeoutMs = 3000): Promise<string> {
    await this.waitFor(() => this.ended || this.closed, timeoutMs, 'the server to close');
    return this.text;
  }

  /** Waits until `count` complete responses arrived and returns them. */
  async responses(
    count: number,
    options: { head?: boolean[] } = {},
    timeoutMs = 3000,
  ): Promise<ParsedResponse[]> {
    let parsed: ParsedResponse[] = [];
    await this.waitFor(
      () => {
        parsed = splitResponses(this.bytes, { head: options.head, final: this.ended || this.closed });
        return parsed.length >= count || this.ended || this.closed;
      },
      timeoutMs,
      `${count} responses`,
    );
    return parsed;
  }

  /** Whether the server has said nothing for `ms` (e.g. a paused or waiting connection). */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.bytes.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.bytes.length === before && !this.ended && !this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }
}

/** Connects, writes `request`, and returns everything until the server closes. */
export async function rawExchange(port: number, request: string | Buffer, timeoutMs = 3000): Promise<string> {
  const client = await RawClient.connect(port);
  client.write(request);
  return client.readToEnd(timeoutMs);
}
