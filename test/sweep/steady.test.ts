// Steady-state detection inside one sweep step (pure): the trend test and the step verdicts it feeds.
import { describe, expect, it } from 'vitest';
import { judgeStep, risingTrend, type StepPoint } from '../../src/sweep/steady.js';

describe('risingTrend', () => {
  it('calls a steady climb a trend', () => {
    expect(risingTrend([2, 3, 4, 5, 6, 7, 8, 9], 1, 0.1)).toBe(true);
  });

  it('does not call second-to-second noise around a level a trend', () => {
    expect(risingTrend([5, 9, 4, 8, 6, 3, 9, 5], 1, 0.1)).toBe(false);
    // The later half is higher, but by less than its noise (2 standard errors of the difference).
    expect(risingTrend([2, 9, 3, 8, 4, 10, 3, 9], 1, 0.1)).toBe(false);
  });

  it('ignores a rise smaller than the material threshold, absolute or relative', () => {
    expect(risingTrend([10, 10, 10, 10, 10.5, 10.5, 10.5, 10.5], 1, 0.1)).toBe(false);
    expect(risingTrend([100, 100, 100, 100, 108, 108, 108, 108], 1, 0.1)).toBe(false);
    expect(risingTrend([100, 100, 100, 100, 115, 115, 115, 115], 1, 0.1)).toBe(true);
  });

  it('leaves out seconds without a value, and needs a value in each half', () => {
    expect(risingTrend([null, 20, null, 20, 40, null, 41, null], 5, 0.1)).toBe(true);
    expect(risingTrend([null, null, 40, 41], 5, 0.1)).toBe(false);
    expect(risingTrend([7], 1, 0.1)).toBe(false);
  });
});

describe('judgeStep: no steady state while the queue still builds', () => {
  const o = { minMs: 2000, maxMs: 30_000, windowS: 2, minRequests: 20, offeredRps: 10 };
  const pt = (inFlight: number, ttftP50Ms = 20, completed = 10): StepPoint => ({ completed, ttftP50Ms, inFlight });

  it('keeps running while in flight climbs across the later half, though the last two windows agree', () => {
    // Completions and TTFT p50 agree window to window; in flight creeps up 1 a second.
    const climbing = [4, 5, 6, 7, 8, 9, 10, 11].map((n) => pt(n));
    expect(judgeStep(climbing, { ...o, elapsedMs: 9000 }).state).toBe('running');
    // The same step once in flight levels off: its later half shows no climb.
    const levelled = [...climbing, ...[11, 12, 11, 12, 11, 12, 11, 12].map((n) => pt(n))];
    const v = judgeStep(levelled, { ...o, elapsedMs: 17_000 });
    expect(v.state).toBe('steady');
    expect(v.state === 'steady' && v.reason).toMatch(/no climb over the last 8s/);
  });

  it('keeps running while TTFT p50 climbs (within the 25 % two windows may differ by)', () => {
    const pts = [20, 24, 28, 32, 36, 40, 44, 48].map((t) => pt(5, t));
    expect(judgeStep(pts, { ...o, elapsedMs: 9000 }).state).toBe('running');
    expect(judgeStep(pts, { ...o, elapsedMs: 30_000 }).state).toBe('max-duration');
  });

  it('calls a level step steady as soon as two windows agree', () => {
    const pts = [5, 6, 5, 6].map((n) => pt(n));
    expect(judgeStep(pts, { ...o, elapsedMs: 5000 }).state).toBe('steady');
  });
});
