/**
 * Makes the README's picture of the status page (docs/status-page.png) and the `samovar status`
 * transcript beside it, from a real cluster going through what an operator sees in a day: steady
 * traffic, a scale-up, a SIGHUP roll, and a worker killed with SIGKILL (its crash and respawn).
 * Needs Debian's `chromium`. Run: `node scripts/status-page-screenshot.ts` (about 45 s); prints
 * the transcript (as `samovar status` prints it on a terminal with NO_COLOR set).
 * Must not: run in a test suite.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { MAIN, ROOT, sleep, startCluster } from '../harness/cluster.ts';
import { steadyGets } from '../harness/measure/traffic.ts';
import { askControl } from '../src/cluster/control-client.ts';
import { formatStatus } from '../src/console/format.ts';

const OUT = fileURLToPath(new URL('../docs/status-page.png', import.meta.url));

const c = await startCluster({ entry: MAIN, env: { SAMOVAR_WORKERS: '2' } });
const socket = c.controlSocket as string;
const samovar = (...args: string[]): string =>
  execFileSync(process.execPath, ['src/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, SAMOVAR_CONTROL_SOCKET: socket },
    encoding: 'utf8',
  });
try {
  const metricsPort = (await c.waitFor('listen', () => true)).port as number;
  const load = steadyGets(`http://127.0.0.1:${c.port}/`, { connections: 4, durationS: 44 });
  await sleep(9_000);
  // A reload re-reads `workers` from the configuration: scale after it, or it is undone.
  c.signal('SIGHUP');
  await c.waitFor('reload', (l) => l.result === 'ok', { timeoutMs: 20_000 });
  await sleep(8_000);
  samovar('scale', '3');
  await sleep(8_000);
  const victim = c.liveWorkers()[1] as number;
  process.kill(victim, 'SIGKILL');
  await sleep(12_000);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 }, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${metricsPort}/status`);
  await page.waitForSelector('#live.on');
  await sleep(1_500);
  await page.screenshot({ path: OUT, fullPage: false });
  await browser.close();
  const outcome = await askControl(socket, { command: 'status' }, { timeoutMs: 5_000 });
  if (outcome.kind === 'answered' && outcome.result.command === 'status')
    process.stdout.write(
      `$ samovar status\n${formatStatus(outcome.result.status, { align: true, colour: false })}`,
    );
  await load;
  console.log(`written ${OUT}`);
} finally {
  await c.destroy();
}
