// Sweep, the search (pure): which load to run next. A synchronous baseline (one request at a time)
// and a throughput probe (many in flight, as fast as the target goes) bound the search; evenly spaced
// grid steps up to the probe's throughput find the first load that breaks an SLO; refinement steps
// between the last load that held and the first that broke close in on the boundary; the load about
// to be reported is run again before it is reported. Near the boundary one short step's verdict is
// close to a coin toss (a tail percentile of a few seconds of a queue near capacity mostly misses the
// bursts that set it in the long run), so refinement steps run ever longer, each is placed where all
// the steps so far put the boundary, and a verdict that matters is re-run: the load that would be
// reported, and a grid load that missed its SLOs only narrowly. Running a step is injected
// (`runStep`), so the search is tested on a synthetic latency model without HTTP.

export type SweepBy = 'rate' | 'concurrency';
export type StepLoad = { kind: 'closed'; concurrency: number } | { kind: 'open'; rateRps: number };
/** `recheck`: a load already tried, run again at twice the effort (see `settle` in searchCapacity). */
export type StepRole = 'baseline' | 'probe' | 'grid' | 'bisect' | 'recheck';

export interface StepOutcome {
  /** Every SLO held on the step. */
  pass: boolean;
  /** Stopped early: the queue grew without bound (such a step fails). */
  saturated: boolean;
  /** Measured requests and output tokens per second. */
  achievedRps: number;
  outputTps: number;
  /** How close the step came to its binding SLO (see sloRatio): above 1 broke; null or absent when unknown. */
  sloRatio?: number | null;
}

export interface SweepStep {
  /** 1-based, in run order. */
  index: number;
  role: StepRole;
  load: StepLoad;
  outcome: StepOutcome;
}

export interface SearchOptions {
  by: SweepBy;
  /** Steps in all, baseline and probe included (at least 3). */
  maxSteps: number;
  /** In-flight requests of the throughput probe. */
  probeConcurrency: number;
  /** Grid steps between zero and the probe's throughput. */
  gridSteps: number;
  /** Refinement stops when (first fail − last pass) / first fail is at most this (rate). */
  tolerance: number;
  /** Re-run the load about to be reported (and narrow grid misses) before trusting the verdict. */
  recheck: boolean;
  /** Rate: place each refinement step at boundaryEstimate (else, and without an estimate: the midpoint). */
  interpolate: boolean;
}

export const DEFAULT_SEARCH: Omit<SearchOptions, 'by'> = { maxSteps: 12, probeConcurrency: 64, gridSteps: 4, tolerance: 0.05, recheck: true, interpolate: true };

/** A failing grid step whose binding SLO came within this factor of its bound is re-run (recheck). */
export const NARROW_MISS = 1.25;

export type StopReason = 'converged' | 'max-steps' | 'baseline-failed' | 'probe-passed';

export interface SearchResult {
  steps: SweepStep[];
  /** The highest load that held every SLO in the searched load model; null when none did. */
  best: SweepStep | null;
  /** The lowest load that broke an SLO (after the refinement); null when none did. */
  firstFail: SweepStep | null;
  stoppedBy: StopReason;
}

/**
 * `effort`: how many times its shortest length (minimum duration and requests) a step must run: 1 for
 * the baseline, probe and grid, doubling with each refinement step and each recheck.
 */
export type RunStep = (load: StepLoad, role: StepRole, index: number, effort: number) => Promise<StepOutcome>;

/** Rates keep three significant digits (phase names and tables stay readable: 12.5, 0.781). */
export function roundRate(r: number): number {
  return Number(r.toPrecision(3));
}

export function loadValue(load: StepLoad): number {
  return load.kind === 'closed' ? load.concurrency : load.rateRps;
}

