// The campaign's budget (pure): before each point, how long it will take and what it will cost, and
// whether running it would pass --budget-usd or --max-time. A {rate, duration} point's time is in the
// plan; a {concurrency, requests} point's is scaled from a similar point already run (same target and
// workload, closed loop), else from a short probe the command runs first; a sweep's from a sweep
// already run, else its upper bound (max_steps × step_duration). Each estimate says which it used.
import { parseDurationMs } from '../util/errors.js';
import type { CampaignPoint } from './plan.js';

export interface Estimate {
  /** null: unknown until a probe has run. */
  seconds: number | null;
  basis: string;
}

/** A point already run, with its wall time. */
export interface RunPoint {
  point: CampaignPoint;
  wallS: number;
}

/** What a closed-loop probe measured: seconds of one in-flight slot per request. */
export interface ProbeRate {
  slotSecondsPerRequest: number;
  basis: string;
}

const DEFAULT_SWEEP_STEPS = 12;
const DEFAULT_STEP_S = 60;

export function estimatePoint(p: CampaignPoint, ran: readonly RunPoint[], probe?: ProbeRate): Estimate {
  const l = p.load;
  if ('sweep' in l) return estimateSweep(p, ran);
  const durationS = l.duration !== undefined ? parseDurationMs(l.duration, 'duration') / 1000 : Infinity;
  if (l.rate !== undefined) {
    const s = Math.min(durationS, l.requests !== undefined ? l.requests / l.rate : Infinity);
    return { seconds: s, basis: l.requests !== undefined && s < durationS ? 'requests ÷ rate (plan)' : 'duration (plan)' };
  }
  const concurrency = l.concurrency!;
  if (l.requests === undefined) return { seconds: durationS, basis: 'duration (plan)' };
  const similar = ran
    .filter((r) => r.point.target === p.target && r.point.workload === p.workload && !('sweep' in r.point.load) && r.point.load.concurrency !== undefined && r.point.load.requests !== undefined)
    .sort((a, b) => Math.abs(concurrencyOf(a.point) - concurrency) - Math.abs(concurrencyOf(b.point) - concurrency))[0];
  const rate: ProbeRate | undefined = similar
    ? { slotSecondsPerRequest: (similar.wallS * concurrencyOf(similar.point)) / requestsOf(similar.point), basis: `scaled from ${similar.point.id}` }
    : probe;
  if (!rate) return { seconds: durationS === Infinity ? null : durationS, basis: durationS === Infinity ? 'unknown: no similar point yet (a short probe measures it)' : 'duration (plan)' };
  return { seconds: Math.min(durationS, (l.requests * rate.slotSecondsPerRequest) / concurrency), basis: rate.basis };
}

const concurrencyOf = (p: CampaignPoint): number => ('sweep' in p.load ? 1 : (p.load.concurrency ?? 1));
const requestsOf = (p: CampaignPoint): number => ('sweep' in p.load ? 1 : (p.load.requests ?? 1));

function estimateSweep(p: CampaignPoint, ran: readonly RunPoint[]): Estimate {
  const sweeps = ran.filter((r) => 'sweep' in r.point.load && r.point.workload === p.workload);
  const same = sweeps.find((r) => r.point.target === p.target) ?? sweeps[0];
  if (same) return { seconds: same.wallS, basis: `as ${same.point.id}` };
  const s = 'sweep' in p.load ? p.load.sweep : null;
  const steps = s?.max_steps ?? DEFAULT_SWEEP_STEPS;
  const stepS = s?.step_duration !== undefined ? parseDurationMs(s.step_duration, 'step_duration') / 1000 : DEFAULT_STEP_S;
  return { seconds: steps * stepS, basis: `upper bound: ${steps} steps × ${stepS}s` };
}

export interface Limits {
  budgetUsd?: number;
  maxTimeS?: number;
}

/** Why the next point must not start (its estimate would pass a limit), or null when it may. */
export function limitReached(l: Limits, o: { estimate: Estimate; costPerHourUsd: number; spentUsd: number; elapsedS: number }): string | null {
  const s = o.estimate.seconds ?? 0;
  const costUsd = (o.costPerHourUsd * s) / 3600;
  if (l.budgetUsd !== undefined && o.spentUsd + costUsd > l.budgetUsd) {
    return `budget: $${fmt(o.spentUsd)} spent + $${fmt(costUsd)} for the next point (${fmt(s)}s, ${o.estimate.basis}) > --budget-usd ${l.budgetUsd}`;
  }
  if (l.maxTimeS !== undefined && o.elapsedS + s > l.maxTimeS) {
    return `time: ${fmt(o.elapsedS)}s elapsed + ${fmt(s)}s for the next point (${o.estimate.basis}) > --max-time ${fmt(l.maxTimeS)}s`;
  }
  return null;
}

export function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 1 ? String(Number(x.toFixed(2))) : String(Number(x.toPrecision(2)));
}
