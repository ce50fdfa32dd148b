/**
 * The policy of src/server/acceptors.ts, turn by turn: spare copies fetched at start, the count
 * raised to 8 and then doubled after long turns that filled every descriptor, never past the
 * most, lowered every SHRINK_TURNS turns to what the busiest of them filled, and every copy closed
 * at the end. Handles and listeners are stand-ins that count their closes; the cluster test
 * (test/cluster/acceptors.test.ts) runs the real thing on a real socket.
 */

import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  acceptorLimit,
  Acceptors,
  FIRST_GROWTH,
  LONG_TURN_MS,
  SHRINK_TURNS,
} from '../../src/server/acceptors.ts';

class Handle {
  closed = false;
  close(): void {
    this.closed = true;
  }
}

function rig(max: number) {
  const asked: number[] = [];
  const listening: Handle[] = [];
  const listeners: { closed: boolean }[] = [];
  const acceptors = new Acceptors({
    max,
    request: (count) => asked.push(count),
    listen: (handle) => {
      listening.push(handle as Handle);
      const listener = { closed: false, close: () => ((listener.closed = true), listener) };
      listeners.push(listener);
      return listener as unknown as net.Server;
    },
  });
  /** The copies asked for so far arrive. */
  const deliver = (): Handle[] => {
    const handles = Array.from({ length: asked.splice(0).reduce((a, b) => a + b, 0) }, () => new Handle());
    for (const h of handles) acceptors.add(h);
    return handles;
  };
  /** A turn that accepts `n` connections and lasts `long` or not, then its check phase. */
  const turn = async (n: number, long: boolean): Promise<void> => {
    for (let i = 0; i < n; i++) acceptors.onAccept();
    if (long) {
      const until = performance.now() + LONG_TURN_MS + 1;
      while (performance.now() < until);
    }
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { acceptors, asked, listening, listeners, deliver, turn };
}

describe('acceptors', () => {
  it('fetch max − 1 spare copies at start and poll none of them', () => {
    const r = rig(16);
    expect(r.asked).toEqual([15]);
    r.deliver();
    expect(r.acceptors.descriptors).toBe(1);
    expect(r.listening).toHaveLength(0);
  });

  it('grow to 8, then double, after long turns that filled every descriptor, up to the most', async () => {
    const r = rig(16);
    r.deliver();
    await r.turn(1, false); // short: the loop comes back soon
    expect(r.acceptors.descriptors).toBe(1);
    await r.turn(1, true);
    expect(r.acceptors.descriptors).toBe(FIRST_GROWTH);
    await r.turn(5, true); // long, but three descriptors found nothing: no backlog
    expect(r.acceptors.descriptors).toBe(8);
    await r.turn(8, true);
    expect(r.acceptors.descriptors).toBe(16);
    await r.turn(16, true);
    expect(r.acceptors.descriptors).toBe(16);
    expect(r.acceptors.grown).toBe(2);
    expect(r.listening).toHaveLength(15);
    expect(r.asked).toEqual([]);
  });

  it('open copies that arrive after the count grew, and keep the rest spare', async () => {
    const r = rig(16);
    await r.turn(1, true);
    expect(r.acceptors.descriptors).toBe(1); // nothing to open yet
    const handles = r.deliver();
    expect(r.acceptors.descriptors).toBe(8);
    expect(handles.filter((h) => h.closed)).toHaveLength(0);
  });

  it(`every ${SHRINK_TURNS} turns, fall to the power of two the busiest filled, and fetch what closed again`, async () => {
    const r = rig(32);
    r.deliver();
    await r.turn(1, true);
    await r.turn(8, true);
    await r.turn(16, true);
    expect(r.acceptors.descriptors).toBe(32);
    for (let i = 0; i < SHRINK_TURNS - 1; i++) await r.turn(i === 2 ? 3 : 1, false);
    expect(r.acceptors.descriptors).toBe(32);
    await r.turn(1, false);
    expect(r.acceptors.descriptors).toBe(4);
    expect(r.acceptors.shrunk).toBe(1);
    expect(r.listeners.filter((l) => l.closed)).toHaveLength(28);
    expect(r.asked).toEqual([28]);
    for (let i = 0; i < SHRINK_TURNS; i++) await r.turn(1, false);
    expect(r.acceptors.descriptors).toBe(1);
    expect(r.asked).toEqual([28, 3]);
  });

  it('close every copy at the end, and a copy that comes later at once', async () => {
    const r = rig(8);
    const handles = r.deliver();
    await r.turn(1, true);
    expect(r.acceptors.descriptors).toBe(8);
    r.acceptors.closeAll();
    expect(r.acceptors.descriptors).toBe(1);
    expect(r.listeners.every((l) => l.closed)).toBe(true);
    expect(handles.filter((h) => !r.listening.includes(h)).every((h) => h.closed)).toBe(true);
    const late = new Handle();
    r.acceptors.add(late);
    expect(late.closed).toBe(true);
    await r.turn(1, true);
    expect(r.acceptors.descriptors).toBe(1);
  });

  it('hold at most 1/256 of the open-file limit per listener, at least one', () => {
    const limits = (soft: string): string =>
      `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                ${soft}                files\n`;
    expect(acceptorLimit(128, limits('1048576'))).toBe(128);
    expect(acceptorLimit(128, limits('20000'))).toBe(78);
    expect(acceptorLimit(128, limits('1024'))).toBe(4);
    expect(acceptorLimit(128, limits('128'))).toBe(1);
    expect(acceptorLimit(128, limits('unlimited'))).toBe(128);
    expect(acceptorLimit(128, '')).toBe(1);
  });

  it('wait for a longer turn where asked (TLS: a batch of accepts is a batch of handshakes)', async () => {
    const asked: number[] = [];
    const acceptors = new Acceptors({
      max: 8,
      longTurnMs: 50,
      request: (count) => asked.push(count),
      listen: () => ({ close: () => undefined }) as unknown as net.Server,
    });
    for (const _ of Array.from({ length: asked[0] ?? 0 })) acceptors.add(new Handle());
    acceptors.onAccept();
    const until = performance.now() + LONG_TURN_MS + 1;
    while (performance.now() < until);
    await new Promise((resolve) => setImmediate(resolve));
    expect(acceptors.descriptors).toBe(1);
  });
});
