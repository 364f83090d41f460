// The pure sweep search on a synthetic latency model (no HTTP, no time): an M/M/1-like server whose
// TTFT p95 is base / (1 − load / capacity); the search must land near where that crosses the bound.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEARCH,
  boundaryEstimate,
  kneeIndex,
  searchCapacity,
  sloRatio,
  type SearchOptions,
  type StepLoad,
  type StepOutcome,
  type StepRole,
} from '../../src/sweep/search.js';
import { judgeStep, type StepPoint } from '../../src/sweep/steady.js';
import { mulberry32 } from '../../src/util/rng.js';

const CAPACITY_RPS = 40;
const BASE_MS = 10;
const BOUND_MS = 100;
/** Where base / (1 − λ/C) = bound: λ = C (1 − base/bound) = 36 req/s. */
const EXPECTED_RPS = CAPACITY_RPS * (1 - BASE_MS / BOUND_MS);

function synthetic(loads: StepLoad[]) {
  return async (load: StepLoad): Promise<StepOutcome> => {
    loads.push(load);
    // A closed loop of c in flight reaches c / (c / C + service) req/s; one request takes 50 ms.
    const rps = load.kind === 'open' ? Math.min(load.rateRps, CAPACITY_RPS) : Math.min(CAPACITY_RPS, load.concurrency / 0.05);
    const util = rps / CAPACITY_RPS;
    const ttftP95 = util >= 1 ? Infinity : BASE_MS / (1 - util);
    return { pass: ttftP95 < BOUND_MS, saturated: load.kind === 'open' && load.rateRps > CAPACITY_RPS, achievedRps: rps, outputTps: rps * 20 };
  };
}

describe('searchCapacity', () => {
  it('bounds the search with a baseline and a probe, then bisects to the SLO boundary within the tolerance', async () => {
    const loads: StepLoad[] = [];
    const r = await searchCapacity(synthetic(loads), { ...DEFAULT_SEARCH, by: 'rate', maxSteps: 20, tolerance: 0.02 });
    expect(loads[0]).toEqual({ kind: 'closed', concurrency: 1 });
    expect(loads[1]).toEqual({ kind: 'closed', concurrency: 64 });
    // Grid at 10, 20, 30 (pass), 40 (fail), then bisection between 30 and 40.
    expect(loads.slice(2, 6)).toEqual([10, 20, 30, 40].map((rateRps) => ({ kind: 'open', rateRps })));
    expect(r.stoppedBy).toBe('converged');
    const best = r.best!.load as { rateRps: number };
    const fail = r.firstFail!.load as { rateRps: number };
    expect(best.rateRps).toBeLessThan(EXPECTED_RPS);
    expect(fail.rateRps).toBeGreaterThanOrEqual(EXPECTED_RPS);
    expect((fail.rateRps - best.rateRps) / fail.rateRps).toBeLessThanOrEqual(0.02);
    expect(Math.abs(best.rateRps - EXPECTED_RPS) / EXPECTED_RPS).toBeLessThan(0.03);
  });

  it('stops after the baseline when one request at a time already breaks the SLO', async () => {
    const r = await searchCapacity(async () => ({ pass: false, saturated: false, achievedRps: 1, outputTps: 10 }), { ...DEFAULT_SEARCH, by: 'rate', maxSteps: 10, probeConcurrency: 8 });
    expect(r.steps).toHaveLength(1);
    expect(r.best).toBeNull();
    expect(r.stoppedBy).toBe('baseline-failed');
  });

  it('keeps to --max-steps and says the bisection was cut short', async () => {
    const r = await searchCapacity(synthetic([]), { ...DEFAULT_SEARCH, by: 'rate', maxSteps: 7, tolerance: 0.001 });
    expect(r.steps).toHaveLength(7);
    expect(r.stoppedBy).toBe('max-steps');
  });

  it('searches whole concurrencies by bisection when --by concurrency', async () => {
    const loads: StepLoad[] = [];
    // c / 0.05 req/s; the bound breaks at 36 req/s → c = 1.8: c = 1 holds, c = 2 (40 req/s, saturated) breaks.
    const r = await searchCapacity(synthetic(loads), { ...DEFAULT_SEARCH, by: 'concurrency', maxSteps: 12, probeConcurrency: 16 });
    expect(loads.every((l) => l.kind === 'closed')).toBe(true);
    expect(r.best!.load).toEqual({ kind: 'closed', concurrency: 1 });
    expect(r.firstFail!.load).toEqual({ kind: 'closed', concurrency: 2 });
  });

  it('finds the knee where throughput per unit of latency peaks', () => {
    const pts = [1, 2, 3, 4].map((x) => ({ achievedRps: x, e2eP50Ms: 10 / (1 - x / 5), saturated: false }));
    // power = x (1 − x/5) / 10: largest at x = 2.5 → between 2 and 3, equal; the first wins.
    expect(kneeIndex(pts)).toBe(1);
  });
});

