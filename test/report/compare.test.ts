import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/report/compare.js';
import { evaluateFailOn, parseFailOn } from '../../src/report/failon.js';
import { decisionMatrix, parseWeights } from '../../src/report/weights.js';
import { renderCompareJson, renderCompareMarkdown, renderCompareText } from '../../src/report/compare-render.js';
import { bootstrapPercentileDiffSe, histogramBuckets, percentilesFromCounts } from '../../src/report/bootstrap.js';
import { decodeHistogram, newHistogram, recordMs, summarize } from '../../src/metrics/histogram.js';
import { standardRun, synthResult } from './fixtures.js';
import { rngFor } from '../../src/util/rng.js';

const A = standardRun(1);
const Asame = standardRun(2);
const Aslow = standardRun(3, 1.2);
const input = (file: string, result = A) => ({ file, result });

describe('HDR bucket bootstrap', () => {
  it('reads percentiles from bucket counts exactly as the histogram does', () => {
    const h = newHistogram();
    for (let i = 1; i <= 5000; i++) recordMs(h, (i * 7919) % 997 + 0.123);
    const b = histogramBuckets(decodeHistogram(A.phases[1].groups[0].metrics.ttftMs.hdr));
    const h2 = decodeHistogram(A.phases[1].groups[0].metrics.ttftMs.hdr);
    expect(percentilesFromCounts(b.valuesUs, b.counts, [50, 95, 99, 100])).toEqual([50, 95, 99, 100].map((p) => Math.round(h2.getValueAtPercentile(p)) / 1000));
    const bh = histogramBuckets(h);
    expect(bh.total).toBe(5000);
    const s = summarize(h);
    expect(percentilesFromCounts(bh.valuesUs, bh.counts, [50, 90, 99])).toEqual([s.p50Ms, s.p90Ms, s.p99Ms]);
  });

  it('gives a standard error that shrinks with the sample size and is zero for a point mass', () => {
    const mk = (n: number, seed: number) => {
      const h = newHistogram();
      const rng = rngFor(seed);
      for (let i = 0; i < n; i++) recordMs(h, 50 + 20 * rng());
      return histogramBuckets(h);
    };
    const small = bootstrapPercentileDiffSe(mk(100, 1), mk(100, 2), [50], rngFor(9), 300) as number[];
    const big = bootstrapPercentileDiffSe(mk(10_000, 1), mk(10_000, 2), [50], rngFor(9), 300) as number[];
    expect(small[0]).toBeGreaterThan(big[0] * 5);
    const point = newHistogram();
    for (let i = 0; i < 100; i++) recordMs(point, 42);
    expect(bootstrapPercentileDiffSe(histogramBuckets(point), histogramBuckets(point), [50, 99], rngFor(1), 100)).toEqual([0, 0]);
    expect(bootstrapPercentileDiffSe(histogramBuckets(newHistogram()), histogramBuckets(point), [50], rngFor(1), 10)).toBeNull();
  });
});

