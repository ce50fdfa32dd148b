/**
 * The log's destination (src/log/line-sink.ts), against real descriptors and processes:
 *   - lines wait for the end of the event-loop turn, then reach the file whole and in order;
 *   - four processes writing through one FIFO never interleave inside a line (writes of at most
 *     PIPE_BUF bytes that end at newlines), and lines written just before `process.exit` arrive;
 *   - a non-blocking descriptor whose reader stalls: lines are kept and written once it reads
 *     again; past the buffer cap they are dropped, counted, and one `log-dropped` line says so —
 *     or, with `block`, the writer waits (saying so) and every line arrives;
 *   - stdout for a log that never blocks: a FIFO gets a private non-blocking description (fd 1
 *     keeps blocking) and a writer whose reader stopped still finishes; a socket is made
 *     non-blocking as a whole.
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LineSink, PIPE_BUF_BYTES } from '../../src/log/index.ts';

const WRITER = join(import.meta.dirname, 'fixtures', 'line-writer.ts');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'samovar-sink-'));
  dirs.push(dir);
  return dir;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

interface Line {
  w?: number;
  i?: number;
  pad?: string;
  event?: string;
  dropped?: number;
}

/** Every line must be whole JSON: a torn or interleaved line fails here. */
function parseLines(text: string): Line[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Line);
}

