/**
 * Per-client rate limiting: one token bucket per client key; a request takes a token, a client
 * with none left is answered 429 Too Many Requests with `Retry-After` (RFC 6585 §4, RFC 9110
 * §10.2.3) and its handler never runs.
 *
 * - A bucket holds at most `burst` tokens and refills at `requestsPerSecond`; it is refilled
 *   lazily, from the time of its last use, so an idle client costs nothing.
 * - The key is the peer's IP address, or, when `trustedHeader` is set, the last element of that
 *   request header (the one the nearest proxy wrote); only trust a header that a proxy in front
 *   of every request sets, or any client can name itself anything.
 * - Memory is bounded: at most `maxClients` buckets, the least recently used evicted first (a
 *   Map keeps insertion order and a use moves the key to the end). A bucket idle for
 *   `burst / requestsPerSecond` seconds is full again, so evicting it forgets nothing; only a
 *   table full of clients active at once (a spray of source addresses) evicts live buckets.
 * - Per process: each worker keeps its own table (docs/hardening.md states the cluster math).
 * Must not: touch sockets or answer requests (the connection does), or read the clock itself.
 */

import type { Config } from '../config/index.ts';

/** The `rateLimit` group of the configuration (`trustedHeader`: '' keys clients by peer address). */
export type RateLimitOptions = Config['rateLimit'];

/** Off: nothing is counted, no table is allocated. */
export const RATE_LIMIT_OFF: RateLimitOptions = Object.freeze({
  enabled: false,
  requestsPerSecond: 50,
  burst: 100,
  trustedHeader: '',
  maxClients: 10_000,
});

/** Longest key kept: an IPv6 address with a zone fits; a longer header value is cut, not stored whole. */
export const MAX_KEY_LENGTH = 64;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms (any monotonic clock). */
  at: number;
}

export class RateLimiter {
  readonly options: RateLimitOptions;
  /** `trustedHeader` lower-cased (the parser lower-cases names), or '' for none. */
  readonly header: string;
  /** Requests refused since the server started (metrics read it). */
  refused = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(options: RateLimitOptions) {
    this.options = options;
    this.header = options.trustedHeader.toLowerCase();
    this.perMs = options.requestsPerSecond / 1000;
  }

  /** How many clients have a bucket now (bounded by `maxClients`). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Takes a token for `key` at time `nowMs`: 0 when the request may go on, else the whole
   * seconds (at least 1) after which one token will be there again.
   */
  take(key: string, nowMs: number): number {
    const o = this.options;
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: o.burst, at: nowMs };
      if (this.buckets.size >= o.maxClients) this.evictOldest();
    } else {
      this.buckets.delete(key);
      b.tokens = Math.min(o.burst, b.tokens + (nowMs - b.at) * this.perMs);
      b.at = nowMs;
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    this.refused++;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  private evictOldest(): void {
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key);
      return;
    }
  }
}

/**
 * The client key of a request: the last comma-separated element of the trusted header when it
 * is present (`X-Forwarded-For: 10.9.9.9, 203.0.113.7` → `203.0.113.7`, the address the nearest
 * proxy appended; the elements before it are whatever the client claimed), else the peer
 * address. Capped at MAX_KEY_LENGTH characters.
 */
export function clientKey(headerValue: string | undefined, peerAddress: string | undefined): string {
  if (headerValue !== undefined) {
    const comma = headerValue.lastIndexOf(',');
    const key = (comma < 0 ? headerValue : headerValue.slice(comma + 1)).trim();
    if (key !== '') return key.length > MAX_KEY_LENGTH ? key.slice(0, MAX_KEY_LENGTH) : key;
  }
  return peerAddress ?? '';
}
