// A sweep's result file, built as `loadshape sweep` builds it but without HTTP or real time: synthetic
// seeded phases (one per step, named like the sweep names them) through the real pipeline
// (synthResult), each step judged with evaluateSlos as sweep.ts judges it, the answer from
// buildAnswer, stored with sweepRecord. Throughput rises with the step's load (shorter send interval),
// TTFT rises with it: a rate sweep that holds ttft.p95 < 100ms up to 17.5 rps and breaks it at 19.2.
import { evaluateSlos, parseSlo } from '../../src/gates/slo.js';
import { sweepRecord } from '../../src/commands/sweep.js';
import type { RunResult } from '../../src/results/format.js';
import type { LoadModel } from '../../src/schedule/phases.js';
import { buildAnswer, type StepNote } from '../../src/sweep/answer.js';
import type { SearchResult, StepLoad, StepRole, SweepStep } from '../../src/sweep/search.js';
import { synthResult } from './fixtures.js';

export const SWEEP_SLOS = ['ttft.p95 < 100ms', 'error_rate < 1%', 'e2e.p90 < 2s'];

interface StepSpec {
  role: StepRole;
  load: StepLoad;
  ttftMs: number;
  intervalMs: number;
  errorRate?: number;
}

/** In run order: baseline, probe, three grid steps, two bisection steps. */
export const SWEEP_STEPS: StepSpec[] = [
  { role: 'baseline', load: { kind: 'closed', concurrency: 1 }, ttftMs: 40, intervalMs: 200 },
  { role: 'probe', load: { kind: 'closed', concurrency: 64 }, ttftMs: 900, intervalMs: 25, errorRate: 0.03 },
  { role: 'grid', load: { kind: 'open', rateRps: 7 }, ttftMs: 45, intervalMs: 140 },
  { role: 'grid', load: { kind: 'open', rateRps: 14 }, ttftMs: 55, intervalMs: 70 },
  { role: 'grid', load: { kind: 'open', rateRps: 21 }, ttftMs: 220, intervalMs: 45 },
  { role: 'bisect', load: { kind: 'open', rateRps: 17.5 }, ttftMs: 68, intervalMs: 55 },
  { role: 'bisect', load: { kind: 'open', rateRps: 19.2 }, ttftMs: 135, intervalMs: 50 },
];

export const stepName = (i: number, load: StepLoad) =>
  `step-${String(i + 1).padStart(2, '0')}-${load.kind === 'closed' ? `concurrency-${load.concurrency}` : `rate-${load.rateRps}`}`;

const phaseLoad = (l: StepLoad): LoadModel =>
  l.kind === 'closed' ? l : { kind: 'open', rateRps: l.rateRps, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null };

/** `laggedSteps`: step indexes (1-based) whose client was saturated. */
export function sweepResult(seed = 5, laggedSteps: number[] = []): RunResult {
  const result = synthResult({
    seed,
    runId: 'sweep-fixture',
    labels: { sweep: 'rate' },
    phases: SWEEP_STEPS.map((s, i) => ({
      name: stepName(i, s.load),
      load: phaseLoad(s.load),
      intervalMs: s.intervalMs,
      classes: [
        { name: 'chat', requests: 150, ttftMs: s.ttftMs, tpotMs: 10, outputTokens: 32, errorRate: s.errorRate },
        { name: 'json', requests: 50, ttftMs: s.ttftMs * 1.1, tpotMs: 12, outputTokens: 64, errorRate: s.errorRate },
      ],
    })),
  });
  const slos = SWEEP_SLOS.map((t) => parseSlo(t));
  const notes = new Map<number, StepNote>();
  const steps: SweepStep[] = SWEEP_STEPS.map((s, i) => {
    const phase = result.phases[i];
    const all = phase.groups.find((g) => g.class === '*')!;
    const checks = evaluateSlos({ ...result, phases: [phase] }, slos);
    const lagged = laggedSteps.includes(i + 1);
    notes.set(i + 1, { phase: phase.name, stop: 'steady: two windows agree', saturated: false, ...(lagged ? { clientSaturated: true, clientWhy: 'client starved: dispatch lag p99 56.3 ms > 10 ms (timing contaminated)' } : {}) });
    return {
      index: i + 1,
      role: s.role,
      load: s.load,
      outcome: { pass: checks.every((c) => c.pass), saturated: false, achievedRps: all.throughput.requestsPerS, outputTps: all.throughput.outputTokensPerS },
    };
  });
  const held = steps.filter((s) => s.outcome.pass && s.load.kind === 'open').sort((a, b) => (b.load as { rateRps: number }).rateRps - (a.load as { rateRps: number }).rateRps);
  const best = held[0] ?? null;
  const bestRate = best ? (best.load as { rateRps: number }).rateRps : 0;
  const broke = steps.filter((s) => !s.outcome.pass && s.load.kind === 'open' && s.load.rateRps > bestRate).sort((a, b) => (a.load as { rateRps: number }).rateRps - (b.load as { rateRps: number }).rateRps);
  const search: SearchResult = { steps, best, firstFail: broke[0] ?? null, stoppedBy: 'converged' };
  const answer = buildAnswer(result, search, slos, notes, 'results/sweep-fixture.json', 'rate');
  result.sweep = sweepRecord(answer, result, slos);
  return result;
}
