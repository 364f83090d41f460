// Renderers of an A/B pairing file (pure): the text table, the --json summary and the CSV rows.
import { stringify } from 'csv-stringify/sync';
import type { AbResult, PairedMetric, PairedStat } from '../results/ab-format.js';
import { suite, xml, type Case } from '../gates/render.js';
import { fmtMs, fmtNum, mdTable } from './fmt.js';

const VERDICT_TEXT: Record<PairedStat['verdict'], string> = { better: 'better', worse: 'WORSE', within_noise: 'within noise', differs: 'differs', not_compared: 'not compared' };

/** A value in its metric's unit. */
function val(m: PairedMetric, x: number): string {
  if (m.unit === 'rate') return `${(x * 100).toFixed(2)}%`;
  return m.unit === 'ms' ? fmtMs(x) : fmtNum(x);
}

function signedVal(m: PairedMetric, x: number): string {
  const s = x > 0 ? '+' : x < 0 ? '−' : '±';
  return m.unit === 'rate' ? `${s}${Math.abs(x * 100).toFixed(2)} pp` : `${s}${val(m, Math.abs(x))}`;
}

/** Rows of (metric, stat) in the file's order. */
export function pairedRows(r: AbResult): { id: string; stat: string; m: PairedMetric; s: PairedStat }[] {
  return Object.entries(r.metrics).flatMap(([id, m]) => Object.entries(m.stats).map(([stat, s]) => ({ id, stat, m, s })));
}

function sideLine(r: AbResult, side: 'a' | 'b'): string {
  const s = r.sides[side];
  const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${side.toUpperCase()}: ${s.target} · model ${s.model}${labels ? ` · ${labels}` : ''} · ${s.file}`;
}

export function fairnessLines(r: AbResult): string[] {
  const f = r.fairness;
  const skew = f.sendSkewMs ? `send skew between sides p50 ${f.sendSkewMs.p50} ms, p99 ${f.sendSkewMs.p99} ms, max ${f.sendSkewMs.max} ms${f.sendInstantsShared ? '' : ' (no shared send instant: closed loop)'}` : 'send skew: n/a (the sides ran in turns)';
  return [
    `same bodies: ${f.sameBodies ? 'yes' : `NO (${f.bodyMismatches} pairs differ)`} (sha256 A ${f.bodiesSha256.a.slice(0, 12)}, B ${f.bodiesSha256.b.slice(0, 12)})`,
    skew,
    `harness saturated: A ${f.saturated.a ? 'YES' : 'no'}, B ${f.saturated.b ? 'YES' : 'no'}; sent A ${f.schedule.a.sent}/${f.schedule.a.scheduled}, B ${f.schedule.b.sent}/${f.schedule.b.scheduled} (dropped A ${f.schedule.a.dropped}, B ${f.schedule.b.dropped})`,
    `output lengths: ${f.outputLength.disagree ? `DISAGREE in ${f.outputLength.disagreeingPairs} pairs: per-token metrics only` : `agree (${f.outputLength.disagreeingPairs} pairs differ)`}`,
    ...f.notes.map((n) => `note: ${n}`),
  ];
}

export function renderAbText(r: AbResult): string {
  const head = ['metric', 'stat', 'A', 'B', 'B − A', 'interval of B − A', 'per pair B−A', 'per pair B/A', 'verdict'];
  const rows = pairedRows(r).map(({ m, stat, s }) => [
    m.label, stat, val(m, s.a), val(m, s.b), signedVal(m, s.diff), s.ci ? `[${signedVal(m, s.ci[0])}, ${signedVal(m, s.ci[1])}]` : '-',
    signedVal(m, s.delta), s.ratio === null ? '-' : `×${s.ratio.toFixed(3)}`, `${VERDICT_TEXT[s.verdict]}${s.fewSamples ? ` (${s.fewSamples.have}/${s.fewSamples.need} pairs)` : ''}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [
    `A/B · workload ${r.workload.name} (seed ${r.workload.seed}) · ${r.mode}${r.rounds ? ` (${r.rounds.length} rounds: ${r.rounds.map((s) => s.toUpperCase()).join(' ')})` : ''} · ${r.pairs} pairs`,
    sideLine(r, 'a'),
    sideLine(r, 'b'),
    `verdict: ${r.verdict.headline}`,
    ...(r.unpairedVerdict ? [`unpaired (as compare): ${r.unpairedVerdict}`] : []),
    '',
    line(head),
    ...rows.map(line),
    '',
    ...fairnessLines(r),
  ];
  if (r.gates) out.push(r.gates.violations.length === 0 ? `fail-on ${r.gates.failOn}: pass` : `fail-on ${r.gates.failOn}: FAIL\n${r.gates.violations.map((v) => `  ${v.message}`).join('\n')}`);
  if (r.invalid.length > 0) out.push(`INVALID: ${r.invalid.join('; ')}`);
  return out.join('\n');
}

