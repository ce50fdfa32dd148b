/**
 * The primary's control socket: a Unix domain socket, never TCP, created with mode 0600 so the
 * kernel lets only its owner (and root) connect() — that file mode is the access control; Node
 * has no SO_PEERCRED (libuv never merged uv_pipe_get_creds), so who asked is the uid the client
 * states, accepted only when it is one the kernel could have let in (the owner's or root's).
 *
 * Claiming the path at start:
 *   - nothing there: bind;
 *   - a socket someone accepts on: another live primary holds it — refused, with its pid;
 *   - a socket nobody accepts on (ECONNREFUSED): left by a primary that was killed; replaced;
 *   - anything else (a regular file, a directory, an unreadable socket): left alone, and this
 *     primary serves without a control socket (a log line says why), as with a busy metrics port.
 * The file is removed when the primary exits, if it is still the one this primary bound.
 *
 * Each connection carries one request line (at most MAX_REQUEST_BYTES, within REQUEST_TIMEOUT_MS)
 * and gets JSON lines back (control-protocol.ts); the handler decides what they say.
 * Must not: act on the cluster (it hands requests to the handler), or follow a symlink it did
 * not make when removing the file.
 */

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import net from 'node:net';
import { askControl } from './control-client.ts';
import { MAX_REQUEST_BYTES, MAX_SOCKET_PATH_BYTES, parseRequest } from './control-protocol.ts';
import type { ControlEnvelope, ControlLine, ControlResult } from './control-protocol.ts';

/** A client has this long to send its request line. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Operators, scripts and a probe or two: more at once is a runaway loop, not a console. */
const MAX_CONNECTIONS = 32;
/** How long the probe of an existing socket waits for its holder to say who it is. */
const PROBE_TIMEOUT_MS = 1_000;

/** Where a request's answer goes; `closed` once the client has gone (the action goes on). */
export interface ControlReply {
  readonly closed: boolean;
  progress(text: string): void;
  result(result: ControlResult): void;
  error(text: string): void;
  onClose(listener: () => void): void;
}

export type ControlHandler = (request: ControlEnvelope, reply: ControlReply) => void;

export type Claim =
  | { readonly kind: 'bound'; readonly socket: ControlSocket; readonly replacedStale: boolean }
  /** Another primary answers on the path: this one must not start. */
  | { readonly kind: 'held'; readonly path: string; readonly pid: number | null }
  /** The path cannot be used (too long, not a socket, no permission): serve without it. */
  | { readonly kind: 'unavailable'; readonly path: string; readonly reason: string };

/** Claims `path` for this primary (see the header): bound, held by a live primary, or unavailable. */
export async function claimControlSocket(path: string): Promise<Claim> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
    return unavailable(
      path,
      `the path is longer than ${MAX_SOCKET_PATH_BYTES} bytes (a Unix socket's limit)`,
    );
  let replacedStale = false;
  const existing = lstatOrNull(path);
  if (existing !== null) {
    if (!existing.isSocket()) return unavailable(path, 'something that is not a socket is there; left alone');
    const probe = await askControl(path, { command: 'status' }, { timeoutMs: PROBE_TIMEOUT_MS });
    if (probe.kind === 'answered' && probe.result.command === 'status')
      return { kind: 'held', path, pid: probe.result.status.pid };
    if (probe.kind === 'timeout' || probe.kind === 'refused' || probe.kind === 'closed')
      return { kind: 'held', path, pid: null };
    if (probe.kind !== 'stale')
      return unavailable(path, `an existing socket could not be probed (${probe.kind})`);
    // Nobody accepts on it: a primary was killed before it could remove it.
    try {
      unlinkSync(path);
    } catch (error) {
      return unavailable(path, `a stale socket could not be removed: ${String(error)}`);
    }
    replacedStale = true;
  }
  try {
    return { kind: 'bound', socket: await ControlSocket.listen(path), replacedStale };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return { kind: 'held', path, pid: null };
    return unavailable(path, String(error));
  }
}