function writer(env: Record<string, string>, stdout: 'pipe' | number): ChildProcess {
  const child = spawn(process.execPath, [WRITER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  children.push(child);
  return child;
}

describe('LineSink', () => {
  it('writes at the end of the turn (or when 64 KiB are waiting), whole lines in order', async () => {
    const file = join(scratch(), 'log');
    const fd = openSync(file, 'w');
    try {
      const sink = new LineSink({ fd, flushOnExit: false });
      expect(sink.maxWrite).toBe(64 * 1024);
      const lines = Array.from({ length: 500 }, (_, i) => `{"i":${i},"s":"${'é'.repeat(i % 50)}"}\n`);
      for (const line of lines) sink.write(line);
      expect(statSync(file).size).toBe(0);
      expect(sink.pendingBytes).toBe(Buffer.byteLength(lines.join('')));
      await nextTurn();
      expect(sink.pendingBytes).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
    } finally {
      closeSync(fd);
    }
  });

  it('with flushDelayMs, gathers the lines of many turns into one write (64 KiB still goes at once)', async () => {
    const file = join(scratch(), 'log');
    const fd = openSync(file, 'w');
    try {
      const sink = new LineSink({ fd, flushOnExit: false, flushDelayMs: 60 });
      const started = performance.now();
      const lines: string[] = [];
      for (let turn = 0; turn < 5; turn++) {
        const line = `{"turn":${turn}}\n`;
        lines.push(line);
        sink.write(line);
        await nextTurn();
      }
      // Five turns later nothing is written yet (unless the machine took the whole delay).
      if (performance.now() - started < 50) expect(statSync(file).size).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
      // Past 64 KiB the write does not wait for the delay.
      const big = `{"pad":"${'x'.repeat(1000)}"}\n`;
      for (let i = 0; i < 70; i++) sink.write(big);
      expect(statSync(file).size).toBeGreaterThanOrEqual(64 * 1024);
    } finally {
      closeSync(fd);
    }
  });

  it('writes a line longer than its cap when nothing blocks; counts lines a full disk lost', async () => {
    const file = join(scratch(), 'log');
    const fd = openSync(file, 'w');
    try {
      const sink = new LineSink({ fd, flushOnExit: false, maxBufferedBytes: 1024 });
      const long = `{"long":"${'x'.repeat(200_000)}"}\n`;
      sink.write(long);
      sink.write('{"after":1}\n');
      await nextTurn();
      expect(readFileSync(file, 'utf8')).toBe(long + '{"after":1}\n');
      expect(sink.dropped).toBe(0);
    } finally {
      closeSync(fd);
    }
    // /dev/full answers every write with ENOSPC: the lines are lost, counted, and logging goes on.
    const full = openSync('/dev/full', 'w');
    try {
      const sink = new LineSink({ fd: full, flushOnExit: false });
      for (let i = 0; i < 5; i++) sink.write(`{"i":${i}}\n`);
      await nextTurn();
      sink.write('{"i":5}\n');
      await nextTurn();
      // Six lines, plus each notice that said so (it is lost too, and counted).
      expect(sink.dropped).toBeGreaterThanOrEqual(6);
      expect(sink.pendingBytes).toBe(0);
    } finally {
      closeSync(full);
    }
  });

  it('never interleaves lines of four processes sharing one FIFO, and loses none at exit', async () => {
    const dir = scratch();
    const fifo = join(dir, 'fifo');
    const out = join(dir, 'out');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('sh', ['-c', `exec cat < '${fifo}' > '${out}'`], { stdio: 'inherit' });
    children.push(reader);
    const fd = openSync(fifo, 'w'); // returns once the reader has opened its end
    const lines = 5000;
    const writers = [0, 1, 2, 3].map((w) =>
      // Pads up to 900 code points of up to 4 bytes: lines of up to ~3.6 KiB, under PIPE_BUF.
      writer({ WRITER: String(w), LINES: String(lines), BURST: '250', MAX_PAD: '900' }, fd),
    );
    closeSync(fd);
    expect(await Promise.all(writers.map(exited))).toEqual([0, 0, 0, 0]);
    expect(await exited(reader)).toBe(0);
    const got = parseLines(readFileSync(out, 'utf8'));
    expect(got.length).toBe(4 * lines);
    for (let w = 0; w < 4; w++) {
      const mine = got.filter((l) => l.w === w).map((l) => l.i);
      expect(mine).toEqual(Array.from({ length: lines }, (_, i) => i));
    }
    expect(PIPE_BUF_BYTES).toBe(4096);
  });

  /**
   * A writer on a non-blocking socket its parent does not read until the writer says `until` on
   * stderr (by default: every line handed to the sink).
   */
  async function stalledWriter(env: Record<string, string>, until = 'written\n'): Promise<Line[]> {
    const child = writer({ NONBLOCKING: '1', WRITER: '7', BURST: '100', MAX_PAD: '400', ...env }, 'pipe');
    const stdout = child.stdout as NodeJS.ReadableStream;
    stdout.pause();
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes(until)) resolve();
      });
      child.once('exit', () => resolve());
    });
    stdout.resume();
    expect(await exited(child)).toBe(0);
    return parseLines(Buffer.concat(chunks).toString('utf8'));
  }

  it('keeps lines while a non-blocking reader stalls, and writes them all once it reads', async () => {
    const got = await stalledWriter({ LINES: '6000', MAX_BUFFERED: String(8 * 1024 * 1024) });
    expect(got.map((l) => l.i)).toEqual(Array.from({ length: 6000 }, (_, i) => i));
  });

  it('with block, waits for a stalled reader (saying so once a second) and loses nothing', async () => {
    // 6000 lines of ~200 bytes do not fit in 64 KiB: the writer must wait, and only says
    // `waiting` while it does; the reader resumes then.
    const env = { LINES: '6000', MAX_BUFFERED: String(64 * 1024), ON_STALL: 'block' };
    const got = await stalledWriter(env, 'waiting\n');
    expect(got.filter((l) => l.event === 'log-dropped')).toEqual([]);
    expect(got.map((l) => l.i)).toEqual(Array.from({ length: 6000 }, (_, i) => i));
  });

  it('past its cap drops lines, counts them, and says how many in one warn line', async () => {
    const got = await stalledWriter({ LINES: '6000', MAX_BUFFERED: String(64 * 1024) });
    const notices = got.filter((l) => l.event === 'log-dropped');
    const data = got.filter((l) => l.event === undefined);
    expect(notices.length).toBeGreaterThan(0);
    const dropped = notices.reduce((sum, l) => sum + (l.dropped ?? 0), 0);
    expect(dropped).toBeGreaterThan(0);
    expect(data.length + dropped).toBe(6000);
    const seq = data.map((l) => l.i as number);
    expect(seq).toEqual([...seq].sort((a, b) => a - b));
  });

  it('on a FIFO whose reader stopped, a private non-blocking description: fd 1 keeps blocking, the writer never does', async () => {
    const dir = scratch();
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // The reader: opened here and never read until the writer is gone (a stopped log shipper).
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, 'w');
    try {
      const env = { STDOUT: 'private', LINES: '6000', MAX_BUFFERED: String(64 * 1024), MAX_PAD: '400' };
      const child = writer(env, fd);
      closeSync(fd);
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const started = Date.now();
      // Today's blocking write would wait here until the test times out.
      expect(await exited(child)).toBe(0);
      expect(Date.now() - started).toBeLessThan(8_000);
      const [, got, kind, flags1, flagsN] = stderr.split('\n')[0]?.split(' ') ?? [];
      expect(kind).toBe('pipe');
      expect(Number(got)).toBeGreaterThan(2);
      expect(Number.parseInt(flags1 ?? '', 8) & constants.O_NONBLOCK).toBe(0);
      expect(Number.parseInt(flagsN ?? '', 8) & constants.O_NONBLOCK).toBe(constants.O_NONBLOCK);
      // What the pipe holds is whole lines, in order; the rest was dropped (no reader to tell).
      const lines = parseLines(drain(reader));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThan(6000);
      expect(lines.map((l) => l.i)).toEqual(Array.from({ length: lines.length }, (_, i) => i));
    } finally {
      closeSync(reader);
    }
  });

  it('on a socket, the shared description is made non-blocking (there is no private one)', async () => {
    const child = writer({ STDOUT: 'private', LINES: '10' }, 'pipe');
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.resume();
    expect(await exited(child)).toBe(0);
    const [, got, kind, flags1] = stderr.split('\n')[0]?.split(' ') ?? [];
    expect([got, kind]).toEqual(['1', 'socket']);
    expect(Number.parseInt(flags1 ?? '', 8) & constants.O_NONBLOCK).toBe(constants.O_NONBLOCK);
  });
});

/** Everything a non-blocking read end holds now. */
function drain(fd: number): string {
  const chunks: Buffer[] = [];
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, chunk);
    } catch {
      break; // EAGAIN: empty, the writer's end still open somewhere
    }
    if (n === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}
