// Paired analysis on synthetic pairs: the verdicts follow the effect, not the noise the pair shares.
import { describe, expect, it } from 'vitest';
import { outputLengthDisagreement, pairedMetrics, pairedVerdict, type Pair, type PairSide } from '../../src/report/paired.js';
import { evaluatePairedFailOn } from '../../src/report/paired-failon.js';
import { parseFailOn } from '../../src/report/failon.js';
import { rngFor } from '../../src/util/rng.js';

const side = (o: Partial<PairSide>): PairSide => ({ ok: true, ttftMs: 50, tpotMs: 10, e2eMs: 200, queueMs: 0, outputTokens: 16, valid: null, ...o });

/** n pairs whose shared load noise (±40 %) dwarfs B's effect on TPOT (`tpotFactor`). */
function pairs(n: number, tpotFactor: number, o: { bTokens?: (i: number) => number; bFails?: (i: number) => boolean } = {}): Pair[] {
  const rng = rngFor(42);
  return Array.from({ length: n }, (_, i) => {
    const load = 0.6 + 0.8 * rng();
    const jitter = () => 1 + (rng() - 0.5) * 0.01;
    const a = side({ ttftMs: 50 * load * jitter(), tpotMs: 10 * load * jitter(), e2eMs: 200 * load * jitter() });
    const failed = o.bFails?.(i) ?? false;
    const b = side({ ok: !failed, ttftMs: 50 * load * jitter(), tpotMs: 10 * load * tpotFactor * jitter(), e2eMs: 200 * load * jitter(), outputTokens: o.bTokens?.(i) ?? 16 });
    return { a, b };
  });
}

describe('paired metrics', () => {
  it('finds a 5 % TPOT slowdown hidden in 40 % shared load noise, and nothing else', () => {
    const m = pairedMetrics(pairs(120, 1.05));
    expect(m.tpot.stats.p50.verdict).toBe('worse');
    expect(m.tpot.stats.p50.ratio).toBeCloseTo(1.05, 2);
    expect(m.tpot.stats.p50.ci![0]).toBeGreaterThan(0);
    expect(m.ttft.stats.p50.verdict).toBe('within_noise');
    expect(m.errors.stats.rate.verdict).toBe('within_noise');
    expect(m.tpot.stats.p99.fewSamples).toEqual({ have: 120, need: 500 });
    expect(m.tpot.hist!.counts.reduce((s, c) => s + c, 0)).toBe(120);
    const v = evaluatePairedFailOn(m, parseFailOn('tpot.p50>+3%,ttft.p50>+1%'), null);
    expect(v.map((x) => x.clause)).toEqual(['tpot.p50>+3%']);
    expect(evaluatePairedFailOn(m, parseFailOn('tpot.p50>+8%'), null)).toEqual([]);
  });

  it('calls identical sides within noise everywhere', () => {
    const m = pairedMetrics(pairs(120, 1));
    expect(pairedVerdict(m)).toEqual({ headline: 'B and A are within noise on every paired metric', worse: [], better: [] });
  });

  it('counts errors pair by pair and, when output lengths disagree, compares E2E no more', () => {
    const p = pairs(200, 1, { bTokens: (i) => (i % 2 ? 64 : 16), bFails: (i) => i % 10 === 0 });
    const lengths = outputLengthDisagreement(p);
    expect(lengths).toMatchObject({ disagree: true });
    const m = pairedMetrics(p, { lengthsDisagree: lengths.disagree });
    expect(m.errors.stats.rate).toMatchObject({ a: 0, b: 0.1, delta: 0.1, verdict: 'worse' });
    expect(m.e2e.stats.p50.verdict).toBe('not_compared');
    expect(m.output_tokens.stats.p95.delta).toBe(48);
  });
});
