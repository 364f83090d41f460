// `loadshape ab <workload> --a URL --b URL`: the I/O edge of a paired A/B experiment. It settles the
// plan (phases, or blocks and rounds for --mode interleaved), opens one run context per side, runs two
// Drivers on one clock (ab-sides.ts), writes the two side results and the pairing file, prints the
// paired summary and returns the exit code (2 B worse past --fail-on, 3 invalid, 5 unreachable).
import { join } from 'node:path';
import { balancedOrder, blockPhases, blockSizes, type Side } from '../ab/schedule.js';
import { buildAbResult } from '../ab/summary.js';
import { writeAbResult, type AbResult } from '../results/ab-format.js';
import { resultFileName, writeFileAtomic } from '../results/io.js';
import { abJson, renderAbJunit, renderAbMarkdown, renderAbText } from '../report/ab-render.js';
import { compareRuns } from '../report/compare.js';
import { renderCompareText } from '../report/compare-render.js';
import { parseFailOn, type Threshold } from '../report/failon.js';
import { phasePlans, type PhasePlan } from '../schedule/phases.js';
import { parseDurationMs, usageError } from '../util/errors.js';
import { loadWorkload, type LoadedWorkload } from '../workload/load.js';
import type { Workload } from '../workload/schema.js';
import { measureSides, type SideRun } from './ab-sides.js';
import { EXIT } from './exit.js';
import { appendStepSummary } from './gates.js';
import type { AbFlags, MeasuringFlags } from './options.js';
import { saveResult, type OutputPath } from './output-paths.js';
import { openRunContext, seededWorkload, type RunContext } from './run-context.js';
import { cliPhase } from './run.js';

export type AbOptions = AbFlags & { workload: string; argv?: string[] };

export interface AbOutcome {
  ab: AbResult;
  file: string;
  exitCode: number;
}

/** What `ab` settled from its flags before opening anything. */
export interface AbPlan {
  loaded: LoadedWorkload;
  workload: Workload;
  /** The phases each side runs (interleaved: one per block). */
  phases: PhasePlan[];
  /** Interleaved: requests per block, and the side of each round. */
  blocks: number[] | null;
  order: Side[] | null;
  failOn: { spec: string; thresholds: Threshold[] } | null;
  readyLimitMs: number;
  /** Files: side A, side B, the pairing file. */
  files: { a: string; b: string; ab: string };
}

export async function abCommand(opts: AbOptions): Promise<AbOutcome> {
  const plan = await planAb(opts);
  const ctxs: Partial<Record<Side, RunContext>> = {};
  try {
    for (const side of ['a', 'b'] as const) {
      const outputs = (): OutputPath[] => (side === 'a' ? abOutputPaths(opts, plan) : []);
      ctxs[side] = await openRunContext(sideFlags(opts, side), plan.loaded, plan.workload, { verb: 'A/B-test', outputs });
    }
    const run = await measureSides({ a: ctxs.a as RunContext, b: ctxs.b as RunContext }, plan, opts);
    return await finishAb(run, plan, opts);
  } finally {
    await ctxs.a?.close();
    await ctxs.b?.close();
  }
}

/** Reads the workload and settles phases, rounds and gates: every flag error before anything starts. */
export async function planAb(opts: AbOptions): Promise<AbPlan> {
  const failOn = opts.failOn !== undefined ? { spec: opts.failOn, thresholds: parseFailOn(opts.failOn) } : null;
  const loaded = await loadWorkload(opts.workload);
  const workload = seededWorkload(loaded, opts.seed);
  const override = cliPhase(opts);
  if (override) workload.phases = [override];
  let phases = phasePlans(workload);
  let blocks: number[] | null = null;
  let order: Side[] | null = null;
  if (opts.mode === 'interleaved') {
    const rounds = opts.rounds ?? 4;
    if (rounds < 2 || rounds % 2 !== 0) throw usageError(`--rounds: give an even number of rounds of at least 2 (each block of requests runs once on A and once on B), got ${rounds}`);
    if (!override || override.requests === undefined || override.duration !== undefined) {
      throw usageError('--mode interleaved cuts a fixed list of requests into rounds: give --concurrency N or --rate R with --requests N (not --duration)');
    }
    blocks = blockSizes(override.requests, rounds / 2);
    if (blocks.some((n) => n === 0)) throw usageError(`--rounds ${rounds}: ${override.requests} requests make fewer than ${rounds / 2} blocks; give fewer rounds or more --requests`);
    phases = blockPhases(phases[0], blocks);
    order = balancedOrder(rounds);
  } else if (opts.rounds !== undefined || opts.between !== undefined) {
    throw usageError('--rounds and --between go with --mode interleaved (mirrored runs both sides at once)');
  }
  const readyLimitMs = parseDurationMs(opts.waitReady, '--wait-ready');
  const startedAt = new Date();
  const file = (suffix: string) => join(opts.out, resultFileName(startedAt, `${workload.name}-${suffix}`));
  return { loaded, workload, phases, blocks, order, failOn, readyLimitMs, files: { a: file('a'), b: file('b'), ab: file('ab') } };
}

