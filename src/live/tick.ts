// What the live view and the Prometheus endpoint are fed: one LiveTick per second of the run (and at
// each phase end and the run's close), made by the LiveTap sink of each measuring process. Counts are
// deltas since that process's previous tick, so ticks of several processes (--workers) add up
// exactly: counters by summing, HDR histograms by adding, bucket counts slot by slot.
import { newHistogram, type Histogram } from '../metrics/histogram.js';

/**
 * The live view's HDR histograms: 2 significant digits (1 % resolution). Percentiles on a screen need
 * no more, and each second's adds and subtracts then walk a tenth of the counts. The result file's
 * histograms (metrics/accumulator.ts) keep 3 digits; these are a separate copy.
 */
export function liveHistogram(): Histogram {
  return newHistogram(2);
}

export const LIVE_METRICS = ['ttft', 'tpot', 'e2e', 'queue'] as const;
export type LiveMetric = (typeof LIVE_METRICS)[number];

/** What one phase × class finished since the previous tick. */
export interface GroupDelta {
  phase: string;
  className: string;
  ok: number;
  /** Failed requests by error class. */
  errors: Record<string, number>;
  outputTokens: number;
  /** Per metric: counts per slot of live/ladder.ts (the last slot is +Inf), and the sum in seconds. TTFT/TPOT/E2E of successful requests, queue of every request (as the accumulator). */
  buckets: Record<LiveMetric, number[]>;
  sumsS: Record<LiveMetric, number>;
  /** HDR deltas (µs) for the view's percentiles. */
  ttft: Histogram;
  tpot: Histogram;
}

export interface LivePhase {
  name: string;
  index: number;
  startedAtMs: number;
  durationMs: number | null;
  maxRequests: number | null;
  /** e.g. "closed 8", "open 12 rps", "open ramp 1→10 rps". */
  load: string;
  /** Offered arrival rate the plan asks for now (open loop), else null. */
  offeredRps: number | null;
}

export interface ServerGauges {
  running: number | null;
  waiting: number | null;
  kvCacheUsage: number | null;
}

export interface LiveTick {
  /** Which process (worker index; 0 for a single process). */
  source: number;
  /** Run clock, ms since the run's start. */
  atMs: number;
  /** The phase the arrival counts below belong to; null before the first phase. */
  phase: LivePhase | null;
  /** Deltas since this source's previous tick: arrivals due, requests sent, requests finished. */
  arrivals: number;
  sent: number;
  completed: number;
  /** Gauges as of atMs. */
  inFlight: number;
  dispatchLagMaxMs: number;
  loopDelayMaxMs: number;
  cpuPercent: number;
  server: ServerGauges | null;
  groups: GroupDelta[];
  /** The phase has ended (its counts are final). */
  phaseEnded: boolean;
  stopped: boolean;
  /** The process's last tick. */
  final: boolean;
}
