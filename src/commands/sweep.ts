// `loadshape sweep`: the I/O edge of the capacity search. It wires the same stages as `run` (planner,
// OpenAIClient, Driver, assembleResult, SLO evaluation) around the pure search in src/sweep: each step
// is one Driver running one phase (sweep/step.ts), judged on each second its time series closes for
// steady state or runaway saturation, stopped early when either shows; all steps become the phases of ONE
// result file, so report/compare/export/html read a sweep like any run.
import { join } from 'node:path';
import type { Driver } from '../driver/run.js';
import { evaluateSlos, type Slo } from '../gates/slo.js';
import type { DriverResult } from '../metrics/collector.js';
import { mergeHistograms } from '../metrics/histogram.js';
import { renderSweepText } from '../report/sweep-text.js';
import { assembleResult, type ClientSample } from '../results/assemble.js';
import type { RunResult, SweepResult } from '../results/format.js';
import { resultFileName } from '../results/io.js';
import { phaseRates } from '../results/rates.js';
import { stepPhasePlan } from '../schedule/phases.js';
import { buildAnswer, describeStepLoad, type StepNote, type SweepAnswer } from '../sweep/answer.js';
import { loadHeld, withoutStepCancellations } from '../sweep/held.js';
import { DEFAULT_SEARCH, searchCapacity, sloRatio, type SearchResult, type StepLoad, type StepOutcome, type StepRole, type SweepBy, type SweepStep } from '../sweep/search.js';
import { realClock, type Clock } from '../util/clock.js';
import { parseDurationMs, usageError } from '../util/errors.js';
import { loadWorkload } from '../workload/load.js';
import { createPlanner, type Planner } from '../workload/plan.js';
import { startClientSampler, type ClientSampler } from './client-health.js';
import { EXIT } from './exit.js';
import { prepareGates, type PreparedGates } from './gates.js';
import type { SweepFlags } from './options.js';
import { runOutputPaths, saveResult } from './output-paths.js';
import { verdict } from './run.js';
import { warmStart } from './warm-start.js';
import { openRunContext, seededWorkload, stopOnSignals, type RunContext } from './run-context.js';
import { runSweepStep, type StepRun, type StepRunOptions } from './sweep-step.js';
import { LiveOutputs } from './live.js';
import { redactUrl } from '../util/redact.js';
import { VERSION } from '../version.js';

/** What `sweep` takes: its flags exactly as declared (commands/options.ts) and the workload argument. */
export type SweepOptions = SweepFlags & { workload: string };

export interface SweepOutcome {
  answer: SweepAnswer;
  result: RunResult;
  file: string;
  exitCode: number;
}

/** `step-03-rate-12.5`, `step-01-concurrency-1`. */
export function stepPhaseName(index: number, load: StepLoad): string {
  const n = String(index).padStart(2, '0');
  return load.kind === 'closed' ? `step-${n}-concurrency-${load.concurrency}` : `step-${n}-rate-${load.rateRps}`;
}

class Interrupted extends Error {}

/** The search's own settings, checked before anything starts (exit 4 naming the flag). */
interface SweepSettings {
  by: SweepBy;
  maxMs: number;
  minMs: number;
  windowMs: number;
  maxSteps: number;
  probeConcurrency: number;
  tolerance: number;
}

function sweepSettings(opts: SweepOptions): SweepSettings {
  if (opts.slo.length === 0) throw usageError("sweep needs at least one --slo to bound the search, e.g. --slo 'ttft.p95 < 500ms' --slo 'error_rate < 1%'");
  const maxMs = parseDurationMs(opts.stepDuration, '--step-duration');
  const minMs = parseDurationMs(opts.minStepDuration, '--min-step-duration');
  const windowMs = parseDurationMs(opts.steadyWindow, '--steady-window');
  if (minMs > maxMs) throw usageError(`--min-step-duration (${opts.minStepDuration}) is longer than --step-duration (${opts.stepDuration})`);
  if (windowMs < 1000) throw usageError(`--steady-window: the time series has one point per second; give at least 1s, got ${opts.steadyWindow}`);
  const maxSteps = opts.maxSteps ?? DEFAULT_SEARCH.maxSteps;
  if (!Number.isInteger(maxSteps) || maxSteps < 3) throw usageError(`--max-steps: at least 3 (baseline, probe and one step), got ${opts.maxSteps}`);
  const probeConcurrency = opts.probeConcurrency ?? DEFAULT_SEARCH.probeConcurrency;
  if (!Number.isInteger(probeConcurrency) || probeConcurrency < 2) throw usageError(`--probe-concurrency: an integer of at least 2, got ${opts.probeConcurrency}`);
  const tolerance = opts.tolerance ?? DEFAULT_SEARCH.tolerance;
  if (!(tolerance > 0 && tolerance < 1)) throw usageError(`--tolerance: a fraction between 0 and 1 (e.g. 0.05), got ${opts.tolerance}`);
  return { by: opts.by, maxMs, minMs, windowMs, maxSteps, probeConcurrency, tolerance };
}

