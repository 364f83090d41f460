// The gates for people and CI (pure): a terminal section, a Markdown summary (PR comment, GitHub step
// summary) and JUnit XML (one test case per SLO check, run check and regression clause).
import type { RunResult } from '../results/format.js';
import type { GatesResult, SloCheck } from '../results/gates-schema.js';
import { formatSloValue } from './slo.js';

const VERDICT_TEXT: Record<GatesResult['verdict'], string> = {
  pass: 'PASS',
  slo_failed: 'FAIL: SLO',
  regression: 'FAIL: regression against the baseline',
  invalid_run: 'INVALID RUN',
  unreachable: 'FAIL: target unreachable',
};

const scope = (c: SloCheck) => `phase ${c.phase} · class ${c.class === '*' ? 'all' : c.class}`;
// Results written before the note lost its own "no data (…)" wrapper still read once.
const measured = (c: SloCheck) => (c.measured === null ? `no data (${(c.note ?? 'nothing measured').replace(/^no data \((.*)\)$/, '$1')})` : formatSloValue(c.kind, c.measured));
const bound = (c: SloCheck) => `${c.op} ${formatSloValue(c.kind, c.bound)}`;

/** The terminal section printed after the run summary. */
export function renderGatesText(g: GatesResult): string {
  const out: string[] = [];
  if (g.slos.length > 0) {
    out.push('SLOs:');
    for (const c of g.slos) out.push(`  ${c.pass ? 'pass' : 'FAIL'}  ${c.slo}  [${scope(c)}]  measured ${measured(c)}  (bound ${bound(c)})`);
  }
  const failedChecks = g.runChecks.filter((c) => !c.pass);
  if (failedChecks.length > 0) {
    out.push('run validity:');
    for (const c of failedChecks) out.push(`  FAIL  ${c.name}: ${c.detail}`);
  }
  if (g.regression) {
    out.push(`regression against ${g.regression.baseline} (--fail-on ${g.regression.failOn}):`);
    for (const c of g.regression.checks) {
      out.push(`  ${c.pass ? 'pass' : 'FAIL'}  ${c.clause}`);
      for (const v of c.violations) out.push(`        ${v}`);
    }
    for (const n of g.regression.notes) out.push(`  note: ${n}`);
  }
  if (g.abortedOnFail) out.push(`aborted early (--abort-on-fail): ${g.abortedOnFail}`);
  out.push(`verdict: ${VERDICT_TEXT[g.verdict]} (exit ${g.exitCode}) — ${g.reason}`);
  return out.join('\n');
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mark = (pass: boolean) => (pass ? '✅' : '❌');
const pctOf = (x: number) => `${Number((x * 100).toFixed(2))}%`;
const ms = (m: { count: number; p95Ms: number; p99Ms: number }, stat: 'p95Ms' | 'p99Ms') => (m.count > 0 ? `${Number(m[stat].toFixed(1))} ms` : '—');

/** The Markdown summary (`--summary-md`, $GITHUB_STEP_SUMMARY). */
export function renderGatesMarkdown(r: RunResult, g: GatesResult, resultFile?: string): string {
  const m = r.meta;
  const out: string[] = [
    `## loadshape ${mark(g.verdict === 'pass')} ${VERDICT_TEXT[g.verdict]} (exit ${g.exitCode})`,
    '',
    mdCell(g.reason),
    '',
    `workload \`${m.workload.name}\` (sha256 \`${m.workload.sha256.slice(0, 12)}\`, seed ${m.workload.seed}) · target ${m.target.url}${m.target.simulated ? ' (embedded simulator)' : ''} · model \`${m.model}\` · ${m.durationS.toFixed(1)} s${resultFile ? ` · result \`${resultFile}\`` : ''}`,
    '',
  ];
  if (g.slos.length > 0) {
    out.push('### SLOs', '', '| | SLO | scope | measured | bound |', '|---|---|---|---:|---:|');
    for (const c of g.slos) out.push(`| ${mark(c.pass)} | \`${mdCell(c.slo)}\` | ${scope(c)} | ${mdCell(measured(c))} | ${mdCell(bound(c))} |`);
    out.push('');
  }
  if (g.regression) {
    out.push(`### Regression against \`${g.regression.baseline}\``, '', `\`--fail-on ${mdCell(g.regression.failOn)}\` (fails only beyond noise)`, '', '| | clause | violations |', '|---|---|---|');
    for (const c of g.regression.checks) out.push(`| ${mark(c.pass)} | \`${mdCell(c.clause)}\` | ${c.violations.map(mdCell).join('<br>') || '—'} |`);
    out.push('');
    if (g.regression.notes.length > 0) out.push(...g.regression.notes.map((n) => `- ${mdCell(n)}`), '');
  }
  out.push('### Run validity', '', '| | check | detail |', '|---|---|---|');
  for (const c of g.runChecks) out.push(`| ${mark(c.pass)} | ${mdCell(c.name)} | ${mdCell(c.detail)} |`);
  out.push('');
  const recorded = r.phases.filter((p) => p.record);
  out.push('### Measured', '', '| phase | class | reqs | errors | req/s | out tok/s | TTFT p95 | TPOT p95 | E2E p99 | goodput | good |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of recorded) {
    for (const x of p.groups) {
      const gp = x.goodput;
      out.push(
        `| ${p.name} | ${x.class === '*' ? 'all' : x.class} | ${x.requests} | ${x.errors} (${pctOf(x.errorRate)}) | ${x.throughput.requestsPerS} | ${x.throughput.outputTokensPerS} | ${ms(x.metrics.ttftMs, 'p95Ms')} | ${ms(x.metrics.tpotMs, 'p95Ms')} | ${ms(x.metrics.e2eMs, 'p99Ms')} | ${gp ? `${gp.goodRps}/s (valid ${gp.validGoodRps}/s)` : '—'} | ${gp ? pctOf(gp.goodFraction) : '—'} |`,
      );
    }
  }
  if (g.goodput) out.push('', `good request: \`${g.goodput}\` and successful; "valid" also needs valid (or unjudged) structured output`);
  if (g.abortedOnFail) out.push('', `**aborted early** (--abort-on-fail): ${mdCell(g.abortedOnFail)}`);
  return `${out.join('\n')}\n`;
}

