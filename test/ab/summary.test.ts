// The pairing file's verdict and exit code from the pairs and the two side results: 5 → 3 → 2.
import { describe, expect, it } from 'vitest';
import { buildAbResult, type AbInputs } from '../../src/ab/summary.js';
import type { PairingFacts } from '../../src/ab/pairing.js';
import { parseFailOn } from '../../src/report/failon.js';
import type { Pair } from '../../src/report/paired.js';
import { standardRun } from '../report/fixtures.js';

const EXIT = { ok: 0, regression: 2, invalid: 3, unreachable: 5 };

function facts(tpotB: number): PairingFacts {
  const pairs: Pair[] = Array.from({ length: 60 }, (_, i) => {
    const load = 1 + (i % 7) / 10;
    const s = (tpot: number) => ({ ok: true, ttftMs: 30 * load, tpotMs: tpot * load, e2eMs: 30 * load + 15 * tpot * load, queueMs: 0, outputTokens: 16, valid: null });
    return { a: s(10), b: s(tpotB) };
  });
  return { pairs, unpaired: { a: 0, b: 0 }, bodyMismatches: 0, bodiesSha256: { a: 'x', b: 'x' }, skewsMs: pairs.map(() => 0.05) };
}

function inputs(tpotB: number, over: (a: AbInputs) => void = () => {}): AbInputs {
  const x: AbInputs = {
    mode: 'mirrored', rounds: null, startedAt: new Date('2026-12-05T07:00:00Z'), facts: facts(tpotB),
    sides: { a: { file: 'a.json', result: standardRun(1) }, b: { file: 'b.json', result: standardRun(2) } },
    failOn: { spec: 'tpot.p50>+5%', thresholds: parseFailOn('tpot.p50>+5%') }, unpaired: null, exit: EXIT,
  };
  over(x);
  return x;
}

describe('the pairing file', () => {
  it('fails the gate (exit 2) when B is 20 % slower per token, and passes it when B is the same', () => {
    const worse = buildAbResult(inputs(12));
    expect(worse.exitCode).toBe(2);
    expect(worse.gates?.violations.map((v) => v.clause)).toEqual(['tpot.p50>+5%']);
    expect(worse.fairness).toMatchObject({ sameBodies: true, sendSkewMs: { p50: 0.05, p99: 0.05, max: 0.05 }, sendInstantsShared: false });
    expect(buildAbResult(inputs(10)).exitCode).toBe(0);
  });

  it('is invalid (exit 3, before the gate) when a side saturated or an open phase missed its schedule', () => {
    const saturated = buildAbResult(inputs(12, (x) => (x.sides.b.result.clientSaturated = true)));
    expect(saturated.exitCode).toBe(3);
    expect(saturated.invalid).toEqual(['side B: the harness was saturated']);
    const missed = buildAbResult(inputs(10, (x) => {
      const p = x.sides.a.result.phases[1];
      Object.assign(p, { load: { kind: 'open', rateRps: 10, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: 4 }, scheduled: 100, sent: 90, dropped: 10 });
    }));
    expect(missed.exitCode).toBe(3);
    expect(missed.invalid[0]).toMatch(/^side A: did not send its schedule in \S+ \(sent 90 of 100, dropped 10\)$/);
  });
});
