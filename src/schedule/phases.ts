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
      arrival: 'constant' | 'poisson' | 'gamma';
      burstiness: number;
      /** In-flight cap; arrivals beyond it wait (their wait is queueMs). null = uncapped. */
      maxConcurrency: number | null;
    };

export interface PhasePlan {
  index: number;
  name: string;
  /** false for warm-up: run but kept out of the recorded results. */
  record: boolean;
  durationMs: number | null;
  maxRequests: number | null;
  load: LoadModel;
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
  const rate = load.ramp ? `${load.ramp.fromRps}→${load.ramp.toRps} rps` : `${load.rateRps} rps`;
  const arrival = load.arrival === 'gamma' ? `gamma b=${load.burstiness}` : load.arrival;
  const cap = load.maxConcurrency ? ` cap=${load.maxConcurrency}` : '';
  return `open ${rate} ${arrival}${cap}`;
}
