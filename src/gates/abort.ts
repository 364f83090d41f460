// --abort-on-fail (pure): is an SLO on errors already lost while the run is still going? Judged on
// the live counters the driver keeps (no samples). Lost means:
// - a finished phase: its error rate breaks the bound (final);
// - a running phase with a request cap N: the errors so far break the bound even if every remaining
//   request succeeds (errors / N), so the outcome can no longer change;
// - a running timed phase (no cap, the total is unknown): the error rate so far breaks the bound over
//   at least `minRequests` finished requests (k6's abortOnFail, with a minimum sample instead of a delay).
import type { RequestRecord } from '../client/record.js';
import type { PhaseCounts, RunSink } from '../driver/sink.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { Slo } from './slo.js';
import { formatSloValue, holds } from './slo.js';
import { phaseInScope } from '../slo/grammar.js';

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
      if (slo.phase !== null && !phaseInScope(slo.phase, p.name)) continue;
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

/**
 * The --abort-on-fail sink: counts requests and errors per phase × class as records arrive and judges
 * the error SLOs after each error (and when a request count reaches the minimum sample, or a phase
 * ends); calls `onLost` once, with the message, when one can no longer hold.
 */
export class AbortWatch implements RunSink {
  private readonly phases: { live: LivePhase; counts: Map<string, { requests: number; errors: number }> }[] = [];
  private lostMessage: string | null = null;
  private readonly slos: Slo[];

  constructor(
    slos: Slo[],
    private readonly shard: { index: number; count: number } | undefined,
    private readonly onLost: (message: string) => void,
    private readonly minRequests = ABORT_MIN_REQUESTS,
  ) {
    this.slos = errorSlos(slos);
  }

  /** The lost SLO's message, once one was lost. */
  get lost(): string | null {
    return this.lostMessage;
  }

  phaseStart(phase: PhasePlan): void {
    if (!phase.record) return;
    const counts = new Map<string, { requests: number; errors: number }>();
    const max = phase.maxRequests;
    const s = this.shard;
    // This shard's share of the phase's request count: requests i, i+N, … of it.
    const cap = max === null ? null : s ? Math.max(0, Math.floor((max - s.index - 1) / s.count) + 1) : max;
    this.phases.push({ live: { name: phase.name, final: false, cap, group: (cls) => counts.get(cls) ?? null }, counts });
  }

  record(r: RequestRecord): void {
    const p = this.phases[this.phases.length - 1];
    if (this.slos.length === 0 || !p || p.live.final || this.lostMessage !== null) return;
    let judge = false;
    for (const key of ['*', r.class]) {
      let c = p.counts.get(key);
      if (!c) p.counts.set(key, (c = { requests: 0, errors: 0 }));
      c.requests++;
      if (r.status === 'error') c.errors++;
      judge ||= c.errors > 0 && (r.status === 'error' || c.requests === this.minRequests);
    }
    if (judge) this.judge();
  }

  phaseEnd(counts: PhaseCounts): void {
    const p = this.phases[this.phases.length - 1];
    if (!p || p.live.name !== counts.plan.name) return;
    (p.live as { final: boolean }).final = true;
    if (this.lostMessage === null && this.slos.length > 0) this.judge();
  }

  private judge(): void {
    const msg = lostSlo(this.slos, this.phases.map((p) => p.live), this.minRequests);
    if (msg === null) return;
    this.lostMessage = msg;
    this.onLost(msg);
  }
}
