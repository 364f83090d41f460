import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { PhaseStats } from '../../src/metrics/accumulator.js';
import { newHistogram } from '../../src/metrics/histogram.js';
import { assembleResult } from '../../src/results/assemble.js';
import type { RunResult } from '../../src/results/format.js';
import type { DriverResult } from '../../src/metrics/collector.js';
import type { RequestRecord } from '../../src/client/record.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import { EXIT } from '../../src/commands/run.js';
import { parseWorkload } from '../../src/workload/load.js';
import { evaluateSlos, parseSlo, SloSyntaxError } from '../../src/gates/slo.js';
import { lostSlo, type LivePhase } from '../../src/gates/abort.js';
import { exactLengthClasses, runChecks } from '../../src/gates/runchecks.js';
import { evaluateGates, VERDICT_EXIT } from '../../src/gates/verdict.js';
import { renderJunit, renderGatesMarkdown } from '../../src/gates/render.js';
import type { RegressionResult } from '../../src/results/gates-schema.js';

function rec(over: Partial<RequestRecord>): RequestRecord {
  return {
    phase: 'steady', class: 'chat', scheduledAtMs: 0, sentAtMs: 0, queueMs: 0, ttftMs: 100, firstChunkMs: 100, tpotMs: 20, e2eMs: 800,
    promptTokens: 100, outputTokens: 32, outputTokensSource: 'usage', chunks: 32, finishReason: 'length', status: 'ok',
    errorClass: null, httpStatus: 200, validity: null, toolCalls: null, ...over,
  };
}

const WORKLOAD = parseWorkload(
  `name: w
classes:
  - { name: chat, prompt_tokens: { type: fixed, value: 8 }, output_tokens: { type: fixed, value: 32 } }
  - { name: exact, prompt_tokens: { type: fixed, value: 8 }, output_tokens: { type: fixed, value: 32 }, extra_body: { ignore_eos: true } }
  - { name: atleast, prompt_tokens: { type: fixed, value: 8 }, output_tokens: { type: uniform, min: 8, max: 64 }, extra_body: { min_tokens: 64 } }
  - { name: loose, prompt_tokens: { type: fixed, value: 8 }, output_tokens: { type: uniform, min: 8, max: 64 }, extra_body: { min_tokens: 32 } }
  - name: json
    prompt_tokens: { type: fixed, value: 8 }
    output_tokens: { type: fixed, value: 32 }
    extra_body: { ignore_eos: true }
    response_format: { type: json_schema, json_schema: { name: o, schema: { type: object } } }
phases:
  - { name: steady, duration: 10s, rate: 10 }
`,
  'w.yaml',
);

type PhaseOver = Partial<Pick<DriverResult['phases'][number], 'scheduled' | 'sent' | 'dropped'>>;

/** A result of one open-loop phase "steady" of 10 s from records. */
function resultOf(recs: RequestRecord[], phase: PhaseOver = {}, over: Partial<RunResult> = {}): RunResult {
  const stats = new PhaseStats(['chat', 'exact']);
  for (const r of recs) stats.add(r, 32);
  const plan: PhasePlan = {
    index: 0, name: 'steady', record: true, durationMs: 10_000, maxRequests: null,
    load: { kind: 'open', rateRps: 10, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null },
  };
  const d: DriverResult = {
    phases: [{ plan, stats, startedAtMs: 0, endedAtMs: 10_000, scheduled: recs.length, sent: recs.length, dropped: 0, achievedRateRps: recs.length / 10, ...phase }],
    timeseries: [], errorSamples: {}, validitySamples: {}, dispatchLag: newHistogram(), interrupted: false,
  };
  const meta: RunResult['meta'] = {
    runId: 'r', loadshapeVersion: 't', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:10.000Z', durationS: 10,
    workload: { name: 'w', file: 'w.yaml', sha256: 'abc', text: '', seed: 1 },
    target: { url: 'http://127.0.0.1:1/v1', simulated: true, simulator: null }, model: 'm', tokenizer: 'o200k_base',
    labels: {}, argv: [], node: 'v20', host: { platform: 'linux', arch: 'x64', cpuModel: 'x', cpus: 2, memoryGb: 1 }, interrupted: false,
  };
  return { ...assembleResult(d, meta, { eventLoopDelayP50Ms: 0, eventLoopDelayP99Ms: 0, eventLoopDelayMaxMs: 0, eventLoopUtilization: 0, cpuPercent: 0, peakRssMb: 0 }), ...over };
}

