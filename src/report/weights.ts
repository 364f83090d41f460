// The weighted decision matrix (--weights weights.yaml): runs scored 0–10 per criterion and summed by
// weight, the way an engine promotion review fills in its evaluation matrix (pure; the file is parsed
// by the caller).
//
//   phase: steady          # optional: default the last phase every run has
//   class: all             # optional: default all classes
//   criteria:
//     latency: 3           # a built-in criterion with its weight
//     throughput: { weight: 2, metric: throughput.rps }   # another metric than the built-in one
//     cost: { weight: 1, values: { A: 2.10, B: 1.45 } }   # per run (letter, file name or run id); lower is better
//
// Scores: lower-is-better values score 10 × best / value, higher-is-better 10 × value / best; rates are
// scored on their good share (1 − error rate, validity rate) so a zero error rate does not divide.
import { z } from 'zod';
import { usageError } from '../util/errors.js';
import type { CompareResult } from './compare.js';
import { fmtValue } from './fmt.js';
import { METRIC_BY_ID } from './metrics.js';

const BUILTIN: Record<string, string> = {
  latency: 'ttft.p95',
  ttft: 'ttft.p95',
  tpot: 'tpot.p95',
  e2e: 'e2e.p95',
  throughput: 'throughput.output_tps',
  errors: 'error_rate',
  validity: 'validity_rate',
};

const Criterion = z.union([
  z.number().positive(),
  z
    .object({
      weight: z.number().positive(),
      metric: z.string().optional(),
      values: z.record(z.string(), z.number()).optional(),
      better: z.enum(['lower', 'higher']).optional(),
    })
    .strict(),
]);

export const WeightsSchema = z
  .object({
    phase: z.string().optional(),
    class: z.string().optional(),
    criteria: z.record(z.string(), Criterion).refine((c) => Object.keys(c).length > 0, 'needs at least one criterion'),
  })
  .strict();
export type Weights = z.infer<typeof WeightsSchema>;

export interface DecisionCriterion {
  name: string;
  weight: number;
  metric: string;
  values: (number | null)[];
  display: string[];
  scores: number[];
}

export interface DecisionMatrix {
  phase: string;
  class: string;
  runs: string[];
  criteria: DecisionCriterion[];
  /** Weighted mean score per run, 0–10. */
  totals: number[];
  /** 1 = best. */
  ranks: number[];
  winner: string;
  notes: string[];
}

export function parseWeights(data: unknown, file: string): Weights {
  const parsed = WeightsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.join('.');
    throw usageError(`${file}: ${path || '(root)'}: ${issue.message}; expected e.g. "criteria: { latency: 3, throughput: 2, cost: { weight: 1, values: { A: 2.1, B: 1.5 } } }"`);
  }
  for (const [name, c] of Object.entries(parsed.data.criteria)) {
    const spec = typeof c === 'number' ? { weight: c } : c;
    if ('values' in spec && spec.values) continue;
    const metric = ('metric' in spec ? spec.metric : undefined) ?? BUILTIN[name];
    if (!metric) throw usageError(`${file}: criteria.${name}: not a built-in criterion (${Object.keys(BUILTIN).join(', ')}, or cost with values); give it a metric (e.g. ttft.p99) or per-run values`);
    if (!METRIC_BY_ID.has(metric)) throw usageError(`${file}: criteria.${name}.metric: unknown metric "${metric}" (e.g. ttft.p95, e2e.p99, throughput.rps, error_rate)`);
  }
  return parsed.data;
}

