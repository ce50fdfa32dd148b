/**
 * An issue's goals as the lab reports them: each measured value against its bound, met, missed
 * (and by how much), or not measured; and the Markdown table of them. Shared by the HTTPS goals
 * (issue 17, tls-report.ts) and the access log, tail-latency and node:net goals (issue 19,
 * log-report.ts).
 * Must not: measure anything or choose which rows a goal reads.
 */

export interface Goal {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | null;
}

function known(value: number | null | undefined): value is number {
  return value !== null && value !== undefined && Number.isFinite(value);
}

/** `value` must be at least `min` (a throughput ratio): `0.87×, missed by 10%`. */
export function atLeastGoal(goal: string, value: number | null | undefined, min: number): Goal {
  if (!known(value)) return { goal, measured: 'not measured', met: null };
  const by = value >= min ? '' : `, missed by ${(((min - value) / min) * 100).toFixed(0)}%`;
  return { goal, measured: `${value.toFixed(2)}×${by}`, met: value >= min };
}

/** `value` must be at most `max` (a latency or CPU ratio): `1.08×, 8% over`. */
export function atMostGoal(goal: string, value: number | null | undefined, max: number, what = ''): Goal {
  if (!known(value)) return { goal, measured: 'not measured', met: null };
  const by = value <= max ? '' : `, ${(((value - max) / max) * 100).toFixed(0)}% over`;
  return { goal, measured: `${what}${value.toFixed(2)}×${by}`, met: value <= max };
}

export function goalsTable(goals: readonly Goal[], title: string): string {
  const lines = [`| Goal (${title}) | Samovar measured | |`, '| --- | --- | --- |'];
  for (const g of goals) {
    lines.push(`| ${g.goal} | ${g.measured} | ${g.met === null ? '–' : g.met ? 'met' : '**missed**'} |`);
  }
  return lines.join('\n');
}
