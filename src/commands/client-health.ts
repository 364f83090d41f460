// The harness watching itself during a run (I/O edge: reads Node's own monitors and, on Linux, the
// scheduler's account of its main thread). Shared by run and sweep.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import type { RequestRecord } from '../client/record.js';
import type { LiveView, RunSink } from '../driver/sink.js';
import { newHistogram, percentileMs, recordMs, type Histogram } from '../metrics/histogram.js';
import type { ClientSample } from '../results/assemble.js';
import type { LoopHealth, StretchFigures } from '../results/format.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { Planner } from '../workload/plan.js';
import type { LagSecond, SchedSample } from '../results/client-verdict.js';

/** Node records the whole interval between its timer ticks, resolution included (an idle loop reads
 * p50 ≈ 5 ms at resolution 5): the resolution is subtracted so the numbers are the delay itself. */
const LOOP_RESOLUTION_MS = 5;

/** Main-thread CPU and run-queue wait so far, in ns; null where unreadable. Injectable so a test can be starved. */
export type SchedReader = () => { cpuNs: number; waitNs: number } | null;

/** Linux: /proc/self/schedstat is "<ns on CPU> <ns waiting on a run queue> <timeslices>" for the main thread. */
export const readProcSchedstat: SchedReader = () => {
  try {
    const [cpu, wait] = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(cpu) && Number.isFinite(wait) ? { cpuNs: cpu, waitNs: wait } : null;
  } catch {
    return null;
  }
};

export interface ClientSampler extends RunSink {
  /** Event-loop delay, utilisation, CPU, scheduler figures and peak RSS since the sampler started. */
  sample(): ClientSample;
  /** A sink of the run: each one-second tick closes a second of the per-second lag series. */
  tick(view: LiveView): void;
  /** The planner with each body build timed (prompt synthesis, tokenization, serialisation): the loop's likeliest long task. */
  timed<P extends Planner>(planner: P): P;
  stop(): void;
}

/** Starts watching the event loop; `now` is the run clock (ms since its start). */
export function startClientSampler(now: () => number, readSched: SchedReader = readProcSchedstat): ClientSampler {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  // A second monitor reset every second: the run-long one above must keep its whole distribution.
  const second = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  second.enable();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const sched0 = readSched();
  const t0 = now();
  const lagSeconds: LagSecond[] = [];
  let lastTickS: number | null = null;
  /** The largest dispatch lag since the last tick. */
  let secondLagMaxMs = 0;
  const watch = new LoopWatch();
  return {
    phaseStart: (phase, atMs) => watch.phaseStart(phase, atMs),
    record: (record) => watch.record(record),
    timed: (planner) => watch.timed(planner),
    dispatchLag: (lagMs, atMs) => {
      if (lagMs > secondLagMaxMs) secondLagMaxMs = lagMs;
      watch.dispatchLag(lagMs, atMs);
    },
    tick: (view) => {
      const tS = Math.max(0, Math.round(view.atMs / 1000) - 1);
      if (lastTickS !== tS) lagSeconds.push({ tS, loopDelayMaxMs: loopDelayMs(second.max), dispatchLagMaxMs: Math.round(Math.max(0, secondLagMaxMs) * 1000) / 1000 });
      secondLagMaxMs = 0;
      lastTickS = tS;
      second.reset();
    },
    sample: () => {
      const cpu = process.cpuUsage(cpu0);
      return {
        eventLoopDelayP50Ms: loopDelayMs(loop.percentile(50)),
        eventLoopDelayP99Ms: loopDelayMs(loop.percentile(99)),
        eventLoopDelayMaxMs: loopDelayMs(loop.max),
        eventLoopUtilization: Math.round(performance.eventLoopUtilization(elu0).utilization * 1000) / 1000,
        // Over the sampler's own span: a sweep step's sampler starts mid-run.
        cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, now() - t0)) * 1000) / 10,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        sched: schedSince(sched0, readSched(), now() - t0),
        lagSeconds: [...lagSeconds],
        loop: watch.health(loopDelayMs(loop.max)),
      };
    },
    stop: () => {
      loop.disable();
      second.disable();
      watch.stop();
    },
  };
}

