// SLOs judged on a result (pure): one check per SLO × recorded phase, percentiles read from the stored
// HDR histograms, so any percentile works, not only the summary's. The language itself is parsed in
// slo/grammar.ts; it is re-exported here for the gates' callers.
import type { MetricKey } from '../metrics/accumulator.js';
import { decodeHistogram, percentileMs, type Histogram } from '../metrics/histogram.js';
import type { GroupResult, RunResult } from '../results/format.js';
import type { SloCheck } from '../results/gates-schema.js';
import { formatSloValue, holds, phaseInScope, type Slo } from '../slo/grammar.js';

export * from '../slo/grammar.js';

/** How each rate and throughput metric of the grammar is read from a result group. */
const READ: Record<string, (g: GroupResult) => number | null> = {
  error_rate: (g) => (g.requests > 0 ? g.errors / g.requests : null),
  validity: (g) => g.validityRate,
  good_fraction: (g) => (g.goodput && g.requests > 0 ? g.goodput.good / g.requests : null),
  valid_good_fraction: (g) => (g.goodput && g.requests > 0 ? g.goodput.validGood / g.requests : null),
  output_tps: (g) => g.throughput.outputTokensPerS,
  input_tps: (g) => g.throughput.inputTokensPerS,
  rps: (g) => g.throughput.requestsPerS,
  goodput: (g) => g.goodput?.goodRps ?? null,
  valid_goodput: (g) => g.goodput?.validGoodRps ?? null,
};

/** The SLO's value in a group: a percentile from the HDR histogram, a rate or a throughput; null without data. */
export function measure(slo: Slo, g: GroupResult, decode: (g: GroupResult, key: MetricKey) => Histogram = (x, k) => decodeHistogram(x.metrics[k].hdr)): number | null {
  if (slo.latency) {
    const m = g.metrics[slo.latency.key];
    if (m.count === 0) return null;
    const st = slo.latency.stat;
    if (st.kind === 'percentile') return percentileMs(decode(g, slo.latency.key), st.p);
    return st.kind === 'mean' ? m.meanMs : st.kind === 'min' ? m.minMs : m.maxMs;
  }
  return READ[slo.metric](g);
}

/**
 * Judges every SLO on the recorded phases: one check per SLO × phase (the phase scope narrows it to
 * one). A check without data (no such phase or class, no successful request, nothing judged) fails:
 * a gate that cannot be evaluated must not pass silently.
 */
export function evaluateSlos(result: RunResult, slos: Slo[]): SloCheck[] {
  const recorded = result.phases.filter((p) => p.record);
  const cache = new Map<string, Histogram>();
  const checks: SloCheck[] = [];
  for (const slo of slos) {
    const phases = slo.phase === null ? recorded : recorded.filter((p) => phaseInScope(slo.phase as string, p.name));
    const cls = slo.class ?? '*';
    const base = { slo: slo.text, source: slo.source, metric: slo.metric, kind: slo.kind, op: slo.op, bound: slo.bound, class: cls };
    if (phases.length === 0) {
      checks.push({ ...base, phase: slo.phase ?? '*', measured: null, pass: false, note: slo.phase ? `no recorded phase "${slo.phase}"` : 'no recorded phase' });
      continue;
    }
    phases.forEach((p) => {
      const g = p.groups.find((x) => x.class === cls);
      if (!g) {
        checks.push({ ...base, phase: p.name, measured: null, pass: false, note: `no requests of class ${cls} in phase ${p.name}` });
        return;
      }
      const measured = measure(slo, g, (x, k) => {
        const id = `${p.index}/${x.class}/${k}`;
        let h = cache.get(id);
        if (!h) {
          h = decodeHistogram(x.metrics[k].hdr);
          cache.set(id, h);
        }
        return h;
      });
      const pass = measured !== null && holds(measured, slo.op, slo.bound);
      checks.push({ ...base, phase: p.name, measured, pass, ...(measured === null ? { note: 'no successful or judged request' } : {}) });
    });
  }
  return checks;
}

/** One line per check: "FAIL ttft.p95 < 500ms  phase steady · class all: 612.3 ms (bound < 500 ms)". */
export function describeCheck(c: SloCheck): string {
  const scope = `phase ${c.phase} · class ${c.class === '*' ? 'all' : c.class}`;
  const value = c.measured === null ? c.note ?? 'no data' : formatSloValue(c.kind, c.measured);
  return `${c.pass ? 'pass' : 'FAIL'}  ${c.slo}  [${scope}]: measured ${value} (bound ${c.op} ${formatSloValue(c.kind, c.bound)})`;
}