describe('searchCapacity: longer refinement steps, rechecks, fitted placement', () => {
  /** Deterministic boundary at `edge` req/s; ratio (λ / edge)^4 (above 1 broke); the probe reaches 40 req/s. */
  const sharp = (edge: number, seen: { load: StepLoad; role: StepRole; effort: number }[] = [], flaky: (load: StepLoad, run: number) => boolean | null = () => null) => {
    const runs = new Map<string, number>();
    return async (load: StepLoad, role: StepRole, _index: number, effort: number): Promise<StepOutcome> => {
      seen.push({ load, role, effort });
      const key = JSON.stringify(load);
      const n = (runs.get(key) ?? 0) + 1;
      runs.set(key, n);
      const rps = load.kind === 'open' ? load.rateRps : Math.min(40, load.concurrency * 2);
      const ratio = (rps / edge) ** 4;
      const pass = flaky(load, n) ?? ratio < 1;
      return { pass, saturated: false, achievedRps: rps, outputTps: rps * 20, sloRatio: pass ? Math.min(ratio, 0.99) : Math.max(ratio, 1.01) };
    };
  };
  const rate = (l: StepLoad) => (l.kind === 'open' ? l.rateRps : NaN);

  it('runs the grid at effort 1, doubles the effort per refinement step, and rechecks the load it reports', async () => {
    const seen: { load: StepLoad; role: StepRole; effort: number }[] = [];
    const r = await searchCapacity(sharp(33, seen), { ...DEFAULT_SEARCH, by: 'rate', interpolate: false, maxSteps: 20 });
    expect(seen.filter((s) => s.role === 'grid').map((s) => s.effort)).toEqual([1, 1, 1, 1]);
    const bisect = seen.filter((s) => s.role === 'bisect').map((s) => s.effort);
    expect(bisect).toEqual(bisect.map((_, i) => 2 ** (i + 1)));
    const last = seen[seen.length - 1];
    expect(last.role).toBe('recheck');
    expect(last.effort).toBe(2 * bisect[bisect.length - 1]);
    // The reported step is the recheck, at the highest load that held, below the boundary and within tolerance.
    expect(r.best!.index).toBe(seen.length);
    expect(r.best!.role).toBe('recheck');
    expect(rate(r.best!.load)).toBeLessThan(33);
    expect((rate(r.firstFail!.load) - rate(r.best!.load)) / rate(r.firstFail!.load)).toBeLessThanOrEqual(0.05);
  });

  it('lets a third run decide when the recheck disagrees', async () => {
    const seen: { load: StepLoad; role: StepRole; effort: number }[] = [];
    // The load about to be reported holds, fails its recheck, holds again: two of three, it is reported.
    const r = await searchCapacity(
      sharp(33, seen, (l, n) => (rate(l) === 32.5 ? n !== 2 : null)),
      { ...DEFAULT_SEARCH, by: 'rate', interpolate: false, maxSteps: 20 },
    );
    expect(seen.filter((s) => rate(s.load) === 32.5).map((s) => s.role)).toEqual(['bisect', 'recheck', 'recheck']);
    expect(rate(r.best!.load)).toBe(32.5);
    expect(r.best!.role).toBe('recheck');
  });

  it('counts a load its rechecks refute as broken and resumes below it', async () => {
    const seen: { load: StepLoad; role: StepRole; effort: number }[] = [];
    // 35 req/s lies past the boundary (33) but holds once by luck; its rechecks fail.
    const r = await searchCapacity(
      sharp(33, seen, (l, n) => (rate(l) === 35 ? n === 1 : null)),
      { ...DEFAULT_SEARCH, by: 'rate', interpolate: false, maxSteps: 20 },
    );
    expect(seen.filter((s) => rate(s.load) === 35).map((s) => s.role)).toEqual(['bisect', 'recheck', 'recheck']);
    // The refinement went on below 35 and the answer is a rechecked load under the boundary.
    expect(rate(r.best!.load)).toBeLessThan(33);
    expect(rate(r.best!.load)).toBeGreaterThan(33 * 0.9);
    expect(r.best!.role).toBe('recheck');
    expect(r.stoppedBy).toBe('converged');
  });

  it('re-runs a grid load that missed its SLO narrowly, and goes on up the grid when the re-runs hold', async () => {
    const seen: { load: StepLoad; role: StepRole; effort: number }[] = [];
    // 30 req/s is under the boundary (36) but its first run fails narrowly (ratio 1.1 ≤ 1.25).
    const runner = sharp(36, seen);
    let first30 = true;
    const r = await searchCapacity(
      async (load, role, index, effort) => {
        if (rate(load) === 30 && first30) {
          first30 = false;
          seen.push({ load, role, effort });
          return { pass: false, saturated: false, achievedRps: 30, outputTps: 600, sloRatio: 1.1 };
        }
        return runner(load, role, index, effort);
      },
      { ...DEFAULT_SEARCH, by: 'rate', interpolate: false, maxSteps: 20 },
    );
    expect(seen.filter((s) => rate(s.load) === 30).map((s) => s.role)).toEqual(['grid', 'recheck', 'recheck']);
    expect(seen.some((s) => s.role === 'grid' && rate(s.load) === 40)).toBe(true);
    expect(rate(r.best!.load)).toBeGreaterThan(34);

    // A clear miss (ratio 2) is not re-run: the grid stops there.
    const seen2: { load: StepLoad; role: StepRole; effort: number }[] = [];
    await searchCapacity(sharp(25, seen2), { ...DEFAULT_SEARCH, by: 'rate', interpolate: false, maxSteps: 20 });
    expect(seen2.filter((s) => rate(s.load) === 30).map((s) => s.role)).toEqual(['grid']);
  });

  it('rechecks the top of the grid when every grid load held', async () => {
    const seen: { load: StepLoad; role: StepRole; effort: number }[] = [];
    const r = await searchCapacity(sharp(100, seen), { ...DEFAULT_SEARCH, by: 'rate', maxSteps: 20 });
    expect(seen.map((s) => s.role)).toEqual(['baseline', 'probe', 'grid', 'grid', 'grid', 'grid', 'recheck']);
    expect(r.best!.role).toBe('recheck');
    expect(rate(r.best!.load)).toBe(40);
  });

  it('places a refinement step where the SLO ratios so far put the boundary', async () => {
    const fitted: { load: StepLoad; role: StepRole; effort: number }[] = [];
    const mid: { load: StepLoad; role: StepRole; effort: number }[] = [];
    const a = await searchCapacity(sharp(36, fitted), { ...DEFAULT_SEARCH, by: 'rate', maxSteps: 20 });
    const b = await searchCapacity(sharp(36, mid), { ...DEFAULT_SEARCH, by: 'rate', interpolate: false, maxSteps: 20 });
    // Grid 10, 20, 30 held, 40 broke; the ratios at 30 and 40 put the boundary at 36, the midpoint is 35.
    expect(rate(fitted.find((s) => s.role === 'bisect')!.load)).toBe(36);
    expect(rate(mid.find((s) => s.role === 'bisect')!.load)).toBe(35);
    expect(fitted.length).toBeLessThanOrEqual(mid.length);
    for (const r of [a, b]) {
      expect(rate(r.best!.load)).toBeLessThan(36);
      expect(rate(r.best!.load)).toBeGreaterThan(36 * 0.95);
    }
  });

  it('lands within 10 % of a noisy boundary far more often than plain bisection', async () => {
    // Each step measures the ratio (λ / 36)^4 with log-normal noise that shrinks with effort (σ 0.25 at
    // effort 1, as a short step's tail percentile near capacity): a verdict near the boundary is a coin toss.
    const noisy = (seed: number) => {
      const uniform = mulberry32(seed);
      const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
      return async (load: StepLoad, _role: StepRole, _index: number, effort: number): Promise<StepOutcome> => {
        const rps = load.kind === 'open' ? load.rateRps : Math.min(45, load.concurrency * 2);
        const ratio = (rps / 36) ** 4 * Math.exp((0.25 / Math.sqrt(Math.min(effort, 4))) * normal());
        return { pass: ratio < 1, saturated: false, achievedRps: rps, outputTps: rps * 20, sloRatio: ratio };
      };
    };
    const within = async (opts: Partial<SearchOptions>) => {
      let hits = 0;
      for (let seed = 1; seed <= 300; seed++) {
        const r = await searchCapacity(noisy(seed), { ...DEFAULT_SEARCH, by: 'rate', maxSteps: 12, ...opts });
        const best = r.best ? rate(r.best.load) : 0;
        if (Math.abs(best - 36) / 36 <= 0.1) hits++;
      }
      return hits / 300;
    };
    const plain = await within({ recheck: false, interpolate: false });
    const full = await within({});
    console.log(`noisy boundary: within 10 % in ${(plain * 100).toFixed(1)} % of searches by plain bisection, ${(full * 100).toFixed(1)} % with rechecks and fitted placement`);
    // Seeded: 83.7 % against 96.7 %.
    expect(full).toBeGreaterThanOrEqual(0.95);
    expect(full - plain).toBeGreaterThanOrEqual(0.1);
  });
});

