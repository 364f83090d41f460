// One sweep step: a Driver running one phase, with a sink that judges the step on each second the time
// series closes (steady.ts) and stops it once it is steady, runaway-saturated or out of time. What is
// still in flight then may finish within a drain limit (short for a runaway queue: it only measures
// itself). Time comes from the caller's Clock, so the step logic runs on a virtual one in tests.
import { Driver, type LiveView, type RequestSender, type RunSink } from '../driver/run.js';
import { RunCollector, type DriverResult } from '../metrics/collector.js';
import type { GoodputCriteria } from '../slo/goodput.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { Clock } from '../util/clock.js';
import type { Planner } from '../workload/plan.js';
import { steadyWindow } from '../sweep/held.js';
import { judgeStep, type StepJudgeOptions, type StepVerdict } from '../sweep/steady.js';

export interface StepRunOptions {
  planner: Planner;
  client: RequestSender & { abortAll(): void };
  clock: Clock;
  seed: number;
  classNames: readonly string[];
  goodput: GoodputCriteria | null;
  /** The step's one phase (its durationMs is the step's longest run). */
  phase: PhasePlan;
  /** How the step is judged; elapsedMs is filled in at each tick. */
  judge: Omit<StepJudgeOptions, 'elapsedMs'>;
  /** After the verdict, how long in-flight requests may finish before they are cancelled. */
  drainMs: number;
  /** Further sinks of the step's Driver (the client samplers). */
  sinks?: RunSink[];
  /** Called with the step's Driver while it runs, and null after (for Ctrl-C). */
  onDriver?: (driver: Driver | null) => void;
}

export interface StepRun {
  result: DriverResult;
  /** `running` when the phase ended on its own (its duration) or was interrupted. */
  verdict: StepVerdict;
  /** When the verdict stopped the step (null when it ran its course). */
  stopAtMs: number | null;
  /** Successful completions in the step's steady window (sweep/held.ts), over which its completed rate is read. */
  window: { seconds: number; ok: number } | null;
}

/** The sink that watches a step: judges the closed seconds of this phase at each tick. */
class StepWatch implements RunSink {
  verdict: StepVerdict = { state: 'running' };
  stopAtMs: number | null = null;
  private cancelDrain: () => void = () => {};
  constructor(
    private readonly collector: RunCollector,
    private readonly o: StepRunOptions,
    private readonly startedAtMs: number,
    private readonly stop: () => void,
  ) {}

  tick(view: LiveView): void {
    if (this.stopAtMs !== null) return;
    const name = this.o.phase.name;
    const points = this.collector.timeseries.points.filter((p) => p.phase === name).slice(1); // the first second is partial
    this.verdict = judgeStep(points, { ...this.o.judge, elapsedMs: view.atMs - this.startedAtMs });
    if (this.verdict.state === 'running') return;
    this.stopAtMs = Math.min(view.atMs, this.startedAtMs + this.o.judge.maxMs);
    this.stop();
    const drainMs = this.verdict.state === 'saturated' ? Math.min(1000, this.o.drainMs) : this.o.drainMs;
    this.cancelDrain = this.o.clock.at(view.atMs + drainMs, () => this.o.client.abortAll());
  }

  close(): void {
    this.cancelDrain();
  }
}

export async function runSweepStep(o: StepRunOptions): Promise<StepRun> {
  const collector = new RunCollector({ classNames: o.classNames, goodput: o.goodput });
  let driver: Driver | null = null;
  const watch = new StepWatch(collector, o, o.clock.now(), () => driver?.stop());
  driver = new Driver({ planner: o.planner, phases: [o.phase], client: o.client, clock: o.clock, seed: o.seed, sinks: [collector, watch, ...(o.sinks ?? [])] });
  o.onDriver?.(driver);
  let result: DriverResult;
  try {
    result = collector.result(await driver.run());
  } finally {
    o.onDriver?.(null);
  }
  const run = result.phases[0];
  if (run && watch.stopAtMs !== null && o.phase.load.kind === 'open') {
    // Stopped before its maximum duration: the achieved rate is over the time it actually scheduled.
    const windowS = (watch.stopAtMs - run.startedAtMs) / 1000;
    run.achievedRateRps = windowS > 0 ? Math.round((run.sent / windowS) * 1000) / 1000 : null;
  }
  const endMs = watch.stopAtMs ?? (run ? Math.min(run.endedAtMs, run.startedAtMs + o.judge.maxMs) : 0);
  const points = collector.timeseries.points.filter((p) => p.phase === o.phase.name);
  const window = run ? steadyWindow(points, run.startedAtMs, endMs, o.judge.windowS) : null;
  return { result, verdict: watch.verdict, stopAtMs: watch.stopAtMs, window };
}
