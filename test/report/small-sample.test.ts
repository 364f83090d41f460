// Compare on a small sample: a percentile resting on too few requests is said to be so and never
// called better or worse, and the decision matrix scores within-noise differences as ties.
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/report/compare.js';
import { renderCompareText } from '../../src/report/compare-render.js';
import { minSamplesFor } from '../../src/report/metrics.js';
import { decisionMatrix, parseWeights } from '../../src/report/weights.js';
import { synthResult } from './fixtures.js';

const run = (seed: number, requests: number, ttftMs: number) =>
  synthResult({ seed, runId: `r${seed}`, phases: [{ name: 'steady', classes: [{ name: 'chat', requests, ttftMs, tpotMs: 10, outputTokens: 32 }] }] });

describe('small-sample rule', () => {
  it('a percentile needs five requests beyond it: p50 10, p95 100, p99 500', () => {
    expect([50, 95, 99].map(minSamplesFor)).toEqual([10, 100, 500]);
  });

  it('a p99 of 40 requests is never WORSE, and says it has too few requests; a p50 of 40 can be', () => {
    const cmp = compareRuns([{ file: 'a.json', result: run(1, 40, 50) }, { file: 'b.json', result: run(2, 40, 100) }]);
    const rows = cmp.groups.find((g) => g.class === '*')!.rows;
    const p99 = rows.find((r) => r.metric === 'ttft.p99')!.changes[1]!;
    expect(p99.verdict).toBe('within_noise');
    expect(p99.fewSamples).toEqual({ have: 40, need: 500 });
    expect(rows.find((r) => r.metric === 'ttft.p50')!.changes[1]!.verdict).toBe('worse');
    expect(renderCompareText(cmp)).toContain('within noise (too few: 40 < 500)');
  });

  it('with enough requests the same doubling is WORSE at p99', () => {
    const cmp = compareRuns([{ file: 'a.json', result: run(1, 600, 50) }, { file: 'b.json', result: run(2, 600, 100) }]);
    const p99 = cmp.groups[0].rows.find((r) => r.metric === 'ttft.p99')!.changes[1]!;
    expect([p99.verdict, p99.fewSamples]).toEqual(['worse', undefined]);
  });
});

describe('decision matrix ties on noise', () => {
  it('does not rank a winner on a difference compare calls within noise', () => {
    // Same latency model, different seeds: p95 differs a little by chance; compare calls it noise.
    const cmp = compareRuns([{ file: 'a.json', result: run(1, 300, 50) }, { file: 'b.json', result: run(2, 300, 50) }]);
    const row = cmp.groups[0].rows.find((r) => r.metric === 'ttft.p95')!;
    expect(row.changes[1]!.verdict).toBe('within_noise');
    expect(row.values[0]).not.toBe(row.values[1]);
    const m = decisionMatrix(cmp, parseWeights({ criteria: { latency: 1 } }, 'w.yaml'));
    expect(m.criteria[0].scores[0]).toBe(m.criteria[0].scores[1]);
    expect(m.winner).toBe('tie between A, B');
    expect(m.notes).toContain('latency: B within noise of A: scored as a tie with A');
  });
});