export async function sweepCommand(opts: SweepOptions): Promise<SweepOutcome> {
  const settings = sweepSettings(opts);
  const loaded = await loadWorkload(opts.workload);
  const workload = seededWorkload(loaded, opts.seed);
  // The sweep makes its own phases: an SLO scoped to one of the file's phases has nothing to judge.
  const gates = await prepareGates({ slo: opts.slo, goodput: opts.goodput }, workload, []);
  const ctx = await openRunContext(opts, loaded, workload, { verb: 'sweep', outputs: (w) => runOutputPaths({ out: opts.out, workloadName: `${w.name}-sweep` }) });
  let live: LiveOutputs | null = null;
  try {
    live = await LiveOutputs.open(opts, { title: `${workload.name} sweep by ${settings.by} → ${redactUrl(ctx.baseUrl)}`, labels: { ...ctx.labels, sweep: settings.by }, log: ctx.log });
    if (live.active) live.model.info = { run_id: `${resultFileName(new Date(), `${workload.name}-sweep`).replace(/\.json$/, '')}`, workload: workload.name, model: await ctx.model(), target: redactUrl(ctx.baseUrl), version: VERSION };
    const outcome = await runSweep(ctx, settings, gates, opts, live);
    await live.linger();
    return outcome;
  } finally {
    await live?.close();
    await ctx.close();
  }
}

/** What a sweep gathers step by step: each step's Driver result, its note and outcome, and whether a signal stopped it. */
interface SweepState {
  runs: DriverResult[];
  notes: Map<number, StepNote>;
  done: SweepStep[];
  current: Driver | null;
  interrupted: boolean;
}

async function runSweep(ctx: RunContext, s: SweepSettings, gates: PreparedGates, opts: SweepOptions, live: LiveOutputs): Promise<SweepOutcome> {
  const model = await ctx.model();
  // One planner phase per possible step: each step draws its own seeded requests.
  const planner = createPlanner(ctx.workload, { model, tokenizer: ctx.tokenizer, phaseCount: s.maxSteps });
  // The client reads the sweep's clock, which starts after the warm start (the probe's connections
  // opened, the receive path compiled), so the first step is measured like the others.
  let clock = realClock();
  const { client, sender } = ctx.openClient(() => clock.now());
  const warm = opts.warmStart ? await warmStart(client, s.probeConcurrency) : null;
  clock = realClock();
  const startedAt = new Date();
  const name = `${ctx.workload.name}-sweep`;
  const file = join(opts.out, resultFileName(startedAt, name));
  if (live.active) live.model.info.run_id = resultFileName(startedAt, name).replace(/\.json$/, ''); // the result's own id
  const sampler = startClientSampler(clock.now);
  const timedPlanner = sampler.timed(planner);
  const state: SweepState = { runs: [], notes: new Map(), done: [], current: null, interrupted: false };
  const meta = (): RunResult['meta'] => ({ ...ctx.meta({ name, startedAt, now: clock.now, model, labels: { sweep: s.by } }, state.interrupted), ...(warm ? { warmStart: warm } : {}) });
  const stopSignals = stopOnSignals(ctx, 'the sweep', () => ({
    isStopped: state.interrupted,
    stop: () => {
      state.interrupted = true;
      state.current?.stop();
    },
    inFlightCount: client.inFlightCount,
    abortAll: () => sender.abortAll(),
  }));
  const runStep = async (load: StepLoad, role: StepRole, index: number, effort: number): Promise<StepOutcome> => {
    if (state.interrupted) throw new Interrupted();
    live.note(`sweep step ${index} of at most ${s.maxSteps}: ${role} at ${describeStepLoad(load)}`);
    const step = await measureStep(ctx, s, { planner: timedPlanner, sender, clock, gates, sampler, state, opts, live }, load, index, effort);
    const { outcome, note, line } = judgeSweepStep(step.run, assembleResult(step.run.result, meta(), step.sample, ctx.lagLimitMs), gates.slos, load, state.interrupted);
    state.runs.push(step.run.result);
    state.notes.set(index, note);
    state.done.push({ index, role, load, outcome });
    ctx.log(`step ${index} ${role} ${describeStepLoad(load)}: ${line}`);
    return outcome;
  };
  let search: SearchResult;
  try {
    search = await searchCapacity(runStep, { ...DEFAULT_SEARCH, by: s.by, maxSteps: s.maxSteps, probeConcurrency: s.probeConcurrency, tolerance: s.tolerance });
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
    search = searchSoFar(state.done, s.by);
  } finally {
    stopSignals();
    sampler.stop();
    await client.close();
    live.stopView(); // the screen back before the answer is printed on it
  }
  const result = withoutStepCancellations(assembleResult(combineSteps(state), meta(), sampler.sample(), ctx.lagLimitMs));
  return await finishSweep(result, search, gates.slos, state, file, s.by, opts);
}

