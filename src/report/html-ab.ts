// The HTML report of an A/B pairing file (pure): the headline verdict, the paired table, the fairness
// block, and per metric the distribution of the per-pair differences B − A (a zero line marks B = A:
// mass to its right means B took longer).
import type { AbResult, PairedMetric } from '../results/ab-format.js';
import { fairnessLines, pairedRows } from './ab-render.js';
import { page } from './html.js';
import { PALETTE, esc, lineChart } from './svg.js';

function diffChart(id: string, m: PairedMetric): string {
  const h = m.hist;
  if (!h) return '';
  const unit = m.unit === 'ms' ? 'ms' : 'tokens';
  const points: [number, number][] = h.counts.map((c, i) => [h.from + (i + 0.5) * h.bin, c]);
  return `<figure data-metric="${esc(id)}">${lineChart({
    title: `${m.label}: B − A per pair (${m.pairs} pairs)`,
    xLabel: `B − A (${unit})`,
    yLabel: 'pairs',
    series: [{ name: `${m.label} B − A`, color: PALETTE[0], points }],
    markers: [{ x: 0, label: 'B = A' }],
    // Zero always on the axis: how far the mass sits from it is the effect.
    xMin: Math.min(0, h.from),
    xMax: Math.max(0, h.from + h.counts.length * h.bin),
  })}</figure>`;
}

function table(r: AbResult): string {
  const head = ['metric', 'stat', 'A', 'B', 'B − A', 'interval of B − A', 'per pair B − A', 'per pair B/A', 'verdict'];
  const rows = pairedRows(r).map(({ m, stat, s }) => {
    const f = (x: number) => (m.unit === 'rate' ? `${(x * 100).toFixed(2)}%` : String(x));
    const cls = s.verdict === 'worse' ? ' class="worse"' : s.verdict === 'better' ? ' class="better"' : '';
    const cells = [m.label, stat, f(s.a), f(s.b), f(s.diff), s.ci ? `[${f(s.ci[0])}, ${f(s.ci[1])}]` : '-', f(s.delta), s.ratio === null ? '-' : s.ratio.toFixed(3), s.verdict.replace('_', ' ')];
    return `<tr${cls}>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<div class="scroll"><table class="paired"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table></div>`;
}

export function renderAbHtml(r: AbResult): string {
  const worse = r.verdict.worse.length > 0;
  const gates = r.gates
    ? r.gates.violations.length === 0
      ? `<p class="pass">fail-on ${esc(r.gates.failOn)}: pass</p>`
      : `<p class="fail">fail-on ${esc(r.gates.failOn)}: B regressed</p><ul>${r.gates.violations.map((v) => `<li class="worse">${esc(v.message)}</li>`).join('')}</ul>`
    : '';
  const side = (s: 'a' | 'b') => {
    const x = r.sides[s];
    return `<tr><td>${s.toUpperCase()}</td><td>${esc(x.target)}</td><td>${esc(x.model)}</td><td>${esc(Object.entries(x.labels).map(([k, v]) => `${k}=${v}`).join(' '))}</td><td>${esc(x.file)}</td></tr>`;
  };
  return page(`loadshape ab · ${r.workload.name} · ${r.startedAt}`, [
    `<h1>loadshape A/B · ${esc(r.workload.name)} · ${esc(r.mode)} · ${r.pairs} pairs</h1>`,
    `<p class="headline ${worse ? 'fail' : r.verdict.better.length > 0 ? 'pass' : ''}" id="verdict">${esc(r.verdict.headline)}</p>`,
    r.unpairedVerdict ? `<p class="muted" id="unpaired">unpaired (as compare): ${esc(r.unpairedVerdict)}</p>` : '',
    gates,
    r.invalid.length > 0 ? `<p class="fail">Invalid: ${esc(r.invalid.join('; '))}</p>` : '',
    `<table class="meta"><tr><th>side</th><th>target</th><th>model</th><th>labels</th><th>result file</th></tr>${side('a')}${side('b')}</table>`,
    '<h2>Paired differences</h2>',
    table(r),
    '<h2>Fairness</h2>',
    `<ul class="fairness">${fairnessLines(r).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`,
    '<h2>Distributions of B − A</h2>',
    `<div class="charts">${Object.entries(r.metrics).map(([id, m]) => diffChart(id, m)).join('')}</div>`,
  ]);
}
