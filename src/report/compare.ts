// compare: runs side by side (pure). Runs are aligned by phase name × class; every metric is shown per
// run with its change against the first run, and each change gets a confidence interval so that
// a difference a rerun would erase is called "within noise" rather than a regression.
//
// Noise model (docs in README "Reports"):
// - latency percentiles: bootstrap over the HDR buckets (multinomial resamples of each run's histogram),
//   giving the standard error of the percentile difference;
// - throughput: completions as a Poisson count over the phase wall time;
// - error and validity rates: two proportions (Agresti–Caffo);
// - the intervals are Bonferroni-adjusted over every comparison of one run pair, so "beyond noise"
//   holds for the whole table at the stated confidence, not for each of its ~100 cells;
// - changes smaller than `minEffect` (relative) are within noise however narrow the interval:
//   two runs differ by more than one run's sampling noise (machine state), and HDR buckets are 0.1 % wide;
//   rate changes below 0.1 percentage point likewise.
import type { GroupResult, PhaseResult, RunResult, TurnResult } from '../results/format.js';
import { decodeHistogram } from '../metrics/histogram.js';
import type { MetricKey } from '../metrics/accumulator.js';
import { describeLoad } from '../schedule/phases.js';
import { rngFor } from '../util/rng.js';
import { bootstrapPercentileDiffSe, histogramBuckets, zTwoSided, type Buckets, type Interval } from './bootstrap.js';
import { COMPARE_METRICS, LATENCY_METRICS, STAT_PERCENTILE, STATS, minSamplesFor, rateTrials, type MetricDef } from './metrics.js';
import { recipeNotes } from '../provenance/compare.js';
import { phaseRates, type PhaseRates } from '../results/rates.js';

export interface CompareInput {
  file: string;
  result: RunResult;
}

export interface CompareOptions {
  /** Bootstrap resamples per latency metric and run pair (default 300; lowered for very large compares). */
  resamples?: number;
  /** Family-wise confidence of the intervals (default 0.95). */
  confidence?: number;
  /** Relative changes below this are within noise (default 0.01 = 1 %). */
  minEffect?: number;
  seed?: number;
}

export interface RunRef {
  /** "A", "B", … in argument order; A is the baseline, the last is the candidate. */
  id: string;
  /** What reports call the run: its labels that tell it from the others ("engine=vllm"), else the letter. */
  name: string;
  file: string;
  runId: string;
  startedAt: string;
  workload: string;
  model: string;
  target: string;
  labels: Record<string, string>;
  clientSaturated: boolean;
}

export type Verdict = 'within_noise' | 'better' | 'worse';

export interface Change {
  /** candidate − baseline, in the metric's unit (a fraction for rates). */
  abs: number;
  /** abs / baseline, or null when the baseline is 0. */
  rel: number | null;
  ci: Interval | null;
  verdict: Verdict;
  /** A percentile with fewer requests than the small-sample rule needs (metrics.ts): never beyond noise. */
  fewSamples?: { have: number; need: number };
}

export interface CompareRow {
  metric: string;
  label: string;
  unit: MetricDef['unit'];
  better: MetricDef['better'];
  /** One per run; null when the run lacks the group or the metric has no data. */
  values: (number | null)[];
  /** One per run, against run A; null for A itself and where either value is missing. */
  changes: (Change | null)[];
  /** Index of the best run (three or more runs with values), else null. */
  best: number | null;
}

export interface CompareGroup {
  phase: string;
  class: string;
  /** Which runs have this phase × class. */
  present: boolean[];
  /** Each run's offered / sent / completed rates of the phase (docs/metrics.md); null where it lacks the phase. */
  rates?: (PhaseRates | null)[];
  rows: CompareRow[];
}

export interface CompareResult {
  runs: RunRef[];
  groups: CompareGroup[];
  /** What does not align, and what makes the runs hard to compare. */
  notes: string[];
  settings: { confidence: number; minEffect: number; resamples: number; comparisons: number; seed: number };
}

/** Rate changes below 0.1 percentage point are within noise. */
const RATE_FLOOR = 0.001;
const DEFAULTS = { resamples: 300, confidence: 0.95, minEffect: 0.01, seed: 1 };
/** Bucket visits allowed for all bootstraps of one compare: keeps a compare of many runs under a few seconds. */
const WORK_BUDGET = 60_000_000;

/**
 * Each run's name in reports: the labels whose values differ between the runs ("engine=vllm"), so
 * columns, legends and charts say which engine or setting each run is. The letters (A, B, …) stay
 * when a run has no such label or two runs would share a name.
 */
