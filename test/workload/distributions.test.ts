import { describe, expect, it } from 'vitest';
import { lognormalParams, sampleDistribution } from '../../src/workload/distributions.js';
import { DistributionSchema, type Distribution } from '../../src/workload/schema.js';
import { rngFor } from '../../src/util/rng.js';

function draws(d: Distribution, n: number, seed = 7): number[] {
  const rng = rngFor(seed);
  return Array.from({ length: n }, () => sampleDistribution(d, rng));
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const stddev = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
};

describe('sampleDistribution', () => {
  it('returns the value of a fixed distribution', () => {
    expect(draws({ type: 'fixed', value: 42 }, 5)).toEqual([42, 42, 42, 42, 42]);
  });

  it('draws every integer of a uniform range, both ends included, equally often', () => {
    const xs = draws({ type: 'uniform', min: 3, max: 6 }, 40_000);
    const counts = [3, 4, 5, 6].map((v) => xs.filter((x) => x === v).length);
    expect(xs.every((x) => Number.isInteger(x) && x >= 3 && x <= 6)).toBe(true);
    for (const c of counts) expect(c / xs.length).toBeCloseTo(0.25, 1);
  });

  it('matches the mean and stddev of a normal distribution', () => {
    const xs = draws({ type: 'normal', mean: 500, stddev: 50 }, 40_000);
    expect(mean(xs)).toBeGreaterThan(497);
    expect(mean(xs)).toBeLessThan(503);
    expect(stddev(xs)).toBeGreaterThan(48);
    expect(stddev(xs)).toBeLessThan(52);
  });

  it('parameterises a lognormal by the mean and stddev of the lengths themselves', () => {
    const xs = draws({ type: 'lognormal', mean: 300, stddev: 150 }, 80_000);
    expect(Math.abs(mean(xs) - 300)).toBeLessThan(4);
    expect(Math.abs(stddev(xs) - 150)).toBeLessThan(8);
    // Right-skewed: the median sits below the mean.
    const sorted = [...xs].sort((a, b) => a - b);
    expect(sorted[sorted.length / 2]).toBeLessThan(280);
  });

  it('derives mu and sigma from the mean and stddev', () => {
    const { mu, sigma } = lognormalParams(300, 150);
    expect(sigma).toBeCloseTo(Math.sqrt(Math.log(1.25)), 12);
    expect(Math.exp(mu + (sigma * sigma) / 2)).toBeCloseTo(300, 9);
  });

  it('clamps to min and max, and never goes below 0 without a min', () => {
    const clamped = draws({ type: 'normal', mean: 100, stddev: 80, min: 50, max: 150 }, 5_000);
    expect(Math.min(...clamped)).toBe(50);
    expect(Math.max(...clamped)).toBe(150);
    const wide = draws({ type: 'normal', mean: 10, stddev: 50 }, 5_000);
    expect(Math.min(...wide)).toBe(0);
    const tail = draws({ type: 'lognormal', mean: 200, stddev: 400, max: 1000 }, 5_000);
    expect(Math.max(...tail)).toBe(1000);
  });

  it('gives the same sequence for the same seed and another for a different seed', () => {
    const d: Distribution = { type: 'lognormal', mean: 300, stddev: 100 };
    expect(draws(d, 20, 1)).toEqual(draws(d, 20, 1));
    expect(draws(d, 20, 1)).not.toEqual(draws(d, 20, 2));
  });
});

describe('DistributionSchema refinements', () => {
  const messages = (input: unknown) => {
    const r = DistributionSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('rejects min above max on the max field', () => {
    expect(messages({ type: 'uniform', min: 20, max: 10 })).toEqual(['max: expected max >= min (20), got 10']);
    expect(messages({ type: 'normal', mean: 5, stddev: 1, min: 9, max: 3 })).toEqual(['max: expected max >= min (9), got 3']);
  });

  it('rejects a mean outside the bounds, which would clamp most samples', () => {
    expect(messages({ type: 'lognormal', mean: 3000, stddev: 10, max: 300 })).toEqual([
      'mean: expected a mean within [min, max], got 3000 above max 300',
    ]);
    expect(messages({ type: 'normal', mean: 5, stddev: 1, min: 10 })).toEqual(['mean: expected a mean within [min, max], got 5 below min 10']);
  });

  it('accepts sensible distributions', () => {
    expect(messages({ type: 'uniform', min: 10, max: 10 })).toEqual([]);
    expect(messages({ type: 'lognormal', mean: 300, stddev: 100, min: 10, max: 2000 })).toEqual([]);
  });
});
