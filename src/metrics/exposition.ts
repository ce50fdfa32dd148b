/**
 * The Prometheus text exposition format, version 0.0.4: `# HELP`, `# TYPE`, then one line per
 * sample, every line of a family together; a histogram's buckets in increasing `le` with `+Inf`
 * last, then `_sum` and `_count`, per label set. Label values escape `\`, `"` and newline, help
 * text `\` and newline; values are Go-style floats (`NaN`, `+Inf`, `-Inf`).
 * Must not: merge or aggregate (aggregate.ts does); it writes what it is given.
 */

import type { FamilySnapshot, Labels, Sample } from './family.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function renderFamilies(families: Iterable<FamilySnapshot>): string {
  let out = '';
  for (const f of families) {
    if (f.values.length === 0) continue;
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    const samples = f.type === 'histogram' ? orderHistogram(f.values) : f.values;
    for (const s of samples) out += sampleLine(s.metricName ?? f.name, s.labels, s.value);
  }
  return out;
}

function sampleLine(name: string, labels: Labels, value: number | null): string {
  return `${name}${labelText(labels)} ${formatValue(value)}\n`;
}

export function labelText(labels: Labels): string {
  let text = '';
  for (const key in labels) {
    const value = labels[key];
    if (value === undefined) continue;
    text += `${text === '' ? '' : ','}${key}="${escapeLabel(String(value))}"`;
  }
  return text === '' ? '' : `{${text}}`;
}

export function formatValue(value: number | null): string {
  if (value === null || Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Sorts a histogram's samples: per label set (first seen first), buckets by `le`, sum, count. */
function orderHistogram(values: readonly Sample[]): Sample[] {
  const groups = new Map<string, { buckets: Sample[]; rest: Sample[] }>();
  for (const s of values) {
    const key = labelText(withoutLe(s.labels));
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { buckets: [], rest: [] }));
    if (s.metricName?.endsWith('_bucket') === true) g.buckets.push(s);
    else g.rest.push(s);
  }
  const out: Sample[] = [];
  for (const g of groups.values()) {
    g.buckets.sort((a, b) => leOf(a) - leOf(b));
    g.rest.sort((a, b) => tailRank(a) - tailRank(b));
    out.push(...g.buckets, ...g.rest);
  }
  return out;
}

export function withoutLe(labels: Labels): Labels {
  if (!('le' in labels)) return labels;
  const { le: _le, ...rest } = labels;
  return rest;
}

/** `_sum` before `_count`, as prom-client writes them. */
function tailRank(s: Sample): number {
  return s.metricName?.endsWith('_sum') === true ? 0 : 1;
}

function leOf(s: Sample): number {
  const le = s.labels.le;
  return le === '+Inf' ? Infinity : Number(le);
}
