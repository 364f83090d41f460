// A sweep step holds its load only when it achieved it, its client was healthy, and the sweep's own
// cancellations at the step's end are not counted as the server's errors.
import { describe, expect, it } from 'vitest';
import { judgeSweepStep } from '../../src/commands/sweep.js';
import type { StepRun } from '../../src/commands/sweep-step.js';
import { parseSlo } from '../../src/slo/grammar.js';
import { loadHeld, steadyWindow, withoutStepCancellations } from '../../src/sweep/held.js';
import { synthResult } from '../report/fixtures.js';
import { sweepResult } from '../report/sweep-fixture.js';
import { renderSweepText } from '../../src/report/sweep-text.js';

const open8 = { kind: 'open', rateRps: 8, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null } as const;
const stepResult = () => synthResult({ seed: 3, phases: [{ name: 'step-3-8rps', load: open8, classes: [{ name: 'chat', requests: 100, ttftMs: 50, tpotMs: 10, outputTokens: 32 }] }] });
const slos = ['ttft.p95 < 500ms', 'error_rate < 1%'].map((s) => parseSlo(s));
const step = (ok: number): StepRun => ({ result: undefined as never, verdict: { state: 'steady', reason: 'two windows agree' }, stopAtMs: 12_000, window: { seconds: 10, ok } });

describe('a sweep step holds its load', () => {
  it('when completions over its steady window reach the offered count less two Poisson deviations', () => {
    // 8 rps over 10 s: λ = 80, floor 80 − 2√80 ≈ 62.
    expect(loadHeld(8, 63, 10).held).toBe(true);
    expect(loadHeld(8, 200, 10).held).toBe(true); // a backlog draining is no failure
    const low = loadHeld(8, 47, 10);
    expect(low.held).toBe(false);
    expect(low.why).toBe('load not achieved: completed 4.70 rps of 8 offered (47 in 10 s; Poisson noise allows down to 62)');
    expect(loadHeld(null, 0, 10).held).toBe(true); // closed loop: no offered rate
  });

  it('the steady window is the last two windows of whole seconds before the step stopped', () => {
    const points = [0, 1, 2, 3, 4, 5, 6, 7].map((tS) => ({ tS, completed: tS * 10, errors: tS === 6 ? 2 : 0 }));
    // Step from 0 to 6.5 s: seconds 1…5 are whole and not the first; the last 2 × 2 s are 2…5.
    expect(steadyWindow(points, 0, 6500, 2)).toEqual({ seconds: 4, ok: 20 + 30 + 40 + 50 });
    expect(steadyWindow(points, 0, 500, 2)).toBeNull();
  });

  it('a step that passed its SLOs but completed well under its offer is not an answer, and says why', () => {
    const { outcome, note, line } = judgeSweepStep(step(47), stepResult(), slos, { kind: 'open', rateRps: 8 }, false);
    expect(outcome.pass).toBe(false);
    expect(outcome.achievedRps).toBe(4.7); // the completed rate over the steady window, as the table shows
    expect(note.unheld).toEqual([expect.stringContaining('load not achieved')]);
    expect(line).toContain('FAIL (load not achieved');
    expect(judgeSweepStep(step(78), stepResult(), slos, { kind: 'open', rateRps: 8 }, false).outcome.pass).toBe(true);
  });

  it('a step whose client was saturated may hold, but cannot be the answer: the next healthy one below is', () => {
    const r = stepResult();
    r.clientSaturated = true;
    r.client = { ...r.client, saturated: true, reason: 'starved', reasons: ['dispatch lag p99 56.3 ms > 10 ms'] };
    const { outcome, note, line } = judgeSweepStep(step(80), r, slos, { kind: 'open', rateRps: 8 }, false);
    expect(outcome.pass).toBe(true); // the search goes on as the server behaved
    expect([note.clientSaturated, note.clientWhy]).toEqual([true, 'client starved: dispatch lag p99 56.3 ms > 10 ms (timing contaminated)']);
    expect(line).toContain('pass · not an answer: client starved');

    const clean = sweepResult();
    const bestIndex = clean.sweep!.steps.find((s) => s.phase === clean.sweep!.bestPhase)!.index;
    const lagged = sweepResult(5, [bestIndex]).sweep!;
    expect(lagged.bestPhase).not.toBe(clean.sweep!.bestPhase);
    const answer = lagged.steps.find((s) => s.phase === lagged.bestPhase)!;
    expect([answer.pass, answer.clientSaturated]).toEqual([true, undefined]);
    expect(answer.load.kind === 'open' && answer.load.rateRps).toBeLessThan(clean.sweep!.maxRateRps);
    expect(lagged.sentence).toContain(`(${clean.sweep!.bestPhase} held ${clean.sweep!.maxRateRps} rps but its client was saturated: rerun on a quiet machine to confirm it)`);
    const text = renderSweepText({ ...lagged, resultFile: null });
    expect(text).toContain(`${clean.sweep!.bestPhase}: not an answer: client starved`);
  });

  it("requests the sweep cancelled at the step's end are not errors", () => {
    const r = stepResult();
    for (const g of r.phases[0].groups) Object.assign(g, { requests: g.requests + 3, errors: g.errors + 3, errorsByClass: { ...g.errorsByClass, cancelled: 3 }, errorRate: (g.errors + 3) / (g.requests + 3) });
    const cleaned = withoutStepCancellations(r).phases[0].groups[0];
    expect([cleaned.errors, cleaned.errorRate, cleaned.errorsByClass.cancelled, cleaned.cancelledByStepEnd]).toEqual([0, 0, undefined, 3]);
    expect(judgeSweepStep(step(80), r, slos, { kind: 'open', rateRps: 8 }, false).outcome.pass).toBe(true);
  });
});

describe('the sweep text reads against its answer', () => {
  it('marks the answer row, shows offered, sent and completed, and warns of a saturated client', () => {
    const r = sweepResult();
    const steps = r.sweep!.steps.map((s, i) => ({ ...s, offeredRps: s.load.kind === 'open' ? s.load.rateRps : null, sentRps: s.achievedRps, clientSaturated: i === 0 }));
    const text = renderSweepText({ ...r.sweep!, steps, resultFile: null });
    expect(text).toMatch(/step +load +offered rps +sent rps +completed rps/);
    expect(text).toMatch(new RegExp(`${r.sweep!.bestPhase}( ◀ knee)? ◀ answer`));
    expect(text).toContain(`!!! client saturated during ${steps[0].phase}: timing there is contaminated`);
    expect(r.sweep!.sentence).toMatch(/req\/s offered \(completed [\d.]+ req\/s/);
  });
});
