// Sweep, the search (pure): which load to run next. A synchronous baseline (one request at a time)
// and a throughput probe (many in flight, as fast as the target goes) bound the search; evenly spaced
// grid steps up to the probe's throughput find the first load that breaks an SLO; a bisection between
// the last load that held and the first that broke closes in on the boundary. Running a step is
// injected (`runStep`), so the search is tested on a synthetic latency model without HTTP.

export type SweepBy = 'rate' | 'concurrency';
export type StepLoad = { kind: 'closed'; concurrency: number } | { kind: 'open'; rateRps: number };
export type StepRole = 'baseline' | 'probe' | 'grid' | 'bisect';

export interface StepOutcome {
  /** Every SLO held on the step. */
  pass: boolean;
  /** Stopped early: the queue grew without bound (such a step fails). */
  saturated: boolean;
  /** Measured requests and output tokens per second. */
  achievedRps: number;
  outputTps: number;
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
  /** Bisection stops when (first fail − last pass) / first fail is at most this (rate). */
  tolerance: number;
}

export const DEFAULT_SEARCH: Omit<SearchOptions, 'by'> = { maxSteps: 12, probeConcurrency: 64, gridSteps: 4, tolerance: 0.05 };

export type StopReason = 'converged' | 'max-steps' | 'baseline-failed' | 'probe-passed';

export interface SearchResult {
  steps: SweepStep[];
  /** The highest load that held every SLO in the searched load model; null when none did. */
  best: SweepStep | null;
  /** The lowest load that broke an SLO (after the bisection); null when none did. */
  firstFail: SweepStep | null;
  stoppedBy: StopReason;
}

export type RunStep = (load: StepLoad, role: StepRole, index: number) => Promise<StepOutcome>;

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
  const run = async (load: StepLoad, role: StepRole): Promise<SweepStep> => {
    const index = steps.length + 1;
    const step: SweepStep = { index, role, load, outcome: await runStep(load, role, index) };
    steps.push(step);
    return step;
  };
  const make = (v: number): StepLoad => (opts.by === 'rate' ? { kind: 'open', rateRps: roundRate(v) } : { kind: 'closed', concurrency: Math.round(v) });
  const passed = (s: SweepStep) => s.outcome.pass && !s.outcome.saturated;

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

  // Grid: evenly spaced up to the probe, ascending, until the first load that breaks an SLO.
  const tried = new Set<number>(opts.by === 'concurrency' ? [1, hi] : []);
  for (let i = 1; i <= opts.gridSteps && steps.length < maxSteps; i++) {
    const load = make((hi * i) / opts.gridSteps);
    const v = loadValue(load);
    if (tried.has(v)) continue;
    tried.add(v);
    const s = await run(load, 'grid');
    if (passed(s)) lastPass = s;
    else {
      firstFail = s;
      break;
    }
  }
  if (opts.by === 'concurrency' && firstFail === null) firstFail = probe;
  if (firstFail === null) return { steps, best: lastPass, firstFail: null, stoppedBy: 'converged' };

  // Bisection between the last load that held and the first that broke.
  let stoppedBy: StopReason = 'max-steps';
  while (steps.length < maxSteps) {
    const low = lastPass ? loadValue(lastPass.load) : 0;
    const high = loadValue(firstFail.load);
    const done = opts.by === 'rate' ? (high - low) / high <= opts.tolerance || high < 1e-3 : high - low <= 1;
    if (done) {
      stoppedBy = 'converged';
      break;
    }
    const load = make(opts.by === 'rate' ? (low + high) / 2 : Math.floor((low + high) / 2));
    const v = loadValue(load);
    if (v <= low || v >= high || tried.has(v)) {
      stoppedBy = 'converged';
      break;
    }
    tried.add(v);
    const s = await run(load, 'bisect');
    if (passed(s)) lastPass = s;
    else firstFail = s;
  }
  if (steps.length >= maxSteps && stoppedBy === 'max-steps') {
    const low = lastPass ? loadValue(lastPass.load) : 0;
    const high = loadValue(firstFail.load);
    if (opts.by === 'rate' ? (high - low) / high <= opts.tolerance : high - low <= 1) stoppedBy = 'converged';
  }
  return { steps, best: lastPass, firstFail, stoppedBy };
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
