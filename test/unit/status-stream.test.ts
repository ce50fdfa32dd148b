/**
 * The status page's fan-out (src/cluster/status-stream.ts): nothing is built while no page is
 * open, one snapshot a tick is shared by every page, pages beyond the cap are refused, and a page
 * that stops reading is ended instead of holding memory.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { StatusStream, TICK_MS } from '../../src/cluster/status-stream.ts';

let built = { init: 0, tick: 0 };
const source = {
  init: (): string => `{"init":${++built.init}}`,
  tick: (): string => `{"tick":${++built.tick}}`,
};

beforeEach(() => {
  vi.useFakeTimers();
  built = { init: 0, tick: 0 };
});
afterEach(() => {
  vi.useRealTimers();
});

async function take(stream: AsyncIterable<string>, n: number): Promise<string[]> {
  const it = stream[Symbol.asyncIterator]();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done === true) break;
    out.push(r.value);
  }
  return out;
}

it('builds nothing while no page is open', () => {
  const stream = new StatusStream(source, 4);
  vi.advanceTimersByTime(TICK_MS * 10);
  stream.event(() => {
    throw new Error('an event must not be serialised for nobody');
  });
  expect(built).toEqual({ init: 0, tick: 0 });
  expect(stream.ticks).toBe(0);
});

it('sends each page its init, then one shared snapshot per tick and events as they come', async () => {
  const stream = new StatusStream(source, 4);
  const a = stream.subscribe() as AsyncIterable<string>;
  const b = stream.subscribe() as AsyncIterable<string>;
  vi.advanceTimersByTime(TICK_MS);
  stream.event(() => '{"kind":"spawn"}');
  const [first, tick, event] = await take(a, 3);
  expect(first).toBe('retry: 2000\nevent: init\ndata: {"init":1}\n\n');
  expect(tick).toBe('event: status\ndata: {"tick":1}\n\n');
  expect(event).toBe('event: timeline\ndata: {"kind":"spawn"}\n\n');
  expect((await take(b, 3)).slice(1)).toEqual([tick, event]);
  // Two pages, one snapshot per tick.
  expect(built).toEqual({ init: 2, tick: 1 });
});

it('refuses pages past its capacity, and stops its timer when the last page leaves', async () => {
  const stream = new StatusStream(source, 2);
  const a = stream.subscribe() as AsyncIterable<string>;
  const b = stream.subscribe() as AsyncIterable<string>;
  expect(stream.subscribe()).toBeNull();
  await a[Symbol.asyncIterator]().return?.();
  await b[Symbol.asyncIterator]().return?.();
  expect(stream.watchers).toBe(0);
  vi.advanceTimersByTime(TICK_MS * 5);
  expect(built.tick).toBe(0);
  expect(stream.subscribe()).not.toBeNull();
});

it('ends the stream of a page that stops reading', async () => {
  const stream = new StatusStream(source, 2);
  const slow = stream.subscribe() as AsyncIterable<string>;
  vi.advanceTimersByTime(TICK_MS * 80);
  expect(stream.watchers).toBe(0);
  // What it had not read is dropped with it: the iterator is done.
  expect(await take(slow, 1)).toEqual([]);
});
