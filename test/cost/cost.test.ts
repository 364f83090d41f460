import { describe, expect, it } from 'vitest';
import { acceptedRequests, computeCost } from '../../src/cost/cost.js';
import type { GroupResult, PhaseResult } from '../../src/results/format.js';

function group(over: Partial<GroupResult>): GroupResult {
  return {
    class: '*',
    requests: 0,
    ok: 0,
    errors: 0,
    errorsByClass: {},
    errorRate: 0,
    promptTokens: 0,
    outputTokens: 0,
    outputTokensFromUsage: 0,
    outputTokensFromChunks: 0,
    validity: { valid: 0, not_json: 0, schema_invalid: 0, truncated: 0 },
    validityRate: null,
    finishReasons: {},
    endedEarly: 0,
    throughput: { requestsPerS: 0, inputTokensPerS: 0, outputTokensPerS: 0 },
    metrics: {} as GroupResult['metrics'],
    ...over,
  };
}

function phase(name: string, durationS: number, g: GroupResult, record = true): PhaseResult {
  return { index: 0, name, record, load: { kind: 'closed', concurrency: 1 }, startedAtMs: 0, endedAtMs: durationS * 1000, durationS, scheduled: 0, sent: 0, dropped: 0, achievedRateRps: null, groups: record ? [g] : [] };
}

describe('cost per outcome', () => {
  it('accepted = ok minus judged-invalid; with goodput criteria, the valid good requests', () => {
    const g = group({ ok: 100, errors: 5, validity: { valid: 80, not_json: 3, schema_invalid: 5, truncated: 2 } });
    expect(acceptedRequests(g)).toBe(90);
    const withSlo = group({ ...g, goodput: { criteria: 'ttft<200ms', good: 70, validGood: 64, goodFraction: 0.67, validGoodFraction: 0.61, goodRps: 1, validGoodRps: 1 } });
    expect(acceptedRequests(withSlo)).toBe(64);
    const c = computeCost([phase('p', 3600, withSlo)], 8, 'flag');
    expect(c.acceptedBy).toBe('ok+valid+goodput (ttft<200ms)');
    expect(c.phases[0].usdPer1kAccepted).toBe(125); // $8 / 64 × 1000
  });

  it('equals hand-computed figures on a fixed run', () => {
    // 2 GPUs × $2.50/GPU-h = $5/h; a 360 s phase costs $0.50.
    // 2 000 000 output tokens → $0.25 per 1M; 500 000 input tokens → $1.00 per 1M;
    // 1000 ok, 20 not_json + 30 schema_invalid + 50 truncated → 900 accepted → $0.50/900 × 1000 = $0.5555…/1k.
    const g = group({ ok: 1000, errors: 10, promptTokens: 500_000, outputTokens: 2_000_000, validity: { valid: 900, not_json: 20, schema_invalid: 30, truncated: 50 } });
    const c = computeCost([phase('warmup', 10, g, false), phase('steady', 360, g)], 2.5 * 2, 'recipe');
    expect(c.costPerHourUsd).toBe(5);
    expect(c.phases).toEqual([
      {
        phase: 'steady',
        durationS: 360,
        costUsd: 0.5,
        outputTokens: 2_000_000,
        inputTokens: 500_000,
        accepted: 900,
        usdPer1MOutputTokens: 0.25,
        usdPer1MInputTokens: 1,
        usdPer1kAccepted: 0.555556,
      },
    ]);
  });

  it('no tokens or no accepted requests give null, not Infinity', () => {
    const c = computeCost([phase('p', 60, group({ ok: 0, errors: 3 }))], 10, 'flag');
    expect(c.phases[0]).toMatchObject({ costUsd: 0.166667, usdPer1MOutputTokens: null, usdPer1MInputTokens: null, usdPer1kAccepted: null });
  });
});