export class ControlSocket {
  readonly path: string;
  /** The uid that owns the socket file: the kernel lets this uid and root connect. */
  readonly ownerUid: number;
  private readonly server: net.Server;
  private readonly inode: number;
  private handler: ControlHandler | null = null;
  private onRefused: (reason: string) => void = () => {};

  private constructor(path: string, server: net.Server) {
    this.path = path;
    this.server = server;
    const stat = lstatSync(path);
    this.ownerUid = stat.uid;
    this.inode = stat.ino;
    process.on('exit', () => this.remove());
  }

  /** Binds `path` with mode 0600 from the start: no moment exists in which others could connect. */
  static listen(path: string): Promise<ControlSocket> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true });
      server.maxConnections = MAX_CONNECTIONS;
      server.once('error', reject);
      // bind(2) creates the file with 0777 & ~umask, synchronously inside listen().
      const umask = process.umask(0o177);
      try {
        server.listen({ path, exclusive: true }, () => {
          server.off('error', reject);
          try {
            chmodSync(path, 0o600);
            const socket = new ControlSocket(path, server);
            server.on('connection', (c) => socket.accept(c));
            server.on('error', () => {});
            resolve(socket);
          } catch (error) {
            server.close();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      } finally {
        process.umask(umask);
      }
    });
  }

  /**
   * Requests go to `handler` from now on (connections before it are answered with an error);
   * `onRefused` hears of a request from a uid the kernel should not have let in.
   */
  serve(handler: ControlHandler, onRefused: (reason: string) => void): void {
    this.handler = handler;
    this.onRefused = onRefused;
  }

  close(): void {
    this.server.close();
    this.remove();
  }

  private remove(): void {
    // Only the file this primary bound: a path that now names another file is someone else's.
    const stat = lstatOrNull(this.path);
    if (stat === null || stat.ino !== this.inode) return;
    try {
      unlinkSync(this.path);
    } catch {
      // Gone already, or the directory is no longer ours to write: nothing more to do at exit.
    }
  }

  private accept(socket: net.Socket): void {
    socket.setEncoding('utf8');
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => {});
    let buffer = '';
    const onData = (chunk: string): void => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) {
        if (Buffer.byteLength(buffer) > MAX_REQUEST_BYTES) refuse(socket, 'the request line is too long');
        return;
      }
      socket.off('data', onData);
      socket.setTimeout(0);
      this.handle(buffer.slice(0, nl), socket);
    };
    socket.on('data', onData);
  }

  private handle(line: string, socket: net.Socket): void {
    const request = parseRequest(line);
    if (typeof request === 'string') return refuse(socket, request);
    if (request.uid !== this.ownerUid && request.uid !== 0) {
      const reason = `uid ${request.uid} may not use this socket: it belongs to uid ${this.ownerUid}`;
      this.onRefused(reason);
      return refuse(socket, reason);
    }
    if (this.handler === null) return refuse(socket, 'the primary is still starting');
    this.handler(request, new SocketReply(socket));
  }
}

class SocketReply implements ControlReply {
  private readonly socket: net.Socket;
  private ended = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('close', () => (this.ended = true));
    // The client may half-close after its request; the answer still goes out.
  }

  get closed(): boolean {
    return this.ended || this.socket.destroyed;
  }

  progress(text: string): void {
    this.write({ type: 'progress', text });
  }

  result(result: ControlResult): void {
    this.write({ type: 'result', ...result });
    this.end();
  }

  error(text: string): void {
    this.write({ type: 'error', error: text });
    this.end();
  }

  onClose(listener: () => void): void {
    this.socket.on('close', listener);
  }

  private write(line: ControlLine): void {
    if (this.closed) return;
    this.socket.write(`${JSON.stringify(line)}\n`);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
  }
}

function refuse(socket: net.Socket, error: string): void {
  socket.end(`${JSON.stringify({ type: 'error', error })}\n`);
}

function unavailable(path: string, reason: string): Claim {
  return { kind: 'unavailable', path, reason };
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path) ?? null;
  } catch {
    return null;
  }
}
