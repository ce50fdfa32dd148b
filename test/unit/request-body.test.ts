/**
 * The request body's memory follows its bytes, not its pieces (issue 16 §1): whatever sizes the
 * pieces come in and whatever memory they are windows on, the bytes read back are the bytes
 * pushed, in order, and what waits is held in few allocations.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { IncomingBody, type BodyOwner } from '../../src/server/request-body.ts';
import { prng } from '../../harness/prng.ts';

const owner: BodyOwner = { bodyWanted() {}, bodyDrained() {} };

/** `total` bytes cut into pieces of up to `maxPiece`, each a window on a read of its own size. */
function pieces(seed: number, total: number, maxPiece: number): { whole: Buffer; parts: Buffer[] } {
  const next = prng(seed);
  const whole = Buffer.alloc(total);
  for (let i = 0; i < total; i++) whole[i] = Math.floor(next() * 256);
  const parts: Buffer[] = [];
  for (let at = 0; at < total;) {
    const n = Math.min(total - at, 1 + Math.floor(next() * maxPiece));
    // A read that holds framing around the piece: up to 64 KiB of memory for it.
    const before = Math.floor(next() * 3) === 0 ? Math.floor(next() * 1024) : 0;
    const read = Buffer.alloc(before + n + Math.floor(next() * 64));
    whole.copy(read, before, at, at + n);
    parts.push(read.subarray(before, before + n));
    at += n;
  }
  return { whole, parts };
}

describe('IncomingBody', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('reads back every byte in order, however cut (seed %i)', async (seed) => {
    const { whole, parts } = pieces(seed, 200_000, seed % 2 === 0 ? 16 : 40_000);
    const body = new IncomingBody(owner, seed % 3 === 0 ? whole.length : -1);
    for (const part of parts) body.push(part);
    body.end();
    expect((await body.bytes()).equals(whole)).toBe(true);
  });

  it('interleaves pushes and reads without losing or reordering a byte', async () => {
    const { whole, parts } = pieces(9, 100_000, 300);
    const body = new IncomingBody(owner, -1);
    const read: Buffer[] = [];
    const reader = (async () => {
      for await (const chunk of body) read.push(Buffer.from(chunk));
    })();
    for (let i = 0; i < parts.length; i++) {
      body.push(parts[i] as Buffer);
      if (i % 7 === 0) await Promise.resolve();
      if (i % 97 === 0) await new Promise((r) => setImmediate(r));
    }
    body.end();
    await reader;
    expect(Buffer.concat(read).equals(whole)).toBe(true);
  });

  it('holds a million 1-byte pieces in a few dozen allocations, not a million', async () => {
    const body = new IncomingBody(owner, -1);
    // One read of 6 bytes per chunk on the wire (`1\r\nx\r\n`): each piece a 1-byte window.
    const read = Buffer.from('1\r\nx\r\n'.repeat(1000));
    for (let i = 0; i < 1000; i++)
      for (let k = 0; k < 1000; k++) body.push(read.subarray(k * 6 + 3, k * 6 + 4));
    body.end();
    const held = new Set<ArrayBufferLike>();
    let count = 0;
    let bytes = 0;
    for await (const chunk of body) {
      held.add(chunk.buffer);
      count++;
      bytes += chunk.length;
    }
    expect(bytes).toBe(1_000_000);
    // 16 KiB slabs: 62 of them, each handed out as one piece.
    expect(count).toBeLessThanOrEqual(64);
    expect(held.size).toBeLessThanOrEqual(64);
  });

  it('keeps a whole socket read as it is (no copy) and copies a small window on a big one', async () => {
    const body = new IncomingBody(owner, -1);
    const whole = Buffer.alloc(65_536, 1);
    const big = Buffer.alloc(65_536, 2);
    body.push(whole);
    body.push(big.subarray(100, 140));
    body.end();
    const first = (await body.next()).value as Buffer;
    const second = (await body.next()).value as Buffer;
    expect(first.buffer).toBe(whole.buffer);
    expect(second.buffer).not.toBe(big.buffer);
    expect(second.buffer.byteLength).toBeLessThan(65_536);
    expect(second.equals(Buffer.alloc(40, 2))).toBe(true);
  });

  it('answers 413 past the limit, declared or not', async () => {
    const declared = new IncomingBody(owner, 10);
    await expect(declared.bytes(9)).rejects.toMatchObject({ status: 413 });
    const chunked = new IncomingBody(owner, -1);
    for (let i = 0; i < 20; i++) chunked.push(Buffer.from('x'));
    chunked.end();
    await expect(chunked.bytes(19)).rejects.toMatchObject({ status: 413 });
  });

  it('hands out a body of one piece as it is, and an empty body as empty', async () => {
    const one = new IncomingBody(owner, 5);
    const piece = Buffer.alloc(5, 'h'); // an allocation of its own: a window on the pool would be copied
    one.push(piece);
    one.end();
    const got = await one.bytes();
    expect(got.buffer).toBe(piece.buffer);
    expect(got.toString()).toBe('hhhhh');
    const none = new IncomingBody(owner, -1);
    none.end();
    expect((await none.bytes()).length).toBe(0);
  });
});

