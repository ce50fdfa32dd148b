/**
 * Hostile clients for the slowloris and slow-reader measurements (load/hostile.ts and
 * test/hardening/slow-clients.test.ts), all on 127.0.0.1:
 * - tricklers: send the start of a head, then one more header byte every `intervalMs`, never
 *   finishing it (slowloris); when the server cuts one, a new one takes its place, so the
 *   pressure holds for the whole run;
 * - non-readers: send one request for a large streamed answer and never read a byte of it (a
 *   slow reader that has stopped); they do not come back once cut.
 * Every connection's life is recorded (open → closed, and whether a 408 came first), so the
 * caller can check that the server cut each one at its timeout. A client that never reads never
 * sees the server's close either (no read, no EOF), so a non-reader's end is observed on the
 * server's side of the socket pair instead: /proc/net/tcp, polled, shows it leave ESTABLISHED
 * when the server closes it (Linux only).
 * Must not: measure latency (autocannon does, in its own process), or leave a socket open after
 * `stop()`.
 */

import type { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface Life {
  readonly kind: 'trickle' | 'non-reader';
  readonly openedAt: number;
  /** When the server ended it (0 while open, or when we ended it). */
  closedAt: number;
  /** Our port (the server's view of us), once connected. */
  port: number;
  /** The first bytes the server sent, latin1 (up to 64). */
  firstBytes: string;
}

const TRICKLE_HEAD = 'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ';

export class HostileClients {
  readonly lives: Life[] = [];
  private readonly port: number;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly watch: NodeJS.Timeout;

  constructor(port: number) {
    this.port = port;
    this.watch = setInterval(() => this.watchServerSide(), 100);
  }

  /** Opens `count` tricklers (spread over `spreadMs`), each sending a byte every `intervalMs`. */
  trickle(count: number, intervalMs: number, spreadMs = 1_000): void {
    for (let i = 0; i < count; i++) this.later((i * spreadMs) / count, () => this.openTrickler(intervalMs));
  }

  /** Opens `count` connections that ask for `path` and never read. */
  nonReaders(count: number, path: string, spreadMs = 500): void {
    for (let i = 0; i < count; i++) this.later((i * spreadMs) / count, () => this.openNonReader(path));
  }

  /** Connections currently open, by kind. */
  open(kind: Life['kind']): number {
    return this.lives.filter((l) => l.kind === kind && l.closedAt === 0).length;
  }

  /** Ends everything: no reconnects, every socket destroyed. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.watch);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private connect(kind: Life['kind'], onClose: () => void): { socket: net.Socket; life: Life } {
    const life: Life = { kind, openedAt: Date.now(), closedAt: 0, firstBytes: '', port: 0 };
    this.lives.push(life);
    const socket = net.connect({ port: this.port, host: '127.0.0.1' });
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.once('connect', () => (life.port = socket.localPort ?? 0));
    socket.on('data', (chunk: Buffer) => {
      if (life.firstBytes.length < 64)
        life.firstBytes += chunk.toString('latin1', 0, 64 - life.firstBytes.length);
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.stopped) return;
      life.closedAt = Date.now();
      onClose();
    });
    return { socket, life };
  }

  /** Marks non-readers whose server side has left ESTABLISHED as closed now. */
  private watchServerSide(): void {
    const open = this.lives.filter((l) => l.kind === 'non-reader' && l.closedAt === 0 && l.port > 0);
    if (open.length === 0) return;
    const established = serverSidePorts(this.port);
    const now = Date.now();
    for (const life of open) if (!established.has(life.port)) life.closedAt = now;
  }

  private openTrickler(intervalMs: number): void {
    const { socket } = this.connect('trickle', () => this.later(0, () => this.openTrickler(intervalMs)));
    socket.once('connect', () => socket.write(TRICKLE_HEAD));
    const tick = setInterval(() => {
      if (socket.destroyed || this.stopped) return clearInterval(tick);
      socket.write('a');
    }, intervalMs);
    socket.once('close', () => clearInterval(tick));
  }

  private openNonReader(path: string): void {
    const { socket } = this.connect('non-reader', () => {});
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
      // Read the first bytes only (to see the status line), then never again.
      socket.once('data', () => socket.pause());
    });
  }
}

const ESTABLISHED = '01';

/** Client ports of the ESTABLISHED server-side sockets of `serverPort` on 127.0.0.1 (/proc/net/tcp). */
export function serverSidePorts(serverPort: number): Set<number> {
  const local = `0100007F:${serverPort.toString(16).toUpperCase().padStart(4, '0')}`;
  const ports = new Set<number>();
  for (const line of readFileSync('/proc/net/tcp', 'latin1').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== local || f[3] !== ESTABLISHED) continue;
    ports.add(parseInt((f[2] ?? '').split(':')[1] ?? '', 16));
  }
  return ports;
}

/** Milliseconds from open to close of each closed life of `kind`. */
export function lifetimes(lives: readonly Life[], kind: Life['kind']): number[] {
  return lives.filter((l) => l.kind === kind && l.closedAt > 0).map((l) => l.closedAt - l.openedAt);
}

/** The p-th percentile (0–100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