describe('compare', () => {
  it('reports every change between two runs of the same setting as within noise', () => {
    const cmp = compareRuns([input('a.json'), input('b.json', Asame)]);
    expect(cmp.groups.map((g) => `${g.phase}/${g.class}`)).toEqual(['steady/*', 'steady/chat', 'steady/json', 'peak/*', 'peak/chat']);
    const judged = cmp.groups.flatMap((g) => g.rows.map((r) => ({ id: `${g.phase}/${g.class}/${r.metric}`, ch: r.changes[1] })));
    // Every metric with data was judged, and nothing moved beyond noise.
    expect(judged.filter((j) => j.ch !== null).length).toBeGreaterThan(100);
    expect(judged.filter((j) => j.ch && j.ch.verdict !== 'within_noise').map((j) => j.id)).toEqual([]);
    // The runs do differ a little: the noise decision, not identical numbers, makes them equal.
    expect(judged.filter((j) => j.ch && j.ch.abs !== 0).length).toBeGreaterThan(50);
    expect(cmp.notes).toEqual([]);
  });

  it('flags a 20 % TTFT increase, and only the metrics that moved', () => {
    const cmp = compareRuns([input('a.json'), input('c.json', Aslow)]);
    const steadyChat = cmp.groups.find((g) => g.phase === 'steady' && g.class === 'chat')!;
    const row = (id: string) => steadyChat.rows.find((r) => r.metric === id)!;
    for (const id of ['ttft.p50', 'ttft.p95', 'sched_ttft.p50']) {
      expect(row(id).changes[1]!.verdict).toBe('worse');
      expect(row(id).changes[1]!.rel!).toBeGreaterThan(0.15);
      expect(row(id).changes[1]!.ci!.lo).toBeGreaterThan(0);
    }
    for (const id of ['tpot.p50', 'tpot.p95', 'gap.p50', 'queue.p50', 'error_rate']) expect(row(id).changes[1]!.verdict).toBe('within_noise');
    // The absolute change matches the values.
    expect(row('ttft.p50').changes[1]!.abs).toBeCloseTo(row('ttft.p50').values[1]! - row('ttft.p50').values[0]!, 9);
  });

  it('calls an improvement better, and names the best run with three or more runs', () => {
    const cmp = compareRuns([input('slow.json', Aslow), input('a.json'), input('b.json', Asame)]);
    const ttft = cmp.groups[0].rows.find((r) => r.metric === 'ttft.p50')!;
    expect(ttft.changes[1]!.verdict).toBe('better');
    expect(ttft.best).not.toBe(0);
    expect(compareRuns([input('a.json'), input('b.json', Asame)]).groups[0].rows[0].best).toBeNull();
  });

  it('says what does not align', () => {
    const other = synthResult({
      seed: 5,
      phases: [{ name: 'steady', load: { kind: 'closed', concurrency: 32 }, classes: [{ name: 'chat', requests: 100, ttftMs: 50, tpotMs: 10, outputTokens: 16 }, { name: 'tools', requests: 50, ttftMs: 50, tpotMs: 10, outputTokens: 16 }] }],
    });
    const cmp = compareRuns([input('a.json'), input('x.json', other)]);
    expect(cmp.notes).toEqual(
      expect.arrayContaining([
        'phase peak: not in B (B has steady)',
        'phase steady class json: not in B (no requests of that class)',
        'phase steady class tools: only in B, not in the baseline A; not compared',
        expect.stringMatching(/^phase steady: load differs \(A closed c=4, B closed c=32\)/),
      ]),
    );
    const peak = cmp.groups.find((g) => g.phase === 'peak')!;
    expect(peak.present).toEqual([true, false]);
    expect(peak.rows[0].changes[1]).toBeNull();
    const text = renderCompareText(cmp);
    expect(text).toContain('not aligned / take care:');
    expect(text).toContain('phase peak: not in B');
  });

  it('renders Markdown with a table per phase × class and the fail-on result', () => {
    const cmp = compareRuns([input('a.json'), input('c.json', Aslow)]);
    const md = renderCompareMarkdown(cmp, evaluateFailOn(cmp, parseFailOn('ttft.p50>+10%')));
    expect(md).toContain('### phase steady · class chat');
    expect(md).toMatch(/\| TTFT p50 \| 49\.8 \| 59\.8 \| \+20\.\d% \(\+10\.\d ms\) \| \[\+[\d.]+, \+[\d.]+\] \| \*\*worse\*\* \|/);
    expect(md).toContain('**fail-on: candidate B REGRESSED past 5 threshold(s):**');
  });
});

