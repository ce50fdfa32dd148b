/**
 * A real browser against Samovar: Debian's headless Chromium, driven by playwright-core, loads
 * the demo's landing page from `public/`. Every asset must arrive with 200, the page's script
 * must run (it fetches /healthz), a reload must revalidate every file with 304, and a screenshot
 * is saved as `test/artifacts/landing.png`. Needs the Debian package `chromium`
 * (`/usr/bin/chromium`); without it this suite fails, naming the package, rather than skipping.
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Handler } from '../../src/server/index.ts';
import { cleanup, startServer, track } from '../support/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** The landing page and what it loads (the favicon is fetched when the browser wants it). */
const ASSETS = ['/index.html', '/style.css', '/app.js', '/samovar.svg'];

interface Served {
  readonly path: string;
  readonly status: number;
  readonly ifNoneMatch: string | undefined;
}

let context: BrowserContext;
let url: string;
const served: Served[] = [];

/** The demo app, recording what it answered to each request. */
function recording(app: Handler): Handler {
  return async (req, res) => {
    await app(req, res);
    served.push({ path: req.path, status: res.statusCode, ifNoneMatch: req.get('if-none-match') });
  };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install the Debian package \`chromium\` (apt-get install chromium)`,
    );
  }
  // The demo's configuration, with every file revalidated on each use, so that a reload asks
  // the server about each asset instead of taking some from the browser's cache.
  const loaded = loadConfig({ argv: [], env: { SAMOVAR_STATIC_CACHE_CONTROL: '* no-cache' } });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const server = await startServer(recording(createApp({ config: loaded.config })));
  url = server.url;
  const profile = mkdtempSync(join(tmpdir(), 'samovar-chromium-'));
  // launchPersistentContext passes a fresh --user-data-dir: no cache or cookies from any other run.
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1024, height: 768 },
  });
  track({ close: () => rmSync(profile, { recursive: true, force: true }) });
});

afterAll(async () => {
  await context?.close();
  await cleanup();
});

describe('the landing page in Chromium', () => {
  it('loads with every asset 200, runs its script, and is photographed', async () => {
    const page = await context.newPage();
    const statuses = new Map<string, number>();
    page.on('response', (r) => statuses.set(new URL(r.url()).pathname, r.status()));
    const main = await page.goto(`${url}/index.html`, { waitUntil: 'load' });
    expect(main?.status()).toBe(200);
    expect(main?.headers()['content-encoding']).toBe('br'); // Chromium accepts br; the page is > 1 KiB
    await page.waitForSelector('body[data-health="ok"]', { timeout: 10_000 });
    for (const path of ASSETS) expect([path, statuses.get(path)]).toEqual([path, 200]);
    for (const [path, status] of statuses) expect([path, status]).toEqual([path, 200]);
    expect(await page.title()).toContain('Samovar');
    expect(await page.locator('h1').textContent()).toBe('Samovar');
    // Evaluated in the page (the project's types have no DOM lib, hence the strings).
    const imageWidth: unknown = await page.evaluate("document.querySelector('header img').naturalWidth");
    expect(imageWidth).toBeGreaterThan(0);
    const h1Size: unknown = await page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize");
    expect(h1Size).not.toBe('32px'); // the stylesheet applied (2.6rem, not the UA's 2em)
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'landing.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'landing.png'))).toBe(true);
    await page.close();
  });

  it('revalidates every file with 304 on reload', async () => {
    const page = await context.newPage();
    await page.goto(`${url}/index.html`, { waitUntil: 'load' });
    await page.waitForSelector('body[data-health="ok"]');
    const from = served.length;
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('body[data-health="ok"]');
    const reload = served.slice(from);
    for (const path of ASSETS) {
      const answer = reload.find((s) => s.path === path);
      expect([path, answer?.status]).toEqual([path, 304]);
      expect(answer?.ifNoneMatch).toMatch(/^"/);
    }
    await page.close();
  });
});
