// What a run emits. The Driver pushes each finished request, and its own one-second tick, to a list of
// sinks: the HDR accumulator and time series (metrics/collector.ts), the records file, checkpoints, the
// SLO abort watcher, the sweep's steady-state detector, the progress line. A sink never polls the
// Driver or copies its state; adding a consumer means writing a sink, not editing the Driver.
import type { Histogram } from 'hdr-histogram-js';
import type { RequestRecord } from '../client/record.js';
import type { RequestOutcome } from '../client/openai.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { RequestPlan } from '../workload/plan.js';

/** What a phase did, as the Driver counted it (metrics come from the sinks). */
export interface PhaseCounts {
  plan: PhasePlan;
  startedAtMs: number;
  endedAtMs: number;
  /** Arrivals: requests, or conversations for conversation classes (each counts once). */
  scheduled: number;
  sent: number;
  /** Arrivals never sent: still waiting for a slot at the phase's end, or over the waiting cap. */
  dropped: number;
  achievedRateRps: number | null;
  /** Requests sent, every turn of a conversation included. */
  requestsSent?: number;
}

/**
 * The Driver's live state, handed to tick() and close(). The same object each time, updated in place:
 * read it during the call, never keep it.
 */
export interface LiveView {
  /** Clock time of this tick (ms since run start). */
  readonly atMs: number;
  /** The running phase; null before the first starts. */
  readonly phase: PhasePlan | null;
  readonly phaseStartedAtMs: number;
  /** Of the running phase: arrivals due so far, arrivals started, requests sent, finished, failed. */
  readonly scheduled: number;
  readonly started: number;
  readonly sent: number;
  readonly done: number;
  readonly errors: number;
  /** Requests on the wire now. */
  readonly inFlight: number;
  /** Phases that have ended, in order. */
  readonly finished: readonly PhaseCounts[];
  /** Lateness of the pacer for requests that had a free slot: the harness's own delay. */
  readonly dispatchLag: Histogram;
  readonly stopped: boolean;
}

export interface RunSink {
  phaseStart?(phase: PhasePlan, atMs: number): void;
  /** A listener for the inter-chunk gaps of one request about to be sent (the accumulator's), if any. */
  gapListener?(phase: PhasePlan, className: string): ((gapMs: number) => void) | undefined;
  /** A finished request, at clock time `atMs`, in completion order. */
  record?(record: RequestRecord, outcome: RequestOutcome, plan: RequestPlan, atMs: number): void;
  /**
   * A send that went out `lagMs` after it was due (open-loop arrivals with a free slot, conversation
   * turns), at clock time `atMs`: per-second figures follow it here rather than by differencing the
   * run's histogram each tick (a walk over every count, milliseconds on the measuring loop).
   */
  dispatchLag?(lagMs: number, atMs: number): void;
  /** Once per second of run time (at each whole second since the run's start). */
  tick?(view: LiveView): void;
  phaseEnd?(counts: PhaseCounts): void;
  /** The run is over (in-flight requests finished): flush and release. Awaited before run() returns. */
  close?(view: LiveView): void | Promise<void>;
}
