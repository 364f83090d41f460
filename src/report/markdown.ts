// One run's summary as Markdown (report --format md): for PR comments and CI job summaries (pure).
import type { RunResult } from '../results/format.js';
import { mdTable } from './fmt.js';
import { SUMMARY_COLUMNS, phaseHeading, shownGroups } from './text.js';

export function renderSummaryMarkdown(r: RunResult): string {
  const m = r.meta;
  const labels = Object.entries(m.labels).map(([k, v]) => `\`${k}=${v}\``).join(' ');
  const out: string[] = [
    `## loadshape · ${m.workload.name}`,
    '',
    `- run \`${m.runId}\` · started ${m.startedAt} · ${m.durationS.toFixed(1)} s${m.interrupted ? ' · **interrupted**' : ''}`,
    `- target ${m.target.url}${m.target.simulated ? ' (embedded simulator)' : ''} · model \`${m.model}\``,
    `- workload seed ${m.workload.seed} · sha256 \`${m.workload.sha256.slice(0, 12)}\`${labels ? ` · ${labels}` : ''}`,
    '',
    '_Latencies in ms unless marked; TTFT/TPOT/E2E from the actual send, "sched" from the intended send time._',
    '',
  ];
  if (r.clientSaturated) out.push(`> **Client saturated${r.client.reason ? ` (${r.client.reason})` : ''}:** ${r.client.reasons.join('; ')}. Latencies include the harness's own delay.${r.client.advice ? ` ${r.client.advice}` : ''}`, '');
  for (const p of r.phases) {
    out.push(`### ${phaseHeading(p)}`, '');
    if (p.groups.length === 0) {
      out.push(`${p.requestsSent ?? p.sent} requests sent (not recorded)`, '');
      continue;
    }
    out.push(mdTable(SUMMARY_COLUMNS.map((c) => c.header), shownGroups(p).map((g) => SUMMARY_COLUMNS.map((c) => c.value(g, p)))), '');
    const errs = Object.entries(p.groups[0].errorsByClass).filter(([, n]) => (n ?? 0) > 0);
    if (errs.length > 0) out.push(`Errors: ${errs.map(([k, n]) => `${k} ${n}`).join(', ')}`, '');
  }
  return out.join('\n').trimEnd();
}