export function runNames(labels: Record<string, string>[]): string[] {
  const letters = labels.map((_, i) => runLetter(i));
  const keys = [...new Set(labels.flatMap((l) => Object.keys(l)))].filter((k) => new Set(labels.map((l) => l[k])).size > 1);
  const names = labels.map((l) => keys.filter((k) => l[k] !== undefined).map((k) => `${k}=${l[k]}`).join(' '));
  return names.some((n) => n === '') || new Set(names).size < names.length ? letters : names;
}

export function runLetter(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : `R${i + 1}`;
}

const groupName = (c: string) => (c === '*' ? 'all' : c);

/** Recorded phases keyed by name (the k-th phase of a repeated name gets "name#k"). */
function phasesByName(r: RunResult): Map<string, PhaseResult> {
  const out = new Map<string, PhaseResult>();
  const seen = new Map<string, number>();
  for (const p of r.phases) {
    if (!p.record) continue;
    const k = (seen.get(p.name) ?? 0) + 1;
    seen.set(p.name, k);
    out.set(k === 1 ? p.name : `${p.name}#${k}`, p);
  }
  return out;
}

export function compareRuns(inputs: CompareInput[], opts: CompareOptions = {}): CompareResult {
  if (inputs.length < 2) throw new Error('compareRuns needs at least two runs');
  const confidence = opts.confidence ?? DEFAULTS.confidence;
  const minEffect = opts.minEffect ?? DEFAULTS.minEffect;
  const seed = opts.seed ?? DEFAULTS.seed;
  const names = runNames(inputs.map((x) => x.result.meta.labels));
  const runs: RunRef[] = inputs.map((x, i) => ({
    id: runLetter(i),
    name: names[i],
    file: x.file,
    runId: x.result.meta.runId,
    startedAt: x.result.meta.startedAt,
    workload: x.result.meta.workload.name,
    model: x.result.meta.model,
    target: x.result.meta.target.url,
    labels: x.result.meta.labels,
    clientSaturated: x.result.clientSaturated,
  }));
  const notes = [...alignmentNotes(inputs, runs), ...recipeNotes(inputs.map((x) => x.result), runs.map((r) => r.name))];

  // Aligned groups: every phase × class of the baseline, in its order, then what only later runs have (noted).
  const phaseMaps = inputs.map((x) => phasesByName(x.result));
  const aligned: { phase: string; cls: string; groups: (GroupResult | null)[] }[] = [];
  for (const [phaseName, basePhase] of phaseMaps[0]) {
    for (const g of basePhase.groups) {
      const groups = phaseMaps.map((m) => m.get(phaseName)?.groups.find((x) => x.class === g.class) ?? null);
      aligned.push({ phase: phaseName, cls: g.class, groups });
      const missing = runs.filter((_, i) => groups[i] === null && phaseMaps[i].has(phaseName));
      if (missing.length > 0) notes.push(`phase ${phaseName} class ${groupName(g.class)}: not in ${missing.map((r) => r.name).join(', ')} (no requests of that class)`);
    }
  }
  for (let i = 1; i < inputs.length; i++) {
    for (const [phaseName, p] of phaseMaps[i]) {
      const base = phaseMaps[0].get(phaseName);
      if (!base) continue; // noted by alignmentNotes
      for (const g of p.groups) {
        if (!base.groups.some((x) => x.class === g.class)) notes.push(`phase ${phaseName} class ${groupName(g.class)}: only in ${runs[i].name}, not in the baseline ${runs[0].name}; not compared`);
      }
    }
  }

  // Bonferroni over every comparison of one run pair (TTFT by turn included); budget the bootstrap work.
  const turnDefs = aligned.map((a) => turnMetricDefs(a.groups[0] as GroupResult));
  const comparisons = Math.max(1, aligned.length * COMPARE_METRICS.length + turnDefs.reduce((n, d) => n + d.length, 0));
  const z = zTwoSided((1 - confidence) / comparisons);
  const bucketCache = new Map<string, Buckets>();
  const bucketsOf = (run: number, gi: number, key: MetricKey): Buckets => {
    const id = `${run}/${gi}/${key}`;
    let b = bucketCache.get(id);
    if (!b) {
      const g = aligned[gi].groups[run] as GroupResult;
      b = histogramBuckets(decodeHistogram(g.metrics[key].hdr));
      bucketCache.set(id, b);
    }
    return b;
  };
  let bucketWork = 0;
  aligned.forEach((a, gi) =>
    a.groups.forEach((g, run) => {
      if (g) for (const m of LATENCY_METRICS) bucketWork += bucketsOf(run, gi, m.key).counts.length * (run === 0 ? inputs.length - 1 : 1);
    }),
  );
  const requested = opts.resamples ?? DEFAULTS.resamples;
  const resamples = Math.max(50, Math.min(requested, Math.floor(WORK_BUDGET / Math.max(1, bucketWork))));

  const groups: CompareGroup[] = aligned.map((a, gi) => {
    const present = a.groups.map((g) => g !== null);
    const base = a.groups[0] as GroupResult;
    // Latency standard errors: one bootstrap per latency metric and run pair gives all three percentiles.
    const se = new Map<string, number | null>();
    for (let run = 1; run < inputs.length; run++) {
      const g = a.groups[run];
      if (!g) continue;
      LATENCY_METRICS.forEach((m, mi) => {
        const sds = bootstrapPercentileDiffSe(
          bucketsOf(0, gi, m.key),
          bucketsOf(run, gi, m.key),
          STATS.map((s) => STAT_PERCENTILE[s]),
          rngFor(seed, gi, mi, run),
          resamples,
        );
        STATS.forEach((s, k) => se.set(`${run}/${m.name}.${s}`, sds ? sds[k] : null));
      });
    }
    const rows = COMPARE_METRICS.map((def): CompareRow => {
      const values = a.groups.map((g) => (g ? def.read(g) : null));
      const changes = values.map((v, run): Change | null => {
        if (run === 0 || v === null || values[0] === null) return null;
        const g = a.groups[run] as GroupResult;
        const diffSe = def.kind === 'latency' ? se.get(`${run}/${def.id}`) ?? null : scalarDiffSe(def, base, g);
        const lat = def.latency;
        return sampleRule(change(def, values[0], v, diffSe, z, minEffect), lat ? STAT_PERCENTILE[lat.stat] : null, lat ? Math.min(base.metrics[lat.key].count, g.metrics[lat.key].count) : 0);
      });
      return { metric: def.id, label: def.label, unit: def.unit, better: def.better, values, changes, best: bestRun(def, values) };
    });
    // Conversation classes: TTFT by turn, each position's histograms bootstrapped like the others.
    for (const [di, def] of turnDefs[gi].entries()) {
      const turnOf = (g: GroupResult | null) => (g === null ? undefined : g.turns?.find((t) => turnId(t) === def.turn));
      const values = a.groups.map((g) => def.read(g as GroupResult));
      const baseTurn = turnOf(base) as TurnResult;
      const changes = values.map((v, run): Change | null => {
        const t = turnOf(a.groups[run]);
        if (run === 0 || v === null || values[0] === null || t === undefined) return null;
        const sds = bootstrapPercentileDiffSe(
          histogramBuckets(decodeHistogram(baseTurn.ttftMs.hdr)),
          histogramBuckets(decodeHistogram(t.ttftMs.hdr)),
          [STAT_PERCENTILE[def.stat]],
          rngFor(seed, gi, 0x7475726e, run, di),
          resamples,
        );
        return sampleRule(change(def, values[0], v, sds ? sds[0] : null, z, minEffect), STAT_PERCENTILE[def.stat], Math.min(baseTurn.ttftMs.count, t.ttftMs.count));
      });
      rows.push({ metric: def.id, label: def.label, unit: def.unit, better: def.better, values, changes, best: bestRun(def, values) });
    }
    return { phase: a.phase, class: a.cls, present, rates: phaseMaps.map((m) => { const p = m.get(a.phase); return p ? phaseRates(p) : null; }), rows };
  });

  return { runs, groups, notes, settings: { confidence, minEffect, resamples, comparisons, seed } };
}