/** 100 chat requests with TTFT 1..100 ms, TPOT 10 ms, 2 errors among 102. */
const RECS = [
  ...Array.from({ length: 100 }, (_, i) => rec({ ttftMs: i + 1 })),
  rec({ status: 'error', errorClass: 'http_5xx', ttftMs: null, tpotMs: null, e2eMs: null, outputTokens: null, outputTokensSource: null }),
  rec({ status: 'error', errorClass: 'timeout_ttfb', ttftMs: null, tpotMs: null, e2eMs: null, outputTokens: null, outputTokensSource: null }),
];

describe('SLO expressions', () => {
  it.each([
    ['ttft.p95 < 500ms', { metric: 'ttft.p95', kind: 'latency', op: '<', bound: 500, class: null, phase: null }],
    ['tpot.p99 <= 40ms', { metric: 'tpot.p99', op: '<=', bound: 40 }],
    ['e2e.p99<8s', { metric: 'e2e.p99', bound: 8000 }],
    ['error_rate < 1%', { metric: 'error_rate', kind: 'rate', bound: 0.01 }],
    ['validity >= 99.5%', { metric: 'validity', op: '>=', bound: 0.995 }],
    ['output_tps > 2000', { metric: 'output_tps', kind: 'throughput', bound: 2000 }],
    ['queue.p99 < 50ms class=rag phase=steady', { metric: 'queue.p99', class: 'rag', phase: 'steady' }],
    ['ttft.p99.9 < 1s, class=all', { metric: 'ttft.p99.9', bound: 1000, class: null }],
    ['goodput >= 10/s', { metric: 'goodput', bound: 10 }],
  ])('parses %j', (text, want) => {
    expect(parseSlo(text)).toMatchObject({ text: text.trim(), ...want });
  });

  it.each([
    ['', 'empty SLO', 0, 1],
    ['ttft < 500ms', 'ttft needs a statistic', 0, 4],
    ['ttft.p101 < 500ms', 'unknown statistic "p101"', 5, 4],
    ['ttft.p95 500ms', 'expected a comparison', 9, 5],
    ['ttft.p95 == 500ms', '"==" is not a comparison here', 9, 2],
    ['error_rate < 0.01', 'write the bound in %', 13, 4],
    ['error_rate.p95 < 1%', 'error_rate takes no statistic', 10, 4],
    ['output_tps > 2000ms', 'per second', 13, 6],
    ['ttft.p95 < 500ms klass=rag', 'unknown scope "klass"', 17, 5],
    ['ttft.p95 < 500ms rag', 'expected a scope class=NAME or phase=NAME', 17, 3],
    ['tpot.p99 < 40ms class=a class=b', 'class given twice', 24, 7],
  ])('rejects %j at the bad token', (text, message, offset, length) => {
    let err: unknown;
    try {
      parseSlo(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SloSyntaxError);
    expect((err as SloSyntaxError).message).toContain(message);
    expect([(err as SloSyntaxError).offset, (err as SloSyntaxError).length]).toEqual([offset, length]);
  });

  it('measures any percentile from the stored histograms, rates and throughput, and fails checks without data', () => {
    const r = resultOf(RECS);
    const checks = evaluateSlos(r, [
      'ttft.p90 <= 90.1ms', 'ttft.p75 < 75ms', 'ttft.max < 100ms', 'error_rate < 2%', 'rps >= 10', 'ttft.p50 < 1s class=exact', 'validity > 0%',
    ].map((t) => parseSlo(t)));
    // Percentiles are the HDR bucket's upper edge (3 significant digits: at most 0.1 % above), as in the summary.
    expect(checks.map((c) => [c.slo, c.measured === null ? null : Number(c.measured.toPrecision(3)), c.pass])).toEqual([
      ['ttft.p90 <= 90.1ms', 90, true],
      ['ttft.p75 < 75ms', 75, false], // any percentile, not only the summary's
      ['ttft.max < 100ms', 100, false],
      ['error_rate < 2%', 0.0196, true],
      ['rps >= 10', 10, true],
      ['ttft.p50 < 1s class=exact', null, false],
      ['validity > 0%', null, false],
    ]);
    expect(checks[5].note).toBe('no requests of class exact in phase steady');
  });

  it('a workload slo: block scopes class lists and reports bad expressions with path and caret', () => {
    expect(() =>
      parseWorkload(
        `name: w
classes: [{ name: chat, prompt_tokens: { type: fixed, value: 8 }, output_tokens: { type: fixed, value: 8 } }]
phases: [{ name: steady, requests: 5, concurrency: 1 }]
slo:
  all: ["ttft.p95 < 500ms", "tpot.p99 <= 40"]
  classes: { chat: ["e2e.p99 < 8s class=other"] }
`,
        'w.yaml',
      ),
    ).toThrow(
      'w.yaml: slo.all[1]: a latency bound needs a unit: ms or s (e.g. 500ms, 8s)\n    tpot.p99 <= 40\n                ^^\n' +
        'w.yaml: slo.classes.chat[0]: class=other inside slo.classes.chat: move it to slo.classes.other or drop the scope',
    );
  });
});

describe('run validity', () => {
  it('asks for exact lengths with ignore_eos, or min_tokens reaching the largest max_tokens; never for structured output', () => {
    expect([...exactLengthClasses(WORKLOAD)]).toEqual(['exact', 'atleast']);
  });

  it('fails an open-loop phase that sent under 95 % of its schedule or dropped arrivals', () => {
    const ok = runChecks(resultOf(RECS, { scheduled: 102, sent: 102 }), WORKLOAD).find((c) => c.name === 'phase steady: open-loop schedule met');
    expect(ok?.pass).toBe(true);
    const low = runChecks(resultOf(RECS, { scheduled: 110, sent: 102 }), WORKLOAD).find((c) => c.name === 'phase steady: open-loop schedule met');
    expect(low).toMatchObject({ pass: false });
    expect(low?.detail).toMatch(/^sent 102 of 110 scheduled \(92\.73%; at least 95% needed\)/);
    const dropped = runChecks(resultOf(RECS, { scheduled: 102, sent: 101, dropped: 1 }), WORKLOAD).find((c) => c.name === 'phase steady: open-loop schedule met');
    expect(dropped?.pass).toBe(false);
  });

  it('fails output length when more than 1 % of an exact-length class ended early', () => {
    const exact = (early: number) => [
      ...Array.from({ length: 100 - early }, () => rec({ class: 'exact' })),
      ...Array.from({ length: early }, () => rec({ class: 'exact', outputTokens: 20, finishReason: 'stop' })),
    ];
    const check = (early: number) => runChecks(resultOf(exact(early)), WORKLOAD).find((c) => c.name.includes('output length'));
    expect(check(1)?.pass).toBe(true); // 1 % is allowed
    expect(check(2)).toMatchObject({ pass: false, name: 'phase steady class exact: output length honoured' });
    // the chat class asked for nothing exact: its early stops are no gate
    expect(runChecks(resultOf([rec({ outputTokens: 3, finishReason: 'stop' })]), WORKLOAD).some((c) => c.name.includes('output length'))).toBe(false);
  });
});

describe('verdict', () => {
  const regression = (pass: boolean): RegressionResult => ({
    baseline: 'base.json', baselineRunId: 'b', failOn: 'ttft.p95>+10%', checks: [{ clause: 'ttft.p95>+10%', pass, violations: pass ? [] : ['ttft.p95>+10%: … (+30.0%, beyond noise)'] }], notes: [],
  });
  const gates = (r: RunResult, slos: string[], reg: RegressionResult | null = null) =>
    evaluateGates(r, { workload: WORKLOAD, slos: slos.map((s) => parseSlo(s)), goodput: null, regression: reg, abortedOnFail: null });
  const down = [rec({ status: 'error', errorClass: 'connect', ttftMs: null, tpotMs: null, e2eMs: null, outputTokens: null })];

  it('uses the README exit codes', () => {
    expect(VERDICT_EXIT).toEqual({ pass: EXIT.ok, slo_failed: EXIT.slo, regression: EXIT.regression, invalid_run: EXIT.invalidRun, unreachable: EXIT.unreachable });
  });

  it.each([
    ['nothing failed', RECS, {}, false, ['error_rate < 5%'], 'pass', 0],
    ['a regression only', RECS, {}, false, ['error_rate < 5%', 'regressed'], 'regression', 2],
    ['an SLO and a regression: the SLO decides', RECS, {}, false, ['ttft.p50 < 1ms', 'regressed'], 'slo_failed', 1],
    ['an invalid run over a failed SLO', RECS, { scheduled: 200 }, false, ['ttft.p50 < 1ms', 'regressed'], 'invalid_run', 3],
    ['a saturated client', RECS, {}, true, [], 'invalid_run', 3],
    ['unreachable over everything', down, { scheduled: 200 }, true, ['ttft.p50 < 1ms'], 'unreachable', 5],
  ] as [string, RequestRecord[], PhaseOver, boolean, string[], string, number][])('%s', (_, recs, phase, saturated, gatesAsked, verdict, exitCode) => {
    const r = resultOf([...recs], phase, saturated ? { clientSaturated: true } : {});
    const slos = gatesAsked.filter((g) => g !== 'regressed');
    const g = gates(r, slos, gatesAsked.includes('regressed') ? regression(false) : regression(true));
    expect([g.verdict, g.exitCode]).toEqual([verdict, exitCode]);
  });

  it('an interrupted run is invalid unless --abort-on-fail stopped it', () => {
    const r = resultOf(RECS);
    r.meta.interrupted = true;
    expect(gates(r, ['error_rate < 5%']).verdict).toBe('invalid_run');
    const aborted = evaluateGates(r, { workload: WORKLOAD, slos: [parseSlo('error_rate < 1%')], goodput: null, regression: null, abortedOnFail: 'error_rate < 1% …' });
    expect(aborted.verdict).toBe('slo_failed');
  });

  it('JUnit: one case per SLO check, run check and regression clause; one failure per failed gate, with the measured value', () => {
    const r = resultOf(RECS);
    const g = gates(r, ['ttft.p50 < 1ms', 'error_rate < 5%', 'ttft.p99 <= 10ms class=chat'], regression(false));
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testsuite' || n === 'testcase' }).parse(renderJunit(r, g)) as {
      testsuites: { '@_tests': string; '@_failures': string; testsuite: { '@_name': string; testcase: { '@_name': string; failure?: { '@_message': string } }[] }[] };
    };
    expect(doc.testsuites['@_tests']).toBe('7'); // reachable, saturation, schedule, 3 SLOs, 1 clause
    expect(doc.testsuites['@_failures']).toBe('3');
    const failures = doc.testsuites.testsuite.flatMap((s) => s.testcase.filter((c) => c.failure).map((c) => [s['@_name'], c['@_name'], c.failure!['@_message']]));
    const p50 = g.slos[0].measured!;
    const p99 = g.slos[2].measured!;
    expect([p50, p99].map((x) => Math.round(x))).toEqual([50, 99]);
    expect(failures).toEqual([
      ['loadshape.slo', 'ttft.p50 < 1ms [phase steady · class all]', `measured ${p50} ms, bound < 1 ms`],
      ['loadshape.slo', 'ttft.p99 <= 10ms class=chat [phase steady · class chat]', `measured ${p99} ms, bound <= 10 ms`],
      ['loadshape.regression', 'ttft.p95>+10%', 'ttft.p95>+10%: … (+30.0%, beyond noise)'],
    ]);
    const md = renderGatesMarkdown(r, g);
    expect(md).toContain(`| ❌ | \`ttft.p50 < 1ms\` | phase steady · class all | ${p50} ms | < 1 ms |`);
    expect(md.split('\n')[0]).toBe('## loadshape ❌ FAIL: SLO (exit 1)');
  });
});

