// The verdict (pure): every gate's outcome → one exit code a CI job can act on.
//
// Precedence when several apply (the first that applies decides; every gate is still evaluated and
// reported in the result, the JUnit file and the Markdown summary):
//   5 unreachable   every recorded request failed: nothing measured is about the server
//   3 invalid run   the harness lagged, the open-loop schedule was not kept, or the output length asked
//                   for was not honoured: the numbers do not describe the asked load, so neither an
//                   SLO nor a regression verdict drawn from them can be trusted
//   1 SLO failed    an absolute promise was broken
//   2 regression    worse than the baseline beyond noise (relative)
//   0 pass
// (4, bad usage or workload, is raised before any request is sent.)
import type { RunResult } from '../results/format.js';
import type { Workload } from '../workload/schema.js';
import type { GatesResult, RegressionResult, SloCheck, VerdictName } from '../results/gates-schema.js';
import { runChecks, unreachable } from './runchecks.js';
import { describeCheck, evaluateSlos, type Slo } from './slo.js';

/** Exit code of each verdict; the same numbers as EXIT in commands/run.ts (the README table). */
export const VERDICT_EXIT: Record<VerdictName, number> = { pass: 0, slo_failed: 1, regression: 2, invalid_run: 3, unreachable: 5 };

export interface GateInputs {
  workload: Workload;
  slos: Slo[];
  goodput: string | null;
  regression: RegressionResult | null;
  abortedOnFail: string | null;
}

export function evaluateGates(result: RunResult, inp: GateInputs): GatesResult {
  const slos = evaluateSlos(result, inp.slos);
  const checks = runChecks(result, inp.workload, { abortedOnFail: inp.abortedOnFail !== null });
  const { verdict, reason } = decide(result, slos, checks, inp.regression);
  return {
    verdict,
    exitCode: VERDICT_EXIT[verdict],
    reason: inp.abortedOnFail && verdict === 'slo_failed' ? `${reason} (run stopped early by --abort-on-fail: ${inp.abortedOnFail})` : reason,
    slos,
    goodput: inp.goodput,
    runChecks: checks,
    regression: inp.regression,
    abortedOnFail: inp.abortedOnFail,
  };
}

function decide(
  result: RunResult,
  slos: SloCheck[],
  checks: GatesResult['runChecks'],
  regression: RegressionResult | null,
): { verdict: VerdictName; reason: string } {
  const down = unreachable(result);
  if (down) {
    const what = [...down.errorsByClass].map(([k, n]) => `${k} ${n}`).join(', ');
    return { verdict: 'unreachable', reason: `every request to ${result.meta.target.url} failed (${what})` };
  }
  const invalid = checks.filter((c) => !c.pass);
  if (invalid.length > 0) return { verdict: 'invalid_run', reason: `run invalid: ${invalid.map((c) => `${c.name}: ${c.detail}`).join('; ')}` };
  const failed = slos.filter((c) => !c.pass);
  if (failed.length > 0) return { verdict: 'slo_failed', reason: `${failed.length} SLO check${failed.length === 1 ? '' : 's'} failed: ${failed.map(describeCheck).map((l) => l.replace(/^FAIL\s+/, '')).join('; ')}` };
  const regressed = regression?.checks.filter((c) => !c.pass) ?? [];
  if (regressed.length > 0) return { verdict: 'regression', reason: `regression against ${regression!.baseline}: ${regressed.flatMap((c) => c.violations).join('; ')}` };
  const n = slos.length + (regression?.checks.length ?? 0);
  return { verdict: 'pass', reason: n > 0 ? `all ${n} gate${n === 1 ? '' : 's'} passed` : 'the run finished (no gates given)' };
}