function schedSince(a: ReturnType<SchedReader>, b: ReturnType<SchedReader>, wallMs: number): SchedSample | null {
  if (a === null || b === null) return null;
  const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
  return { wallMs: Math.round(wallMs * 1000) / 1000, threadCpuMs: ms(b.cpuNs - a.cpuNs), runQueueWaitMs: ms(b.waitNs - a.waitNs) };
}

function loopDelayMs(ns: number): number {
  const ms = Number.isFinite(ns) ? Math.round(ns / 1e3) / 1e3 : 0;
  return Math.max(0, Math.round((ms - LOOP_RESOLUTION_MS) * 1000) / 1000);
}

/** One stretch of the run's figures, kept as histograms so percentiles are exact to HDR precision. */
class Stretch {
  requests = 0;
  readonly queue = newHistogram();
  readonly ttft = newHistogram();
  readonly dispatchLag = newHistogram();
  add(r: RequestRecord): void {
    this.requests++;
    recordMs(this.queue, r.queueMs);
    if (r.ttftMs !== null) recordMs(this.ttft, r.ttftMs);
  }
  figures(): StretchFigures | null {
    if (this.requests === 0 && this.dispatchLag.totalCount === 0) return null;
    return {
      requests: this.requests,
      dispatchLagP99Ms: percentileMs(this.dispatchLag, 99),
      queueP99Ms: percentileMs(this.queue, 99),
      ttftP99Ms: this.ttft.totalCount > 0 ? percentileMs(this.ttft, 99) : null,
    };
  }
}

/**
 * GC pauses (perf_hooks 'gc' entries of this process), timed body builds, and the run's first second
 * beside the rest: what the issue "a quiet measuring loop" asks the result to show.
 */
class LoopWatch {
  private readonly gc = newHistogram();
  private gcTotalMs = 0;
  private readonly builds = newHistogram();
  private readonly observer: PerformanceObserver;
  /** Run-clock start of the first phase: the first second is [t0, t0 + 1000). */
  private t0Ms: number | null = null;
  private readonly first = new Stretch();
  private readonly rest = new Stretch();

  constructor() {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        recordMs(this.gc, e.duration);
        this.gcTotalMs += e.duration;
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  phaseStart(_phase: PhasePlan, atMs: number): void {
    this.t0Ms ??= atMs;
  }

  record(r: RequestRecord): void {
    if (this.t0Ms === null) return;
    (r.scheduledAtMs < this.t0Ms + 1000 ? this.first : this.rest).add(r);
  }

  /** A send `lagMs` late at `atMs`: it belongs to the first second when it was due in it (as records go by their due time). */
  dispatchLag(lagMs: number, atMs: number): void {
    if (this.t0Ms === null) return;
    recordMs((atMs - lagMs < this.t0Ms + 1000 ? this.first : this.rest).dispatchLag, lagMs);
  }

  timed<P extends Planner>(planner: P): P {
    const builds = this.builds;
    const time = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
      const t = performance.now();
      try {
        return f(...a);
      } finally {
        recordMs(builds, performance.now() - t);
      }
    };
    // A view of the same planner whose building methods are timed (the rest, workload included, is inherited).
    const wrapped = Object.create(planner) as P;
    const methods: Record<string, unknown> = wrapped as unknown as Record<string, unknown>;
    for (const name of ['plan', 'planSized', 'followUp']) {
      const f = (planner as unknown as Record<string, unknown>)[name];
      if (typeof f === 'function') methods[name] = time((...a: unknown[]) => (f as (...x: unknown[]) => unknown).apply(planner, a));
    }
    return wrapped;
  }

  health(longestTaskMs: number): LoopHealth {
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    return {
      gcPauses: { count: this.gc.totalCount, totalMs: r3(this.gcTotalMs), p99Ms: percentileMs(this.gc, 99), maxMs: percentileMs(this.gc, 100) },
      longestTaskMs,
      bodyBuild: { count: this.builds.totalCount, p99Ms: percentileMs(this.builds, 99), maxMs: percentileMs(this.builds, 100) },
      firstSecond: this.first.figures(),
      afterFirstSecond: this.rest.figures(),
    };
  }

  stop(): void {
    this.observer.disconnect();
  }
}