/** One step: its phase on the sweep's planner and client, judged as its seconds close, with its own client-health sample. */
async function measureStep(
  ctx: RunContext,
  s: SweepSettings,
  o: { planner: Planner; sender: StepRunOptions['client']; clock: Clock; gates: PreparedGates; sampler: ClientSampler; state: SweepState; opts: SweepOptions; live: LiveOutputs },
  load: StepLoad,
  index: number,
  effort: number,
): Promise<{ run: StepRun; sample: ClientSample }> {
  const plan = stepPhasePlan(index - 1, stepPhaseName(index, load), load, s.maxMs);
  // Each step judges its own client health: one lagging step must not taint, or hide behind, the others.
  const stepSampler = startClientSampler(o.clock.now);
  try {
    const run = await runSweepStep({
      planner: o.planner, client: o.sender, clock: o.clock, seed: ctx.workload.seed, classNames: ctx.workload.classes.map((c) => c.name), goodput: o.gates.goodput, phase: plan, drainMs: ctx.drainMs,
      // Refinement steps and rechecks run longer: `effort` times the shortest step (RunStep).
      judge: {
        minMs: Math.min(s.maxMs, s.minMs * effort),
        maxMs: s.maxMs,
        windowS: s.windowMs / 1000,
        minRequests: (o.opts.minStepRequests ?? 30) * effort,
        offeredRps: load.kind === 'open' ? load.rateRps : null,
      },
      // Each step is its own Driver: its own live tap, whose close is not the sweep's end.
      sinks: [o.sampler, stepSampler, ...[o.live.tap(undefined, false)].filter((t) => t !== null)],
      onDriver: (driver) => (o.state.current = driver),
    });
    return { run, sample: stepSampler.sample() };
  } finally {
    stepSampler.stop();
  }
}

/** Ctrl-C: the steps so far still make a result and an answer (the best load that held so far). */
function searchSoFar(done: SweepStep[], by: SweepBy): SearchResult {
  const held = done.filter((s) => s.outcome.pass && !s.outcome.saturated && (by === 'concurrency' || s.load.kind === 'open'));
  const value = (s: SweepStep) => (s.load.kind === 'closed' ? s.load.concurrency : s.load.rateRps);
  return { steps: done, best: held.sort((a, b) => value(b) - value(a))[0] ?? null, firstFail: null, stoppedBy: 'max-steps' };
}

/** Every step's phase in one Driver result (one result file for the whole sweep). */
function combineSteps(state: SweepState): DriverResult {
  return {
    phases: state.runs.flatMap((d) => d.phases),
    timeseries: state.runs.flatMap((d) => d.timeseries),
    errorSamples: mergeSamples(state.runs.map((d) => d.errorSamples)),
    validitySamples: mergeSamples(state.runs.map((d) => d.validitySamples)),
    dispatchLag: mergeHistograms(state.runs.map((d) => d.dispatchLag)),
    interrupted: state.interrupted,
  };
}

/** The answer (printed first), the result file with the answer in it, and the exit code. */
async function finishSweep(result: RunResult, search: SearchResult, slos: Slo[], state: SweepState, file: string, by: SweepBy, opts: SweepOptions): Promise<SweepOutcome> {
  const answer = buildAnswer(result, search, slos, state.notes, file, by);
  // The answer travels in the result file, so `report` (text and HTML) can show it later.
  result.sweep = sweepRecord(answer, result, slos);
  // The answer first: a disk that fails the write still leaves it on screen.
  if (opts.json) process.stdout.write(`${JSON.stringify(result.sweep, null, 2)}\n`);
  else process.stdout.write(`${renderSweepText(answer)}\n`);
  const saved = await saveResult(file, result); // falls back to the temp dir, saying so
  if (!opts.json) process.stdout.write(`result: ${saved}\n`);
  const reached = verdict(result);
  const exitCode = reached === EXIT.unreachable ? EXIT.unreachable : state.interrupted ? EXIT.invalidRun : answer.bestPhase === null ? EXIT.slo : EXIT.ok;
  return { answer, result, file: saved, exitCode };
}

