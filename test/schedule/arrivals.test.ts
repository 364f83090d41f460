import { describe, expect, it } from 'vitest';
import { arrivalOffsetsMs } from '../../src/schedule/arrivals.js';
import { phasePlan, type LoadModel } from '../../src/schedule/phases.js';
import { rngFor } from '../../src/util/rng.js';
import { phaseArrivalsMs } from '../../src/schedule/arrivals.js';
import { stepPhasePlan, tracePhasePlan } from '../../src/schedule/phases.js';

type Open = Extract<LoadModel, { kind: 'open' }>;
const open = (o: Partial<Open>): Open => ({ kind: 'open', rateRps: 10, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null, ...o });

describe('arrival schedule', () => {
  it('spaces constant arrivals exactly 1/rate apart, first at 0', () => {
    const t = [...arrivalOffsetsMs(open({ arrival: 'constant', rateRps: 4 }), 1000, null, rngFor(1))];
    expect(t).toEqual([0, 250, 500, 750]);
  });

  it('stops at the request count before the duration', () => {
    const t = [...arrivalOffsetsMs(open({ arrival: 'constant', rateRps: 100 }), 10_000, 7, rngFor(1))];
    expect(t).toHaveLength(7);
  });

  it('gives Poisson arrivals the asked mean rate and exponential gaps (cv ≈ 1)', () => {
    const t = [...arrivalOffsetsMs(open({ rateRps: 200 }), 100_000, null, rngFor(7))];
    expect(t.length / 100).toBeGreaterThan(194);
    expect(t.length / 100).toBeLessThan(206);
    const gaps = t.slice(1).map((x, i) => x - t[i]);
    const mean = gaps.reduce((a, b) => a + b) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
  });

  it('makes gamma arrivals burstier than Poisson when burstiness < 1', () => {
    const t = [...arrivalOffsetsMs(open({ arrival: 'gamma', burstiness: 0.25, rateRps: 100 }), 100_000, null, rngFor(3))];
    const gaps = t.slice(1).map((x, i) => x - t[i]);
    const mean = gaps.reduce((a, b) => a + b) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeCloseTo(10, 0);
    expect(sd / mean).toBeGreaterThan(1.8); // cv = 1/sqrt(0.25) = 2
  });

  it('ramps linearly: a 0→100 rps ramp over 10 s sends ~500, three times as many in the second half as the first', () => {
    const t = [...arrivalOffsetsMs(open({ arrival: 'constant', rateRps: null, ramp: { fromRps: 0, toRps: 100 } }), 10_000, null, rngFor(1))];
    expect(t.length).toBeGreaterThanOrEqual(498);
    expect(t.length).toBeLessThanOrEqual(500);
    const firstHalf = t.filter((x) => x < 5000).length;
    expect((t.length - firstHalf) / firstHalf).toBeCloseTo(3, 1);
  });

  it('is deterministic for a seed', () => {
    const a = [...arrivalOffsetsMs(open({}), 5000, null, rngFor(9, 0))];
    const b = [...arrivalOffsetsMs(open({}), 5000, null, rngFor(9, 0))];
    expect(a).toEqual(b);
  });
});

describe('phasePlan', () => {
  it('names closed and open load models apart', () => {
    expect(phasePlan({ name: 'a', concurrency: 4, duration: '10s', arrival: 'poisson', burstiness: 1, record: false }, 0)).toMatchObject({
      durationMs: 10_000,
      record: false,
      load: { kind: 'closed', concurrency: 4 },
    });
    expect(phasePlan({ name: 'b', rate: 5, requests: 100, arrival: 'gamma', burstiness: 0.5, max_concurrency: 8, record: true }, 1).load).toEqual({
      kind: 'open', rateRps: 5, ramp: null, arrival: 'gamma', burstiness: 0.5, maxConcurrency: 8,
    });
  });
});

describe('phaseArrivalsMs: one function for every arrival source', () => {
  it('replays a trace phase\'s offsets as given, and draws a process phase from its seeded stream', () => {
    const trace = tracePhasePlan(0, 'replay', { file: 't.csv', sha256: 'x', rows: 3, speed: 2 }, [0, 250, 1000]);
    expect([...phaseArrivalsMs(trace, 1)]).toEqual([0, 250, 1000]);
    expect(trace.load).toMatchObject({ kind: 'open', arrival: 'trace', trace: { rows: 3, speed: 2 } });
    expect(trace.maxRequests).toBe(3);

    const step = stepPhasePlan(2, 'step-03-rate-5', { kind: 'open', rateRps: 5 }, 4000);
    const drawn = [...phaseArrivalsMs(step, 7)];
    // The same (seed, phase) draws the same schedule, in every shard and worker; another phase another one.
    expect([...phaseArrivalsMs(step, 7)]).toEqual(drawn);
    expect(drawn.every((t, i) => t < 4000 && (i === 0 || t > drawn[i - 1]))).toBe(true);
    expect([...phaseArrivalsMs({ ...step, index: 3 }, 7)]).not.toEqual(drawn);
    expect(() => phaseArrivalsMs(stepPhasePlan(0, 'c', { kind: 'closed', concurrency: 2 }, 1000), 7)).toThrow(/closed loop/);
  });
});
