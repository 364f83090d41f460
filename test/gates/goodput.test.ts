import { describe, expect, it } from 'vitest';
import { PhaseStats } from '../../src/metrics/accumulator.js';
import { newHistogram } from '../../src/metrics/histogram.js';
import { assembleResult } from '../../src/results/assemble.js';
import { mergeResults } from '../../src/results/merge.js';
import type { RunResult } from '../../src/results/format.js';
import type { DriverResult } from '../../src/metrics/collector.js';
import type { RequestRecord } from '../../src/client/record.js';
import { isGood, isValidGood, parseGoodput, type GoodputCriteria } from '../../src/slo/goodput.js';
import { SloSyntaxError } from '../../src/gates/slo.js';

function rec(over: Partial<RequestRecord>): RequestRecord {
  return {
    phase: 'steady', class: 'chat', scheduledAtMs: 0, sentAtMs: 0, queueMs: 0, ttftMs: 100, firstChunkMs: 100, tpotMs: 20, e2eMs: 800,
    promptTokens: 100, outputTokens: 32, outputTokensSource: 'usage', chunks: 32, finishReason: 'length', status: 'ok',
    errorClass: null, httpStatus: 200, validity: null, toolCalls: null, ...over,
  };
}

/**
 * Ten records judged against ttft<=500ms,tpot<=50ms, by hand:
 *  chat: #1 good · #2 good (ttft exactly 500: <= holds) · #3 ttft 501 bad · #4 tpot 60 bad · #5 error bad
 *        #6 good (one token: tpot null is not judged)
 *  json: #7 good + valid · #8 good but schema_invalid · #9 good + valid · #10 ttft null (no answer) bad
 * chat: 3 good of 6, all valid-good (not judged); json: 3 good of 4 (#7 #8 #9), valid-good 2 (#7 #9).
 * all: 6 good of 10, 5 valid-good. Over a 2 s phase: 3 good/s, 2.5 valid-good/s.
 */
const RECORDS: RequestRecord[] = [
  rec({ ttftMs: 120, tpotMs: 30 }),
  rec({ ttftMs: 500, tpotMs: 50 }),
  rec({ ttftMs: 501, tpotMs: 10 }),
  rec({ ttftMs: 100, tpotMs: 60 }),
  rec({ status: 'error', errorClass: 'http_5xx', ttftMs: null, tpotMs: null, e2eMs: null, outputTokens: null, outputTokensSource: null }),
  rec({ ttftMs: 90, tpotMs: null, outputTokens: 1 }),
  rec({ class: 'json', validity: 'valid' }),
  rec({ class: 'json', validity: 'schema_invalid' }),
  rec({ class: 'json', validity: 'valid', ttftMs: 400, tpotMs: 45 }),
  rec({ class: 'json', ttftMs: null, validity: null }),
];

function resultOf(recs: RequestRecord[], criteria: GoodputCriteria | null, durationMs = 2000): RunResult {
  const stats = new PhaseStats(['chat', 'json'], criteria);
  for (const r of recs) stats.add(r, 32);
  const d: DriverResult = {
    phases: [{
      plan: { index: 0, name: 'steady', record: true, durationMs, maxRequests: null, load: { kind: 'closed', concurrency: 2 } },
      stats, startedAtMs: 0, endedAtMs: durationMs, scheduled: recs.length, sent: recs.length, dropped: 0, achievedRateRps: null,
    }],
    timeseries: [], errorSamples: {}, validitySamples: {}, dispatchLag: newHistogram(), interrupted: false,
  };
  const meta: RunResult['meta'] = {
    runId: 'r', loadshapeVersion: 't', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:02.000Z', durationS: 2,
    workload: { name: 'w', file: 'w.yaml', sha256: 'abc', text: '', seed: 1 },
    target: { url: 'http://127.0.0.1:1/v1', simulated: true, simulator: null }, model: 'm', tokenizer: 'o200k_base',
    labels: {}, argv: [], node: 'v20', host: { platform: 'linux', arch: 'x64', cpuModel: 'x', cpus: 2, memoryGb: 1 }, interrupted: false,
  };
  return assembleResult(d, meta, { eventLoopDelayP50Ms: 0, eventLoopDelayP99Ms: 0, eventLoopDelayMaxMs: 0, eventLoopUtilization: 0, cpuPercent: 0, peakRssMb: 0 });
}

