// A comparison as a terminal table, Markdown or JSON (pure).
import { describeRates } from '../results/rates.js';
import type { CompareGroup, CompareResult, CompareRow, RunRef } from './compare.js';
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
  const base = cmp.runs[0].name;
  const h = ['metric', `${base} (base)`];
  for (const r of cmp.runs.slice(1)) h.push(r.name, `Δ ${r.name} vs ${base}`, 'CI of Δ', 'verdict');
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
  if (cmp.runs.length >= 3) out.push(row.best === null ? '-' : cmp.runs[row.best].name);
  return out;
}

/** A class group that repeats its phase's all-classes group value for value (the phase's only class). */
function duplicateOfAll(cmp: CompareResult, g: CompareGroup): boolean {
  if (g.class === '*') return false;
  const all = cmp.groups.find((x) => x.phase === g.phase && x.class === '*');
  return all !== undefined && all.rows.length === g.rows.length && all.rows.every((r, i) => r.metric === g.rows[i].metric && r.values.every((v, k) => v === g.rows[i].values[k]));
}

/** The groups a comparison shows (text, Markdown, HTML): a single-class phase once, not as "all" and again as its class. */
export function shownCompareGroups(cmp: CompareResult): CompareGroup[] {
  return cmp.groups.filter((g) => !duplicateOfAll(cmp, g));
}

/** "all", "all = chat" (a phase whose only class is chat), or the class. */
export function compareGroupName(cmp: CompareResult, g: CompareGroup): string {
  if (g.class !== '*') return g.class;
  const sole = cmp.groups.find((x) => x.phase === g.phase && duplicateOfAll(cmp, x));
  return sole ? `all = ${sole.class}` : 'all';
}

/** A change in a few characters: "−12.0%", "+0.50 pp". */
function shortChange(abs: number, rel: number | null, unit: string): string {
  const sign = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '±');
  if (unit === '' || rel === null) return fmtChange(abs, rel, unit);
  return `${sign(rel)}${Math.abs(rel * 100).toFixed(1)}%`;
}

const HEADLINE_ITEMS = 4;

/**
 * The verdict a comparison opens with: per candidate, on which all-classes metrics it is better or
 * worse than the baseline beyond noise (largest changes first), how many are within noise, and what
 * did not line up. The tables below hold every figure; this says what they add up to.
 */
export function compareHeadline(cmp: CompareResult): string[] {
  const base = cmp.runs[0].name;
  const out: string[] = [];
  const all = cmp.groups.filter((g) => g.class === '*');
  for (let i = 1; i < cmp.runs.length; i++) {
    const moved: Record<'better' | 'worse', { text: string; size: number }[]> = { better: [], worse: [] };
    let within = 0;
    for (const g of all) {
      for (const row of g.rows) {
        const ch = row.changes[i];
        if (!ch) continue;
        if (ch.verdict === 'within_noise') within++;
        else moved[ch.verdict].push({ text: `${row.label} ${shortChange(ch.abs, ch.rel, row.unit)} (${g.phase})`, size: Math.abs(ch.rel ?? ch.abs) });
      }
    }
    const list = (xs: { text: string; size: number }[]) => {
      const top = [...xs].sort((a, b) => b.size - a.size);
      return `${top.slice(0, HEADLINE_ITEMS).map((x) => x.text).join(', ')}${top.length > HEADLINE_ITEMS ? `, +${top.length - HEADLINE_ITEMS} more` : ''}`;
    };
    const { better, worse } = moved;
    const word = better.length > 0 && worse.length > 0 ? 'MIXED' : better.length > 0 ? 'BETTER' : worse.length > 0 ? 'WORSE' : 'NO DIFFERENCE beyond noise';
    const parts = [
      ...(better.length > 0 ? [`better on ${better.length} (${list(better)})`] : []),
      ...(worse.length > 0 ? [`worse on ${worse.length} (${list(worse)})`] : []),
      `within noise on ${within}`,
    ];
    out.push(`verdict: ${cmp.runs[i].name} vs ${base}: ${word} — ${parts.join('; ')}`);
  }
  const notes = cmp.notes;
  out.push(
    notes.length === 0
      ? 'lined up: same workload, seed, phases and loads'
      : `not lined up / take care (${notes.length}): ${notes.slice(0, 2).join('; ')}${notes.length > 2 ? `; +${notes.length - 2} more below` : ''}`,
  );
  return out;
}

/** Rows worth printing: drop metrics no run has (validity without schemas, gaps of one-token outputs). */
const shown = (rows: CompareRow[]) => rows.filter((r) => r.values.some((v) => v !== null));

function settingsLine(cmp: CompareResult): string {
  const s = cmp.settings;
  return `Δ against ${cmp.runs[0].name}; CI: ${(s.confidence * 100).toFixed(0)}% family-wise over ${s.comparisons} comparisons (latency: bootstrap over the HDR buckets, ${s.resamples} resamples; throughput: Poisson; rates: two proportions); changes under ${(s.minEffect * 100).toFixed(1)}% are within noise`;
}

export function renderCompareText(cmp: CompareResult, violations?: Violation[], matrix?: DecisionMatrix): string {
  const out: string[] = [...compareHeadline(cmp), '', 'runs:'];
  for (const r of cmp.runs) out.push(`  ${r.name} = ${runDescription(r)}`);
  out.push(settingsLine(cmp), '');
  if (cmp.notes.length > 0) {
    out.push('not aligned / take care:', ...cmp.notes.map((n) => `  - ${n}`), '');
  }
  for (const g of shownCompareGroups(cmp)) {
    out.push(`phase ${g.phase} · class ${compareGroupName(cmp, g)}`);
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
  const cand = cmp.runs[cmp.runs.length - 1].name;
  if (violations.length === 0) return [`fail-on: candidate ${cand} passes every threshold`];
  return [`fail-on: candidate ${cand} REGRESSED past ${violations.length} threshold(s):`, ...violations.map((v) => `  ✗ ${v.message}`)];
}

export function renderCompareMarkdown(cmp: CompareResult, violations?: Violation[], matrix?: DecisionMatrix): string {
  const out: string[] = ['## loadshape compare', '', ...compareHeadline(cmp).map((l) => `- **${l.replace(/^(verdict|not lined up|lined up)/, '$1**')}`), '', '| run | file · run id · started · workload · model · labels |', '|:---|:---|'];
  for (const r of cmp.runs) out.push(`| ${r.name} | ${runDescription(r).replace(/\|/g, '\\|')} |`);
  out.push('', `_${settingsLine(cmp)}_`, '');
  if (cmp.notes.length > 0) out.push('**Not aligned / take care**', '', ...cmp.notes.map((n) => `- ${n}`), '');
  if (violations) out.push(...violationLines(cmp, violations).map((l, i) => (i === 0 ? `**${l}**` : `- ${l.trim()}`)), '');
  for (const g of shownCompareGroups(cmp)) {
    out.push(`### phase ${g.phase} · class ${compareGroupName(cmp, g)}`, '');
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
  return JSON.stringify({ headline: compareHeadline(cmp), ...cmp, ...(violations ? { failOn: { passed: violations.length === 0, violations } } : {}), ...(matrix ? { decisionMatrix: matrix } : {}) }, null, 1);
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
