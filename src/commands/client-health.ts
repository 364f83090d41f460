// The harness watching itself during a run (I/O edge: reads Node's own monitors and, on Linux, the
// scheduler's account of its main thread). Shared by run and sweep.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { LiveView, RunSink } from '../driver/sink.js';
import { newHistogram, percentileMs } from '../metrics/histogram.js';
import type { ClientSample } from '../results/assemble.js';
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
  const lagSeen = newHistogram();
  let lastTickS: number | null = null;
  let lagOf: LiveView['dispatchLag'] | null = null;
  return {
    tick: (view) => {
      // Dispatch lag within this second: the Driver's histogram less what earlier seconds saw (a sweep
      // runs one Driver, so one histogram, per step: a new one starts from nothing).
      if (lagOf !== view.dispatchLag) lagSeen.reset();
      lagOf = view.dispatchLag;
      const d = newHistogram();
      d.add(view.dispatchLag);
      d.subtract(lagSeen);
      lagSeen.add(d);
      const tS = Math.max(0, Math.round(view.atMs / 1000) - 1);
      if (lastTickS !== tS) lagSeconds.push({ tS, loopDelayMaxMs: loopDelayMs(second.max), dispatchLagMaxMs: d.totalCount > 0 ? percentileMs(d, 100) : 0 });
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
      };
    },
    stop: () => {
      loop.disable();
      second.disable();
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
