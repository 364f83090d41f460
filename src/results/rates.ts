// The three rates of a phase, defined once (docs/metrics.md, "Rates") and shown under these names by
// every report (summary, HTML, CSV, compare, sweep). Pure.
import type { PhaseResult } from './format.js';

export interface PhaseRates {
  /** What the schedule planned: its mean arrival rate over the planned window (open loop; null closed). */
  offeredRps: number | null;
  /** Arrivals sent ÷ the time the phase was sending (open loop: its window, cut short where it was stopped). */
  sentRps: number | null;
  /** Successful completions ÷ the phase's wall time (start → last completion); null for a warm-up phase. */
  completedRps: number | null;
}

/** The planned mean rate of a load: the constant rate, or a linear ramp's midpoint. */
export function offeredRps(load: PhaseResult['load']): number | null {
  if (load.kind !== 'open') return null;
  if (load.rateRps !== null) return load.rateRps;
  return load.ramp ? round3((load.ramp.fromRps + load.ramp.toRps) / 2) : null;
}

export function phaseRates(p: PhaseResult): PhaseRates {
  const all = p.groups.find((g) => g.class === '*');
  // Closed loop has no send window of its own: it sends for as long as the phase runs.
  const sentRps = p.achievedRateRps ?? (p.durationS > 0 ? round3(p.sent / p.durationS) : null);
  return { offeredRps: offeredRps(p.load), sentRps, completedRps: all ? all.throughput.requestsPerS : null };
}

/** "offered 6 rps · sent 6 rps · completed 5.29 rps" (offered left out for a closed loop). */
export function describeRates(r: PhaseRates): string {
  const f = (x: number) => `${Number(x.toFixed(2))} rps`;
  return [r.offeredRps === null ? null : `offered ${f(r.offeredRps)}`, r.sentRps === null ? null : `sent ${f(r.sentRps)}`, r.completedRps === null ? null : `completed ${f(r.completedRps)}`]
    .filter((x) => x !== null)
    .join(' · ');
}

/** An open-loop phase met its schedule when it sent at least this share of its arrivals and dropped none. */
export const MIN_SENT_SHARE = 0.95;

/** Whether an open-loop phase sent what its schedule asked for; null for a closed loop (no schedule). */
export function scheduleMet(p: PhaseResult): boolean | null {
  if (p.load.kind !== 'open') return null;
  // The schedule is the seeded arrival process itself: its count is what was asked.
  const share = p.scheduled > 0 ? p.sent / p.scheduled : 1;
  return share >= MIN_SENT_SHARE && p.dropped === 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