describe('--fail-on', () => {
  it('parses thresholds with units and directions', () => {
    expect(parseFailOn('ttft.p95>+10%, error_rate>+0.5pp,tpot.p99>5ms,e2e.p50>1.5s,throughput.rps<-5%,validity_rate<-1pp,throughput.output_tps<-100/s')).toEqual([
      { text: 'ttft.p95>+10%', metric: 'ttft.p95', op: '>', value: 10, unit: '%' },
      { text: 'error_rate>+0.5pp', metric: 'error_rate', op: '>', value: 0.5, unit: 'pp' },
      { text: 'tpot.p99>5ms', metric: 'tpot.p99', op: '>', value: 5, unit: 'ms' },
      { text: 'e2e.p50>1.5s', metric: 'e2e.p50', op: '>', value: 1500, unit: 'ms' },
      { text: 'throughput.rps<-5%', metric: 'throughput.rps', op: '<', value: -5, unit: '%' },
      { text: 'validity_rate<-1pp', metric: 'validity_rate', op: '<', value: -1, unit: 'pp' },
      { text: 'throughput.output_tps<-100/s', metric: 'throughput.output_tps', op: '<', value: -100, unit: '/s' },
    ]);
  });

  it.each([
    ['ttft.p96>+10%', 'unknown statistic "p96" for ttft (use p50, p95, p99)', 5, 3],
    ['ttfb.p95>+10%', 'unknown metric "ttfb"', 0, 4],
    ['ttft>+10%', 'ttft needs a statistic: ttft.p50, ttft.p95, ttft.p99', 0, 4],
    ['ttft.p95>+10%,tpot.p99>5', 'needs a unit', 23, 1],
    ['ttft.p95>+10%,,e2e.p50>1ms', 'empty clause', 14, 1],
    ['ttft.p95=10%', 'has no comparison', 0, 12],
    ['ttft.p95>ten%', '"ten%" is not a threshold', 9, 4],
    ['error_rate>+5ms', '"ms" applies to latencies, not error_rate', 11, 4],
    ['ttft.p95>+1pp', '"pp" (percentage points) applies to error_rate and validity_rate', 9, 4],
    ['ttft.p95<-10%', 'ttft.p95 is better when lower; a regression is an increase', 8, 1],
    ['throughput.rps>+10%', 'a regression is a decrease: use "<-N"', 14, 1],
    ['ttft.p95>-10%', 'mixes directions', 9, 4],
    ['error_rate.p95>+1pp', 'error_rate takes no statistic', 10, 4],
    ['throughput.tps<-5%', 'unknown throughput measure "tps"', 11, 3],
  ])('refuses %s, pointing at the bad token', (spec, message, offset, length) => {
    let err: Error | undefined;
    try {
      parseFailOn(spec);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toContain(message);
    const lines = err!.message.split('\n');
    expect(lines[1]).toBe(`  ${spec}`);
    expect(lines[2]).toBe(`  ${' '.repeat(offset as number)}${'^'.repeat(length as number)}`);
    expect((err as { code?: string }).code).toBe('usage');
  });

  it('fails only past the threshold, in the bad direction, and beyond noise', () => {
    const slow = compareRuns([input('a.json'), input('c.json', Aslow)]);
    expect(evaluateFailOn(slow, parseFailOn('ttft.p50>+10%')).map((v) => `${v.phase}/${v.class}`)).toEqual(['steady/*', 'steady/chat', 'steady/json', 'peak/*', 'peak/chat']);
    expect(evaluateFailOn(slow, parseFailOn('ttft.p50>+25%'))).toEqual([]);
    expect(evaluateFailOn(slow, parseFailOn('ttft.p50>+5ms')).length).toBe(5);
    expect(evaluateFailOn(slow, parseFailOn('tpot.p50>+1%,error_rate>+0.5pp,throughput.rps<-1%'))).toEqual([]);
    // The same 20 % the other way round is an improvement, never a violation.
    const fast = compareRuns([input('c.json', Aslow), input('a.json')]);
    expect(evaluateFailOn(fast, parseFailOn('ttft.p50>+10%'))).toEqual([]);
    // Within noise: a 2 % threshold between two runs of one setting does not trip.
    const same = compareRuns([input('a.json'), input('b.json', Asame)]);
    expect(evaluateFailOn(same, parseFailOn('ttft.p50>+1%,ttft.p99>+1%,e2e.p99>+1%'))).toEqual([]);
  });

  it('judges error rates in percentage points', () => {
    const errs = synthResult({ seed: 11, phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 2000, ttftMs: 50, tpotMs: 10, outputTokens: 16, errorRate: 0.05 }] }] });
    const clean = synthResult({ seed: 12, phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 2000, ttftMs: 50, tpotMs: 10, outputTokens: 16 }] }] });
    const cmp = compareRuns([input('clean.json', clean), input('errs.json', errs)]);
    const v = evaluateFailOn(cmp, parseFailOn('error_rate>+0.5pp'));
    expect(v.map((x) => x.class)).toEqual(['*', 'chat']);
    expect(v[0].change).toBeCloseTo(errs.phases[0].groups[0].errorRate * 100, 6);
    expect(v[0].message).toMatch(/^error_rate>\+0\.5pp: phase steady class all: error_rate 0\.00% → \d\.\d\d% \(\+\d\.\d pp, beyond noise\)$/);
    expect(evaluateFailOn(cmp, parseFailOn('error_rate>+10pp'))).toEqual([]);
  });
});

