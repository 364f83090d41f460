// Sweep, did a step hold its load (pure)? A step can pass every SLO and still not be an answer: when
// its server completed clearly less than it was offered (the load was not achieved), or when the
// harness itself lagged (its timing is contaminated). And requests the sweep cancelled itself, at the
// end of a step's drain, say nothing about the server: they are not errors.
import type { TimeseriesPoint } from '../metrics/timeseries.js';
import type { GroupResult, RunResult } from '../results/format.js';

/**
 * Agreement rule: over the step's steady window of `windowS` seconds, an open-loop step offered
 * λ = offered rate × windowS requests; it held its load when its successful completions N in that
 * window reach λ − 2√λ (Poisson noise, two standard deviations, for that request count). Completing
 * more is never a failure (a backlog draining). A closed loop offers no rate: nothing to check.
 */
export function loadHeld(offeredRps: number | null, okInWindow: number, windowS: number): { held: boolean; why: string | null } {
  if (offeredRps === null || windowS <= 0) return { held: true, why: null };
  const expected = offeredRps * windowS;
  const floor = expected - 2 * Math.sqrt(expected);
  if (okInWindow >= floor) return { held: true, why: null };
  const rate = okInWindow / windowS;
  return {
    held: false,
    why: `load not achieved: completed ${rate.toFixed(2)} rps of ${offeredRps} offered (${okInWindow} in ${windowS} s; Poisson noise allows down to ${Math.max(0, floor).toFixed(0)})`,
  };
}

/**
 * The step's steady window: its last `2 × windowS` whole seconds that closed by `endMs` (the moment the
 * step's verdict stopped it, or its maximum duration), its first (partial) second left out. These are
 * the seconds the steady-state verdict compared. null when the step closed no whole second.
 */
export function steadyWindow(points: readonly Pick<TimeseriesPoint, 'tS' | 'completed' | 'errors'>[], startMs: number, endMs: number, windowS: number): { seconds: number; ok: number } | null {
  const whole = points.filter((p) => p.tS * 1000 >= startMs && (p.tS + 1) * 1000 <= endMs + 1e-6).slice(1);
  const span = whole.slice(-Math.max(1, Math.round(2 * windowS)));
  if (span.length === 0) return null;
  return { seconds: span.length, ok: span.reduce((s, p) => s + p.completed - p.errors, 0) };
}

/** A group with the sweep's own cancellations taken out of its requests and errors. */
function withoutCancelled(g: GroupResult): GroupResult {
  const cancelled = g.errorsByClass.cancelled ?? 0;
  if (cancelled === 0) return g;
  const { cancelled: _, ...errorsByClass } = g.errorsByClass;
  const requests = g.requests - cancelled;
  const errors = g.errors - cancelled;
  return { ...g, requests, errors, errorsByClass, errorRate: requests > 0 ? Math.round((errors / requests) * 1e6) / 1e6 : 0, cancelledByStepEnd: cancelled };
}

/**
 * A sweep's result with cancelled requests out of the error counts. In a sweep only the sweep cancels:
 * at the end of a step's drain (and on a second Ctrl-C); those requests are kept as `cancelledByStepEnd`.
 */
export function withoutStepCancellations(r: RunResult): RunResult {
  return { ...r, phases: r.phases.map((p) => ({ ...p, groups: p.groups.map(withoutCancelled) })) };
}
