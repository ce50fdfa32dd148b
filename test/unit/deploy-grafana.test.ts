/**
 * Grafana and Prometheus files of docker-compose.yml, checked without running either (Grafana's
 * image cannot be built on a machine without an image registry; test/system/docker.test.ts runs
 * every dashboard query against a real Prometheus):
 *   - the dashboard JSON parses, has unique panel ids, and every query names only metrics that
 *     Samovar exports (read from the metric classes), through the provisioned data source;
 *   - it covers what issue 7 asks: request rate, status classes, p50/p99 latency, active
 *     connections, workers by state, restarts, reloads;
 *   - the data source and dashboard provisioning files are what Grafana reads, pointing at the
 *     paths docker-compose.yml mounts and at the `prometheus` service;
 *   - config/prometheus.yml scrapes the samovar service's metrics port every 5 s.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../../harness/cluster.ts';
import {
  PROMETHEUS_SYNTHETIC,
  dashboardQueries,
  exportedMetricNames,
  metricNamesIn,
  readDashboard,
} from '../system/docker/dashboard.ts';

const GRAFANA = join(ROOT, 'config/grafana');

function readYaml<T>(relative: string): T {
  return parse(readFileSync(join(ROOT, relative), 'utf8')) as T;
}

interface ComposeFile {
  readonly services: Record<
    string,
    { volumes?: string[]; environment?: Record<string, string>; image?: string; ports?: string[] }
  >;
}

const compose = readYaml<ComposeFile>('docker-compose.yml');

describe('the Grafana dashboard', () => {
  const dashboard = readDashboard();
  const queries = dashboardQueries(dashboard);

  it('parses, with a uid, a title and unique panel ids', () => {
    expect(dashboard.uid).toBe('samovar');
    expect(dashboard.title).toBe('Samovar');
    const ids = (dashboard.panels ?? []).map((p) => (p as { id?: number }).id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queries.length).toBeGreaterThanOrEqual(10);
  });

  it('names only metrics Samovar exports, through the provisioned data source', async () => {
    const exported = await exportedMetricNames();
    expect(exported).toContain('http_server_requests_total');
    expect(exported).toContain('samovar_workers');
    for (const q of queries) {
      const names = metricNamesIn(q.expr);
      expect(names, `${q.panel} ${q.refId}: ${q.expr}`).not.toEqual([]);
      for (const name of names)
        expect(exported.has(name) || PROMETHEUS_SYNTHETIC.has(name), `${q.panel}: ${name} in ${q.expr}`).toBe(
          true,
        );
      expect(q.datasourceUid, q.panel).toBe('prometheus');
    }
  });

  it('shows request rate, status classes, p50/p99, connections, workers, restarts and reloads', () => {
    const exprs = queries.map((q) => q.expr.replace(/\s+/g, ' '));
    const some = (re: RegExp): boolean => exprs.some((e) => re.test(e));
    expect(some(/^sum\(rate\(http_server_requests_total\[/)).toBe(true);
    for (const digit of ['2', '3', '4', '5'])
      expect(some(new RegExp(`http_server_requests_total\\{status_code=~"${digit}\\.\\."\\}`))).toBe(true);
    expect(some(/histogram_quantile\(0\.5, .*http_server_request_duration_seconds_bucket/)).toBe(true);
    expect(some(/histogram_quantile\(0\.99, .*http_server_request_duration_seconds_bucket/)).toBe(true);
    expect(some(/http_server_active_connections/)).toBe(true);
    expect(some(/by \(state\) \(samovar_workers\)/)).toBe(true);
    expect(some(/by \(reason\) \(increase\(samovar_worker_restarts_total/)).toBe(true);
    expect(some(/by \(result\) \(increase\(samovar_reloads_total/)).toBe(true);
  });

  it('finds metric names in PromQL and nothing else', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x=~"2.."}[$__rate_interval]))) / on (job) b',
      ),
    ).toEqual(['a_bucket', 'b']);
    expect(metricNamesIn('sum(increase(c_total[1m])) or vector(0)')).toEqual(['c_total']);
  });
});

describe('Grafana provisioning', () => {
  it('provisions the Prometheus service as the default data source with the uid the dashboard uses', () => {
    const file = readYaml<{ apiVersion: number; datasources: Record<string, unknown>[] }>(
      'config/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toHaveLength(1);
    expect(file.datasources[0]).toMatchObject({
      uid: 'prometheus',
      type: 'prometheus',
      access: 'proxy',
      url: 'http://prometheus:9090',
      isDefault: true,
      jsonData: { timeInterval: '5s' },
    });
  });

  it('loads dashboards from the folder docker-compose.yml mounts the dashboard JSON into', () => {
    const file = readYaml<{ apiVersion: number; providers: { type: string; options: { path: string } }[] }>(
      'config/grafana/provisioning/dashboards/samovar.yml',
    );
    expect(file.apiVersion).toBe(1);
    const provider = file.providers[0];
    expect(provider?.type).toBe('file');
    const volumes = compose.services.grafana?.volumes ?? [];
    expect(volumes).toContain(`./config/grafana/dashboards:${provider?.options.path}:ro`);
    expect(volumes).toContain('./config/grafana/provisioning:/etc/grafana/provisioning:ro');
    const home = compose.services.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(home).toBe(`${provider?.options.path}/samovar.json`);
    expect(readFileSync(join(GRAFANA, 'dashboards/samovar.json'), 'utf8').length).toBeGreaterThan(0);
  });
});

describe('config/prometheus.yml', () => {
  it('scrapes the samovar service on its metrics port every 5 s, as job samovar', () => {
    const config = readYaml<{
      global: { scrape_interval: string; scrape_timeout: string };
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    }>('config/prometheus.yml');
    expect(config.global.scrape_interval).toBe('5s');
    const job = config.scrape_configs.find((j) => j.job_name === 'samovar');
    expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job?.static_configs[0]?.targets).toEqual(['samovar:9464']);
    expect(compose.services.prometheus?.volumes).toContain(
      './config/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
  });
});
