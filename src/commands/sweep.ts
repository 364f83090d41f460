// `loadshape sweep`: the I/O edge of the capacity search. It wires the same stages as `run` (planner,
// OpenAIClient, Driver, assembleResult, SLO evaluation) around the pure search in src/sweep: each step
// is one Driver running one phase (sweep/step.ts), judged on each second its time series closes for
// steady state or runaway saturation, stopped early when either shows; all steps become the phases of ONE
// result file, so report/compare/export/html read a sweep like any run.
import { join } from 'node:path';
import type { Driver } from '../driver/run.js';
import type { DriverResult } from '../metrics/collector.js';
import { runSweepStep, type StepRun } from './sweep-step.js';
import { realClock } from '../util/clock.js';
import { prepareGates } from './gates.js';
import { evaluateSlos, type Slo } from '../gates/slo.js';
import { mergeHistograms } from '../metrics/histogram.js';
import { assembleResult, DEFAULT_CLIENT_LAG_LIMIT_MS, type ClientSample } from '../results/assemble.js';
import type { RunResult, SweepResult } from '../results/format.js';
import { resultFileName } from '../results/io.js';
import { phaseRates } from '../results/rates.js';
import { loadHeld, withoutStepCancellations } from '../sweep/held.js';
import { stepPhasePlan } from '../schedule/phases.js';
import { buildAnswer, describeStepLoad, type StepNote, type SweepAnswer } from '../sweep/answer.js';
import { renderSweepText } from '../report/sweep-text.js';
import { DEFAULT_SEARCH, searchCapacity, sloRatio, type SearchResult, type StepLoad, type StepOutcome, type StepRole, type SweepBy, type SweepStep } from '../sweep/search.js';
import { parseDurationMs, usageError } from '../util/errors.js';
import { loadWorkload } from '../workload/load.js';
import { createPlanner } from '../workload/plan.js';
import { loadTokenizer } from '../workload/tokenizer.js';
import { startClientSampler } from './client-health.js';
import { checkClientFlags, openClient, type ClientFlags } from './client-options.js';
import { resultMeta } from './meta.js';
import { loadSimSettings, startEmbeddedSimulator, type EmbeddedSim } from './embedded-sim.js';
import { STOP_SIGNALS } from './flag-values.js';
import { checkOutputPaths, runOutputPaths, saveResult } from './output-paths.js';
import { EXIT, buildHeaders, checkTarget, clientTimeouts, discoverModel, parseLabels, verdict } from './run.js';

export interface SweepOptions extends ClientFlags {
  workload: string;
  slo: string[];
  goodput?: string;
  by: string;
  json: boolean;
  target?: string;
  model?: string;
  seed?: number;
  simProfile?: string;
  simConfig?: string;
  simFault?: string[];
  /** Longest a step may run (it ends earlier once steady or saturated). */
  stepDuration: string;
  /** Shortest a steady step runs. */
  minStepDuration: string;
  /** Rolling window of the steady-state check. */
  steadyWindow: string;
  /** Completions a step needs before it may be called steady. */
  minStepRequests?: number;
  maxSteps?: number;
  probeConcurrency?: number;
  /** Relative width at which the bisection stops (rate), e.g. 0.05. */
  tolerance?: number;
  out: string;
  quiet: boolean;
  label: string[];
  header: string[];
  apiKeyEnv?: string;
  apiKeyFile?: string;
  tokenizer?: string;
  timeoutTtfb?: string;
  timeoutIdle?: string;
  timeoutTotal?: string;
  /** After a step stops, how long its in-flight requests may finish before they are cancelled. */
  drain?: string;
  /** `--max-client-lag`: the harness lag past which a step's client is saturated (it cannot be the answer). */
  maxClientLag?: string;
}

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