export async function searchCapacity(runStep: RunStep, opts: SearchOptions): Promise<SearchResult> {
  const maxSteps = Math.max(3, opts.maxSteps);
  const steps: SweepStep[] = [];
  let effort = 1;
  const run = async (load: StepLoad, role: StepRole): Promise<SweepStep> => {
    const index = steps.length + 1;
    const step: SweepStep = { index, role, load, outcome: await runStep(load, role, index, effort) };
    steps.push(step);
    return step;
  };
  const make = (v: number): StepLoad => (opts.by === 'rate' ? { kind: 'open', rateRps: roundRate(v) } : { kind: 'closed', concurrency: Math.round(v) });
  const passed = (s: SweepStep) => s.outcome.pass && !s.outcome.saturated;
  // A verdict that matters, settled: the load runs again at twice the effort; when the two runs
  // disagree, a third (twice again) decides. Returns the deciding run (the first when no step is left).
  const settle = async (first: SweepStep): Promise<SweepStep> => {
    if (steps.length >= maxSteps) return first;
    effort *= 2;
    const second = await run(first.load, 'recheck');
    if (passed(second) === passed(first) || steps.length >= maxSteps) return second;
    effort *= 2;
    return run(first.load, 'recheck');
  };

  const baseline = await run({ kind: 'closed', concurrency: 1 }, 'baseline');
  if (!passed(baseline)) return { steps, best: null, firstFail: baseline, stoppedBy: 'baseline-failed' };
  const probe = await run({ kind: 'closed', concurrency: Math.max(2, opts.probeConcurrency) }, 'probe');

  // The search space: (0, probe throughput] req/s, or [1, probe concurrency] in flight.
  let lastPass: SweepStep | null = opts.by === 'concurrency' ? (passed(probe) ? probe : baseline) : null;
  let firstFail: SweepStep | null = null;
  if (opts.by === 'concurrency' && passed(probe)) {
    return { steps, best: probe, firstFail: null, stoppedBy: 'probe-passed' };
  }
  const hi = opts.by === 'rate' ? probe.outcome.achievedRps : probe.load.kind === 'closed' ? probe.load.concurrency : 1;
  if (!(hi > 0)) return { steps, best: null, firstFail: probe, stoppedBy: 'converged' };

  // Grid: evenly spaced up to the probe, ascending, until the first load that breaks an SLO. A load
  // that broke its SLOs only narrowly is settled before the grid stops there.
  const tried = new Set<number>(opts.by === 'concurrency' ? [1, hi] : []);
  const held: SweepStep[] = lastPass ? [lastPass] : []; // the loads that held, ascending
  for (let i = 1; i <= opts.gridSteps && steps.length < maxSteps; i++) {
    const load = make((hi * i) / opts.gridSteps);
    const v = loadValue(load);
    if (tried.has(v)) continue;
    tried.add(v);
    let s = await run(load, 'grid');
    if (opts.recheck && !passed(s) && !s.outcome.saturated && typeof s.outcome.sloRatio === 'number' && s.outcome.sloRatio <= NARROW_MISS) {
      s = await settle(s);
    }
    if (passed(s)) {
      lastPass = s;
      held.push(s);
    } else {
      firstFail = s;
      break;
    }
  }
  if (opts.by === 'concurrency' && firstFail === null) firstFail = probe;

  // Refinement between the last load that held and the first that broke; then the load about to be
  // reported is settled (one step is kept back for that). A load that fails it counts as broken, and
  // the refinement resumes below it, between it and the load that held before it.
  const narrow = (low: number, high: number) => (opts.by === 'rate' ? (high - low) / high <= opts.tolerance || high < 1e-3 : high - low <= 1);
  const checkable = (s: SweepStep | null) => opts.recheck && s !== null && (s.role === 'grid' || s.role === 'bisect');
  // Rate: the next load is where the steps so far put the boundary, at least a quarter of the bracket
  // away from either end (so the bracket shrinks by a quarter or more per step); else the midpoint.
  const nextRate = (low: number, high: number): number => {
    const est = opts.interpolate
      ? boundaryEstimate(steps.filter((s) => s.load.kind === 'open').map((s) => ({ load: loadValue(s.load), ratio: s.outcome.sloRatio, saturated: s.outcome.saturated })))
      : null;
    if (est === null) return (low + high) / 2;
    const margin = 0.25 * (high - low);
    return Math.min(high - margin, Math.max(low + margin, est));
  };
  let stoppedBy: StopReason = 'max-steps';
  let refuted = false;
  for (;;) {
    // Every grid load held (the top one ran at the probe's throughput): nothing to refine.
    let converged = firstFail === null;
    // Until a recheck has refuted a load, one step stays free for the recheck; after, the refinement
    // below the refuted load may use them all.
    while (firstFail !== null && steps.length < maxSteps - (checkable(lastPass) && !refuted ? 1 : 0)) {
      const low = lastPass ? loadValue(lastPass.load) : 0;
      const high = loadValue(firstFail.load);
      if (narrow(low, high)) {
        converged = true;
        break;
      }
      const load = make(opts.by === 'rate' ? nextRate(low, high) : Math.floor((low + high) / 2));
      const v = loadValue(load);
      if (v <= low || v >= high || tried.has(v)) {
        converged = true;
        break;
      }
      tried.add(v);
      effort *= 2;
      const s = await run(load, 'bisect');
      if (passed(s)) {
        lastPass = s;
        held.push(s);
      } else firstFail = s;
    }
    if (!converged) converged = narrow(lastPass ? loadValue(lastPass.load) : 0, loadValue(firstFail!.load));
    stoppedBy = converged ? 'converged' : 'max-steps';
    if (!checkable(lastPass) || steps.length >= maxSteps) break;
    const c = await settle(lastPass!);
    if (passed(c)) {
      lastPass = c;
      break;
    }
    firstFail = c;
    refuted = true;
    held.pop();
    lastPass = held.length > 0 ? held[held.length - 1] : null;
  }
  return { steps, best: lastPass, firstFail, stoppedBy };
}

