// The pacer: when each open-loop request is due, computed up front from a seeded arrival process.
// Pure and lazy (a generator), so a million-request phase costs no memory and tests need no sleeping.
//
// Arrivals are generated in "cumulative intensity" space Λ (expected arrivals so far) and mapped back
// to time by inverting Λ(t). For a constant rate Λ(t) = r·t; for a linear ramp from a to b over D
// seconds Λ(t) = a·t + (b − a)·t²/(2D). The same unit-rate process thus serves every rate shape exactly.
import type { LoadModel, PhasePlan } from './phases.js';
import { exponential, gamma, rngFor, type Rng } from '../util/rng.js';

type OpenLoad = Extract<LoadModel, { kind: 'open' }>;

/** Time (s) at which the cumulative intensity reaches `lambda`. */
function inverseIntensityS(lambda: number, fromRps: number, toRps: number, durationS: number): number {
  const a = (toRps - fromRps) / (2 * durationS);
  const b = fromRps;
  if (Math.abs(a) < 1e-12) return lambda / b;
  const disc = b * b + 4 * a * lambda;
  if (disc < 0) return Infinity; // a falling ramp never reaches this many arrivals
  return (-b + Math.sqrt(disc)) / (2 * a);
}

/**
 * Intended send offsets in ms from the phase start, ascending, stopping before `durationMs`
 * or after `maxRequests`, whichever comes first.
 */
export function* arrivalOffsetsMs(
  load: OpenLoad,
  durationMs: number | null,
  maxRequests: number | null,
  rng: Rng,
): Generator<number, void, undefined> {
  if (load.arrival === 'trace') throw new Error('a trace phase replays its own offsets (PhasePlan.offsetsMs); there is no process to draw');
  const fromRps = load.ramp ? load.ramp.fromRps : (load.rateRps as number);
  const toRps = load.ramp ? load.ramp.toRps : fromRps;
  const rampS = load.ramp && durationMs !== null ? durationMs / 1000 : 1;
  const limitMs = durationMs ?? Infinity;
  const limitN = maxRequests ?? Infinity;
  let lambda = 0;
  for (let n = 0; n < limitN; n++) {
    if (load.arrival === 'constant') {
      // Evenly spaced; the first request goes at once (or as soon as a ramp makes any rate).
      lambda = n === 0 && fromRps > 0 ? 0 : lambda + 1;
    } else if (load.arrival === 'poisson') {
      lambda += exponential(rng);
    } else {
      // Gamma renewal with mean 1: shape = burstiness (1 is Poisson, < 1 bursty, > 1 regular).
      lambda += gamma(rng, load.burstiness) / load.burstiness;
    }
    const tMs = inverseIntensityS(lambda, fromRps, toRps, rampS) * 1000;
    if (!(tMs < limitMs)) return;
    yield tMs;
  }
}

/**
 * The intended send offsets (ms from the phase start) of an open phase, whatever its source: a trace's
 * rows as given, or the seeded process of its load model, drawn from its own stream per (seed, phase)
 * so that every shard and worker computes the same schedule.
 */
export function phaseArrivalsMs(plan: PhasePlan, seed: number): Iterable<number> {
  if (plan.load.kind !== 'open') throw new Error(`phase ${plan.name} is a closed loop: its requests are due when a slot frees, not on a schedule`);
  if (plan.arrivals?.kind === 'trace') return plan.arrivals.offsetsMs;
  return arrivalOffsetsMs(plan.load, plan.durationMs, plan.maxRequests, rngFor(seed, plan.index, 0x41a7));
}
