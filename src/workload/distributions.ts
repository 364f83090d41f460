// Length distributions: turns a Distribution from the workload file into one integer token count.
// Pure: the caller passes the rng, so a plan's lengths follow from (seed, phase, request) alone.
import { normal, type Rng } from '../util/rng.js';
import type { Distribution } from './schema.js';

/**
 * Draws one integer from `d`, rounded and clamped to [min, max] (min defaults to 0; max to `bound`, the
 * field's limit from workload/limits.ts, so a long tail never asks for a 10⁸-token prompt).
 * `fixed` draws nothing from the rng and the others a variable number of values, so callers that
 * want reproducible plans must draw in a fixed order (plan.ts does).
 */
export function sampleDistribution(d: Distribution, rng: Rng, bound = Infinity): number {
  switch (d.type) {
    case 'fixed':
      return d.value;
    case 'uniform':
      // Inclusive on both ends: uniform 1..3 yields 1, 2 and 3 equally often.
      return clamp(d.min + Math.floor(rng() * (d.max - d.min + 1)), d.min, d.max);
    case 'normal':
      return clamp(Math.round(d.mean + d.stddev * normal(rng)), d.min ?? 0, d.max ?? bound);
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(d.mean, d.stddev);
      return clamp(Math.round(Math.exp(mu + sigma * normal(rng))), d.min ?? 0, d.max ?? bound);
    }
  }
}

/**
 * The workload file gives the mean and stddev of the lengths themselves (what people measure in
 * their traffic); the lognormal is parameterised by those of the logarithm:
 *   sigma² = ln(1 + stddev² / mean²),  mu = ln(mean) − sigma² / 2.
 */
export function lognormalParams(mean: number, stddev: number): { mu: number; sigma: number } {
  const sigma2 = Math.log(1 + (stddev * stddev) / (mean * mean));
  return { mu: Math.log(mean) - sigma2 / 2, sigma: Math.sqrt(sigma2) };
}

/** The smallest and largest values `d` can produce after clamping (max is Infinity when unbounded). */
export function distributionBounds(d: Distribution): { min: number; max: number } {
  switch (d.type) {
    case 'fixed':
      return { min: d.value, max: d.value };
    case 'uniform':
      return { min: d.min, max: d.max };
    case 'normal':
    case 'lognormal':
      return { min: d.min ?? 0, max: d.max ?? Infinity };
  }
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}
