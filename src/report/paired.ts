// Paired analysis of an A/B experiment (pure): request i of A and request i of B form a pair, so the
// difference of a pair holds the engine's effect and little else (same body, same instant). For each
// per-request metric: percentiles of A, of B, of the per-pair differences B − A and ratios B/A, a
// bootstrap interval over pairs (resampling pairs, so the pairing is kept), and a verdict: better,
// worse, or within noise. Intervals are Bonferroni-adjusted over every statistic judged, as compare's
// are; small effects (under minEffect relative and floorMs absolute) and percentiles resting on too
// few pairs are within noise, however narrow the interval.
import type { DiffHist, PairedMetric, PairedStat, PairedVerdict } from '../results/ab-format.js';
import { rngFor, type Rng } from '../util/rng.js';
import { minSamplesFor, STAT_PERCENTILE, STATS } from './metrics.js';

/** What one side measured for one request of a pair. */
export interface PairSide {
  ok: boolean;
  ttftMs: number | null;
  tpotMs: number | null;
  e2eMs: number | null;
  queueMs: number;
  outputTokens: number | null;
  /** Structured output judged valid; null when the class validates nothing. */
  valid: boolean | null;
}

export interface Pair {
  a: PairSide;
  b: PairSide;
}

export interface PairedOptions {
  confidence?: number;
  /** Relative effects below this are within noise (default 0.02). */
  minEffect?: number;
  /** Latency effects below this many ms are within noise (default 0.25: the two sides' sends are that far apart in one event loop). */
  floorMs?: number;
  resamples?: number;
  seed?: number;
  /** The sides disagree about output length: E2E (not a per-token metric) is not compared. */
  lengthsDisagree?: boolean;
}

export const PAIRED_DEFAULTS = { confidence: 0.95, minEffect: 0.02, floorMs: 0.25, resamples: 1000, seed: 1 };
/** Rate changes below 0.1 percentage point are within noise (as compare). */
const RATE_FLOOR = 0.001;
/** Larger experiments are bootstrapped on a seeded subsample of this many pairs, the interval scaled back by √(m/n). */
const MAX_BOOTSTRAP_PAIRS = 20_000;
const HIST_BINS = 24;

interface ValueDef {
  id: string;
  label: string;
  unit: 'ms' | 'tokens';
  better: 'lower' | null;
  read: (s: PairSide) => number | null;
}

/** The per-request metrics compared pair by pair (errors and validity are rates, below). */
export const PAIRED_VALUES: readonly ValueDef[] = [
  { id: 'ttft', label: 'TTFT', unit: 'ms', better: 'lower', read: (s) => (s.ok ? s.ttftMs : null) },
  { id: 'tpot', label: 'TPOT', unit: 'ms', better: 'lower', read: (s) => (s.ok ? s.tpotMs : null) },
  { id: 'e2e', label: 'E2E', unit: 'ms', better: 'lower', read: (s) => (s.ok ? s.e2eMs : null) },
  { id: 'queue', label: 'queue', unit: 'ms', better: 'lower', read: (s) => s.queueMs },
  { id: 'output_tokens', label: 'output tokens', unit: 'tokens', better: null, read: (s) => (s.ok ? s.outputTokens : null) },
];

/** Statistics judged in all: Bonferroni's count. */
const COMPARISONS = PAIRED_VALUES.length * STATS.length + 2;

/** Nearest-rank percentile of sorted values (HdrHistogram's rule: rank ⌈p·n⌉). */
function pct(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  const rank = Math.max(1, Math.ceil((p / 100) * n - 1e-9));
  return sorted[Math.min(n, rank) - 1];
}

function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/**
 * Bootstrap over pairs: each resample draws pair indices with replacement (a pair's two sides stay
 * together) and gives `stat` of the drawn pairs; returns the sorted distribution of each output.
 */
function bootstrap(a: Float64Array, b: Float64Array, stat: (a: Float64Array, b: Float64Array) => number[], resamples: number, rng: Rng): Float64Array[] {
  const n = a.length;
  const sa = new Float64Array(n);
  const sb = new Float64Array(n);
  const outs: Float64Array[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rng() * n);
      sa[i] = a[k];
      sb[i] = b[k];
    }
    stat(sa, sb).forEach((v, k) => {
      outs[k] ??= new Float64Array(resamples);
      outs[k][r] = v;
    });
  }
  return outs.map((o) => o.sort());
}

/** The pairs the bootstrap resamples (a seeded subsample past MAX_BOOTSTRAP_PAIRS), and the factor its interval half-widths are scaled by. */
function bootstrapBase(a: Float64Array, b: Float64Array, rng: Rng): { a: Float64Array; b: Float64Array; scale: number } {
  if (a.length <= MAX_BOOTSTRAP_PAIRS) return { a, b, scale: 1 };
  const sa = new Float64Array(MAX_BOOTSTRAP_PAIRS);
  const sb = new Float64Array(MAX_BOOTSTRAP_PAIRS);
  for (let i = 0; i < sa.length; i++) {
    const k = Math.floor(rng() * a.length);
    sa[i] = a[k];
    sb[i] = b[k];
  }
  return { a: sa, b: sb, scale: Math.sqrt(MAX_BOOTSTRAP_PAIRS / a.length) };
}

