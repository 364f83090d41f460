// Noise decisions for compare: a bootstrap over the HDR buckets of two runs' histograms.
// A result file keeps no samples, only bucket counts, so a resample is a multinomial draw of the
// same total over the same buckets; percentiles of each resample are read with HdrHistogram's own
// rule, so a resample of an unchanged histogram reproduces the reported percentile exactly.
import type { Histogram } from '../metrics/histogram.js';
import { normal, type Rng } from '../util/rng.js';

/** A histogram's non-empty buckets: value (µs, the bucket's highest equivalent value) and count. */
export interface Buckets {
  valuesUs: Float64Array;
  counts: Float64Array;
  total: number;
}

interface RecordedValues {
  recordedValuesIterator: {
    reset(): void;
    hasNext(): boolean;
    next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
  };
}

/** Reads the non-empty buckets of a histogram decoded from a result file (JS implementation). */
export function histogramBuckets(h: Histogram): Buckets {
  const values: number[] = [];
  const counts: number[] = [];
  if (h.totalCount > 0) {
    const it = (h as unknown as RecordedValues).recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      values.push(v.valueIteratedTo);
      counts.push(v.countAtValueIteratedTo);
    }
  }
  return { valuesUs: Float64Array.from(values), counts: Float64Array.from(counts), total: counts.reduce((a, b) => a + b, 0) };
}

/** The count a percentile must reach, as HdrHistogram computes it (rounded up, at least 1). */
function rankFor(p: number, total: number): number {
  const fp = (Math.min(p, 100) / 100) * total;
  return Math.max(Math.ceil(fp - fp * Number.EPSILON), 1);
}

/** Percentiles (ascending list, 0–100) of bucket counts, in ms; 0 for an empty histogram. */
export function percentilesFromCounts(valuesUs: Float64Array, counts: Float64Array | Int32Array, ps: readonly number[]): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const out = ps.map(() => 0);
  if (total === 0) return out;
  const ranks = ps.map((p) => rankFor(p, total));
  let k = 0;
  let cum = 0;
  for (let i = 0; i < counts.length && k < ps.length; i++) {
    cum += counts[i];
    while (k < ps.length && cum >= ranks[k]) {
      out[k] = Math.round(valuesUs[i]) / 1000;
      k++;
    }
  }
  return out;
}

/** Binomial(n, p): exact waiting-time method when few successes are expected, else normal approximation. */
export function binomial(rng: Rng, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  if (n * p < 12) {
    // Geometric gaps between successes: expected n·p + 1 draws.
    const logQ = Math.log1p(-p);
    let x = 0;
    let sum = 0;
    for (;;) {
      let u = rng();
      while (u === 0) u = rng();
      sum += Math.floor(Math.log(u) / logQ) + 1;
      if (sum > n) return x;
      x++;
    }
  }
  const x = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal(rng));
  return x < 0 ? 0 : x > n ? n : x;
}

/** One multinomial resample of the same total over the same buckets (sequential conditional binomials). */
export function resampleCounts(rng: Rng, b: Buckets, into: Int32Array): Int32Array {
  let remaining = b.total;
  let mass = b.total;
  for (let i = 0; i < b.counts.length; i++) {
    const c = b.counts[i];
    if (remaining === 0 || mass <= 0) {
      into[i] = 0;
      continue;
    }
    const draw = i === b.counts.length - 1 ? remaining : binomial(rng, remaining, c / mass);
    into[i] = draw;
    remaining -= draw;
    mass -= c;
  }
  return into;
}

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * Bootstrap standard errors of percentile(b) − percentile(a) in ms, one per percentile, resampling
 * both histograms independently. null when either histogram is empty (nothing to compare).
 */
export function bootstrapPercentileDiffSe(a: Buckets, b: Buckets, ps: readonly number[], rng: Rng, resamples: number): number[] | null {
  if (a.total === 0 || b.total === 0) return null;
  const sum = new Float64Array(ps.length);
  const sumSq = new Float64Array(ps.length);
  const ca = new Int32Array(a.counts.length);
  const cb = new Int32Array(b.counts.length);
  for (let r = 0; r < resamples; r++) {
    const pa = percentilesFromCounts(a.valuesUs, resampleCounts(rng, a, ca), ps);
    const pb = percentilesFromCounts(b.valuesUs, resampleCounts(rng, b, cb), ps);
    for (let k = 0; k < ps.length; k++) {
      const d = pb[k] - pa[k];
      sum[k] += d;
      sumSq[k] += d * d;
    }
  }
  return ps.map((_, k) => {
    const mean = sum[k] / resamples;
    return Math.sqrt(Math.max(0, sumSq[k] / resamples - mean * mean) * (resamples / Math.max(1, resamples - 1)));
  });
}

/** Two-sided standard normal quantile z with P(|Z| > z) = alpha (Acklam's rational approximation). */
export function zTwoSided(alpha: number): number {
  return normalQuantile(1 - alpha / 2);
}

export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowP = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < lowP) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lowP) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
