/**
 * Metric families as plain data, and the allocation-free cells the hot path counts into.
 *
 * A snapshot is prom-client's own JSON shape (`registry.getMetricsAsJSON()`: name, help, type,
 * values of `{ value, labels, metricName? }`), so prom-client's default metrics and Samovar's
 * own cells travel over IPC and merge in the primary the same way. Values are JSON-safe: a NaN
 * crosses IPC as `null` and is read back as NaN.
 *
 * Why own cells: prom-client re-hashes the label object and returns a fresh object on every
 * `inc()`/`observe()`, even through `labels(…)` children. Here a label set's cell is made once
 * (the caller keeps it), and counting is `cell.value++` or a bucket scan over a Float64Array.
 * Must not: know about HTTP, sockets or processes.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string | number>>;

export interface Sample {
  /** `null` stands for NaN (JSON has no NaN). */
  readonly value: number | null;
  readonly labels: Labels;
  /** Set on histogram lines: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  readonly metricName?: string;
}

export interface FamilySnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly values: readonly Sample[];
}

export type MetricSnapshot = readonly FamilySnapshot[];

/** One series' identity: its metric name plus its labels, sorted (delta.ts and aggregate.ts key by it). */
export function seriesKey(name: string, labels: Labels): string {
  let key = name;
  for (const k of Object.keys(labels).sort()) key += `\u0000${k}\u0001${String(labels[k])}`;
  return key;
}

const NO_LABELS: Labels = Object.freeze({});

export class CounterCell {
  value = 0;
  readonly labels: Labels;

  constructor(labels: Labels) {
    this.labels = labels;
  }
}

/** Per-bucket (not cumulative) counts; made cumulative only when a snapshot is taken. */
export class HistogramCell {
  readonly labels: Labels;
  readonly bounds: Float64Array;
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(labels: Labels, bounds: Float64Array) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  /** Counts `v` in the first bucket whose bound is ≥ v (Prometheus' `le`), or only in +Inf. */
  observe(v: number): void {
    const bounds = this.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && v > (bounds[i] as number)) i++;
    if (i < n) this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += v;
    this.count++;
  }
}

/** A counter family: one cell per label set, made once with `cell()` and kept by the caller. */
export class CounterFamily {
  readonly name: string;
  readonly help: string;
  private readonly cells: CounterCell[] = [];

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  cell(labels: Labels = NO_LABELS): CounterCell {
    const cell = new CounterCell(labels);
    this.cells.push(cell);
    return cell;
  }

  snapshot(): FamilySnapshot {
    const values = this.cells.map((c) => ({ value: c.value, labels: c.labels }));
    return { name: this.name, help: this.help, type: 'counter', values };
  }
}

/**
 * A counter family by one label whose values come as they come (outcomes, error codes, reasons):
 * a value's cell is made on its first use and found again through a Map. `cell(value)` made
 * ahead exports that value at 0 from the start.
 */
export class CounterByLabel {
  private readonly family: CounterFamily;
  private readonly label: string;
  private readonly cells = new Map<string, CounterCell>();

  constructor(name: string, help: string, label: string) {
    this.family = new CounterFamily(name, help);
    this.label = label;
  }

  cell(value: string): CounterCell {
    let cell = this.cells.get(value);
    if (cell === undefined) {
      cell = this.family.cell({ [this.label]: value });
      this.cells.set(value, cell);
    }
    return cell;
  }

  inc(value: string, by = 1): void {
    this.cell(value).value += by;
  }

  snapshot(): FamilySnapshot {
    return this.family.snapshot();
  }
}

/** A histogram family with one set of bucket bounds for every label set. */
export class HistogramFamily {
  readonly name: string;
  readonly help: string;
  private readonly bounds: Float64Array;
  private readonly cells: HistogramCell[] = [];

  constructor(name: string, help: string, bounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.bounds = Float64Array.from(bounds);
  }

  cell(labels: Labels = NO_LABELS): HistogramCell {
    const cell = new HistogramCell(labels, this.bounds);
    this.cells.push(cell);
    return cell;
  }

  snapshot(): FamilySnapshot {
    const values: Sample[] = [];
    for (const cell of this.cells) pushHistogram(values, this.name, cell);
    return { name: this.name, help: this.help, type: 'histogram', values };
  }
}

function pushHistogram(values: Sample[], name: string, cell: HistogramCell): void {
  const bucket = `${name}_bucket`;
  let cumulative = 0;
  for (let i = 0; i < cell.bounds.length; i++) {
    cumulative += cell.counts[i] as number;
    values.push({
      value: cumulative,
      labels: { ...cell.labels, le: cell.bounds[i] as number },
      metricName: bucket,
    });
  }
  values.push({ value: cell.count, labels: { ...cell.labels, le: '+Inf' }, metricName: bucket });
  values.push({ value: cell.sum, labels: cell.labels, metricName: `${name}_sum` });
  values.push({ value: cell.count, labels: cell.labels, metricName: `${name}_count` });
}

/** A gauge or counter family computed at snapshot time from plain numbers. */
export function computedFamily(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  values: readonly Sample[],
): FamilySnapshot {
  return { name, help, type, values };
}
