// `ab --fail-on`: the compare grammar (report/failon.ts) judged on the paired summary. A clause fails
// when B moved past its bound in the bad direction AND the paired verdict is `worse` (beyond noise).
// Metrics with no per-pair value (inter-chunk gap, schedule-relative latencies, throughput) are judged
// on the unpaired comparison of the two side results, as `compare --fail-on` would.
import type { PairedMetric } from '../results/ab-format.js';
import type { CompareResult } from './compare.js';
import { evaluateFailOn, type Threshold } from './failon.js';

export interface PairedViolation {
  clause: string;
  message: string;
}

/** The paired statistic a clause names, or null when the clause is judged unpaired. */
function pairedStat(metrics: Record<string, PairedMetric>, metric: string): { id: string; stat: string } | null {
  if (metric === 'error_rate') return { id: 'errors', stat: 'rate' };
  if (metric === 'validity_rate') return { id: 'validity', stat: 'rate' };
  const [id, stat] = metric.split('.');
  return ['ttft', 'tpot', 'e2e', 'queue'].includes(id) && metrics[id] !== undefined && stat !== undefined ? { id, stat } : null;
}

const signed = (x: number, digits: number) => (x === Infinity ? '+∞' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`);

export function evaluatePairedFailOn(metrics: Record<string, PairedMetric>, thresholds: Threshold[], unpaired: CompareResult | null): PairedViolation[] {
  const out: PairedViolation[] = [];
  for (const t of thresholds) {
    const ref = pairedStat(metrics, t.metric);
    if (ref === null) {
      if (unpaired) for (const v of evaluateFailOn(unpaired, [t])) out.push({ clause: t.text, message: `${v.message} (unpaired: ${t.metric} has no per-pair value)` });
      continue;
    }
    const s = metrics[ref.id].stats[ref.stat];
    if (!s || s.verdict !== 'worse') continue;
    const change = t.unit === '%' ? (s.a !== 0 ? (s.diff / s.a) * 100 : Infinity) : t.unit === 'pp' ? s.diff * 100 : s.diff;
    const past = t.op === '>' ? change > t.value : change < t.value;
    if (!past) continue;
    const unit = t.unit === '%' ? '%' : t.unit === 'pp' ? ' pp' : ' ms';
    const digits = t.unit === 'ms' ? 2 : 1;
    const ci = s.ci ? `, interval [${s.ci[0]}, ${s.ci[1]}]` : '';
    const what = ref.stat === 'rate' ? `${t.metric} ${(s.a * 100).toFixed(2)}% → ${(s.b * 100).toFixed(2)}%` : `${t.metric} ${s.a} → ${s.b} ${metrics[ref.id].unit} over ${metrics[ref.id].pairs} pairs (B − A ${signed(s.diff, 3)}; per pair ${signed(s.delta, 3)})`;
    out.push({ clause: t.text, message: `${t.text}: ${what} (${signed(change, digits)}${unit}${ci}; worse beyond noise)` });
  }
  return out;
}