export async function sweepCommand(opts: SweepOptions): Promise<SweepOutcome> {
  if (opts.by !== 'rate' && opts.by !== 'concurrency') throw usageError(`--by: expected rate or concurrency, got "${opts.by}"`);
  const by: SweepBy = opts.by;
  if (opts.slo.length === 0) throw usageError("sweep needs at least one --slo to bound the search, e.g. --slo 'ttft.p95 < 500ms' --slo 'error_rate < 1%'");
  const maxMs = parseDurationMs(opts.stepDuration, '--step-duration');
  const minMs = parseDurationMs(opts.minStepDuration, '--min-step-duration');
  const windowMs = parseDurationMs(opts.steadyWindow, '--steady-window');
  const drainMs = opts.drain ? parseDurationMs(opts.drain, '--drain') : 10_000;
  const lagLimitMs = opts.maxClientLag === undefined ? DEFAULT_CLIENT_LAG_LIMIT_MS : parseDurationMs(opts.maxClientLag, '--max-client-lag');
  if (!(lagLimitMs > 0)) throw usageError(`--max-client-lag: give a positive duration such as 10ms, got ${opts.maxClientLag}`);
  if (minMs > maxMs) throw usageError(`--min-step-duration (${opts.minStepDuration}) is longer than --step-duration (${opts.stepDuration})`);
  if (windowMs < 1000) throw usageError(`--steady-window: the time series has one point per second; give at least 1s, got ${opts.steadyWindow}`);
  const maxSteps = opts.maxSteps ?? DEFAULT_SEARCH.maxSteps;
  if (!Number.isInteger(maxSteps) || maxSteps < 3) throw usageError(`--max-steps: at least 3 (baseline, probe and one step), got ${opts.maxSteps}`);
  const probeConcurrency = opts.probeConcurrency ?? DEFAULT_SEARCH.probeConcurrency;
  if (!Number.isInteger(probeConcurrency) || probeConcurrency < 2) throw usageError(`--probe-concurrency: an integer of at least 2, got ${opts.probeConcurrency}`);
  const tolerance = opts.tolerance ?? DEFAULT_SEARCH.tolerance;
  if (!(tolerance > 0 && tolerance < 1)) throw usageError(`--tolerance: a fraction between 0 and 1 (e.g. 0.05), got ${opts.tolerance}`);

  const loaded = await loadWorkload(opts.workload);
  const workload = structuredClone(loaded.workload);
  if (opts.seed !== undefined) workload.seed = opts.seed;
  // The sweep makes its own phases: an SLO scoped to one of the file's phases has nothing to judge.
  const gates = await prepareGates({ slo: opts.slo, goodput: opts.goodput }, workload, []);
  checkClientFlags(opts);
  const headers = await buildHeaders(opts);
  const labels = parseLabels(opts.label);
  const tokenizer = await loadTokenizer(opts.tokenizer);
  const timeouts = clientTimeouts(opts);
  await checkOutputPaths(runOutputPaths({ out: opts.out, workloadName: `${workload.name}-sweep` })); // before anything is sent
  const log = (m: string) => {
    if (!opts.quiet) process.stderr.write(`${m}\n`);
  };

  let sim: EmbeddedSim | null = null;
  let baseUrl: string;
  if (opts.target) {
    baseUrl = checkTarget(opts.target);
  } else {
    const simSettings = await loadSimSettings({ prefix: '--sim-', profile: opts.simProfile, config: opts.simConfig, faults: opts.simFault });
    sim = await startEmbeddedSimulator({ ...simSettings });
    baseUrl = sim.url;
    log(`embedded simulator (${simSettings.profile}) at ${baseUrl} (pass --target URL to sweep a real endpoint)`);
  }

  try {
    const model = opts.model ?? workload.defaults.model ?? (await discoverModel(baseUrl, headers, opts.insecure));
    // One planner phase per possible step: each step draws its own seeded requests.
    const planner = createPlanner(workload, { model, tokenizer, phaseCount: maxSteps });
    const clock = realClock();
    const now = clock.now;
    const { client, sender } = openClient(opts, { baseUrl, headers, timeouts }, now, workload.seed);
    const startedAt = new Date();
    const file = join(opts.out, resultFileName(startedAt, `${workload.name}-sweep`));
    const sampler = startClientSampler(now);
    const sample = (): ClientSample => sampler.sample();
    let interrupted = false;
    const metaContext = {
      runId: resultFileName(startedAt, `${workload.name}-sweep`).replace(/\.json$/, ''),
      startedAt, now, loaded, workload, baseUrl, simOptions: sim ? sim.options : null, model, tokenizerName: tokenizer.name,
      labels: { ...labels, sweep: by },
    };
    const meta = (): RunResult['meta'] => resultMeta(metaContext, interrupted);

    const runs: DriverResult[] = [];
    const notes = new Map<number, StepNote>();
    const done: SweepStep[] = [];
    let current: Driver | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) {
        sender.abortAll();
        return;
      }
      interrupted = true;
      log(`\n${signal}: stopping the sweep; draining ${client.inFlightCount} in-flight requests for up to ${drainMs / 1000}s (again to cancel now)`);
      current?.stop();
      setTimeout(() => sender.abortAll(), drainMs).unref();
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

    const runStep = async (load: StepLoad, role: StepRole, index: number, effort: number): Promise<StepOutcome> => {
      if (interrupted) throw new Interrupted();
      const name = stepPhaseName(index, load);
      const plan = stepPhasePlan(index - 1, name, load, maxMs);
      // Each step judges its own client health: one lagging step must not taint, or hide behind, the others.
      const stepSampler = startClientSampler(now);
      let step: StepRun;
      try {
        step = await runSweepStep({
          planner, client: sender, clock, seed: workload.seed, classNames: workload.classes.map((c) => c.name), goodput: gates.goodput, phase: plan, drainMs,
          // Refinement steps and rechecks run longer: `effort` times the shortest step (RunStep).
          judge: {
            minMs: Math.min(maxMs, minMs * effort),
            maxMs,
            windowS: windowMs / 1000,
            minRequests: (opts.minStepRequests ?? 30) * effort,
            offeredRps: load.kind === 'open' ? load.rateRps : null,
          },
          sinks: [sampler, stepSampler],
          onDriver: (driver) => (current = driver),
        });
      } finally {
        stepSampler.stop();
      }
      runs.push(step.result);
      const { outcome, note, line } = judgeSweepStep(step, assembleResult(step.result, meta(), stepSampler.sample(), lagLimitMs), gates.slos, load, interrupted);
      notes.set(index, note);
      done.push({ index, role, load, outcome });
      log(`step ${index} ${role} ${describeStepLoad(load)}: ${line}`);
      return outcome;
    };

    let search: SearchResult;
    try {
      search = await searchCapacity(runStep, { ...DEFAULT_SEARCH, by, maxSteps, probeConcurrency, tolerance });
    } catch (err) {
      if (!(err instanceof Interrupted)) throw err;
      // Ctrl-C: the steps so far still make a result and an answer (the best load that held so far).
      const held = done.filter((s) => s.outcome.pass && !s.outcome.saturated && (by === 'concurrency' || s.load.kind === 'open'));
      const value = (s: SweepStep) => (s.load.kind === 'closed' ? s.load.concurrency : s.load.rateRps);
      search = { steps: done, best: held.sort((a, b) => value(b) - value(a))[0] ?? null, firstFail: null, stoppedBy: 'max-steps' };
    } finally {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      sampler.stop();
      await client.close();
    }

    const combined: DriverResult = {
      phases: runs.flatMap((d) => d.phases),
      timeseries: runs.flatMap((d) => d.timeseries),
      errorSamples: mergeSamples(runs.map((d) => d.errorSamples)),
      validitySamples: mergeSamples(runs.map((d) => d.validitySamples)),
      dispatchLag: mergeHistograms(runs.map((d) => d.dispatchLag)),
      interrupted,
    };
    const result = withoutStepCancellations(assembleResult(combined, meta(), sample(), lagLimitMs));
    const answer = buildAnswer(result, search, gates.slos, notes, file, by);
    // The answer travels in the result file, so `report` (text and HTML) can show it later.
    result.sweep = sweepRecord(answer, result, gates.slos);
    // The answer first: a disk that fails the write still leaves it on screen.
    if (opts.json) process.stdout.write(`${JSON.stringify(result.sweep, null, 2)}\n`);
    else process.stdout.write(`${renderSweepText(answer)}\n`);
    const saved = await saveResult(file, result); // falls back to the temp dir, saying so
    if (!opts.json) process.stdout.write(`result: ${saved}\n`);
    const reached = verdict(result);
    const exitCode = reached === EXIT.unreachable ? EXIT.unreachable : interrupted ? EXIT.invalidRun : answer.bestPhase === null ? EXIT.slo : EXIT.ok;
    return { answer, result, file: saved, exitCode };
  } finally {
    await sim?.close();
  }
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
