// --abort-on-fail (pure): is an SLO on errors already lost while the run is still going? Judged on
// the live counters the driver keeps (no samples). Lost means:
// - a finished phase: its error rate breaks the bound (final);
// - a running phase with a request cap N: the errors so far break the bound even if every remaining
//   request succeeds (errors / N), so the outcome can no longer change;
// - a running timed phase (no cap, the total is unknown): the error rate so far breaks the bound over
//   at least `minRequests` finished requests (k6's abortOnFail, with a minimum sample instead of a delay).
import type { Slo } from './slo.js';
import { formatSloValue, holds } from './slo.js';

export interface LivePhase {
  name: string;
  /** The phase has finished: its counters are final. */
  final: boolean;
  /** Most requests the phase can finish (its `requests`, this shard's share), or null for a timed phase. */
  cap: number | null;
  /** Finished requests and errors of a class ("*" for all), or null when the class has none yet. */
  group(cls: string): { requests: number; errors: number } | null;
}

export const ABORT_MIN_REQUESTS = 50;

/** SLOs that --abort-on-fail watches: upper bounds on the error rate. */
export function errorSlos(slos: Slo[]): Slo[] {
  return slos.filter((s) => s.metric === 'error_rate' && (s.op === '<' || s.op === '<='));
}

/** A message naming the lost SLO, or null while every error SLO can still hold. */
export function lostSlo(slos: Slo[], phases: LivePhase[], minRequests = ABORT_MIN_REQUESTS): string | null {
  for (const slo of errorSlos(slos)) {
    for (const p of phases) {
      if (slo.phase !== null && slo.phase !== p.name) continue;
      const cls = slo.class ?? '*';
      const g = p.group(cls);
      if (!g || g.errors === 0) continue;
      const scope = `[phase ${p.name} · class ${cls === '*' ? 'all' : cls}]`;
      if (p.final || (p.cap === null && g.requests >= minRequests)) {
        const rate = g.errors / g.requests;
        if (!holds(rate, slo.op, slo.bound)) return `${slo.text} ${scope}: ${g.errors} errors of ${g.requests} requests (${formatSloValue('rate', rate)})${p.final ? '' : ' so far'}`;
      } else if (p.cap !== null) {
        const best = g.errors / p.cap;
        if (!holds(best, slo.op, slo.bound)) {
          return `${slo.text} ${scope}: ${g.errors} errors already, at least ${formatSloValue('rate', best)} of the phase's ${p.cap} requests even if all the rest succeed`;
        }
      }
    }
  }
  return null;
}