export function xml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export interface Case {
  name: string;
  failure: { message: string; type: string; body: string } | null;
}

export function suite(name: string, cases: Case[], timestamp: string, timeS: number): string {
  const failures = cases.filter((c) => c.failure).length;
  const body = cases.map((c) => {
    const open = `    <testcase classname="${xml(name)}" name="${xml(c.name)}" time="0"`;
    if (!c.failure) return `${open}/>`;
    return `${open}>\n      <failure message="${xml(c.failure.message)}" type="${xml(c.failure.type)}">${xml(c.failure.body)}</failure>\n    </testcase>`;
  });
  return [`  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" timestamp="${xml(timestamp)}" time="${timeS}">`, ...body, '  </testsuite>'].join('\n');
}

/**
 * JUnit XML: suites loadshape.run (reachability and run validity), loadshape.slo (one case per SLO
 * check) and loadshape.regression (one case per --fail-on clause); a failed gate is one <failure>
 * whose message carries the measured value.
 */
export function renderJunit(r: RunResult, g: GatesResult): string {
  const ts = r.meta.startedAt.replace(/\.\d+Z$/, '');
  const t = r.meta.durationS;
  const runCases: Case[] = [
    {
      name: 'target reachable',
      failure: g.verdict === 'unreachable' ? { message: g.reason, type: 'unreachable', body: g.reason } : null,
    },
    ...g.runChecks.map((c): Case => ({ name: c.name, failure: c.pass ? null : { message: c.detail, type: 'invalid_run', body: c.detail } })),
  ];
  const sloCases = g.slos.map((c): Case => {
    const msg = `measured ${measured(c)}, bound ${bound(c)}`;
    return { name: `${c.slo} [${scope(c)}]`, failure: c.pass ? null : { message: msg, type: 'slo', body: `${c.slo} (${c.source})\n${scope(c)}\n${msg}` } };
  });
  const suites = [suite('loadshape.run', runCases, ts, t), suite('loadshape.slo', sloCases, ts, t)];
  const all = [...runCases, ...sloCases];
  if (g.regression) {
    const regCases = g.regression.checks.map((c): Case => ({
      name: c.clause,
      failure: c.pass ? null : { message: c.violations.join('; '), type: 'regression', body: c.violations.join('\n') },
    }));
    suites.push(suite('loadshape.regression', regCases, ts, t));
    all.push(...regCases);
  }
  const failures = all.filter((c) => c.failure).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="loadshape ${xml(r.meta.workload.name)}" tests="${all.length}" failures="${failures}" errors="0" time="${t}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** A `run` that ended before it had a result: bad options (exit 4), the target down (exit 5), or a failure on the way. */
export interface FailedRun {
  message: string;
  exitCode: number;
  /** The target did not answer (model discovery, --wait-ready): the "target reachable" case fails. */
  unreachable: boolean;
  target: string | null;
  workload: string | null;
  at: Date;
}

/** The one failed case of a run without a result: what CI shows when the run never got to judge anything. */
function failedRunCase(f: FailedRun): Case {
  if (f.unreachable) return { name: 'target reachable', failure: { message: f.message, type: 'unreachable', body: f.message } };
  if (f.exitCode === 4) return { name: 'options valid', failure: { message: f.message, type: 'usage', body: f.message } };
  return { name: 'run completed', failure: { message: f.message, type: 'error', body: f.message } };
}

/** JUnit XML for a run that ended before it had a result: suite loadshape.run with its one failed case. */
export function renderFailedRunJunit(f: FailedRun): string {
  const c = failedRunCase(f);
  const name = `loadshape ${f.workload ?? 'run'}`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(name)}" tests="1" failures="1" errors="0" time="0">\n${suite('loadshape.run', [c], f.at.toISOString().replace(/\.\d+Z$/, ''), 0)}\n</testsuites>\n`;
}

/** The Markdown summary of a run that ended before it had a result. */
export function renderFailedRunMarkdown(f: FailedRun): string {
  const title = f.unreachable ? VERDICT_TEXT.unreachable : f.exitCode === 4 ? 'FAIL: bad options' : 'FAIL: run did not complete';
  const where = [f.workload !== null ? `workload \`${f.workload}\`` : null, f.target !== null ? `target ${f.target}` : null].filter((x) => x !== null).join(' · ');
  return [
    `## loadshape ${mark(false)} ${title} (exit ${f.exitCode})`,
    '',
    '```',
    f.message.replace(/```/g, "'''"),
    '```',
    '',
    `${where ? `${where} · ` : ''}${f.unreachable || f.exitCode === 4 ? 'no request was measured and no result file was written' : 'the run stopped before its verdict; the job log says more'}`,
    '',
  ].join('\n');
}
