/**
 * The Grafana dashboard's queries and the metric names they use, next to the names Samovar
 * really exports (taken from the metric classes themselves, not from a hand-kept list). Used by
 * the static test (test/unit/deploy-grafana.test.ts) and by the live one, which runs every
 * query against a real Prometheus (test/system/docker.test.ts).
 * Must not: start anything; it reads files and builds in-memory metric objects only.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrimaryMetrics, WorkerMetrics } from '../../../src/metrics/index.ts';
import type { FamilySnapshot } from '../../../src/metrics/index.ts';
import { ROOT } from '../../../harness/cluster.ts';

export const DASHBOARD_PATH = join(ROOT, 'config/grafana/dashboards/samovar.json');

/** Series Prometheus makes itself for every target; a dashboard may use them too. */
export const PROMETHEUS_SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/** Grafana's built-in interval; for a query run outside Grafana, 4 × the 5 s scrape interval. */
export const RATE_INTERVAL = '$__rate_interval';

export interface DashboardQuery {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
  readonly datasourceUid: string | undefined;
}

interface PanelJson {
  readonly title?: string;
  readonly type?: string;
  readonly datasource?: { readonly uid?: string };
  readonly targets?: readonly {
    readonly refId?: string;
    readonly expr?: string;
    readonly datasource?: { readonly uid?: string };
  }[];
  readonly panels?: readonly PanelJson[];
}

export interface DashboardJson {
  readonly uid?: string;
  readonly title?: string;
  readonly panels?: readonly PanelJson[];
}

export function readDashboard(path = DASHBOARD_PATH): DashboardJson {
  return JSON.parse(readFileSync(path, 'utf8')) as DashboardJson;
}

/** Every query of every panel (rows' nested panels included). */
export function dashboardQueries(dashboard: DashboardJson): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (panels: readonly PanelJson[]): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        queries.push({
          panel: panel.title ?? '(untitled)',
          refId: target.refId ?? '?',
          expr: target.expr ?? '',
          datasourceUid: target.datasource?.uid ?? panel.datasource?.uid,
        });
      }
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels ?? []);
  return queries;
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: identifiers left once strings, label matchers,
 * range selectors and grouping clauses are removed, that are neither keywords nor function
 * names (a function name is followed by `(`). Good for the dashboard's plain queries; not a
 * PromQL parser.
 */
export function metricNamesIn(expr: string): string[] {
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\{[^}]*\}/g, ' ');
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const after = rest.slice((match.index ?? 0) + name.length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(name.toLowerCase())) continue;
    names.push(name);
  }
  return names;
}

/**
 * Every series name a Samovar cluster exposes: the worker side (engine HTTP metrics,
 * connections, event-loop lag, prom-client defaults) and the primary's own, with the
 * `_bucket`, `_sum` and `_count` series of each histogram.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const guards = {
    shed: { lag: 0 },
    rateLimited: 0,
    acceptFailures: {},
    acceptPaused: 0,
    logDropped: 0,
    acceptingDescriptors: 1,
    acceptWidened: 0,
  };
  const worker = new WorkerMetrics(() => ({ open: 0, accepted: 0, closed: { client: 0 }, guards }));
  const labels = { workerStates: [], restartReasons: [], reloadResults: [] }; // names are all this needs
  const primary = new PrimaryMetrics({ ...labels, workers: () => ({}), logDropped: () => 0 });
  const families: FamilySnapshot[] = [...(await worker.snapshot()).families, ...(await primary.snapshot())];
  const names = new Set<string>();
  for (const family of families) {
    names.add(family.name);
    if (family.type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(family.name + suffix);
  }
  return names;
}
