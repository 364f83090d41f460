// A comparison as a terminal table, Markdown or JSON (pure).
import { describeRates } from '../results/rates.js';
import type { CompareResult, CompareRow, RunRef } from './compare.js';
import type { Violation } from './failon.js';
import { fmtChange, fmtInterval, fmtValue, mdTable } from './fmt.js';
import { table } from './text.js';
import type { DecisionMatrix } from './weights.js';

export type CompareFormat = 'text' | 'md' | 'json';

const VERDICT_TEXT = { within_noise: 'within noise', worse: 'WORSE', better: 'better' } as const;

export function runDescription(r: RunRef): string {
  const labels = Object.entries(r.labels).map(([k, v]) => `${k}=${v}`);
  return `${r.file} · run ${r.runId} · ${r.startedAt} · ${r.workload} · model ${r.model}${labels.length ? ` · ${labels.join(' ')}` : ''}`;
}

function headers(cmp: CompareResult): string[] {
  const h = ['metric', `${cmp.runs[0].id} (base)`];
  for (const r of cmp.runs.slice(1)) h.push(r.id, `Δ ${r.id} vs A`, 'CI of Δ', 'verdict');
  if (cmp.runs.length >= 3) h.push('best');
  return h;
}

function cells(cmp: CompareResult, row: CompareRow): string[] {
  const out = [row.label, fmtValue(row.values[0], row.unit)];
  for (let i = 1; i < cmp.runs.length; i++) {
    const ch = row.changes[i];
    out.push(fmtValue(row.values[i], row.unit));
    out.push(ch ? fmtChange(ch.abs, ch.rel, row.unit) : '-');
    out.push(ch?.ci ? fmtInterval(ch.ci.lo, ch.ci.hi, row.unit) : '-');
    out.push(ch ? VERDICT_TEXT[ch.verdict] + (ch.fewSamples ? ` (too few: ${ch.fewSamples.have} < ${ch.fewSamples.need})` : '') : '-');
  }
  if (cmp.runs.length >= 3) out.push(row.best === null ? '-' : cmp.runs[row.best].id);
  return out;
}

/** Rows worth printing: drop metrics no run has (validity without schemas, gaps of one-token outputs). */
const shown = (rows: CompareRow[]) => rows.filter((r) => r.values.some((v) => v !== null));

function settingsLine(cmp: CompareResult): string {
  const s = cmp.settings;
  return `Δ against A; CI: ${(s.confidence * 100).toFixed(0)}% family-wise over ${s.comparisons} comparisons (latency: bootstrap over the HDR buckets, ${s.resamples} resamples; throughput: Poisson; rates: two proportions); changes under ${(s.minEffect * 100).toFixed(1)}% are within noise`;
}

export function renderCompareText(cmp: CompareResult, violations?: Violation[], matrix?: DecisionMatrix): string {
  const out: string[] = ['runs:'];
  for (const r of cmp.runs) out.push(`  ${r.id} = ${runDescription(r)}`);
  out.push(settingsLine(cmp), '');
  if (cmp.notes.length > 0) {
    out.push('not aligned / take care:', ...cmp.notes.map((n) => `  - ${n}`), '');
  }
  for (const g of cmp.groups) {
    out.push(`phase ${g.phase} · class ${g.class === '*' ? 'all' : g.class}`);
    if (g.class === '*' && g.rates) out.push(ratesLine(cmp, g.rates));
    out.push(table(headers(cmp), shown(g.rows).map((r) => cells(cmp, r))), '');
  }
  if (matrix) out.push(renderMatrixText(matrix), '');
  if (violations) out.push(...violationLines(cmp, violations));
  return out.join('\n').trimEnd();
}

/** "rates: A offered 6 rps · sent 6 rps · completed 5.29 rps; B …" — the phase's three rates per run. */
export function ratesLine(cmp: CompareResult, rates: NonNullable<CompareResult['groups'][number]['rates']>): string {
  return `rates: ${rates.map((r, i) => `${cmp.runs[i].id} ${r ? describeRates(r) || '-' : '-'}`).join('; ')}`;
}

function violationLines(cmp: CompareResult, violations: Violation[]): string[] {
  const cand = cmp.runs[cmp.runs.length - 1].id;
  if (violations.length === 0) return [`fail-on: candidate ${cand} passes every threshold`];
  return [`fail-on: candidate ${cand} REGRESSED past ${violations.length} threshold(s):`, ...violations.map((v) => `  ✗ ${v.message}`)];
}

export function renderCompareMarkdown(cmp: CompareResult, violations?: Violation[], matrix?: DecisionMatrix): string {
  const out: string[] = ['## loadshape compare', '', '| run | file · run id · started · workload · model · labels |', '|:---|:---|'];
  for (const r of cmp.runs) out.push(`| ${r.id} | ${runDescription(r).replace(/\|/g, '\\|')} |`);
  out.push('', `_${settingsLine(cmp)}_`, '');
  if (cmp.notes.length > 0) out.push('**Not aligned / take care**', '', ...cmp.notes.map((n) => `- ${n}`), '');
  if (violations) out.push(...violationLines(cmp, violations).map((l, i) => (i === 0 ? `**${l}**` : `- ${l.trim()}`)), '');
  for (const g of cmp.groups) {
    out.push(`### phase ${g.phase} · class ${g.class === '*' ? 'all' : g.class}`, '');
    const rows = shown(g.rows).map((r) => {
      const c = cells(cmp, r);
      // Bold the verdicts that matter in a PR comment.
      return c.map((x) => (x === 'WORSE' ? '**worse**' : x === 'better' ? '_better_' : x));
    });
    out.push(mdTable(headers(cmp), rows), '');
  }
  if (matrix) out.push('### Decision matrix', '', renderMatrixMarkdown(matrix), '');
  return out.join('\n').trimEnd();
}

export function renderCompareJson(cmp: CompareResult, violations?: Violation[], matrix?: DecisionMatrix): string {
  return JSON.stringify({ ...cmp, ...(violations ? { failOn: { passed: violations.length === 0, violations } } : {}), ...(matrix ? { decisionMatrix: matrix } : {}) }, null, 1);
}

function matrixRows(m: DecisionMatrix): { headers: string[]; rows: string[][] } {
  const headers = ['criterion', 'weight', 'metric', ...m.runs.map((r) => r)];
  const rows = m.criteria.map((c) => [
    c.name,
    String(c.weight),
    c.metric,
    ...c.values.map((v, i) => (v === null ? '-' : `${c.display[i]} → ${c.scores[i].toFixed(1)}`)),
  ]);
  rows.push(['weighted score (0–10)', '', '', ...m.totals.map((t) => t.toFixed(2))]);
  rows.push(['rank', '', '', ...m.ranks.map(String)]);
  return { headers, rows };
}

export function renderMatrixText(m: DecisionMatrix): string {
  const { headers: h, rows } = matrixRows(m);
  return [`decision matrix · phase ${m.phase} · class ${m.class === '*' ? 'all' : m.class} (value → score 0–10, higher is better)`, table(h, rows), ...m.notes.map((n) => `  - ${n}`), `winner: ${m.winner}`].join('\n');
}

export function renderMatrixMarkdown(m: DecisionMatrix): string {
  const { headers: h, rows } = matrixRows(m);
  return [`phase ${m.phase} · class ${m.class === '*' ? 'all' : m.class} (value → score 0–10, higher is better)`, '', mdTable(h, rows), '', ...m.notes.map((n) => `- ${n}`), '', `**Winner: ${m.winner}**`].join('\n');
}