describe('sloRatio', () => {
  const c = (op: '<' | '<=' | '>' | '>=', bound: number, measured: number | null, pass: boolean) => ({ op, bound, measured, pass });
  it('is the worst measured ÷ bound over the checks, bound ÷ measured for a floor', () => {
    expect(sloRatio([c('<', 100, 80, true), c('<', 0.01, 0, true)])).toBeCloseTo(0.8);
    expect(sloRatio([c('<', 100, 80, true), c('>=', 50, 40, false)])).toBeCloseTo(1.25);
  });
  it('counts a check with nothing measured by its verdict, and is null without checks', () => {
    expect(sloRatio([c('<', 100, null, false)])).toBe(10);
    expect(sloRatio([c('>', 5, 0, false)])).toBe(10);
    expect(sloRatio([])).toBeNull();
  });
});

describe('boundaryEstimate', () => {
  it('finds where a power-law ratio crosses 1 from the steps near it', () => {
    const pts = [20, 30, 35, 40].map((load) => ({ load, ratio: (load / 36) ** 3, saturated: false }));
    expect(boundaryEstimate(pts)).toBeCloseTo(36, 6);
  });
  it('leaves out saturated steps and ratios more than a factor 3 from 1', () => {
    const pts = [
      { load: 10, ratio: 0.05, saturated: false },
      { load: 30, ratio: (30 / 36) ** 3, saturated: false },
      { load: 40, ratio: (40 / 36) ** 3, saturated: false },
      { load: 45, ratio: 1.2, saturated: true },
    ];
    expect(boundaryEstimate(pts)).toBeCloseTo(36, 6);
  });
  it('is null without two usable loads, or when the ratio does not rise with load', () => {
    expect(boundaryEstimate([{ load: 30, ratio: 0.8, saturated: false }, { load: 30, ratio: 0.9, saturated: false }])).toBeNull();
    expect(boundaryEstimate([{ load: 30, ratio: 1.2, saturated: false }, { load: 40, ratio: 0.9, saturated: false }])).toBeNull();
  });
});

