/**
 * A peer's log file in the run's scratch directory: Samovar's stdout (every line it logs) or
 * nginx's access log. Servers log to a file as they would in production, not to /dev/null, so the
 * kernel's part of a logged line (the page-cache copy of every write) is in the server's CPU.
 *
 * The lab empties the file just before each measurement and counts what the measurement wrote
 * right after it (lines and bytes: the sanity check that an access log on wrote about one line per
 * request and one off wrote none), then empties it again. Disk use stays at one measurement's
 * worth — about 85 MB a second at 340k lines a second — and, emptied well within the kernel's 30 s
 * dirty-page expiry, the lines are dropped from the page cache before writeback puts them on disk.
 * Writers must open the file with O_APPEND (the lab opens Samovar's stdout so; nginx opens its logs
 * so), or a write after a truncation would land at the old offset and leave a hole.
 * Must not: read the file while a measurement runs (the lab's reading would compete with the
 * server and the load generator for the CPUs).
 */
import { closeSync, fstatSync, openSync, readSync, truncateSync, writeFileSync } from 'node:fs';

/** Lines and bytes one measurement wrote to a peer's log. */
export interface LogCount {
  readonly lines: number;
  readonly bytes: number;
}

const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
/** Bytes read from the end of the file for its last lines (a report's tail, a dead server's last words). */
const TAIL_BYTES = 8 * 1024;
/** Lines of each measurement's log kept for the report. */
const LAST_LINES = 5;

export class PeerLog {
  readonly path: string;
  /**
   * How long after the load stops the server may still be writing lines it holds: a Samovar
   * worker writes at the end of its event-loop turn; nginx with `buffer=… flush=1s` up to 1 s later.
   */
  readonly flushMs: number;
  /** The last lines of the latest measurement's log (what `collect` saw before emptying the file). */
  lastLines: readonly string[] = [];
  #buffer: Buffer | null = null;

  constructor(path: string, flushMs: number) {
    this.path = path;
    this.flushMs = flushMs;
    writeFileSync(path, '', { mode: 0o644 });
  }

  /** A descriptor for a child's stdout: write-only, O_APPEND. The caller closes it once spawned. */
  openForAppend(): number {
    return openSync(this.path, 'a');
  }

  /** Empties the file; writers with O_APPEND go on at its new end. */
  reset(): void {
    truncateSync(this.path, 0);
  }

  /** After a measurement: what it wrote (its last lines kept in `lastLines`), then the file emptied. */
  collect(): LogCount {
    const counted = this.count();
    this.lastLines = this.tail(LAST_LINES);
    this.reset();
    return counted;
  }

  /** Lines (newlines) and bytes in the file now. */
  count(): LogCount {
    this.#buffer ??= Buffer.allocUnsafe(CHUNK_BYTES);
    const buffer = this.#buffer;
    const fd = openSync(this.path, 'r');
    let lines = 0;
    let bytes = 0;
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
        if (n === 0) break;
        bytes += n;
        const view = n === CHUNK_BYTES ? buffer : buffer.subarray(0, n);
        for (let i = view.indexOf(NEWLINE); i !== -1; i = view.indexOf(NEWLINE, i + 1)) lines++;
      }
    } finally {
      closeSync(fd);
    }
    return { lines, bytes };
  }

  /** The file's last `max` whole lines (fewer when it holds fewer); `[]` when it is gone. */
  tail(max: number): string[] {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return [];
    }
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const lines = buffer.toString('utf8').split('\n');
      // The first piece may be a line cut by the window, the last an empty string after the final newline.
      if (length < size) lines.shift();
      return lines.filter((line) => line !== '').slice(-max);
    } finally {
      closeSync(fd);
    }
  }
}