/** "turn2" or "turn2_tool": a conversation position as metric ids name it. */
const turnId = (t: TurnResult) => `turn${t.turn}${t.toolFollowUp ? '_tool' : ''}`;

/** TTFT p50/p95 per conversation position of the baseline group ("turn2.ttft.p95"). */
function turnMetricDefs(g: GroupResult): (MetricDef & { turn: string; stat: 'p50' | 'p95' })[] {
  return (g.turns ?? []).flatMap((t) =>
    (['p50', 'p95'] as const).map((stat) => {
      const id = turnId(t);
      const where = t.toolFollowUp ? `turn ${t.turn} + tool results` : `turn ${t.turn}`;
      return {
        id: `${id}.ttft.${stat}`,
        label: `TTFT ${stat} · ${where}`,
        kind: 'latency' as const,
        unit: 'ms' as const,
        better: 'lower' as const,
        turn: id,
        stat,
        read: (x: GroupResult | null) => {
          const m = x?.turns?.find((y) => turnId(y) === id)?.ttftMs;
          return m && m.count > 0 ? (stat === 'p50' ? m.p50Ms : m.p95Ms) : null;
        },
      };
    }),
  );
}

function change(def: MetricDef, base: number, v: number, diffSe: number | null, z: number, minEffect: number): Change {
  const abs = v - base;
  const rel = base !== 0 ? abs / base : null;
  const ci = diffSe === null ? null : { lo: abs - z * diffSe, hi: abs + z * diffSe };
  const inCi = ci === null || (ci.lo <= 0 && ci.hi >= 0);
  // Rates are fractions already: their floor is absolute (0.1 pp), so 0 → 0.5 % errors still counts.
  const small = def.kind === 'rate' ? Math.abs(abs) < RATE_FLOOR : rel === null ? abs === 0 : Math.abs(rel) < minEffect;
  if (inCi || small || abs === 0) return { abs, rel, ci, verdict: 'within_noise' };
  const worse = def.better === 'lower' ? abs > 0 : abs < 0;
  return { abs, rel, ci, verdict: worse ? 'worse' : 'better' };
}

