/**
 * The chart of `npm run load:compare` as one standalone SVG: for each load generator, grouped bars
 * of median req/s and of median p99 per scenario, one bar per peer, with the min–max over rounds
 * as a whisker. Axis ticks come from svg-chart.ts (the soak's line chart).
 * Must not: read or write files.
 */
import type { Tool } from './options.ts';
import { SERVER_TITLE, SERVERS } from './report.ts';
import type { ServerId, Spread, SummaryRow } from './report.ts';
import { ticks } from './svg-chart.ts';

const COLORS: Readonly<Record<ServerId, string>> = {
  samovar: '#c0392b',
  // Each server with its access log off in a lighter shade of its own colour, with it on darker.
  'samovar-log-off': '#f1948a',
  'node-http': '#2e86c1',
  nginx: '#27ae60',
  'nginx-log': '#1e8449',
  'nginx-log-buffered': '#82e0aa',
  'node-net': '#8e44ad',
  'samovar-native': '#e67e22',
  'samovar-fetch': '#f1c40f',
  'samovar-hono': '#d35400',
  'hono-node': '#16a085',
  'node-https': '#2e86c1',
};
const PANEL_HEIGHT = 300;
const WIDTH = 1000;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 70 };
/** Legend entries: one every 180 px, as many rows of them as the peers need. */
const LEGEND_ENTRY_WIDTH = 180;
const LEGEND_ROW_HEIGHT = 18;
const LEGEND_PER_ROW = Math.floor((WIDTH - MARGIN.left - MARGIN.right) / LEGEND_ENTRY_WIDTH);

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number): string => n.toFixed(1);

interface Panel {
  readonly title: string;
  readonly rows: readonly SummaryRow[];
  readonly value: (row: SummaryRow) => Spread;
}

/** Wraps a scenario title onto lines of about `width` characters under its group. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.slice(0, 3);
}

function bar(row: SummaryRow, s: Spread, x: number, w: number, py: (v: number) => number): string[] {
  const y = py(s.median);
  const base = py(0);
  const mid = x + w / 2;
  const out = [
    `<rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(Math.max(0, base - y))}" fill="${COLORS[row.server]}"><title>${esc(`${SERVER_TITLE[row.server]} ${row.scenarioTitle}: ${s.median.toPrecision(4)}`)}</title></rect>`,
  ];
  if (s.max > s.min) {
    out.push(`<line x1="${f(mid)}" x2="${f(mid)}" y1="${f(py(s.min))}" y2="${f(py(s.max))}" stroke="#333"/>`);
  }
  return out;
}

function panel(p: Panel, top: number): string[] {
  const scenarios = [...new Set(p.rows.map((r) => r.scenarioTitle))];
  const max = Math.max(1e-9, ...p.rows.map((r) => p.value(r).max).filter(Number.isFinite));
  const yTicks = ticks(0, max * 1.05, 5, true);
  const y1 = yTicks[yTicks.length - 1] ?? max;
  const bottom = top + PANEL_HEIGHT - MARGIN.bottom;
  const py = (v: number): number =>
    bottom - (Math.min(v, y1) / y1) * (PANEL_HEIGHT - MARGIN.top - MARGIN.bottom);
  const groupW = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, scenarios.length);
  const parts = [
    `<text x="${WIDTH / 2}" y="${top + 24}" text-anchor="middle" font-size="14">${esc(p.title)}</text>`,
  ];
  for (const t of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${f(py(t))}" y2="${f(py(t))}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${f(py(t) + 4)}" text-anchor="end">${t.toLocaleString('en-US')}</text>`,
    );
  }
  scenarios.forEach((title, i) => {
    const rows = SERVERS.map((id) => p.rows.find((r) => r.scenarioTitle === title && r.server === id)).filter(
      (r): r is SummaryRow => r !== undefined,
    );
    const w = (groupW * 0.8) / Math.max(1, rows.length);
    const x0 = MARGIN.left + i * groupW + groupW * 0.1;
    rows.forEach((row, j) => {
      const s = p.value(row);
      if (Number.isFinite(s.median)) parts.push(...bar(row, s, x0 + j * w, w * 0.9, py));
    });
    wrap(title, 18).forEach((line, k) => {
      parts.push(
        `<text x="${f(x0 + groupW * 0.4)}" y="${bottom + 16 + k * 13}" text-anchor="middle" font-size="11">${esc(line)}</text>`,
      );
    });
  });
  parts.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}" stroke="black"/>`,
  );
  return parts;
}

function captionSize(caption: string): number {
  return Math.max(7, Math.min(12, Math.floor((WIDTH - 20) / (caption.length * 0.55))));
}

/** The whole chart: per tool, a req/s panel and a p99 panel; a legend of the peers on top. */
export function barChartsSvg(rows: readonly SummaryRow[], caption: string): string {
  const tools = [...new Set(rows.map((r) => r.tool))] as Tool[];
  const panels: Panel[] = tools.flatMap((tool) => {
    const mine = rows.filter((r) => r.tool === tool);
    return [
      { title: `${tool}: requests per second (median, whisker min–max)`, rows: mine, value: (r) => r.rps },
      { title: `${tool}: p99 latency, ms (median, whisker min–max)`, rows: mine, value: (r) => r.p99Ms },
    ];
  });
  const present = SERVERS.filter((id) => rows.some((r) => r.server === id));
  const legendRows = Math.max(1, Math.ceil(present.length / LEGEND_PER_ROW));
  const legendH = 50 + (legendRows - 1) * LEGEND_ROW_HEIGHT;
  const height = legendH + Math.max(1, panels.length) * PANEL_HEIGHT;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    // A long caption shrinks to fit the width (about 0.55 em per character of sans-serif).
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="${captionSize(caption)}">${esc(caption)}</text>`,
  ];
  present.forEach((id, i) => {
    const x = MARGIN.left + (i % LEGEND_PER_ROW) * LEGEND_ENTRY_WIDTH;
    const y = 30 + Math.floor(i / LEGEND_PER_ROW) * LEGEND_ROW_HEIGHT;
    parts.push(
      `<rect x="${x}" y="${y}" width="14" height="12" fill="${COLORS[id]}"/>`,
      `<text x="${x + 20}" y="${y + 10}">${esc(SERVER_TITLE[id])}</text>`,
    );
  });
  panels.forEach((p, i) => parts.push(...panel(p, legendH + i * PANEL_HEIGHT)));
  if (panels.length === 0) parts.push(`<text x="20" y="80">no complete measurement</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