/**
 * The answer as the result file stores it (the `sweep` field): the SweepAnswer plus, per step, every
 * SLO's measured value on that step's phase (one check per entry of `answer.slos`, in order).
 */
export function sweepRecord(answer: SweepAnswer, result: RunResult, slos: Slo[]): SweepResult {
  const perSlo = slos.map((slo) => evaluateSlos(result, [slo]));
  return {
    ...answer,
    steps: answer.steps.map((step) => ({
      ...step,
      checks: slos.map((slo, i) => {
        const c = perSlo[i].find((x) => x.phase === step.phase);
        return { slo: slo.text, class: slo.class ?? '*', measured: c?.measured ?? null, pass: c?.pass ?? false };
      }),
    })),
  };
}

function mergeSamples(all: Record<string, string[]>[], limit = 5): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of all) {
    for (const [k, list] of Object.entries(s)) {
      const into = (out[k] ??= []);
      for (const m of list) if (into.length < limit) into.push(m);
    }
  }
  return out;
}

/**
 * One finished step → the search's outcome, the answer's note and the progress line. A step holds when
 * every SLO passed on it (the sweep's own cancellations are not errors), its queue did not run away and
 * its completed rate over the steady window agrees with its offered rate (sweep/held.ts). A step whose
 * client was saturated is noted: it may hold, but it cannot be the answer.
 */
export function judgeSweepStep(step: StepRun, assembled: RunResult, slos: Slo[], load: StepLoad, interrupted: boolean): { outcome: StepOutcome; note: StepNote; line: string } {
  const stepResult = withoutStepCancellations(assembled);
  const v = step.verdict;
  const phase = stepResult.phases[0];
  const all = phase?.groups.find((g) => g.class === '*');
  const checks = evaluateSlos(stepResult, slos);
  const saturated = v.state === 'saturated';
  const rates = phase ? phaseRates(phase) : null;
  const completedRps = step.window ? Math.round((step.window.ok / step.window.seconds) * 1000) / 1000 : (all?.throughput.requestsPerS ?? 0);
  const held = loadHeld(load.kind === 'open' ? load.rateRps : null, step.window?.ok ?? 0, step.window?.seconds ?? 0);
  const unheld: string[] = [];
  if (!held.held && held.why) unheld.push(held.why);
  // A lagging harness says nothing about the server, so the search goes on as the SLOs say; but the
  // step's timing is contaminated, so the answer passes it over (buildAnswer).
  const clientWhy = stepResult.clientSaturated ? `client ${stepResult.client.reason ?? 'saturated'}: ${stepResult.client.reasons.join('; ')} (timing contaminated)` : null;
  const outcome: StepOutcome = {
    pass: !interrupted && checks.length > 0 && checks.every((c) => c.pass) && unheld.length === 0,
    saturated,
    achievedRps: completedRps,
    outputTps: all?.throughput.outputTokensPerS ?? 0,
    sloRatio: sloRatio(checks),
  };
  const stop = v.state === 'running' ? (interrupted ? 'interrupted' : 'max-duration: the phase ended') : `${v.state}: ${v.reason}`;
  const note: StepNote = { phase: phase?.name ?? '', stop, saturated, unheld, offeredRps: rates?.offeredRps ?? null, sentRps: rates?.sentRps ?? null, clientSaturated: stepResult.clientSaturated, ...(clientWhy ? { clientWhy } : {}) };
  const ttft = all && all.ok > 0 ? `TTFT p95 ${all.metrics.ttftMs.p95Ms.toFixed(1)} ms` : 'no successful request';
  const verdictText = `${saturated ? 'FAIL (saturated)' : outcome.pass ? 'pass' : unheld.length > 0 ? `FAIL (${unheld.join('; ')})` : 'FAIL'}${clientWhy ? ` · not an answer: ${clientWhy}` : ''}`;
  const line = `${stop.split(':')[0]} after ${(phase?.durationS ?? 0).toFixed(1)}s · completed ${completedRps.toFixed(1)} rps · ${outcome.outputTps.toFixed(0)} out tok/s · ${ttft} · ${verdictText}`;
  return { outcome, note, line };
}