/** A percentile on fewer requests than minSamplesFor() needs is too few to call a change: within noise, flagged. */
function sampleRule(c: Change, percentile: number | null, have: number): Change {
  if (percentile === null) return c;
  const need = minSamplesFor(percentile);
  return have >= need ? c : { ...c, verdict: 'within_noise', fewSamples: { have, need } };
}

/** Standard error of candidate − baseline for throughput (Poisson completions) and rates (Agresti–Caffo). */
function scalarDiffSe(def: MetricDef, a: GroupResult, b: GroupResult): number | null {
  if (def.kind === 'throughput') {
    // rate × relative error of the completed count: sqrt(ok)/ok.
    const seOf = (g: GroupResult) => {
      const v = def.read(g) ?? 0;
      return g.ok > 0 ? v / Math.sqrt(g.ok) : 0;
    };
    return Math.sqrt(seOf(a) ** 2 + seOf(b) ** 2);
  }
  const seOf = (g: GroupResult): number | null => {
    const n = rateTrials(def.id, g);
    const p = def.read(g);
    if (n === 0 || p === null) return null;
    const pt = (p * n + 1) / (n + 2);
    return Math.sqrt((pt * (1 - pt)) / (n + 2));
  };
  const sa = seOf(a);
  const sb = seOf(b);
  return sa === null || sb === null ? null : Math.sqrt(sa * sa + sb * sb);
}

function bestRun(def: MetricDef, values: (number | null)[]): number | null {
  if (values.length < 3 || values.filter((v) => v !== null).length < 3) return null;
  let best: number | null = null;
  values.forEach((v, i) => {
    if (v === null) return;
    if (best === null) best = i;
    else {
      const b = values[best] as number;
      if (def.better === 'lower' ? v < b : v > b) best = i;
    }
  });
  return best;
}

/** Says what does not line up: phases missing, load models or workloads that differ, saturated clients. */
function alignmentNotes(inputs: CompareInput[], runs: RunRef[]): string[] {
  const notes: string[] = [];
  const base = inputs[0].result;
  const baseMap = phasesByName(base);
  for (let i = 1; i < inputs.length; i++) {
    const r = inputs[i].result;
    const id = runs[i].name;
    const A = runs[0].name;
    const map = phasesByName(r);
    for (const name of baseMap.keys()) if (!map.has(name)) notes.push(`phase ${name}: not in ${id} (${id} has ${[...map.keys()].join(', ') || 'no recorded phase'})`);
    for (const name of map.keys()) if (!baseMap.has(name)) notes.push(`phase ${name}: only in ${id}, not in the baseline ${A}; not compared`);
    for (const [name, p] of map) {
      const bp = baseMap.get(name);
      if (bp && describeLoad(bp.load) !== describeLoad(p.load)) {
        notes.push(`phase ${name}: load differs (${A} ${describeLoad(bp.load)}, ${id} ${describeLoad(p.load)}): latency changes reflect the load too`);
      }
    }
    if (r.meta.workload.sha256 !== base.meta.workload.sha256) {
      notes.push(`workload differs: ${A} ${base.meta.workload.name} (sha256 ${base.meta.workload.sha256.slice(0, 12)}), ${id} ${r.meta.workload.name} (sha256 ${r.meta.workload.sha256.slice(0, 12)})`);
    }
    if (r.meta.model !== base.meta.model) notes.push(`model differs: ${A} ${base.meta.model}, ${id} ${r.meta.model}`);
    if (r.meta.workload.seed !== base.meta.workload.seed) notes.push(`seed differs: ${A} ${base.meta.workload.seed}, ${id} ${r.meta.workload.seed} (different prompts and arrival times)`);
  }
  inputs.forEach((x, i) => {
    if (x.result.clientSaturated) notes.push(`${runs[i].name}: the client was saturated; its latencies include the harness's own delay`);
    if (x.result.meta.interrupted) notes.push(`${runs[i].name}: the run was interrupted; its last phase is partial`);
  });
  return notes;
}
