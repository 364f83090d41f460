// Phases: the workload's load models turned into plain, validated plans the driver runs in order.
// Open (arrival-rate) and closed (fixed in-flight) models are named and kept apart, as k6 does.
import type { Phase, Workload } from '../workload/schema.js';
import { parseDurationMs } from '../util/errors.js';

export type LoadModel =
  | { kind: 'closed'; concurrency: number }
  | {
      kind: 'open';
      /** Constant rate, or null when the rate ramps. */
      rateRps: number | null;
      ramp: { fromRps: number; toRps: number } | null;
      /** 'trace': the phase replays an explicit list of arrival offsets (PhasePlan.offsetsMs). */
      arrival: 'constant' | 'poisson' | 'gamma' | 'trace';
      burstiness: number;
      /** In-flight cap; arrivals beyond it wait (their wait is queueMs). null = uncapped. */
      maxConcurrency: number | null;
      /** A replayed trace: which file (and its sha256), how many rows, at what speed. */
      trace?: TraceInfo;
    };

export interface TraceInfo {
  file: string;
  sha256: string;
  rows: number;
  speed: number;
}

export interface PhasePlan {
  index: number;
  name: string;
  /** false for warm-up: run but kept out of the recorded results. */
  record: boolean;
  durationMs: number | null;
  maxRequests: number | null;
  load: LoadModel;
  /**
   * An explicit arrival source (trace replay): intended send offsets in ms from the phase start,
   * ascending, used instead of the seeded arrival process. Kept off `load`, which is stored in results.
   */
  offsetsMs?: readonly number[];
}

export function phasePlan(phase: Phase, index: number): PhasePlan {
  const durationMs = phase.duration === undefined ? null : parseDurationMs(phase.duration, `phases[${index}].duration`);
  const load: LoadModel =
    phase.concurrency !== undefined
      ? { kind: 'closed', concurrency: phase.concurrency }
      : {
          kind: 'open',
          rateRps: phase.rate ?? null,
          ramp: phase.ramp ? { fromRps: phase.ramp.from, toRps: phase.ramp.to } : null,
          arrival: phase.arrival,
          burstiness: phase.burstiness,
          maxConcurrency: phase.max_concurrency ?? null,
        };
  return { index, name: phase.name, record: phase.record, durationMs, maxRequests: phase.requests ?? null, load };
}

export function phasePlans(workload: Workload): PhasePlan[] {
  return workload.phases.map(phasePlan);
}

/** Describes a load model in a few words for tables and CSV ("closed c=8", "open 20 rps poisson"). */
export function describeLoad(load: LoadModel): string {
  if (load.kind === 'closed') return `closed c=${load.concurrency}`;
  if (load.arrival === 'trace') {
    const t = load.trace;
    const what = t ? `trace ${t.file.split(/[\\/]/).pop()} (${t.rows} rows${t.speed !== 1 ? `, ×${t.speed}` : ''})` : 'trace';
    return `open ${what}${load.maxConcurrency ? ` cap=${load.maxConcurrency}` : ''}`;
  }
  const rate = load.ramp ? `${load.ramp.fromRps}→${load.ramp.toRps} rps` : `${load.rateRps} rps`;
  const arrival = load.arrival === 'gamma' ? `gamma b=${load.burstiness}` : load.arrival;
  const cap = load.maxConcurrency ? ` cap=${load.maxConcurrency}` : '';
  return `open ${rate} ${arrival}${cap}`;
}
