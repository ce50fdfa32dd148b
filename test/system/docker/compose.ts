/**
 * docker-compose.yml as CI runs it: merged with docker-compose.ci.yml by `docker-compose config`
 * (Debian's v1), with the test's ports and images, then with every `ports:` list removed
 * (published ports and host networking cannot be combined, and an override cannot remove list
 * entries). config/prometheus.yml is used with only its samovar target moved to 127.0.0.1 and
 * the test's metrics port. Then `docker-compose -p PROJECT -f merged.yml …` against the test's
 * engine. A variant (`name`, with more variables such as SAMOVAR_APP_ENTRY) is a project and
 * a merged file of its own, as a user's shell would set those variables.
 * Must not: change the files in the repository.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT } from '../../../harness/cluster.ts';
import type { Engine } from './engine.ts';
import { run, runOk } from './run.ts';
import type { RunOptions, RunResult } from './run.ts';

export interface CiPorts {
  readonly app: number;
  readonly metrics: number;
  readonly prometheus: number;
}

export interface CiImages {
  readonly node: string;
  readonly prometheus: string;
  readonly samovar: string;
  readonly load: string;
}

interface ComposeDoc {
  services: Record<string, { ports?: unknown }>;
}

interface PrometheusDoc {
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

/** config/prometheus.yml with the samovar job's target on 127.0.0.1:`metricsPort`. */
export function ciPrometheusConfig(metricsPort: number): string {
  const config = parse(readFileSync(join(ROOT, 'config/prometheus.yml'), 'utf8')) as PrometheusDoc;
  const job = config.scrape_configs.find((j) => j.job_name === 'samovar');
  if (!job) throw new Error('config/prometheus.yml has no job samovar');
  job.static_configs = [{ targets: [`127.0.0.1:${metricsPort}`] }];
  return stringify(config);
}

export class CiCompose {
  readonly file: string;
  readonly project: string;
  private readonly engine: Engine;

  private constructor(engine: Engine, file: string, project: string) {
    this.engine = engine;
    this.file = file;
    this.project = project;
  }

  /** Writes the merged, port-less compose file and the CI Prometheus config into `work`. */
  static async prepare(
    engine: Engine,
    work: string,
    ports: CiPorts,
    images: CiImages,
    variant: { readonly name: string; readonly env: Record<string, string> } = { name: 'ci', env: {} },
  ): Promise<CiCompose> {
    const promConfig = join(work, 'prometheus.yml');
    writeFileSync(promConfig, ciPrometheusConfig(ports.metrics), { mode: 0o644 });
    const env = {
      ...engine.env,
      NODE_IMAGE: images.node,
      PROMETHEUS_IMAGE: images.prometheus,
      SAMOVAR_IMAGE: images.samovar,
      SAMOVAR_LOAD_IMAGE: images.load,
      SAMOVAR_CI_PORT: String(ports.app),
      SAMOVAR_CI_METRICS_PORT: String(ports.metrics),
      SAMOVAR_CI_PROMETHEUS_PORT: String(ports.prometheus),
      SAMOVAR_CI_PROMETHEUS_CONFIG: promConfig,
      ...variant.env,
    };
    const merged = await runOk(
      'docker-compose',
      ['-f', 'docker-compose.yml', '-f', 'docker-compose.ci.yml', '--profile', 'load', 'config'],
      { cwd: ROOT, env, timeoutMs: 60_000 },
    );
    const doc = parse(merged.stdout) as ComposeDoc;
    for (const service of Object.values(doc.services)) delete service.ports;
    const file = join(work, `compose.${variant.name}.yml`);
    writeFileSync(file, stringify(doc));
    const suffix = variant.name === 'ci' ? '' : variant.name;
    return new CiCompose(engine, file, `samovarci${process.pid}${suffix}`);
  }

  /** `docker-compose -p PROJECT -f FILE args…` against the test's engine. */
  run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run('docker-compose', this.argv(args), this.options(options));
  }

  /** The same, failing unless it exits 0. */
  runOk(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runOk('docker-compose', this.argv(args), this.options(options));
  }

  private argv(args: readonly string[]): string[] {
    return ['-p', this.project, '-f', this.file, ...args];
  }

  private options(options: RunOptions): RunOptions {
    return { env: this.engine.env, cwd: ROOT, timeoutMs: 300_000, ...options };
  }

  /** The id of the (first) container of `service`. */
  async containerId(service: string): Promise<string> {
    const ps = await this.runOk(['ps', '-q', service], { timeoutMs: 30_000 });
    const id = ps.stdout.trim().split('\n')[0] ?? '';
    if (id === '') throw new Error(`no container for ${service}`);
    return id;
  }
}
