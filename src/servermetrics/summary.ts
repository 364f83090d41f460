// Scrapes → the result's server-metrics section: aligned series (ms from run start) and a summary
// per phase (running/waiting, KV cache, prefix-cache hit rate, queue time from buckets, GPU
// utilisation, memory, power and energy per output token). Pure.
import { redactUrl, redactUrlsIn } from '../util/redact.js';
import { z } from 'zod';
import { bucketQuantile, type BucketQuantile } from './catalog.js';
import type { Scrape, SourceStats } from './scrape.js';

const n = z.number().nullable();

export const PhaseServerSummarySchema = z.object({
  phase: z.string(),
  /** Scrapes inside the phase window. */
  samples: z.number(),
  runningMean: n,
  runningMax: n,
  waitingMean: n,
  waitingMax: n,
  kvCacheUsageMax: n,
  /** Prefix-cache hits / queries over the phase (counter deltas), else the mean of the engine's own hit-rate gauge. */
  prefixCacheHitRate: n,
  queueTimeP50Ms: n,
  queueTimeP99Ms: n,
  /**
   * Present when the quantile is a bucket edge, not an interpolation: 'below' = it fell in the first
   * bucket (the value is that bucket's top, an upper bound), 'above' = it fell in +Inf (a lower
   * bound). Absent in older files.
   */
  queueTimeP50Bound: z.enum(['below', 'above']).optional(),
  queueTimeP99Bound: z.enum(['below', 'above']).optional(),
  gpuUtilMeanPct: n,
  gpuMemoryMaxMiB: n,
  gpuPowerMeanW: n,
  /** GPU energy over the phase (the DCGM energy counter, else power integrated over the scrapes). */
  energyJ: n,
  energyPerOutputTokenJ: n,
  /** Extra metrics named with --server-metric: mean and max over the phase. */
  extra: z.record(z.string(), z.object({ mean: z.number(), max: z.number() })).optional(),
});
export type PhaseServerSummary = z.infer<typeof PhaseServerSummarySchema>;

export const ServerMetricsSchema = z.object({
  intervalMs: z.number(),
  sources: z.array(z.object({ url: z.string(), scrapes: z.number(), failures: z.number(), lastError: z.string().nullable() })),
  /** Scrape times, ms from run start (the clock of `timeseries` and of phase start/end). */
  tMs: z.array(z.number()),
  /** Canonical (running, waiting, kvCacheUsage, …) and --server-metric series, aligned with tMs; null where a scrape lacked it. */
  series: z.record(z.string(), z.array(z.number().nullable())),
  phases: z.array(PhaseServerSummarySchema),
});
export type ServerMetricsResult = z.infer<typeof ServerMetricsSchema>;

export interface PhaseWindow {
  name: string;
  startedAtMs: number;
  endedAtMs: number;
  outputTokens: number | null;
}

export function buildServerMetrics(scrapes: Scrape[], sources: SourceStats[], phases: PhaseWindow[], intervalMs: number, extraNames: readonly string[] = []): ServerMetricsResult {
  const keys = [...new Set(scrapes.flatMap((s) => Object.keys(s.values)))].sort();
  const series: Record<string, (number | null)[]> = {};
  for (const k of keys) series[k] = scrapes.map((s) => (s.values[k] === undefined ? null : round(s.values[k] as number)));
  return {
    intervalMs,
    // A metrics URL may carry credentials (userinfo, ?token=): the result keeps it without them.
    sources: sources.map((s) => ({ ...s, url: redactUrl(s.url), lastError: s.lastError === null ? null : redactUrlsIn(s.lastError) })),
    tMs: scrapes.map((s) => s.tMs),
    series,
    phases: phases.map((p) => summarisePhase(scrapes, p, extraNames)),
  };
}

export function summarisePhase(scrapes: Scrape[], p: PhaseWindow, extraNames: readonly string[] = []): PhaseServerSummary {
  const inside = scrapes.filter((s) => s.tMs >= p.startedAtMs && s.tMs <= p.endedAtMs);
  // Counters and histograms: the last value at or before the phase start is the baseline.
  const before = [...scrapes].reverse().find((s) => s.tMs <= p.startedAtMs) ?? inside[0];
  const last = inside[inside.length - 1];
  const vals = (k: string) => inside.map((s) => s.values[k]).filter((v): v is number => v !== undefined);
  const mean = (k: string) => {
    const xs = vals(k);
    return xs.length === 0 ? null : round(xs.reduce((a, b) => a + b, 0) / xs.length);
  };
  const max = (k: string) => {
    const xs = vals(k);
    return xs.length === 0 ? null : round(Math.max(...xs));
  };
  const delta = (k: string) => {
    const a = before?.values[k];
    const b = last?.values[k];
    return a === undefined || b === undefined ? null : b - a;
  };

  const queries = delta('prefixCacheQueries');
  const hits = delta('prefixCacheHits');
  const hitRate = queries !== null && hits !== null && queries > 0 ? round(hits / queries) : mean('prefixCacheHitRate');

  let p50: BucketQuantile | null = null;
  let p99: BucketQuantile | null = null;
  if (before?.queueTimeBuckets && last?.queueTimeBuckets) {
    const d = new Map<number, number>();
    for (const [le, c] of last.queueTimeBuckets) d.set(le, c - (before === last ? 0 : (before.queueTimeBuckets.get(le) ?? 0)));
    p50 = bucketQuantile(0.5, d);
    p99 = bucketQuantile(0.99, d);
  }

  let energyJ: number | null = null;
  const energyMJ = delta('gpuEnergyMJ');
  if (energyMJ !== null && before !== last) energyJ = round(energyMJ / 1000);
  else {
    const pw = inside.filter((s) => s.values.gpuPowerW !== undefined);
    if (pw.length >= 2) {
      let j = 0;
      for (let i = 1; i < pw.length; i++) j += (((pw[i - 1].values.gpuPowerW as number) + (pw[i].values.gpuPowerW as number)) / 2) * ((pw[i].tMs - pw[i - 1].tMs) / 1000);
      energyJ = round(j);
    }
  }

  const extra: Record<string, { mean: number; max: number }> = {};
  for (const name of extraNames) {
    const m = mean(name);
    const x = max(name);
    if (m !== null && x !== null) extra[name] = { mean: m, max: x };
  }
  return {
    phase: p.name,
    samples: inside.length,
    runningMean: mean('running'),
    runningMax: max('running'),
    waitingMean: mean('waiting'),
    waitingMax: max('waiting'),
    kvCacheUsageMax: max('kvCacheUsage'),
    prefixCacheHitRate: hitRate,
    queueTimeP50Ms: p50 === null ? null : round(p50.value * 1000),
    queueTimeP99Ms: p99 === null ? null : round(p99.value * 1000),
    ...(p50?.bound ? { queueTimeP50Bound: p50.bound } : {}),
    ...(p99?.bound ? { queueTimeP99Bound: p99.bound } : {}),
    gpuUtilMeanPct: mean('gpuUtilPct'),
    gpuMemoryMaxMiB: max('gpuMemoryUsedMiB'),
    gpuPowerMeanW: mean('gpuPowerW'),
    energyJ,
    energyPerOutputTokenJ: energyJ !== null && p.outputTokens ? round(energyJ / p.outputTokens, 6) : null,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