/**
 * A step's SLO ratio from its checks: the largest measured ÷ bound (bound ÷ measured for `>`/`>=`),
 * so above 1 broke. A check with nothing measured, or with a zero where a ratio has no meaning, counts
 * by its verdict: 10 when it failed, 0 when it held. Null without checks.
 */
export function sloRatio(checks: readonly { op: '<' | '<=' | '>' | '>='; bound: number; measured: number | null; pass: boolean }[]): number | null {
  if (checks.length === 0) return null;
  let worst = 0;
  for (const c of checks) {
    const below = c.op === '<' || c.op === '<=';
    const num = below ? c.measured : c.bound;
    const den = below ? c.bound : c.measured;
    const r = num === null || den === null || !(den > 0) ? (c.pass ? 0 : 10) : num / den;
    worst = Math.max(worst, r);
  }
  return worst;
}

/**
 * Where the binding SLO's ratio (measured ÷ bound) crosses 1, estimated from the steps near the
 * boundary at once: a least-squares line of log ratio against log load through the steps whose ratio
 * lies within a factor `within` of 1 (saturated steps measure their runaway queue, not the load, and
 * are left out). One step's tail percentile near capacity is noisy; the line pools them. Null without
 * two such steps at different loads, or when the line does not rise with load.
 */
export function boundaryEstimate(points: readonly { load: number; ratio: number | null | undefined; saturated: boolean }[], within = 3): number | null {
  const use = points.filter((p) => !p.saturated && p.load > 0 && typeof p.ratio === 'number' && p.ratio > 0 && Math.abs(Math.log(p.ratio)) <= Math.log(within));
  if (new Set(use.map((p) => p.load)).size < 2) return null;
  const xs = use.map((p) => Math.log(p.load));
  const ys = use.map((p) => Math.log(p.ratio as number));
  const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
  const my = ys.reduce((a, y) => a + y, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i] - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxy / sxx;
  if (!(slope > 0)) return null;
  return Math.exp(mx - my / slope);
}

/**
 * The knee of the latency–throughput curve: the step with the most throughput per unit of latency
 * (Kleinrock's "power", achieved req/s ÷ E2E p50). Below it, more load buys throughput almost free;
 * above it, each extra request per second costs more latency than the last.
 */
export function kneeIndex(points: readonly { achievedRps: number; e2eP50Ms: number | null; saturated: boolean }[]): number | null {
  let best: number | null = null;
  let bestPower = -Infinity;
  points.forEach((p, i) => {
    if (p.saturated || p.e2eP50Ms === null || p.e2eP50Ms <= 0) return;
    const power = p.achievedRps / p.e2eP50Ms;
    if (power > bestPower) {
      bestPower = power;
      best = i;
    }
  });
  return best;
}
