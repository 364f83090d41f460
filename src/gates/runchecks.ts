// Is the run itself valid (pure)? A run whose client lagged, whose open-loop schedule was not kept or
// whose server ignored the asked output length measured something other than what was asked: its
// latencies cannot gate a promotion either way. Each check is a gate of its own (exit 3).
import { MIN_SENT_SHARE, scheduleMet } from '../results/rates.js';
import type { RunResult } from '../results/format.js';
import type { Workload } from '../workload/schema.js';
import type { RunCheck } from '../results/gates-schema.js';

/** An open-loop phase must send at least this share of what its schedule asked for. */
export { MIN_SENT_SHARE } from '../results/rates.js';
/** At most this share of successful responses may stop early when the workload asked for an exact length. */
export const MAX_ENDED_EARLY_SHARE = 0.01;

/**
 * Classes whose output length is asked to be exact: `ignore_eos: true`, or `min_tokens` at least the
 * largest max_tokens the class can draw (defaults' extra_body merged under the class's own).
 * Structured output (a JSON response_format, tools) is left out: its grammar ends the answer when the
 * object or call is complete, whatever ignore_eos says.
 */
export function exactLengthClasses(w: Workload): Set<string> {
  const out = new Set<string>();
  for (const c of w.classes) {
    if (c.tools !== undefined || (c.response_format !== undefined && c.response_format.type !== 'text')) continue;
    const body = { ...(w.defaults.extra_body ?? {}), ...(c.extra_body ?? {}) };
    const d = c.output_tokens;
    const maxOut = d.type === 'fixed' ? d.value : d.max ?? Infinity;
    if (body.ignore_eos === true || (typeof body.min_tokens === 'number' && body.min_tokens >= maxOut)) out.add(c.name);
  }
  return out;
}

const pct = (x: number) => `${Number((x * 100).toFixed(2))}%`;

/** `abortedOnFail`: the run was stopped on purpose (a lost SLO), which is not an invalid run. */
export function runChecks(result: RunResult, workload: Workload, opts: { abortedOnFail?: boolean } = {}): RunCheck[] {
  const checks: RunCheck[] = [];
  checks.push({
    name: 'client not saturated',
    pass: !result.clientSaturated,
    detail: result.clientSaturated ? `the harness lagged${result.client.reason ? ` (${result.client.reason})` : ''}: ${result.client.reasons.join('; ')}` : `event-loop delay p99 ${result.client.eventLoopDelayP99Ms} ms, dispatch lag p99 ${result.client.dispatchLagP99Ms} ms`,
  });
  if (result.meta.interrupted && !opts.abortedOnFail) {
    checks.push({ name: 'run completed', pass: false, detail: 'the run was interrupted: its last phase is partial' });
  }
  const exact = exactLengthClasses(workload);
  for (const p of result.phases) {
    if (!p.record) continue;
    if (p.load.kind === 'open' && !(result.meta.interrupted)) {
      // The schedule is the seeded arrival process itself: its count is what was asked, so Poisson
      // variation in the number of arrivals is never mistaken for a missed rate.
      const share = p.scheduled > 0 ? p.sent / p.scheduled : 1;
      const asked = p.load.rateRps !== null ? `${p.load.rateRps} rps` : `${p.load.ramp?.fromRps}→${p.load.ramp?.toRps} rps`;
      const achieved = p.achievedRateRps === null ? '' : `; sent ${p.achievedRateRps} rps of ${asked} offered`;
      const pass = scheduleMet(p) === true;
      checks.push({
        name: `phase ${p.name}: open-loop schedule met`,
        pass,
        detail: `sent ${p.sent} of ${p.scheduled} scheduled (${pct(share)}; at least ${pct(MIN_SENT_SHARE)} needed)${achieved}${p.dropped > 0 ? `; ${p.dropped} dropped (never sent: the max_concurrency cap was full)` : ''}`,
      });
    }
    for (const g of p.groups) {
      if (g.class === '*' || !exact.has(g.class) || g.ok === 0) continue;
      const share = g.endedEarly / g.ok;
      checks.push({
        name: `phase ${p.name} class ${g.class}: output length honoured`,
        pass: share <= MAX_ENDED_EARLY_SHARE,
        detail: `${g.endedEarly} of ${g.ok} responses (${pct(share)}) stopped before max_tokens although the workload asked for the full length (ignore_eos/min_tokens); at most ${pct(MAX_ENDED_EARLY_SHARE)} allowed`,
      });
    }
  }
  return checks;
}

/** Every recorded request failed: nothing measured is about the server. */
export function unreachable(result: RunResult): { total: number; errorsByClass: Map<string, number> } | null {
  const recorded = result.phases.filter((p) => p.record).flatMap((p) => p.groups.filter((g) => g.class === '*'));
  const total = recorded.reduce((s, g) => s + g.requests, 0);
  const ok = recorded.reduce((s, g) => s + g.ok, 0);
  if (total === 0 || ok > 0) return null;
  const errorsByClass = new Map<string, number>();
  for (const g of recorded) for (const [k, n] of Object.entries(g.errorsByClass)) errorsByClass.set(k, (errorsByClass.get(k) ?? 0) + (n ?? 0));
  return { total, errorsByClass };
}