export function decisionMatrix(cmp: CompareResult, w: Weights): DecisionMatrix {
  const notes: string[] = [];
  const cls = w.class === undefined || w.class === 'all' ? '*' : w.class;
  const candidates = cmp.groups.filter((g) => g.class === cls && g.present.every(Boolean));
  const group = w.phase === undefined ? candidates[candidates.length - 1] : candidates.find((g) => g.phase === w.phase);
  if (!group) {
    const have = [...new Set(cmp.groups.filter((g) => g.present.every(Boolean)).map((g) => `${g.phase}/${g.class === '*' ? 'all' : g.class}`))].join(', ');
    throw usageError(`--weights: no phase × class ${w.phase ?? '(last)'}/${w.class ?? 'all'} that every run has (aligned: ${have || 'none'})`);
  }
  const runs = cmp.runs.map((r) => r.name);
  const criteria: DecisionCriterion[] = [];
  for (const [name, c] of Object.entries(w.criteria)) {
    const spec = typeof c === 'number' ? { weight: c } : c;
    let values: (number | null)[];
    let metric: string;
    let better: 'lower' | 'higher';
    let display: string[];
    let rate = false;
    if ('values' in spec && spec.values) {
      const given = spec.values;
      values = cmp.runs.map((r) => {
        const base = r.file.split('/').pop() ?? r.file;
        const v = given[r.id] ?? given[r.name] ?? given[base] ?? given[base.replace(/\.json$/, '')] ?? given[r.runId];
        return v === undefined ? null : v;
      });
      const unknown = Object.keys(given).filter((k) => !cmp.runs.some((r) => [r.id, r.name, r.runId, r.file.split('/').pop(), r.file.split('/').pop()?.replace(/\.json$/, '')].includes(k)));
      if (unknown.length) notes.push(`${name}: values for ${unknown.join(', ')} match no run (use the letters ${runs.join(', ')}, file names or run ids)`);
      metric = 'given';
      better = spec.better ?? 'lower';
      display = values.map((v) => (v === null ? '-' : String(v)));
    } else {
      metric = ('metric' in spec ? spec.metric : undefined) ?? BUILTIN[name];
      const def = METRIC_BY_ID.get(metric);
      if (!def) throw usageError(`--weights: criteria.${name}: unknown metric "${metric}"`);
      const row = group.rows.find((r) => r.metric === metric);
      const raw = row?.values ?? runs.map(() => null);
      better = def.better;
      rate = def.kind === 'rate';
      display = raw.map((v, i) => fmtValue(v, def.unit) + (row?.changes[i]?.verdict === 'within_noise' ? ' ~' : ''));
      // A difference compare calls within noise (or too few requests to judge) is a tie with A: it
      // scores as A does, so no winner is ranked on noise.
      const tied = runs.filter((_, i) => row?.changes[i]?.verdict === 'within_noise');
      values = raw.map((v, i) => (i > 0 && v !== null && raw[0] !== null && row?.changes[i]?.verdict === 'within_noise' ? raw[0] : v));
      if (tied.length > 0) notes.push(`${name}: ${tied.join(', ')} within noise of A: scored as a tie with A`);
    }
    if (values.every((v) => v === null)) {
      notes.push(`${name}: no run has a value; left out of the score`);
      continue;
    }
    values.forEach((v, i) => {
      if (v === null) notes.push(`${name}: ${runs[i]} has no value and scores 0`);
    });
    criteria.push({ name, weight: spec.weight, metric, values, display, scores: score(values, better, rate) });
  }
  const weightSum = criteria.reduce((s, c) => s + c.weight, 0);
  const totals = runs.map((_, i) => (weightSum > 0 ? criteria.reduce((s, c) => s + c.weight * c.scores[i], 0) / weightSum : 0));
  const order = totals.map((t, i) => [t, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const ranks = runs.map(() => 0);
  order.forEach(([, i], k) => (ranks[i] = k + 1));
  const top = order[0];
  const tied = order.filter(([t]) => Math.abs(t - top[0]) < 1e-9).map(([, i]) => runs[i]);
  return {
    phase: group.phase,
    class: group.class,
    runs,
    criteria,
    totals,
    ranks,
    winner: tied.length > 1 ? `tie between ${tied.join(', ')}` : `${runs[top[1]]} (${top[0].toFixed(2)} of 10)`,
    notes,
  };
}

function score(values: (number | null)[], better: 'lower' | 'higher', rate: boolean): number[] {
  // Rates become their good share (higher is better) so that 0 errors neither divides nor wins infinitely.
  const v = values.map((x) => (x === null ? null : rate && better === 'lower' ? 1 - x : x));
  const dir = rate ? 'higher' : better;
  const present = v.filter((x): x is number => x !== null);
  if (dir === 'lower') {
    const best = Math.min(...present);
    return v.map((x) => (x === null ? 0 : x <= 0 ? 10 : best <= 0 ? 0 : (10 * best) / x));
  }
  const best = Math.max(...present);
  return v.map((x) => (x === null ? 0 : best <= 0 ? 10 : (10 * Math.max(0, x)) / best));
}
