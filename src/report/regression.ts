// Baseline regression (pure): the run against a baseline result with the reporter's noise-aware
// compare; a --fail-on clause fails only where the run moved past it AND beyond noise.
import { compareRuns, type CompareInput } from './compare.js';
import { evaluateFailOn, parseFailOn } from './failon.js';
import type { RegressionResult } from '../results/gates-schema.js';

/** Used when --baseline is given without --fail-on. */
export const DEFAULT_FAIL_ON = 'ttft.p95>+10%,tpot.p95>+10%,e2e.p95>+10%,error_rate>+0.5pp,throughput.output_tps<-10%';

export function regressionGate(baseline: CompareInput, run: CompareInput, failOn: string): RegressionResult {
  const thresholds = parseFailOn(failOn);
  const cmp = compareRuns([baseline, run]);
  const violations = evaluateFailOn(cmp, thresholds);
  // Nothing aligned means nothing was compared: that must not read as "no regression".
  const alignment = cmp.groups.length === 0 ? [{ clause: 'aligned with the baseline', pass: false, violations: ['no recorded phase × class of the baseline is in this run', ...cmp.notes] }] : [];
  return {
    baseline: baseline.file,
    baselineRunId: baseline.result.meta.runId,
    failOn,
    checks: [
      ...alignment,
      ...thresholds.map((t) => {
        const mine = violations.filter((v) => v.threshold === t).map((v) => v.message);
        return { clause: t.text, pass: mine.length === 0, violations: mine };
      }),
    ],
    notes: cmp.notes,
  };
}
