/**
 * Test projects: `unit`, `load` and `integration` need only Node and npm packages and run under
 * `npm test`; `system` needs programs from Debian (curl, prometheus, chromium, docker) and runs
 * under `npm run test:system`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The load lab's pure parts (options, summaries, log files), next to the lab: test/ and
      // load/ never import each other. Fast and server-free, unlike the lab's runs.
      { test: { name: 'load', include: ['load/**/*.test.ts'] } },
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
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'system',
          include: ['test/system/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
