// The harness watching itself during a run (I/O edge: reads Node's own monitors). Shared by run and sweep.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { ClientSample } from '../results/assemble.js';

/** Node records the whole interval between its timer ticks, resolution included (an idle loop reads
 * p50 ≈ 5 ms at resolution 5): the resolution is subtracted so the numbers are the delay itself. */
const LOOP_RESOLUTION_MS = 5;

export interface ClientSampler {
  /** Event-loop delay, utilisation, CPU and peak RSS since the sampler started. */
  sample(): ClientSample;
  stop(): void;
}

/** Starts watching the event loop; `now` is the run clock (ms since its start). */
export function startClientSampler(now: () => number): ClientSampler {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  return {
    sample: () => {
      const cpu = process.cpuUsage(cpu0);
      return {
        eventLoopDelayP50Ms: loopDelayMs(loop.percentile(50)),
        eventLoopDelayP99Ms: loopDelayMs(loop.percentile(99)),
        eventLoopDelayMaxMs: loopDelayMs(loop.max),
        eventLoopUtilization: Math.round(performance.eventLoopUtilization(elu0).utilization * 1000) / 1000,
        cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, now())) * 1000) / 10,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      };
    },
    stop: () => loop.disable(),
  };
}

function loopDelayMs(ns: number): number {
  const ms = Number.isFinite(ns) ? Math.round(ns / 1e3) / 1e3 : 0;
  return Math.max(0, Math.round((ms - LOOP_RESOLUTION_MS) * 1000) / 1000);
}
