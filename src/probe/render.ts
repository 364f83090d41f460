// Probe report → text table (capability, verdict, evidence) and the `run` implications. Pure.
import type { ProbeReport, Verdict } from './checks.js';

const LABEL: Record<Verdict, string> = { supported: 'supported', partial: 'partial', not_supported: 'not supported', skipped: 'skipped' };

export function renderProbe(r: ProbeReport): string {
  const rows = r.checks.map((c) => [c.capability, LABEL[c.verdict], c.evidence]);
  const w0 = Math.max(10, ...rows.map((x) => x[0].length));
  const w1 = Math.max(7, ...rows.map((x) => x[1].length));
  const out = [`probe ${r.target} · model ${r.model}`, '', `${'capability'.padEnd(w0)}  ${'verdict'.padEnd(w1)}  evidence`, `${'─'.repeat(w0)}  ${'─'.repeat(w1)}  ${'─'.repeat(8)}`];
  for (const [a, b, c] of rows) out.push(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  const implied = r.checks.filter((c) => c.implies);
  if (implied.length > 0) {
    out.push('', 'for `loadshape run`:');
    for (const c of implied) out.push(`  - ${c.capability}: ${c.implies}`);
  }
  if (!r.canStream) out.push('', 'the endpoint cannot stream: loadshape cannot measure it');
  return out.join('\n');
}
