// The campaign's HTML page (pure): one self-contained page (no script, no network) with, for each
// workload, each point's targets side by side, and the best value of each column marked.
import { pointSummary, type CampaignView } from './report.js';

const COLUMNS: [string, string, 'low' | 'high' | null][] = [
  ['target', 'target', null],
  ['repeat', 'repeat', null],
  ['state', 'state', null],
  ['requests', 'requests', null],
  ['errors', 'errors', null],
  ['ttft_p50', 'TTFT p50 ms', 'low'],
  ['ttft_p95', 'TTFT p95 ms', 'low'],
  ['tpot_p95', 'TPOT p95 ms', 'low'],
  ['e2e_p95', 'E2E p95 ms', 'low'],
  ['offered_rps', 'offered req/s', null],
  ['completed_rps', 'completed req/s', 'high'],
  ['valid', 'valid', null],
  ['usd_per_1m_out', '$ / 1M out tok', 'low'],
  ['usd_per_1k_accepted', '$ / 1k accepted', 'low'],
  ['gates', 'gates', null],
  ['trusted', 'trusted', null],
  ['sweep', 'sweep answer', null],
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderCampaignHtml(v: CampaignView): string {
  const m = v.manifest;
  const rows = v.points.map((x) => ({ x, s: pointSummary(x) }));
  const sections: string[] = [];
  for (const workload of [...new Set(rows.map((r) => r.x.record.workload))]) {
    const points = [...new Set(rows.filter((r) => r.x.record.workload === workload).map((r) => String(r.s.point)))];
    const tables = points.map((point) => {
      const group = rows.filter((r) => r.x.record.workload === workload && String(r.s.point) === point).map((r) => r.s);
      const cols = COLUMNS.filter(([k]) => group.some((g) => g[k] !== null && g[k] !== undefined));
      const best = new Map(cols.filter(([, , dir]) => dir !== null).map(([k, , dir]) => {
        // An untrusted point (client saturated, interrupted) cannot be the best of anything.
        const vals = group.filter((g) => g.trusted === 'yes').map((g) => g[k]).filter((x): x is number => typeof x === 'number');
        return [k, vals.length > 1 ? (dir === 'low' ? Math.min(...vals) : Math.max(...vals)) : null] as const;
      }));
      const head = `<tr>${cols.map(([, label]) => `<th>${esc(label)}</th>`).join('')}</tr>`;
      const body = group
        .map((g) => `<tr>${cols.map(([k]) => `<td${best.get(k) !== null && best.get(k) !== undefined && g[k] === best.get(k) ? ' class="best"' : ''}>${esc(g[k] === null || g[k] === undefined ? '–' : String(g[k]))}</td>`).join('')}</tr>`)
        .join('\n');
      return `<h3>${esc(point)}</h3>\n<table>${head}\n${body}</table>`;
    });
    sections.push(`<h2>workload ${esc(workload)}</h2>\n${tables.join('\n')}`);
  }
  const done = m.points.filter((p) => p.state === 'done').length;
  const status = `${done}/${m.points.length} points done · $${m.costUsd.toFixed(4)} spent${m.stopped ? ` · stopped: ${esc(m.stopped)}` : ''}`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>campaign ${esc(m.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.best{background:#dff3df;font-weight:600}</style>
</head><body>
<h1>campaign ${esc(m.name)}</h1>
<p>${status}. Latencies in ms; per point, the best value across the trusted targets is shaded (lower latency and cost, higher completed rate). Rows marked “changed” were measured after the target's fingerprint changed (--allow-changed).</p>
${sections.join('\n')}
</body></html>
`;
}
