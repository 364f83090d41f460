import { describe, expect, it } from 'vitest';
import { estimatePoint, limitReached } from '../../src/campaign/budget.js';
import { expandPoints, parsePlan, type CampaignPoint } from '../../src/campaign/plan.js';
import { fingerprintChanges, fingerprintOf } from '../../src/campaign/fingerprint.js';

const plan = parsePlan(
  `name: b
targets: [{name: a, sim: {}}, {name: z, sim: {}}]
workloads: [short]
points:
  - {rate: 20, duration: 30s}
  - {rate: 10, requests: 50, duration: 1m}
  - {concurrency: 4, requests: 100}
  - {concurrency: 8, requests: 100}
  - sweep: {slo: ['ttft.p95 < 1s'], step_duration: 20s, max_steps: 5}
`,
  'b.yaml',
);
const points = expandPoints(plan);
const at = (target: string, i: number): CampaignPoint => points.find((p) => p.target === target && p.pointIndex === i)!;

describe('estimatePoint', () => {
  it('takes an open-loop point from the plan: its duration, or requests ÷ rate when that ends it first', () => {
    expect(estimatePoint(at('a', 0), [])).toEqual({ seconds: 30, basis: 'duration (plan)' });
    expect(estimatePoint(at('a', 1), [])).toEqual({ seconds: 5, basis: 'requests ÷ rate (plan)' });
  });

  it('leaves a closed-loop point unknown until a similar point or a probe has run', () => {
    expect(estimatePoint(at('a', 2), []).seconds).toBeNull();
    const probed = estimatePoint(at('a', 2), [], { slotSecondsPerRequest: 0.4, basis: 'probe' });
    expect(probed).toEqual({ seconds: 10, basis: 'probe' });
  });

  it('scales a closed-loop point from the nearest concurrency already run on the same target and workload', () => {
    const ran = [{ point: at('a', 2), wallS: 20 }];
    // 20 s × 4 slots / 100 requests = 0.8 slot-seconds a request; 100 requests over 8 slots: 10 s.
    expect(estimatePoint(at('a', 3), ran)).toEqual({ seconds: 10, basis: 'scaled from a/short/3-concurrency-4-100req/r1' });
    expect(estimatePoint(at('z', 3), ran).seconds).toBeNull();
  });

  it('bounds a sweep by max_steps × step_duration until one has run, then takes its time', () => {
    expect(estimatePoint(at('a', 4), [])).toEqual({ seconds: 100, basis: 'upper bound: 5 steps × 20s' });
    expect(estimatePoint(at('z', 4), [{ point: at('a', 4), wallS: 61 }]).seconds).toBe(61);
  });
});

describe('limitReached', () => {
  const e = { seconds: 100, basis: 'duration (plan)' };
  it('stops before a point whose cost would pass the budget, naming spend, estimate and limit', () => {
    expect(limitReached({ budgetUsd: 1 }, { estimate: e, costPerHourUsd: 36, spentUsd: 0, elapsedS: 0 })).toBeNull();
    expect(limitReached({ budgetUsd: 1 }, { estimate: e, costPerHourUsd: 36, spentUsd: 0.01, elapsedS: 0 })).toMatch(/budget: \$0\.01 spent \+ \$1 for the next point \(100s, duration \(plan\)\) > --budget-usd 1/);
  });

  it('stops before a point that would pass --max-time', () => {
    expect(limitReached({ maxTimeS: 150 }, { estimate: e, costPerHourUsd: 0, spentUsd: 0, elapsedS: 49 })).toBeNull();
    expect(limitReached({ maxTimeS: 150 }, { estimate: e, costPerHourUsd: 0, spentUsd: 0, elapsedS: 51 })).toMatch(/time: 51s elapsed \+ 100s .* > --max-time 150s/);
  });
});

describe('fingerprint', () => {
  const prov = (id: string, version: string) => ({ models: [{ id, maxModelLen: 4096 }], serverHeaders: {}, versions: [{ path: '/version', body: { version } }], engine: 'vllm' });
  it('names each field that changed, and nothing when none did', () => {
    const a = fingerprintOf(prov('llama', '0.8.1'), null, 'h1');
    expect(fingerprintChanges(a, fingerprintOf(prov('llama', '0.8.1'), null, 'h1'))).toEqual([]);
    expect(fingerprintChanges(a, fingerprintOf(prov('qwen', '0.9.0'), 'abc', 'h2'))).toEqual([
      '/v1/models llama (max_model_len 4096) → qwen (max_model_len 4096)',
      'engine version 0.8.1 → 0.9.0',
      'recipe sha256 none → abc',
      'harness host h1 → h2',
    ]);
  });
});
