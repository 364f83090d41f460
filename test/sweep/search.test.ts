// The pure sweep search on a synthetic latency model (no HTTP, no time): an M/M/1-like server whose
// TTFT p95 is base / (1 − load / capacity); the search must land near where that crosses the bound.
import { describe, expect, it } from 'vitest';
import { kneeIndex, searchCapacity, type StepLoad, type StepOutcome } from '../../src/sweep/search.js';
import { judgeStep, type StepPoint } from '../../src/sweep/steady.js';

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
    const r = await searchCapacity(synthetic(loads), { by: 'rate', maxSteps: 20, probeConcurrency: 64, gridSteps: 4, tolerance: 0.02 });
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
    const r = await searchCapacity(async () => ({ pass: false, saturated: false, achievedRps: 1, outputTps: 10 }), { by: 'rate', maxSteps: 10, probeConcurrency: 8, gridSteps: 4, tolerance: 0.05 });
    expect(r.steps).toHaveLength(1);
    expect(r.best).toBeNull();
    expect(r.stoppedBy).toBe('baseline-failed');
  });

  it('keeps to --max-steps and says the bisection was cut short', async () => {
    const r = await searchCapacity(synthetic([]), { by: 'rate', maxSteps: 7, probeConcurrency: 64, gridSteps: 4, tolerance: 0.001 });
    expect(r.steps).toHaveLength(7);
    expect(r.stoppedBy).toBe('max-steps');
  });

  it('searches whole concurrencies by bisection when --by concurrency', async () => {
    const loads: StepLoad[] = [];
    // c / 0.05 req/s; the bound breaks at 36 req/s → c = 1.8: c = 1 holds, c = 2 (40 req/s, saturated) breaks.
    const r = await searchCapacity(synthetic(loads), { by: 'concurrency', maxSteps: 12, probeConcurrency: 16, gridSteps: 4, tolerance: 0.05 });
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
