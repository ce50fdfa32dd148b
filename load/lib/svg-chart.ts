/**
 * A line chart as a standalone SVG string: one polyline per series, axes with round ticks,
 * dashed vertical markers (the soak's rolling restarts), a legend. Enough for a memory curve
 * without a plotting dependency.
 * Must not: read or write files.
 */

export interface Series {
  readonly name: string;
  readonly color: string;
  /** [x, y] in data units, x ascending. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** x positions of vertical markers, with a label. */
  readonly markers?: readonly { readonly x: number; readonly label: string }[];
  readonly width?: number;
  readonly height?: number;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Ticks at 1, 2 or 5 × 10^k spacing, about `count` of them; with `cover`, the first is at or
 * below `lo` and the last at or above `hi` (an axis), else all lie within [lo, hi] (labels).
 */
export function ticks(lo: number, hi: number, count = 6, cover = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const first = (cover ? Math.floor(lo / step) : Math.ceil(lo / step)) * step;
  const last = cover ? Math.ceil(hi / step) * step : hi;
  const out: number[] = [];
  for (let t = first; t <= last + step * 1e-9; t += step) out.push(Number(t.toFixed(10)));
  return out;
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 900;
  const H = o.height ?? 420;
  const m = { left: 64, right: 170, top: 36, bottom: 48 };
  const all = o.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(x0 + 1e-9, ...xs);
  const yTicks = ticks(Math.min(0, ...ys), Math.max(1, ...ys) * 1.05, 6, true);
  const y0 = yTicks[0] ?? 0;
  const y1 = Math.max(yTicks[yTicks.length - 1] ?? 1, y0 + 1e-9);
  const px = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * (W - m.left - m.right);
  const py = (y: number): number => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const f = (n: number): string => n.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(o.title)}</text>`,
  ];
  for (const t of yTicks) {
    parts.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${f(py(t))}" y2="${f(py(t))}" stroke="#eee"/>`,
      `<text x="${m.left - 6}" y="${f(py(t) + 4)}" text-anchor="end">${t}</text>`,
    );
  }
  for (const t of ticks(x0, x1)) {
    parts.push(`<text x="${f(px(t))}" y="${H - m.bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" stroke="black"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" stroke="black"/>`,
    `<text x="${(m.left + W - m.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  for (const mk of o.markers ?? []) {
    const x = f(px(mk.x));
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${m.top}" y2="${H - m.bottom}" stroke="#999" stroke-dasharray="4 3"/>`,
      `<text x="${x}" y="${m.top - 4}" text-anchor="middle" font-size="10" fill="#666">${esc(mk.label)}</text>`,
    );
  }
  o.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const pts = s.points.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts}"/>`);
    }
    const ly = m.top + 14 + i * 16;
    if (ly < H - m.bottom) {
      parts.push(
        `<line x1="${W - m.right + 12}" x2="${W - m.right + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
        `<text x="${W - m.right + 38}" y="${ly}">${esc(s.name)}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
