/**
 * Test projects: `unit`, `load`, `integration` and `timing` need only Node and npm packages and run
 * under `npm test`; `system` needs programs from Debian (curl, prometheus, chromium, docker) and
 * runs under `npm run test:system`.
 *
 * Two files run at once (`PARALLEL_FILES`; vitest's default is cores − 1, one file at a time on
 * the 2-core CI machine). Integration files start clusters and wait on them, but they compute
 * too: side by side each took ~1.5× as long, so the gain is modest (`npm test`'s vitest run in
 * CI went from ~313 s to ~280 s). The files in `TIMING` assert how long the server takes (a
 * respawn within a second, a deadline's 408, an exit within the drain deadline, p99 ratios, fair
 * shares, gaps between server-sent events): beside another file they measure the neighbour too (a
 * respawn took 1.3 s, two SSE events came 19 ms apart), so they run after the others, one at a
 * time, in a group of their own (`sequence.groupOrder`). A new test that bounds a duration
 * belongs in `TIMING`.
 */
import { defineConfig } from 'vitest/config';

const PARALLEL_FILES = 2;

/** Integration files whose assertions bound a duration, a latency ratio or a share. */
const TIMING = [
  'test/cluster/acceptors.test.ts',
  'test/cluster/apps.test.ts',
  'test/cluster/crash.test.ts',
  'test/cluster/faults.test.ts',
  'test/cluster/reuseport.test.ts',
  'test/cluster/shutdown.test.ts',
  'test/hardening/big-body.test.ts',
  'test/hardening/deadline.test.ts',
  'test/hardening/floods.test.ts',
  'test/hardening/fuzz.test.ts',
  'test/hardening/limits.test.ts',
  'test/hardening/memory.test.ts',
  'test/hardening/metrics-port.test.ts',
  'test/hardening/overload.test.ts',
  'test/hardening/slow-clients.test.ts',
  'test/hardening/tls-hostile.test.ts',
  'test/integration/lifecycle.test.ts',
  'test/integration/timeouts.test.ts',
  'test/integration/tls.test.ts',
  'test/observability/line-sink.test.ts',
  'test/observability/log-stall.test.ts',
  'test/observability/logs.test.ts',
  'test/observability/metrics-cluster.test.ts',
  'test/observability/units.test.ts',
];

const INTEGRATION_TIMEOUTS = { testTimeout: 30_000, hookTimeout: 30_000 };

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], maxWorkers: PARALLEL_FILES } },
      // The load lab's pure parts (options, summaries, log files), next to the lab: test/ and
      // load/ never import each other. Fast and server-free, unlike the lab's runs.
      { test: { name: 'load', include: ['load/**/*.test.ts'], maxWorkers: PARALLEL_FILES } },
      {
        test: {
          name: 'integration',
          include: [
            'test/integration/**/*.test.ts',
            'test/cluster/**/*.test.ts',
            'test/observability/**/*.test.ts',
            'test/hardening/**/*.test.ts',
            // npm pack → install into a fresh project → run its bin and type-check against it.
            'test/package/**/*.test.ts',
          ],
          exclude: TIMING,
          maxWorkers: PARALLEL_FILES,
          ...INTEGRATION_TIMEOUTS,
        },
      },
      {
        test: {
          name: 'timing',
          include: TIMING,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          ...INTEGRATION_TIMEOUTS,
        },
      },
      {
        test: {
          name: 'system',
          include: ['test/system/**/*.test.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