describe('--abort-on-fail', () => {
  const slos = [parseSlo('error_rate < 10%'), parseSlo('ttft.p95 < 1ms')];
  const live = (requests: number, errors: number, cap: number | null, final = false): LivePhase => ({
    name: 'steady', final, cap, group: (cls) => (cls === '*' ? { requests, errors } : null),
  });

  it('with a request cap, stops only once the SLO cannot hold even if every remaining request succeeds', () => {
    expect(lostSlo(slos, [live(20, 9, 100)])).toBeNull(); // 9 % of 100 at best: still possible
    expect(lostSlo(slos, [live(20, 10, 100)])).toMatch(/^error_rate < 10% \[phase steady · class all\]: 10 errors already, at least 10% of the phase's 100 requests/);
  });

  it('in a timed phase, judges the rate so far once enough requests finished; a finished phase is final', () => {
    expect(lostSlo(slos, [live(49, 40, null)])).toBeNull();
    expect(lostSlo(slos, [live(50, 6, null)])).toMatch(/6 errors of 50 requests \(12%\) so far/);
    expect(lostSlo(slos, [live(10, 2, null, true)])).toMatch(/2 errors of 10 requests \(20%\)$/);
    // latency SLOs are never judged live
    expect(lostSlo([parseSlo('ttft.p95 < 1ms')], [live(1000, 1000, null)])).toBeNull();
  });
});