const group = (r: RunResult, cls: string) => r.phases[0].groups.find((g) => g.class === cls)!;

describe('goodput', () => {
  const criteria = parseGoodput('ttft<=500ms, tpot<=50ms');

  it('equals the hand-computed good counts, fractions and rates per phase × class', () => {
    const r = resultOf(RECORDS, criteria);
    expect(group(r, '*').goodput).toEqual({
      criteria: 'ttft<=500ms,tpot<=50ms', good: 6, validGood: 5, goodFraction: 0.6, validGoodFraction: 0.5, goodRps: 3, validGoodRps: 2.5,
    });
    expect(group(r, 'chat').goodput).toMatchObject({ good: 3, validGood: 3, goodFraction: 0.5, goodRps: 1.5 });
    expect(group(r, 'json').goodput).toMatchObject({ good: 3, validGood: 2, goodFraction: 0.75, validGoodFraction: 0.5, goodRps: 1.5, validGoodRps: 1 });
  });

  it('is absent without criteria', () => {
    expect(group(resultOf(RECORDS, null), '*').goodput).toBeUndefined();
  });

  it('merges exactly: shards of the records add up to the goodput of all of them', () => {
    const whole = resultOf(RECORDS, criteria);
    const merged = mergeResults([0, 1].map((s) => resultOf(RECORDS.filter((_, i) => i % 2 === s), criteria)));
    for (const cls of ['*', 'chat', 'json']) expect(group(merged, cls).goodput).toEqual(group(whole, cls).goodput);
  });

  it('refuses to merge results judged by different criteria', () => {
    const a = resultOf(RECORDS, criteria);
    const b = resultOf(RECORDS, parseGoodput('ttft<=200ms'));
    expect(() => mergeResults([a, b], ['a.json', 'b.json'])).toThrow(/different criteria \(ttft<=500ms,tpot<=50ms vs ttft<=200ms\)/);
  });

  it('strict bounds and schedule-relative TTFT judge what they say', () => {
    const c = parseGoodput('ttft<500ms');
    expect(isGood(rec({ ttftMs: 500 }), c)).toBe(false);
    expect(isGood(rec({ ttftMs: 499.9 }), c)).toBe(true);
    const s = parseGoodput('sched_ttft<=500ms');
    expect(isGood(rec({ ttftMs: 300, queueMs: 250 }), s)).toBe(false);
    expect(isGood(rec({ ttftMs: 300, queueMs: 150 }), s)).toBe(true);
    expect(isValidGood(rec({ validity: 'truncated' }), parseGoodput('e2e<=1s'))).toBe(false);
    expect(parseGoodput('e2e<=1.5s').limits).toEqual([{ field: 'e2e', op: '<=', ms: 1500 }]);
  });

  it.each([
    ['ttft<=500', 'expected a duration with a unit', 6, 3],
    ['ttft<=500ms,itl<=5ms', 'unknown per-request metric "itl"', 12, 3],
    ['ttft>=500ms', 'bounded from above', 4, 2],
    ['ttft<=500ms,,tpot<=5ms', 'empty clause', 12, 1],
    ['ttft<=1s,ttft<=2s', 'ttft given twice', 9, 8],
  ])('rejects %s pointing at the bad clause', (spec, message, offset, length) => {
    try {
      parseGoodput(spec);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SloSyntaxError);
      const err = e as SloSyntaxError;
      expect(err.message).toContain(message);
      expect([err.offset, err.length]).toEqual([offset, length]);
    }
  });
});
