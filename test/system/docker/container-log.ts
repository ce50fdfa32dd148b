/**
 * Samovar's JSON log lines from a container, followed live (`docker logs -f`) from its start to
 * its removal, so a test can wait for lifecycle events (reload, ready, shutdown) and still read
 * the primary's last lines after `docker-compose down` has removed the container.
 * Must not: keep the follower alive past `close()`; it is ended by its PID.
 */

import type { ChildProcess } from 'node:child_process';
import { onLines } from '../../../harness/lines.ts';
import type { Engine } from './engine.ts';

export interface LogLine {
  readonly event?: string;
  readonly time: number;
  readonly role?: string;
  readonly [field: string]: unknown;
}

export class ContainerLog {
  readonly lines: LogLine[] = [];
  readonly other: string[] = [];
  private readonly child: ChildProcess;
  private ended = false;
  private readonly done: Promise<void>;

  constructor(engine: Engine, containerId: string) {
    this.child = engine.follow(['logs', '--follow', containerId]);
    if (this.child.stdout !== null) onLines(this.child.stdout, (line) => this.onLine(line));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.other.push(chunk));
    this.done = new Promise((resolve) => {
      this.child.once('close', () => {
        this.ended = true;
        resolve();
      });
    });
  }

  private onLine(line: string): void {
    try {
      this.lines.push(JSON.parse(line) as LogLine);
    } catch {
      this.other.push(line);
    }
  }

  events(event: string, match: (line: LogLine) => boolean = () => true): LogLine[] {
    return this.lines.filter((l) => l.event === event && match(l));
  }

  /** The first line of `event` satisfying `match`, waiting at most `timeoutMs`. */
  async waitFor(event: string, match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events(event, match)[0];
      if (found) return found;
      if (Date.now() > deadline || this.ended) {
        const tail = this.lines.filter((l) => l.event !== 'access').slice(-15);
        throw new Error(
          `no ${event} line within ${timeoutMs} ms; last lines:\n${tail.map((l) => JSON.stringify(l)).join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits (at most `timeoutMs`) for the follower to end with the container, then ends it. */
  async close(timeoutMs = 5_000): Promise<void> {
    await Promise.race([this.done, new Promise((r) => setTimeout(r, timeoutMs))]);
    if (!this.ended) this.child.kill('SIGTERM');
    await this.done;
  }
}
