/**
 * Static checks of the container files with the real tools (Debian packages docker-compose and
 * prometheus; a missing one fails with its name): `docker-compose config -q` (v1; v2's
 * `docker compose` too where installed) on docker-compose.yml, its load profile and its CI
 * override; `dockerfile-utils lint Dockerfile`; `promtool check config config/prometheus.yml`;
 * `promtool check rules` and `promtool test rules` on config/prometheus-rules/.
 * Schema checks needing only npm packages are unit tests (test/unit/deploy-*.test.ts); the
 * live run is docker.test.ts. Grafana is not run anywhere, and this file says so loudly.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../harness/cluster.ts';
import { readDashboard } from './docker/dashboard.ts';
import { banner, requirePrograms } from './docker/programs.ts';
import { run, runOk } from './docker/run.ts';

describe('containers: static checks', () => {
  it('docker-compose config -q accepts the compose file, its load profile and the CI override', async () => {
    requirePrograms('docker-compose');
    const variants = [
      ['-f', 'docker-compose.yml'],
      ['-f', 'docker-compose.yml', '--profile', 'load'],
      ['-f', 'docker-compose.yml', '-f', 'docker-compose.ci.yml', '--profile', 'load'],
    ];
    for (const files of variants) await runOk('docker-compose', [...files, 'config', '-q'], { cwd: ROOT });
    // Compose v2 where it is installed (Debian bookworm ships only v1).
    const v2 = await run('docker', ['compose', 'version'], { cwd: ROOT, timeoutMs: 20_000 }).catch(
      () => null,
    );
    if (v2?.code === 0)
      for (const files of variants)
        await runOk('docker', ['compose', ...files, 'config', '-q'], { cwd: ROOT });
    else console.warn('docker compose (v2) is not installed here: checked with docker-compose v1 only.');
  }, 60_000);

  it('dockerfile-utils lint finds nothing in the Dockerfile', async () => {
    const lint = await run(join(ROOT, 'node_modules/.bin/dockerfile-utils'), ['lint', 'Dockerfile'], {
      cwd: ROOT,
    });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.code).toBe(0);
  }, 30_000);

  it('promtool check config accepts config/prometheus.yml', async () => {
    requirePrograms('promtool');
    const check = await run('promtool', ['check', 'config', 'config/prometheus.yml'], { cwd: ROOT });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS/);
  }, 30_000);

  it('promtool checks the example alerting rules and their unit tests', async () => {
    requirePrograms('promtool');
    const cwd = join(ROOT, 'config/prometheus-rules');
    const check = await run('promtool', ['check', 'rules', 'samovar.yml'], { cwd });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    // Every rule in the file was read (a rule promtool skipped would make the count differ).
    const rules = readFileSync(join(cwd, 'samovar.yml'), 'utf8').match(/^\s*- alert:/gm)?.length ?? 0;
    expect(rules).toBeGreaterThanOrEqual(8);
    expect(check.stdout).toContain(`SUCCESS: ${rules} rules found`);
    // Each alert fires on the series that should fire it, and a 499 never counts as a 5xx.
    const test = await run('promtool', ['test', 'rules', 'samovar.test.yml'], { cwd });
    expect(test.code, test.stdout + test.stderr).toBe(0);
  }, 30_000);

  it('says that Grafana is not run here', () => {
    console.warn(
      banner(
        'GRAFANA IS NOT RUN BY THIS TEST: its image (grafana/grafana-oss) cannot be built on a machine\n' +
          'without an image registry. Its provisioning and dashboard are checked statically\n' +
          '(test/unit/deploy-grafana.test.ts); every dashboard query runs in a real Prometheus (docker.test.ts).',
      ),
    );
    expect(readDashboard().uid).toBe('samovar');
  });
});