function interval(dist: Float64Array, alpha: number, estimate: number, scale: number, bootEstimate: number): [number, number] {
  const lo = pct(dist, Math.max(0, (alpha / 2) * 100));
  const hi = pct(dist, Math.min(100, (1 - alpha / 2) * 100));
  // Scaled around the full-sample estimate when the bootstrap ran on a subsample.
  return scale === 1 ? [lo, hi] : [estimate - (bootEstimate - lo) * scale, estimate + (hi - bootEstimate) * scale];
}

function verdictOf(better: 'lower' | 'higher' | null, delta: number, ci: [number, number] | null, small: boolean): PairedVerdict {
  if (ci === null || (ci[0] <= 0 && ci[1] >= 0) || small || delta === 0) return 'within_noise';
  if (better === null) return 'differs';
  return (better === 'lower') === delta > 0 ? 'worse' : 'better';
}

/** Histogram of the differences between their p1 and p99 (outliers fall in the end bins). */
export function diffHist(sortedD: Float64Array): DiffHist | null {
  if (sortedD.length === 0) return null;
  let from = pct(sortedD, 1);
  let to = pct(sortedD, 99);
  if (!(to > from)) {
    from -= 0.5;
    to += 0.5;
  }
  const bin = (to - from) / HIST_BINS;
  const counts = new Array<number>(HIST_BINS).fill(0);
  for (const x of sortedD) counts[Math.min(HIST_BINS - 1, Math.max(0, Math.floor((x - from) / bin)))]++;
  return { from: round(from), bin: round(bin), counts };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const roundCi = (ci: [number, number] | null): [number, number] | null => (ci ? [round(ci[0]), round(ci[1])] : null);

/** Values of both sides for the pairs where both have one. */
function paired(pairs: readonly Pair[], read: (s: PairSide) => number | null): { a: Float64Array; b: Float64Array } {
  const av: number[] = [];
  const bv: number[] = [];
  for (const p of pairs) {
    const a = read(p.a);
    const b = read(p.b);
    if (a === null || b === null) continue;
    av.push(a);
    bv.push(b);
  }
  return { a: Float64Array.from(av), b: Float64Array.from(bv) };
}

/**
 * p50/p95/p99 of one per-request metric: A's and B's percentile and their difference (what the
 * interval and verdict judge: under no effect it centres on 0, where a high percentile of the
 * per-pair differences would not), and the percentiles of the per-pair differences and ratios.
 */
function valueMetric(def: ValueDef, pairs: readonly Pair[], o: Required<PairedOptions>, index: number): PairedMetric {
  const { a: av, b: bv } = paired(pairs, def.read);
  const n = av.length;
  const base = { label: def.label, unit: def.unit, better: def.better, pairs: n };
  if (n === 0) return { ...base, stats: {}, hist: null };
  const sortedD = sortedCopy(av.map((a, i) => bv[i] - a));
  const sortedA = sortedCopy(av);
  const sortedB = sortedCopy(bv);
  const ratios = sortedCopy(Array.from(av).flatMap((a, i) => (a > 0 ? [bv[i] / a] : [])));
  const ps = STATS.map((s) => STAT_PERCENTILE[s]);
  const rng = rngFor(o.seed, 0x7061, index);
  const boot = bootstrapBase(av, bv, rng);
  const diffs = (a: Float64Array, b: Float64Array) => {
    a.sort();
    b.sort();
    return ps.map((p) => pct(b, p) - pct(a, p));
  };
  const dist = n >= 2 ? bootstrap(boot.a, boot.b, diffs, o.resamples, rng) : null;
  const bootEstimates = boot.scale === 1 ? null : diffs(Float64Array.from(boot.a), Float64Array.from(boot.b));
  const alpha = (1 - o.confidence) / COMPARISONS;
  const stats: Record<string, PairedStat> = {};
  STATS.forEach((s, k) => {
    const p = ps[k];
    const a = pct(sortedA, p);
    const b = pct(sortedB, p);
    const diff = b - a;
    const ci = dist ? interval(dist[k], alpha, diff, boot.scale, bootEstimates ? bootEstimates[k] : diff) : null;
    const rel = a > 0 ? Math.abs(diff) / a : diff === 0 ? 0 : Infinity;
    const floor = def.unit === 'ms' ? o.floorMs : 0.5;
    const need = minSamplesFor(p);
    const few = n < need;
    let verdict = verdictOf(def.better, diff, ci, few || rel < o.minEffect || Math.abs(diff) < floor);
    if (def.id === 'e2e' && o.lengthsDisagree) verdict = 'not_compared';
    stats[s] = {
      a: round(a), b: round(b), diff: round(diff), delta: round(pct(sortedD, p)), ratio: ratios.length > 0 ? round(pct(ratios, p)) : null, ci: roundCi(ci), verdict,
      ...(few ? { fewSamples: { have: n, need } } : {}),
    };
  });
  const note = def.id === 'e2e' && o.lengthsDisagree ? 'the sides disagree about output length: E2E is not compared (TPOT is per token)' : undefined;
  return { ...base, stats, hist: diffHist(sortedD), ...(note ? { note } : {}) };
}

/** A rate over pairs (errors: every pair; validity: pairs both sides judged), from the paired 0/1 outcomes. */
function rateMetric(id: 'errors' | 'validity', pairs: readonly Pair[], o: Required<PairedOptions>): PairedMetric {
  const read = id === 'errors' ? (s: PairSide) => (s.ok ? 0 : 1) : (s: PairSide) => (s.valid === null ? null : s.valid ? 1 : 0);
  const better = id === 'errors' ? ('lower' as const) : ('higher' as const);
  const { a: av, b: bv } = paired(pairs, read);
  const n = av.length;
  const base = { label: id === 'errors' ? 'error rate' : 'validity rate', unit: 'rate' as const, better, pairs: n, hist: null };
  if (n === 0) return { ...base, stats: {} };
  const mean = (xs: Float64Array) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const a = mean(av);
  const b = mean(bv);
  const diff = b - a;
  const rng = rngFor(o.seed, 0x7261, id === 'errors' ? 0 : 1);
  const boot = bootstrapBase(av, bv, rng);
  const dist = n >= 2 ? bootstrap(boot.a, boot.b, (x, y) => [mean(y) - mean(x)], o.resamples, rng)[0] : null;
  const ci = dist ? interval(dist, (1 - o.confidence) / COMPARISONS, diff, boot.scale, boot.scale === 1 ? diff : mean(boot.b) - mean(boot.a)) : null;
  const verdict = verdictOf(better, diff, ci, Math.abs(diff) < RATE_FLOOR);
  const stat: PairedStat = { a: round(a), b: round(b), diff: round(diff), delta: round(diff), ratio: a > 0 ? round(b / a) : null, ci: roundCi(ci), verdict };
  return { ...base, stats: { rate: stat } };
}

/** Pairs where both sides got an answer whose lengths differ by more than 5 % (and a token): one side ignores max_tokens / ignore_eos. */
export function outputLengthDisagreement(pairs: readonly Pair[]): { disagreeingPairs: number; fraction: number; disagree: boolean } {
  let both = 0;
  let differ = 0;
  for (const { a, b } of pairs) {
    if (!a.ok || !b.ok || a.outputTokens === null || b.outputTokens === null) continue;
    both++;
    if (Math.abs(b.outputTokens - a.outputTokens) > Math.max(1, 0.05 * a.outputTokens)) differ++;
  }
  const fraction = both > 0 ? differ / both : 0;
  // One pair in ten: a server that honours max_tokens on most requests still agrees.
  return { disagreeingPairs: differ, fraction: round(fraction), disagree: fraction > 0.1 };
}

/** The paired summary of every metric, keyed ttft, tpot, e2e, queue, output_tokens, errors, validity. */
export function pairedMetrics(pairs: readonly Pair[], opts: PairedOptions = {}): Record<string, PairedMetric> {
  const o: Required<PairedOptions> = { ...PAIRED_DEFAULTS, lengthsDisagree: false, ...opts };
  const out: Record<string, PairedMetric> = {};
  PAIRED_VALUES.forEach((def, i) => (out[def.id] = valueMetric(def, pairs, o, i)));
  out.errors = rateMetric('errors', pairs, o);
  out.validity = rateMetric('validity', pairs, o);
  return out;
}

/** The headline: which statistics B is worse or better on, beyond noise. */
export function pairedVerdict(metrics: Record<string, PairedMetric>): { headline: string; worse: string[]; better: string[] } {
  const worse: string[] = [];
  const better: string[] = [];
  for (const [id, m] of Object.entries(metrics)) {
    for (const [stat, s] of Object.entries(m.stats)) {
      const name = stat === 'rate' ? (id === 'errors' ? 'error_rate' : 'validity_rate') : `${id}.${stat}`;
      if (s.verdict === 'worse') worse.push(name);
      if (s.verdict === 'better') better.push(name);
    }
  }
  const headline =
    worse.length === 0 && better.length === 0
      ? 'B and A are within noise on every paired metric'
      : [worse.length > 0 ? `B is worse than A on ${worse.join(', ')}` : '', better.length > 0 ? `B is better than A on ${better.join(', ')}` : ''].filter(Boolean).join('; ');
  return { headline, worse, better };
}
