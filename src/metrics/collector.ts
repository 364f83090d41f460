// The run's own sink: records in, per phase × class HDR histograms and counters (accumulator.ts), the
// per-second time series (timeseries.ts) and the first few error and validity messages per class out.
// Its result() is what results/assemble.ts turns into a result file.
import type { RequestRecord } from '../client/record.js';
import type { RequestOutcome } from '../client/openai.js';
import type { DriverRun, LiveView, PhaseCounts, RunSink } from '../driver/run.js';
import type { GoodputCriteria } from '../slo/goodput.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { RequestPlan } from '../workload/plan.js';
import { PhaseStats } from './accumulator.js';
import type { Histogram } from './histogram.js';
import { Timeseries, type TimeseriesPoint } from './timeseries.js';

export interface PhaseRun extends PhaseCounts {
  /** null for warm-up phases (record: false). */
  stats: PhaseStats | null;
}

export interface DriverResult {
  phases: PhaseRun[];
  timeseries: TimeseriesPoint[];
  errorSamples: Record<string, string[]>;
  validitySamples: Record<string, string[]>;
  /** Lateness of the pacer for requests that had a free slot: the harness's own delay. */
  dispatchLag: Histogram;
  interrupted: boolean;
}

export interface CollectorOptions {
  classNames: readonly string[];
  /** Per-request goodput criteria: the accumulator counts the requests that meet them. */
  goodput?: GoodputCriteria | null;
  /** Error and validity messages kept per class (default 5). */
  samplesPerClass?: number;
}

export class RunCollector implements RunSink {
  readonly timeseries = new Timeseries(1000);
  readonly errorSamples: Record<string, string[]> = {};
  readonly validitySamples: Record<string, string[]> = {};
  private readonly finished: PhaseRun[] = [];
  private stats: PhaseStats | null = null;
  private phase: PhasePlan | null = null;

  constructor(private readonly opts: CollectorOptions) {}

  phaseStart(phase: PhasePlan): void {
    this.phase = phase;
    this.stats = phase.record ? new PhaseStats(this.opts.classNames, this.opts.goodput ?? null) : null;
  }

  gapListener(_phase: PhasePlan, className: string): ((gapMs: number) => void) | undefined {
    return this.stats?.gapSink(className);
  }

  record(r: RequestRecord, outcome: RequestOutcome, plan: RequestPlan, atMs: number): void {
    this.stats?.add(r, plan.maxTokens);
    if (outcome.retries) this.stats?.addRetries(r.class, outcome.retries);
    this.timeseries.add(r, atMs, r.phase);
    const limit = this.opts.samplesPerClass ?? 5;
    if (r.errorClass && outcome.errorMessage) addSample(this.errorSamples, r.errorClass, outcome.errorMessage, limit);
    if (r.validity && r.validity !== 'valid') addSample(this.validitySamples, r.class, `${r.validity}: ${outcome.validityDetail ?? ''}`.trim(), limit);
  }

  tick(view: LiveView): void {
    this.timeseries.tick(view.atMs, view.phase?.name ?? '', view.inFlight);
  }

  phaseEnd(counts: PhaseCounts): void {
    this.finished.push({ ...counts, stats: this.stats });
    this.stats = null;
    this.phase = null;
  }

  close(view: LiveView): void {
    this.timeseries.finish(view.atMs, view.phase?.name ?? '', view.inFlight);
  }

  /** The whole run, once the Driver has returned. */
  result(run: DriverRun): DriverResult {
    return {
      phases: this.finished,
      timeseries: this.timeseries.points,
      errorSamples: this.errorSamples,
      validitySamples: this.validitySamples,
      dispatchLag: run.dispatchLag,
      interrupted: run.interrupted,
    };
  }

  /**
   * The run so far, shaped like result() (for checkpoints): the finished phases, then the running one
   * with the requests that have completed (in-flight ones are not in it yet), its wall time up to now
   * and no drops counted; closed seconds of the time series only. The histograms are the live ones, so
   * encode the snapshot (assembleResult) before the next request completes.
   */
  snapshot(view: LiveView): DriverResult {
    const phases = [...this.finished];
    const phase = this.phase;
    if (phase) {
      const elapsedMs = view.atMs - view.phaseStartedAtMs;
      phases.push({
        plan: phase,
        stats: this.stats,
        startedAtMs: view.phaseStartedAtMs,
        endedAtMs: view.atMs,
        scheduled: Math.max(view.scheduled, view.started),
        sent: view.started,
        dropped: 0,
        achievedRateRps: phase.load.kind === 'open' && elapsedMs > 0 ? Math.round((view.started / (elapsedMs / 1000)) * 1000) / 1000 : null,
        requestsSent: view.sent,
      });
    }
    return {
      phases,
      timeseries: [...this.timeseries.points],
      errorSamples: structuredClone(this.errorSamples),
      validitySamples: structuredClone(this.validitySamples),
      dispatchLag: view.dispatchLag,
      interrupted: view.stopped,
    };
  }
}

function addSample(into: Record<string, string[]>, key: string, message: string, limit: number): void {
  const list = (into[key] ??= []);
  if (list.length < limit) list.push(message);
}
