import { describe, expect, it } from 'vitest';
import { BUCKETS_S, bucketIndex } from '../../src/live/ladder.js';

describe('the Prometheus bucket ladder', () => {
  it('runs from 1 ms to 10 min, ascending, with at least 4 bounds in every decade', () => {
    expect(BUCKETS_S[0]).toBe(0.001);
    expect(BUCKETS_S[BUCKETS_S.length - 1]).toBe(600);
    for (let i = 1; i < BUCKETS_S.length; i++) expect(BUCKETS_S[i]).toBeGreaterThan(BUCKETS_S[i - 1]);
    for (let exp = -3; exp <= 1; exp++) {
      const inDecade = BUCKETS_S.filter((b) => b >= 10 ** exp && b < 10 ** (exp + 1));
      expect(inDecade.length, `decade 1e${exp}`).toBeGreaterThanOrEqual(4);
    }
  });

  it('keeps neighbouring bounds within 5/3 of each other, so every value is within 25 % of its bucket\'s middle', () => {
    let worst = 0;
    for (let i = 1; i < BUCKETS_S.length; i++) worst = Math.max(worst, BUCKETS_S[i] / BUCKETS_S[i - 1]);
    expect(worst).toBeLessThanOrEqual(5 / 3 + 1e-9);
    // In a bucket [a, r·a] every value is within (r−1)/(r+1) of the middle (r·a + a)/2: 25 % for r = 5/3.
    expect((worst - 1) / (worst + 1)).toBeLessThanOrEqual(0.25 + 1e-9);
  });

  it('has the round SLO bounds users set as edges', () => {
    for (const b of [0.005, 0.01, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 300]) expect(BUCKETS_S).toContain(b);
  });

  it('puts a value in the first bucket it does not exceed (le semantics), past the last in +Inf', () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(0.001)).toBe(0);
    expect(bucketIndex(0.0011)).toBe(1);
    expect(BUCKETS_S[bucketIndex(0.25)]).toBe(0.3);
    expect(BUCKETS_S[bucketIndex(0.5)]).toBe(0.5);
    expect(bucketIndex(601)).toBe(BUCKETS_S.length);
  });
});
