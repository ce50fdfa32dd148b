/**
 * The listening socket's accept queue (server.ts `listenBacklog`): the kernel's most, as Go takes,
 * not Node's 511 — a burst of 1,000 connections overflowed 511 (issue 19).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listenBacklog } from '../../src/server/server.ts';

const SOMAXCONN = '/proc/sys/net/core/somaxconn';

describe('listenBacklog', () => {
  it("is the kernel's somaxconn where it can be read (4096 on current Linux), never below Node's 511", () => {
    const backlog = listenBacklog();
    expect(backlog).toBeGreaterThanOrEqual(511);
    if (!existsSync(SOMAXCONN)) return;
    const somaxconn = Number.parseInt(readFileSync(SOMAXCONN, 'utf8'), 10);
    expect(backlog).toBe(Math.max(511, Math.min(somaxconn, 65_535)));
  });
});
