/**
 * The pure parts of the protections, table by table: the token bucket and its bounded table
 * (rate-limit.ts), the overload decision and its lag sampler (overload.ts), and the accept
 * pause after a descriptor shortage (accept-guard.ts).
 */

import { describe, expect, it } from 'vitest';
import {
  ACCEPT_CALM_MS,
  ACCEPT_PAUSE_MAX_MS,
  ACCEPT_PAUSE_MIN_MS,
  AcceptGuard,
} from '../../src/server/accept-guard.ts';
import { LoadMonitor, Shed } from '../../src/server/overload.ts';
import { clientKey, MAX_KEY_LENGTH, RateLimiter } from '../../src/server/rate-limit.ts';

const limiter = (requestsPerSecond: number, burst: number, maxClients = 100): RateLimiter =>
  new RateLimiter({ enabled: true, requestsPerSecond, burst, trustedHeader: '', maxClients });

describe('RateLimiter', () => {
  it('lets a burst through, then refuses with the seconds until the next token', () => {
    const r = limiter(2, 3);
    expect([r.take('a', 0), r.take('a', 0), r.take('a', 0)]).toEqual([0, 0, 0]);
    expect(r.take('a', 0)).toBe(1); // 2/s: a token in 0.5 s, rounded up to 1 s
    expect(r.take('a', 499)).toBe(1);
    expect(r.take('a', 1000)).toBe(0); // 0.5 s later (after the refusal at 499 ms, none taken)
    expect(r.refused).toBe(2);
  });

  it('says how long when the rate is low', () => {
    const r = limiter(1, 1);
    expect(r.take('a', 0)).toBe(0);
    expect(r.take('a', 0)).toBe(1);
    const slow = new RateLimiter({
      enabled: true,
      requestsPerSecond: 1,
      burst: 1,
      trustedHeader: '',
      maxClients: 9,
    });
    slow.take('a', 0);
    expect(slow.take('a', 100)).toBe(1);
  });

  it('never holds more than burst tokens, however long a client was away', () => {
    const r = limiter(100, 2);
    expect(r.take('a', 0)).toBe(0);
    expect([r.take('a', 1e9), r.take('a', 1e9), r.take('a', 1e9)]).toEqual([0, 0, 1]);
  });

  it('keeps clients apart', () => {
    const r = limiter(1, 1);
    expect([r.take('a', 0), r.take('b', 0), r.take('a', 0), r.take('b', 0)]).toEqual([0, 0, 1, 1]);
  });

  it('bounds its table, evicting the least recently used client', () => {
    const r = limiter(1, 1, 3);
    for (const key of ['a', 'b', 'c']) r.take(key, 0);
    r.take('a', 1); // a is now the most recent; b the least
    r.take('d', 2); // evicts b
    expect(r.size).toBe(3);
    expect(r.take('a', 3)).toBe(1); // a kept its (empty) bucket
    expect(r.take('b', 3)).toBe(0); // b starts afresh
  });
});

describe('clientKey', () => {
  it.each([
    [undefined, '10.0.0.1', '10.0.0.1'],
    ['203.0.113.7', '10.0.0.1', '203.0.113.7'],
    ['198.51.100.1, 203.0.113.7', '10.0.0.1', '203.0.113.7'],
    ['spoofed,  203.0.113.7 ', '10.0.0.1', '203.0.113.7'],
    ['', '10.0.0.1', '10.0.0.1'],
    ['a, ', '10.0.0.1', '10.0.0.1'],
    [undefined, undefined, ''],
  ])('header %j, peer %j → %j', (header, peer, key) => {
    expect(clientKey(header, peer)).toBe(key);
  });

  it('caps a long header value', () => {
    expect(clientKey('x'.repeat(1000), '1.1.1.1')).toHaveLength(MAX_KEY_LENGTH);
  });
});

describe('LoadMonitor', () => {
  it('sheds above maxInFlightRequests (the new request counted) and counts why', () => {
    const m = new LoadMonitor({ maxEventLoopLagMs: 0, maxInFlightRequests: 2 });
    m.inFlight = 2;
    expect(m.check()).toBe(Shed.NONE);
    m.inFlight = 3;
    expect(m.check()).toBe(Shed.IN_FLIGHT);
    expect(m.shed).toEqual({ lag: 0, inFlight: 1 });
  });

  it('sheds while the last lag sample is over maxEventLoopLagMs; 0 turns each check off', () => {
    const m = new LoadMonitor({ maxEventLoopLagMs: 50, maxInFlightRequests: 0 });
    m.inFlight = 1e6;
    m.lagMs = 50;
    expect(m.check()).toBe(Shed.NONE);
    m.lagMs = 51;
    expect(m.check()).toBe(Shed.LAG);
    expect(new LoadMonitor({ maxEventLoopLagMs: 0, maxInFlightRequests: 0 }).check()).toBe(Shed.NONE);
  });

  it('measures a blocked event loop', async () => {
    const m = new LoadMonitor({ maxEventLoopLagMs: 50, maxInFlightRequests: 0 });
    m.start();
    try {
      await new Promise((r) => setTimeout(r, 30));
      const until = Date.now() + 150;
      while (Date.now() < until);
      await new Promise((r) => setTimeout(r, 5));
      expect(m.lagMs).toBeGreaterThan(80);
      await new Promise((r) => setTimeout(r, 60));
      expect(m.lagMs).toBeLessThan(50);
    } finally {
      m.stop();
    }
  });
});

describe('AcceptGuard', () => {
  it('pauses on a descriptor shortage, doubling up to the maximum, then calms down', () => {
    const g = new AcceptGuard();
    expect(g.failed('EMFILE', 0)).toBe(ACCEPT_PAUSE_MIN_MS);
    expect(g.paused(50)).toBe(true);
    expect(g.paused(ACCEPT_PAUSE_MIN_MS)).toBe(false);
    let pause = ACCEPT_PAUSE_MIN_MS;
    let now = ACCEPT_PAUSE_MIN_MS;
    for (let i = 0; i < 10; i++) {
      pause = g.failed('ENFILE', now);
      now += pause;
    }
    expect(pause).toBe(ACCEPT_PAUSE_MAX_MS);
    expect(g.failed('EMFILE', now + ACCEPT_CALM_MS + 1)).toBe(ACCEPT_PAUSE_MIN_MS);
    expect(g.shed).toBe(1);
  });

  it('only counts errors that are not a resource shortage', () => {
    const g = new AcceptGuard();
    expect(g.failed('EINVAL', 0)).toBe(0);
    expect(g.paused(1)).toBe(false);
    expect(g.failures.get('EINVAL')).toBe(1);
  });
});
