/**
 * The live status page (issue 18) in a real browser: Debian's headless Chromium, driven by
 * playwright-core, against a real two-worker cluster's metrics port.
 *   - With JavaScript: it renders under its Content-Security-Policy with no error, goes live on
 *     its event stream, shows the workers with their real PIDs and a lane per slot; a real SIGHUP
 *     roll is then read from the DOM: the generation goes 1 → 2, the table's rows become the new
 *     workers, and the lanes keep the old generation's bars, ended by an exit with reason
 *     `reload`. Screenshots (light, dark, and a phone) are saved in test/artifacts/.
 *   - With JavaScript off: the table is there, with the same PIDs, and the page refreshes itself.
 * Needs the Debian package `chromium` (`/usr/bin/chromium`); without it this suite fails, naming
 * the package, rather than skipping.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, startCluster } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';
import { failures, steadyGets } from '../../harness/measure/traffic.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-sync'];

let browser: Browser;
let cluster: Cluster;
let statusUrl: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install the Debian package \`chromium\` (apt-get install chromium)`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  cluster = await startCluster({ entry: MAIN, env: { SAMOVAR_WORKERS: '2' } });
  const listen = await cluster.waitFor('listen', () => true);
  statusUrl = `http://127.0.0.1:${listen.port as number}/status`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await cluster?.destroy();
});

/** The `data-*` of the table's rows, as the page shows them now. */
async function rows(page: Page): Promise<{ pid: number; generation: number; state: string }[]> {
  const read: unknown = await page.evaluate(
    "[...document.querySelectorAll('#rows tr')].map((tr) => ({ pid: Number(tr.dataset.pid), generation: Number(tr.dataset.generation), state: tr.dataset.state }))",
  );
  return read as { pid: number; generation: number; state: string }[];
}

const sorted = (pids: number[]): number[] => [...pids].sort((a, b) => a - b);

/**
 * Polls `expression` in the page until it is true. (waitForFunction evaluates a string with
 * eval, which the page's Content-Security-Policy forbids, as it should.)
 */
async function until(page: Page, expression: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await page.evaluate(expression)) !== true) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the status page in Chromium', () => {
  it('goes live, and shows a real SIGHUP roll: generation 1 → 2, new rows, old bars ended by reload', async () => {
    const context = await browser.newContext({
      viewport: { width: 1200, height: 820 },
      colorScheme: 'light',
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    const response = await page.goto(statusUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.waitForSelector('#live.on', { timeout: 10_000 });
    await page.waitForSelector('#lanes g[data-generation="1"]', { timeout: 10_000 });
    const before = sorted(cluster.liveWorkers());
    expect(sorted((await rows(page)).map((r) => r.pid))).toEqual(before);
    expect(await page.textContent('#generation')).toBe('1');
    expect(await page.getAttribute('body', 'data-state')).toBe('serving');
    // One lane per slot, each with its worker's bar.
    const lanes: unknown = await page.evaluate("document.querySelectorAll('#lanes rect.lane').length");
    expect(lanes).toBe(2);

    // Some traffic, so the sparklines have a shape; then a real signal, as an operator sends it.
    // The page learns of the roll from the primary alone.
    const load = steadyGets(`http://127.0.0.1:${cluster.port}/`, { connections: 4, durationS: 8 });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    cluster.signal('SIGHUP');
    await page.waitForSelector('body[data-generation="2"]', { timeout: 15_000 });
    await cluster.waitFor('reload', (l) => l.result === 'ok', { timeoutMs: 15_000 });
    await until(
      page,
      "[...document.querySelectorAll('#rows tr')].length === 2 && [...document.querySelectorAll('#rows tr')].every((tr) => tr.dataset.generation === '2' && tr.dataset.state === 'ready')",
    );
    const after = await rows(page);
    expect(sorted(after.map((r) => r.pid))).toEqual(sorted(cluster.liveWorkers()));
    for (const pid of after.map((r) => r.pid)) expect(before).not.toContain(pid);
    // The old generation's bars stay on their lanes, each ended by its exit for the reload.
    await page.waitForFunction(
      'document.querySelectorAll(\'#lanes g[data-generation="1"][data-exit="reload"]\').length === 2',
      undefined,
      { timeout: 15_000 },
    );
    const oldBars: unknown = await page.evaluate(
      '[...document.querySelectorAll(\'#lanes g[data-generation="1"]\')].map((g) => Number(g.dataset.pid))',
    );
    expect(sorted(oldBars as number[])).toEqual(before);
    expect(await page.locator('#lanes g[data-generation="2"]').count()).toBe(2);
    expect(await page.locator('#lanes line[data-kind="reload"][data-result="ok"]').count()).toBe(1);
    expect(await page.locator('#events li[data-kind="reload"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('#generation')).toBe('2');
    // Sparklines once two heartbeats of the new workers are in.
    await page.waitForSelector('#rows tr td svg.sparkline polyline', { state: 'attached', timeout: 10_000 });
    expect(failures(await load)).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('reads in a dark room and on a phone', async () => {
    const dark = await browser.newContext({ viewport: { width: 1200, height: 820 }, colorScheme: 'dark' });
    const page = await dark.newPage();
    await page.goto(statusUrl);
    await page.waitForSelector('#live.on');
    await page.waitForSelector('#lanes g');
    const background: unknown = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(20, 22, 26)');
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-dark.png'), fullPage: true });
    await dark.close();

    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const small = await phone.newPage();
    await small.goto(statusUrl);
    await small.waitForSelector('#lanes g');
    // Nothing wider than the screen but the table's own scroller.
    const overflow: unknown = await small.evaluate(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await small.screenshot({ path: join(ARTIFACTS, 'status-page-phone.png'), fullPage: true });
    await phone.close();
  });

  it('is a plain table with JavaScript off', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(statusUrl);
    const shown = await rows(page).catch(() => null);
    // page.evaluate still runs with scripts disabled (it is the driver's, not the page's).
    expect(sorted((shown ?? []).map((r) => r.pid))).toEqual(sorted(cluster.liveWorkers()));
    expect(await page.locator('table#workers thead th').count()).toBe(12);
    expect(await page.locator('#lanes g').count()).toBe(0);
    expect(await page.textContent('#generation')).toBe('2');
    expect(await page.locator('#live').textContent()).toContain('refreshes every 5 s');
    expect(await page.locator('noscript').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-nojs.png'), fullPage: true });
    await context.close();
  });
});
