// Why the harness lagged, and when (pure): an overloaded harness (its own work took the CPU) and a
// starved one (other processes took the CPU it needed) both invalidate timing, but need opposite fixes.
import type { LoopHealth, StretchFigures } from './format.js';

/** One second of run time, as the client sampler saw it. */
export interface LagSecond {
  /** Second start, seconds from run start. */
  tS: number;
  /** Worst event-loop delay within the second (resolution subtracted). */
  loopDelayMaxMs: number;
  /** Worst pacer lateness of a request that had a free slot within the second; 0 when none was sent. */
  dispatchLagMaxMs: number;
}

/** What the scheduler says about the harness's main (JS) thread over the run, from /proc/self/schedstat. */
export interface SchedSample {
  /** Wall time the sample covers. */
  wallMs: number;
  /** CPU time the main thread ran. */
  threadCpuMs: number;
  /** Time the main thread was runnable but waited for a CPU (run-queue wait). */
  runQueueWaitMs: number;
}

export type SaturationReason = 'overloaded' | 'starved';

/**
 * Starvation rule: the main thread used under half a core AND waited for a CPU at least a quarter as
 * long as it ran. On a quiet machine the run-queue wait is a few % of CPU time; a harness that lags
 * while using little CPU and queueing that long lost the CPU to other processes, so lowering its load
 * fixes nothing.
 */
export const STARVED_MAX_CPU_SHARE = 0.5;
export const STARVED_MIN_WAIT_PER_CPU = 0.25;

export interface SaturationCause {
  reason: SaturationReason;
  /** One line saying what the numbers show. */
  detail: string;
  advice: string;
}

const ADVICE: Record<SaturationReason, string> = {
  overloaded: 'Lower the load, add --workers (one process per core), shard across machines (--shard i/N), or use a bigger machine.',
  starved:
    'The machine is busy, not the harness: run on a quiet machine (stop other load), raise the harness priority (nice -n -5 loadshape …) or pin it to cores of its own (taskset -c 2,3 loadshape …); lowering the load will not help.',
};

export function adviceFor(reason: SaturationReason): string {
  return ADVICE[reason];
}

/** The cause of a lag already found (pure; `sched` null where /proc/self/schedstat is unreadable: not Linux). */
export function saturationCause(sched: SchedSample | null): SaturationCause {
  if (sched === null || sched.wallMs <= 0) {
    return { reason: 'overloaded', detail: 'no scheduler statistics on this system: starvation by other processes cannot be told apart', advice: ADVICE.overloaded };
  }
  const cpuShare = sched.threadCpuMs / sched.wallMs;
  const waitShare = sched.runQueueWaitMs / sched.wallMs;
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const starved = cpuShare < STARVED_MAX_CPU_SHARE && sched.runQueueWaitMs >= STARVED_MIN_WAIT_PER_CPU * sched.threadCpuMs;
  if (starved) {
    return {
      reason: 'starved',
      detail: `the machine is busy: the harness's main thread got ${pct(cpuShare)} of a core while it needed ${pct(cpuShare + waitShare)} (it waited ${(sched.runQueueWaitMs / 1000).toFixed(2)} s for a CPU other processes held)`,
      advice: ADVICE.starved,
    };
  }
  return {
    reason: 'overloaded',
    detail: `the harness's own work: its main thread used ${pct(cpuShare)} of a core (run-queue wait ${pct(waitShare)} of the run)`,
    advice: ADVICE.overloaded,
  };
}

export interface LagWhen {
  /** Seconds whose worst loop delay or dispatch lag exceeded the limit. */
  secondsOver: number;
  /** The first such second (s from run start) and its worst lag; null when none exceeded it. */
  firstS: number | null;
  firstMs: number | null;
  /** The second with the worst lag and that lag (null on an empty series). */
  worstS: number | null;
  worstMs: number | null;
}

/** First and worst seconds of lag: tells a cold start (lag in the first seconds only) from a whole-run lag. */
export function lagWhen(seconds: readonly LagSecond[], lagLimitMs: number): LagWhen {
  let firstS: number | null = null;
  let firstMs: number | null = null;
  let worstS: number | null = null;
  let worstMs: number | null = null;
  let secondsOver = 0;
  for (const s of seconds) {
    const ms = Math.max(s.loopDelayMaxMs, s.dispatchLagMaxMs);
    if (ms > lagLimitMs) {
      secondsOver++;
      if (firstS === null) [firstS, firstMs] = [s.tS, ms];
    }
    if (worstMs === null || ms > worstMs) [worstS, worstMs] = [s.tS, ms];
  }
  return { secondsOver, firstS, firstMs, worstS, worstMs };
}

/** Per-second series of several processes (workers, shards) on one run clock: the worst of each second. */
export function mergeLagSeconds(series: readonly (readonly LagSecond[])[]): LagSecond[] {
  const by = new Map<number, LagSecond>();
  for (const xs of series) {
    for (const s of xs) {
      const o = by.get(s.tS);
      by.set(s.tS, o ? { tS: s.tS, loopDelayMaxMs: Math.max(o.loopDelayMaxMs, s.loopDelayMaxMs), dispatchLagMaxMs: Math.max(o.dispatchLagMaxMs, s.dispatchLagMaxMs) } : { ...s });
    }
  }
  return [...by.values()].sort((a, b) => a.tS - b.tS);
}

/** "first lag at 0 s (41.2 ms), worst at 12 s (56.3 ms), 9 s over the limit" — or null when no second lagged. */
export function describeLagWhen(w: LagWhen, totalSeconds: number): string | null {
  if (w.firstS === null || w.worstS === null || w.worstMs === null || w.firstMs === null) return null;
  return `lag first at ${w.firstS} s (${w.firstMs.toFixed(1)} ms), worst at ${w.worstS} s (${w.worstMs.toFixed(1)} ms); ${w.secondsOver} of ${totalSeconds} s over the limit`;
}

/** The measuring loop's health in two lines (text and HTML reports): GC, longest task, body builds; the first second beside the rest. */
export function describeLoopHealth(loop: LoopHealth): string[] {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const g = loop.gcPauses;
  const b = loop.bodyBuild;
  const stretch = (s: StretchFigures | null) =>
    s === null ? 'nothing sent' : `dispatch lag p99 ${ms(s.dispatchLagP99Ms)}, queue p99 ${ms(s.queueP99Ms)}, TTFT p99 ${s.ttftP99Ms === null ? '—' : ms(s.ttftP99Ms)} (${s.requests} requests)`;
  return [
    `client loop: GC pauses ${g.count} (p99 ${ms(g.p99Ms)}, max ${ms(g.maxMs)}, ${ms(g.totalMs)} in all); longest task ${ms(loop.longestTaskMs)}; body builds ${b.count} (p99 ${ms(b.p99Ms)}, max ${ms(b.maxMs)})`,
    `client first second: ${stretch(loop.firstSecond)}; after it: ${stretch(loop.afterFirstSecond)}`,
  ];
}