/**
 * `bytes()` called before the body arrives (a handler's first act, the usual case): the pieces go
 * straight into the result as they are pushed, and one promise settles at the end.
 */
describe('IncomingBody.bytes() from the start', () => {
  it.each([1, 2, 3, 4])(
    'gathers every byte in order, reads reused by the next one copied (seed %i)',
    async (seed) => {
      const { whole, parts } = pieces(seed, 100_000, seed % 2 === 0 ? 16 : 30_000);
      const body = new IncomingBody(owner, seed % 3 === 0 ? whole.length : -1);
      const got = body.bytes();
      const shared = Buffer.alloc(64 * 1024);
      parts.forEach((part, i) => {
        if ((i + seed) % 2 === 0) body.push(part);
        else {
          // The shared read buffer: overwritten by the next read as soon as push returns.
          part.copy(shared, 7);
          body.pushRange(shared, 7, 7 + part.length, true);
          shared.fill(0xee);
        }
      });
      body.end();
      expect((await got).equals(whole)).toBe(true);
    },
  );

  it('tells the owner the body is wanted, and hands out a body of one piece as it is', async () => {
    let wanted = 0;
    const body = new IncomingBody({ bodyWanted: () => wanted++, bodyDrained() {} }, 5);
    const got = body.bytes();
    expect(wanted).toBe(1);
    expect(body.wanted).toBe(true);
    const piece = Buffer.alloc(5, 'h');
    body.push(piece);
    body.end();
    expect((await got).buffer).toBe(piece.buffer);
  });

  it('rejects with 413 at the piece past the limit of an undeclared body, and drops the rest', async () => {
    const body = new IncomingBody(owner, -1);
    const got = body.bytes(10);
    body.push(Buffer.from('0123456'));
    expect(body.push(Buffer.from('789ab'))).toBe(true);
    await expect(got).rejects.toMatchObject({ status: 413 });
    body.push(Buffer.from('more'));
    body.end();
    expect(body.received).toBe(16);
  });

  it('rejects with the failure, or the discard, that ends the body early; a second reader is refused', async () => {
    const failing = new IncomingBody(owner, 100);
    const failed = failing.bytes();
    await expect(failing.next()).rejects.toThrow('already being read');
    failing.push(Buffer.from('part'));
    failing.fail(new Error('client gone'));
    await expect(failed).rejects.toThrow('client gone');

    const discarded = new IncomingBody(owner, 100);
    const dropped = discarded.bytes();
    discarded.push(Buffer.from('part'));
    discarded.discard();
    await expect(dropped).rejects.toThrow('discarded');
  });

  it('collects a body that arrived whole while the handler was busy, and lets a paused connection read on', async () => {
    let drained = 0;
    const body = new IncomingBody({ bodyWanted() {}, bodyDrained: () => drained++ }, -1);
    const { whole, parts } = pieces(11, 200_000, 20_000);
    const goOn = parts.map((part) => body.push(part));
    body.end();
    expect(goOn).toContain(false); // past the high-water mark: the connection paused
    expect((await body.bytes()).equals(whole)).toBe(true);
    expect(drained).toBe(1);
  });
});