/** Every file `ab` writes, checked before the first request. */
function abOutputPaths(opts: AbOptions, plan: AbPlan): OutputPath[] {
  const paths: OutputPath[] = [{ flag: '--out', path: opts.out, kind: 'dir' }];
  for (const f of Object.values(plan.files)) paths.push({ flag: '--out', path: f, kind: 'file' });
  if (opts.records) paths.push({ flag: '--records', path: opts.records, kind: 'file' });
  if (opts.junit) paths.push({ flag: '--junit', path: opts.junit, kind: 'file' });
  if (opts.summaryMd) paths.push({ flag: '--summary-md', path: opts.summaryMd, kind: 'file' });
  return paths;
}

/** One side's flags as the run context reads them: the shared forms, then the side's own URL, model, labels, headers and key. */
export function sideFlags(opts: AbOptions, side: Side): MeasuringFlags {
  const own = side === 'a'
    ? { url: opts.a, model: opts.aModel, labels: opts.aLabel, headers: opts.aHeader, keyEnv: opts.aApiKeyEnv }
    : { url: opts.b, model: opts.bModel, labels: opts.bLabel, headers: opts.bHeader, keyEnv: opts.bApiKeyEnv };
  const { apiKeyEnv, apiKeyFile, header, insecure, retry, maxRetries, maxEventBytes, label, tokenizer, timeoutTtfb, timeoutIdle, timeoutTotal, maxAnswerBytes, out, drain, maxClientLag, quiet, seed } = opts;
  return {
    apiKeyEnv: own.keyEnv ?? apiKeyEnv,
    // A side's own key replaces the shared one, whichever form that took.
    apiKeyFile: own.keyEnv !== undefined ? undefined : apiKeyFile,
    header: [...header, ...own.headers],
    insecure, retry, maxRetries, maxEventBytes, tokenizer, timeoutTtfb, timeoutIdle, timeoutTotal, maxAnswerBytes, out, drain, maxClientLag, quiet, seed,
    label: [...label, ...(own.labels.length > 0 ? own.labels : [`side=${side}`])],
    target: own.url,
    model: own.model,
    simFault: [],
  };
}

/** --junit, --summary-md and, when a CI step summary is set, the Markdown there too. */
async function writeCiOutputs(ab: AbResult, opts: AbOptions): Promise<void> {
  if (opts.junit) await writeFileAtomic(opts.junit, renderAbJunit(ab));
  if (!opts.summaryMd && !process.env.GITHUB_STEP_SUMMARY) return;
  const md = renderAbMarkdown(ab);
  if (opts.summaryMd) await writeFileAtomic(opts.summaryMd, md);
  await appendStepSummary(md);
}

/** Side results and the pairing file written; the summary printed; the exit code. */
async function finishAb(run: SideRun, plan: AbPlan, opts: AbOptions): Promise<AbOutcome> {
  const files = { a: await saveResult(plan.files.a, run.results.a), b: await saveResult(plan.files.b, run.results.b) };
  const inputs = [{ file: files.a, result: run.results.a }, { file: files.b, result: run.results.b }];
  const unpaired = compareRuns(inputs);
  const ab = buildAbResult({
    mode: opts.mode, rounds: plan.order ? run.ran : null, startedAt: run.startedAt, facts: run.facts,
    sides: { a: inputs[0], b: inputs[1] }, failOn: plan.failOn, unpaired,
    exit: { ok: EXIT.ok, regression: EXIT.regression, invalid: EXIT.invalidRun, unreachable: EXIT.unreachable },
  });
  try {
    await writeAbResult(plan.files.ab, ab);
  } finally {
    run.stopSignals();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(abJson(ab), null, 1)}\n`);
    if (!opts.quiet) process.stderr.write(`results: ${files.a}, ${files.b}; pairing: ${plan.files.ab}\n`);
  } else {
    process.stdout.write(`${renderAbText(ab)}\n\nunpaired (as compare):\n${renderCompareText(unpaired)}\n`);
    process.stdout.write(`result A: ${files.a}\nresult B: ${files.b}\npairing: ${plan.files.ab}\n`);
  }
  await writeCiOutputs(ab, opts);
  if (ab.gates && ab.gates.violations.length > 0) process.stderr.write(`loadshape: ab: B is worse than A beyond noise: ${ab.gates.violations.map((v) => v.clause).join(', ')}\n`);
  if (ab.invalid.length > 0) process.stderr.write(`loadshape: ab: ${ab.invalid.join('; ')}\n`);
  return { ab, file: plan.files.ab, exitCode: ab.exitCode };
}