describe('judgeStep', () => {
  const base = { minMs: 2000, maxMs: 10_000, windowS: 2, minRequests: 20 };
  const flat = (n: number, completed: number, inFlight = 5): StepPoint[] => Array.from({ length: n }, () => ({ completed, ttftP50Ms: 20, inFlight }));

  it('is steady once two consecutive windows agree and enough requests finished', () => {
    expect(judgeStep(flat(3, 10), { ...base, elapsedMs: 4000, offeredRps: 10 }).state).toBe('running');
    expect(judgeStep(flat(4, 10), { ...base, elapsedMs: 5000, offeredRps: 10 }).state).toBe('steady');
  });

  it('is not steady while latency still climbs', () => {
    const pts = [10, 10, 40, 80].map((t) => ({ completed: 10, ttftP50Ms: t, inFlight: 5 }));
    expect(judgeStep(pts, { ...base, elapsedMs: 5000, offeredRps: 10 }).state).toBe('running');
  });

  it('calls an open loop saturated when in-flight keeps rising and completions fall short of the offer', () => {
    const pts = [5, 15, 25, 35, 45].map((inFlight) => ({ completed: 10, ttftP50Ms: 20, inFlight }));
    const v = judgeStep(pts, { ...base, elapsedMs: 6000, offeredRps: 20 });
    expect(v.state).toBe('saturated');
  });

  it('never calls a closed loop saturated, and ends at the maximum duration', () => {
    const pts = [5, 15, 25, 35, 45].map((inFlight, i) => ({ completed: 10, ttftP50Ms: 20 * (i + 1), inFlight }));
    expect(judgeStep(pts, { ...base, elapsedMs: 6000, offeredRps: null }).state).toBe('running');
    expect(judgeStep(pts, { ...base, elapsedMs: 10_000, offeredRps: null }).state).toBe('max-duration');
  });
});
