// The metrics a comparison, a gate and a decision matrix talk about, named once: "ttft.p95",
// "throughput.output_tps", "error_rate". Each says its unit, which direction is better, and how to read
// it from a result group.
import type { MetricKey } from '../metrics/accumulator.js';
import type { GroupResult } from '../results/format.js';

export const STATS = ['p50', 'p95', 'p99'] as const;
export type Stat = (typeof STATS)[number];
export const STAT_PERCENTILE: Record<Stat, number> = { p50: 50, p95: 95, p99: 99 };

/**
 * Small-sample rule: a percentile rests on the few requests beyond it, so p needs at least
 * TAIL_REQUESTS of them: n ≥ 5 / (1 − p) — p50 10 requests, p95 100, p99 500. Below that, compare
 * says so and calls no change beyond noise.
 */
export const TAIL_REQUESTS = 5;
export function minSamplesFor(percentile: number): number {
  return Math.ceil((TAIL_REQUESTS * 100) / (100 - percentile) - 1e-9);
}

export const LATENCY_METRICS = [
  { name: 'ttft', key: 'ttftMs', label: 'TTFT' },
  { name: 'tpot', key: 'tpotMs', label: 'TPOT' },
  { name: 'gap', key: 'interChunkMs', label: 'inter-chunk gap' },
  { name: 'e2e', key: 'e2eMs', label: 'E2E' },
  { name: 'queue', key: 'queueMs', label: 'queue' },
  { name: 'sched_ttft', key: 'ttftFromScheduleMs', label: 'sched TTFT' },
  { name: 'sched_e2e', key: 'e2eFromScheduleMs', label: 'sched E2E' },
] as const satisfies readonly { name: string; key: MetricKey; label: string }[];
export type LatencyName = (typeof LATENCY_METRICS)[number]['name'];

export type MetricKind = 'latency' | 'throughput' | 'rate';

export interface MetricDef {
  /** "ttft.p95", "throughput.rps", "error_rate". */
  id: string;
  label: string;
  kind: MetricKind;
  unit: 'ms' | 'req/s' | 'tok/s' | '';
  better: 'lower' | 'higher';
  latency?: { key: MetricKey; stat: Stat };
  read: (g: GroupResult) => number | null;
}

export const THROUGHPUT_METRICS: MetricDef[] = [
  { id: 'throughput.rps', label: 'completed', kind: 'throughput', unit: 'req/s', better: 'higher', read: (g) => g.throughput.requestsPerS },
  { id: 'throughput.output_tps', label: 'out tok/s', kind: 'throughput', unit: 'tok/s', better: 'higher', read: (g) => g.throughput.outputTokensPerS },
  { id: 'throughput.input_tps', label: 'in tok/s', kind: 'throughput', unit: 'tok/s', better: 'higher', read: (g) => g.throughput.inputTokensPerS },
];

export const RATE_METRICS: MetricDef[] = [
  { id: 'error_rate', label: 'error rate', kind: 'rate', unit: '', better: 'lower', read: (g) => (g.requests > 0 ? g.errorRate : null) },
  { id: 'validity_rate', label: 'validity', kind: 'rate', unit: '', better: 'higher', read: (g) => g.validityRate },
];

const statField = { p50: 'p50Ms', p95: 'p95Ms', p99: 'p99Ms' } as const;

export const COMPARE_METRICS: MetricDef[] = [
  ...LATENCY_METRICS.flatMap((m) =>
    STATS.map(
      (stat): MetricDef => ({
        id: `${m.name}.${stat}`,
        label: `${m.label} ${stat}`,
        kind: 'latency',
        unit: 'ms',
        better: 'lower',
        latency: { key: m.key, stat },
        read: (g) => (g.metrics[m.key].count > 0 ? g.metrics[m.key][statField[stat]] : null),
      }),
    ),
  ),
  ...THROUGHPUT_METRICS,
  ...RATE_METRICS,
];

export const METRIC_BY_ID = new Map(COMPARE_METRICS.map((m) => [m.id, m]));

/** The number of trials behind a rate (for its standard error). */
export function rateTrials(id: string, g: GroupResult): number {
  if (id === 'error_rate') return g.requests;
  const v = g.validity;
  return v.valid + v.not_json + v.schema_invalid + v.truncated + (v.too_large ?? 0);
}