describe('--weights decision matrix', () => {
  const cmp = compareRuns([input('a.json'), input('b.json', Asame), input('slow.json', Aslow)]);

  it('scores runs per criterion and ranks them by the weighted mean', () => {
    const w = parseWeights({ phase: 'peak', criteria: { latency: 3, cost: { weight: 1, values: { A: 2, B: 4, slow: 1 } } } }, 'w.yaml');
    const m = decisionMatrix(cmp, w);
    expect(m.phase).toBe('peak');
    const lat = m.criteria[0];
    expect(lat.metric).toBe('ttft.p95');
    const best = Math.min(...(lat.values as number[]));
    expect(lat.scores).toEqual(lat.values.map((v) => (10 * best) / (v as number)));
    expect(m.criteria[1].scores).toEqual([5, 2.5, 10]);
    expect(m.totals.map((t) => Number(t.toFixed(6)))).toEqual(m.runs.map((_, i) => Number(((3 * lat.scores[i] + m.criteria[1].scores[i]) / 4).toFixed(6))));
    expect([...m.ranks].sort()).toEqual([1, 2, 3]);
    const top = m.totals.indexOf(Math.max(...m.totals));
    expect(m.ranks[top]).toBe(1);
    expect(m.winner).toBe(`${m.runs[top]} (${m.totals[top].toFixed(2)} of 10)`);
  });

  it('refuses unknown criteria and metrics with the file and the field', () => {
    expect(() => parseWeights({ criteria: { speed: 1 } }, 'w.yaml')).toThrow(/w\.yaml: criteria\.speed: not a built-in criterion/);
    expect(() => parseWeights({ criteria: { latency: { weight: 1, metric: 'ttft.p42' } } }, 'w.yaml')).toThrow(/unknown metric "ttft\.p42"/);
    expect(() => parseWeights({ criteria: { latency: -1 } }, 'w.yaml')).toThrow(/w\.yaml: criteria\.latency/);
    expect(() => decisionMatrix(cmp, parseWeights({ phase: 'nope', criteria: { latency: 1 } }, 'w.yaml'))).toThrow(/no phase × class nope\/all that every run has \(aligned: steady\/all/);
  });
});

describe('compare, conversation classes', () => {
  /** A run whose second group is a 3-turn conversation class; turn k's TTFT is drawn around ttftByTurn[k-1]. */
  async function withTurns(seed: number, ttftByTurn: number[]) {
    const { turnResults } = await import('../../src/results/build.js');
    const r = standardRun(seed);
    const rng = rngFor(seed, 99);
    const turns = new Map();
    ttftByTurn.forEach((ms, i) => {
      const h = newHistogram();
      for (let n = 0; n < 400; n++) recordMs(h, ms * (0.8 + 0.4 * rng()));
      turns.set(String(i + 1), { turn: i + 1, toolFollowUp: false, requests: 400, ok: 400, promptTokens: 400 * 500 * (i + 1), ttftMs: h });
    });
    r.phases[1].groups[1].turns = turnResults(turns);
    return r;
  }

  it('compares TTFT by turn: a later turn that slowed down is worse, unchanged turns within noise', async () => {
    const cached = await withTurns(1, [40, 42, 41]);
    const uncached = await withTurns(2, [40, 80, 120]);
    const cmp = compareRuns([input('cached.json', cached), input('uncached.json', uncached)]);
    const g = cmp.groups.find((x) => x.phase === cached.phases[1].name && x.class === cached.phases[1].groups[1].class)!;
    const verdict = (metric: string) => g.rows.find((r) => r.metric === metric)?.changes[1]?.verdict;
    expect(verdict('turn1.ttft.p50')).toBe('within_noise');
    expect(verdict('turn2.ttft.p50')).toBe('worse');
    expect(verdict('turn3.ttft.p95')).toBe('worse');
    expect(g.rows.find((r) => r.metric === 'turn3.ttft.p50')?.label).toBe('TTFT p50 · turn 3');
    // Groups without conversations get no turn rows.
    expect(cmp.groups.find((x) => x.class === '*')!.rows.some((r) => r.metric.startsWith('turn'))).toBe(false);
    expect(renderCompareText(cmp)).toContain('TTFT p95 · turn 3');
  });
});

// Issue 18, item 10: runs are named by the labels that tell them apart, A/B only when they have none.
describe('compare names runs by their labels', () => {
  const labelled = (labels: Record<string, string>, seed: number) => standardRun(seed, 1, { labels });

  it('heads the columns and the run list with each run\'s distinguishing labels', () => {
    const cmp = compareRuns([
      input('a.json', labelled({ engine: 'vllm', gpu: 'h100' }, 1)),
      input('b.json', labelled({ engine: 'sglang', gpu: 'h100' }, 2)),
    ]);
    expect(cmp.runs.map((r) => [r.id, r.name])).toEqual([['A', 'engine=vllm'], ['B', 'engine=sglang']]);
    const text = renderCompareText(cmp);
    expect(text).toContain('  engine=vllm = a.json · run');
    expect(text).toMatch(/^metric\s+engine=vllm \(base\)\s+engine=sglang\s+Δ engine=sglang vs engine=vllm\s+CI of Δ\s+verdict$/m);
    expect(text).toContain('Δ against engine=vllm;');
    expect(renderCompareMarkdown(cmp)).toContain('| metric | engine=vllm (base) | engine=sglang | Δ engine=sglang vs engine=vllm | CI of Δ | verdict |');
  });

  it('falls back to the letters when a run has no labels, or the labels do not tell the runs apart', () => {
    expect(compareRuns([input('a.json', labelled({ engine: 'vllm' }, 1)), input('b.json', standardRun(2))]).runs.map((r) => r.name)).toEqual(['A', 'B']);
    expect(compareRuns([input('a.json', labelled({ engine: 'vllm' }, 1)), input('b.json', labelled({ engine: 'vllm' }, 2))]).runs.map((r) => r.name)).toEqual(['A', 'B']);
    const plain = renderCompareText(compareRuns([input('a.json'), input('b.json', Asame)]));
    expect(plain).toMatch(/^metric\s+A \(base\)\s+B\s+Δ B vs A\s/m);
  });
});

// Issue 18, item 11: compare opens with the verdict: better or worse on which metrics beyond noise,
// how many within noise, and what did not line up.
describe('compare opens with a verdict headline', () => {
  it('names the candidate WORSE on the metrics that moved, largest first, and counts the rest within noise', () => {
    const cmp = compareRuns([input('a.json'), input('c.json', Aslow)]);
    const lines = renderCompareText(cmp).split('\n');
    expect(lines[0]).toMatch(/^verdict: B vs A: WORSE — worse on \d+ \((TTFT|sched TTFT) p\d\d \+\d+\.\d% \(\w+\), .*\); within noise on \d+$/);
    expect(lines[0]).not.toContain('better on');
    expect(lines[1]).toBe('lined up: same workload, seed, phases and loads');
    expect(lines[2]).toBe('');
    expect(lines[3]).toBe('runs:');
  });

  it('says NO DIFFERENCE when nothing moved beyond noise, and lists what did not line up', () => {
    const other = synthResult({ seed: 5, model: 'other-model', phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 600, ttftMs: 50, tpotMs: 10, outputTokens: 32, errorRate: 0.01 }] }] });
    const cmp = compareRuns([input('a.json'), input('b.json', Asame)]);
    expect(renderCompareText(cmp).split('\n')[0]).toMatch(/^verdict: B vs A: NO DIFFERENCE beyond noise — within noise on \d+$/);
    const mixed = compareRuns([input('a.json'), input('o.json', other)]);
    const head = renderCompareText(mixed).split('\n')[1];
    expect(head).toMatch(/^not lined up \/ take care \(\d+\): phase peak: not in B .*; model differs: A \S+, B other-model|^not lined up \/ take care \(\d+\): phase peak: not in B/);
    expect(mixed.notes).toContain(`model differs: A ${A.meta.model}, B other-model`);
    expect(renderCompareMarkdown(cmp).split('\n')[2]).toMatch(/^- \*\*verdict\*\*: B vs A: NO DIFFERENCE beyond noise/);
    expect((JSON.parse(renderCompareJson(cmp)) as { headline: string[] }).headline[0]).toMatch(/^verdict: B vs A: NO DIFFERENCE/);
  });
});