/** The `--json` summary: {pairs, mode, metrics: {ttft: {p50: {a, b, diff, delta, ratio, ci, verdict}}, …}, fairness, verdict, gates}. */
export function abJson(r: AbResult): Record<string, unknown> {
  const metrics = Object.fromEntries(Object.entries(r.metrics).map(([id, m]) => [id, { ...m.stats, pairs: m.pairs, unit: m.unit }]));
  return { pairs: r.pairs, mode: r.mode, metrics, verdict: r.verdict, unpairedVerdict: r.unpairedVerdict, fairness: r.fairness, gates: r.gates, invalid: r.invalid, exitCode: r.exitCode, sides: r.sides };
}

/** `export csv` of a pairing file: one row per metric statistic with the paired figures. */
export function abCsv(r: AbResult): string {
  const rows = pairedRows(r).map(({ id, stat, m, s }) => [
    id === 'errors' ? 'error_rate' : id === 'validity' ? 'validity_rate' : `${id}.${stat}`, m.unit, m.pairs, s.a, s.b, s.diff, s.ci ? s.ci[0] : '', s.ci ? s.ci[1] : '', s.delta, s.ratio ?? '', s.verdict,
  ]);
  return stringify([['metric', 'unit', 'pairs', 'a', 'b', 'diff', 'ci_lo', 'ci_hi', 'pair_delta', 'pair_ratio', 'verdict'], ...rows]);
}

/** The checks CI sees: both sides reachable and valid, the same bodies, and each --fail-on clause. */
function abCases(r: AbResult): { fairness: Case[]; regression: Case[] } {
  const f = r.fairness;
  const check = (name: string, ok: boolean, type: string, message: string): Case => ({ name, failure: ok ? null : { message, type, body: message } });
  const fairness: Case[] = (['a', 'b'] as const).flatMap((s) => {
    const S = s.toUpperCase();
    const down = r.invalid.find((x) => x.startsWith(`side ${S}: every request failed`));
    const missed = r.invalid.find((x) => x.startsWith(`side ${S}: did not send its schedule`));
    return [
      check(`side ${S} reachable`, down === undefined, 'unreachable', down ?? ''),
      check(`side ${S} harness not saturated`, !f.saturated[s], 'invalid_run', `side ${S}: the harness was saturated`),
      check(`side ${S} sent its schedule`, missed === undefined, 'invalid_run', missed ?? ''),
    ];
  });
  fairness.push(check('same bodies on both sides', f.sameBodies, 'unfair', `${f.bodyMismatches} pairs sent different bodies`));
  const clauses = r.gates ? r.gates.failOn.split(',').map((c) => c.trim()).filter(Boolean) : [];
  const regression = clauses.map((c) => {
    const v = r.gates?.violations.filter((x) => x.clause === c) ?? [];
    return check(c, v.length === 0, 'regression', v.map((x) => x.message).join('; '));
  });
  return { fairness, regression };
}

/** `ab --junit`: suites loadshape.ab (reachability, saturation, schedule, same bodies) and loadshape.regression (each --fail-on clause). */
export function renderAbJunit(r: AbResult): string {
  const ts = r.startedAt.replace(/\.\d+Z$/, '');
  const { fairness, regression } = abCases(r);
  const all = [...fairness, ...regression];
  const suites = [suite('loadshape.ab', fairness, ts, 0), ...(regression.length > 0 ? [suite('loadshape.regression', regression, ts, 0)] : [])];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="loadshape ab ${xml(r.workload.name)}" tests="${all.length}" failures="${all.filter((c) => c.failure).length}" errors="0" time="0">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** `ab --summary-md` (and $GITHUB_STEP_SUMMARY): the verdict, the paired table and the fairness lines. */
export function renderAbMarkdown(r: AbResult): string {
  const status = r.exitCode === 0 ? 'PASS' : r.exitCode === 2 ? 'FAIL: B worse than A' : r.exitCode === 3 ? 'INVALID' : 'FAIL: a side unreachable';
  const rows = pairedRows(r).map(({ m, stat, s }) => [m.label, stat, val(m, s.a), val(m, s.b), signedVal(m, s.diff), s.ci ? `[${signedVal(m, s.ci[0])}, ${signedVal(m, s.ci[1])}]` : '-', VERDICT_TEXT[s.verdict]]);
  return [
    `### loadshape ab · ${r.workload.name} · ${status}`,
    '',
    `**${r.verdict.headline}** (${r.mode}, ${r.pairs} pairs; A ${r.sides.a.target}, B ${r.sides.b.target})`,
    '',
    mdTable(['metric', 'stat', 'A', 'B', 'B − A', 'interval', 'verdict'], rows),
    '',
    ...fairnessLines(r).map((l) => `- ${l}`),
    ...(r.gates ? ['', ...r.gates.violations.map((v) => `- **${v.message}**`)] : []),
  ].join('\n');
}
