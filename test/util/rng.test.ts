import { describe, expect, it } from 'vitest';
import { exponential, gamma, mixSeed, rngFor } from '../../src/util/rng.js';
import { parseDurationMs } from '../../src/util/errors.js';

describe('seeded rng', () => {
  it('gives the same stream for the same key and different streams for different keys', () => {
    const a = rngFor(42, 0, 7);
    const b = rngFor(42, 0, 7);
    const c = rngFor(42, 0, 8);
    const sa = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(sa);
    expect([c(), c(), c()]).not.toEqual(sa);
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
  });

  it('draws exponential and gamma variates with the right means', () => {
    const rng = rngFor(1);
    let e = 0;
    let g = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      e += exponential(rng);
      g += gamma(rng, 0.5);
    }
    expect(e / n).toBeCloseTo(1, 1);
    expect(g / n).toBeCloseTo(0.5, 1);
  });
});

describe('parseDurationMs', () => {
  it('reads units and bare seconds', () => {
    expect(parseDurationMs('500ms', 'x')).toBe(500);
    expect(parseDurationMs('30s', 'x')).toBe(30_000);
    expect(parseDurationMs('2m', 'x')).toBe(120_000);
    expect(parseDurationMs('1.5', 'x')).toBe(1500);
    expect(parseDurationMs(2, 'x')).toBe(2000);
  });
  it('names the option and the fix on a bad value', () => {
    expect(() => parseDurationMs('5x', '--duration')).toThrow(/--duration: "5x" is not a duration/);
  });
});
