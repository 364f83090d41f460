// Phases: the workload's load models turned into plain, validated plans the driver runs in order.
// Open (arrival-rate) and closed (fixed in-flight) models are named and kept apart, as k6 does.
import { z } from 'zod';
import type { Phase, Workload } from '../workload/schema.js';
import { parseDurationMs } from '../util/errors.js';

// The zod schema is the one source of the load model's type: the result file stores it as it is.
const TraceInfoSchema = z.object({ file: z.string(), sha256: z.string(), rows: z.number(), speed: z.number() });
export type TraceInfo = z.infer<typeof TraceInfoSchema>;

export const LoadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('closed'), concurrency: z.number() }),
  z.object({
    kind: z.literal('open'),
    /** Constant rate, or null when the rate ramps. */
    rateRps: z.number().nullable(),
    ramp: z.object({ fromRps: z.number(), toRps: z.number() }).nullable(),
    /** 'trace': the phase replays an explicit list of arrival offsets (its `arrivals` source). */
    arrival: z.enum(['constant', 'poisson', 'gamma', 'trace']),
    burstiness: z.number(),
    /** In-flight cap; arrivals beyond it wait (their wait is queueMs). null = uncapped. */
    maxConcurrency: z.number().nullable(),
    /** A replayed trace (`run --trace`): which file (and its sha256), how many rows, at what speed. */
    trace: TraceInfoSchema.optional(),
  }),
]);
export type LoadModel = z.infer<typeof LoadSchema>;

export interface PhasePlan {
  index: number;
  name: string;
  /** false for warm-up: run but kept out of the recorded results. */
  record: boolean;
  durationMs: number | null;
  maxRequests: number | null;
  load: LoadModel;
  /** Where an open phase's arrivals come from (absent: the seeded process of its load model). */
  arrivals?: ArrivalSource;
}

/**
 * An open phase's arrivals: drawn from the seeded process its load model describes (rate or ramp,
 * constant/Poisson/gamma), or a trace's explicit intended send offsets (ms from the phase start,
 * ascending). Kept off `load`, which is what results store. schedule/arrivals.ts `phaseArrivalsMs`
 * is the one function that turns either into send times.
 */
export type ArrivalSource = { kind: 'process' } | { kind: 'trace'; offsetsMs: readonly number[] };

/** Every phase plan is made here: workload phases, trace replays and sweep steps alike. */
function makePhasePlan(p: Omit<PhasePlan, 'arrivals'> & { arrivals?: ArrivalSource }): PhasePlan {
  return { ...p, arrivals: p.arrivals ?? { kind: 'process' } };
}

/** A trace replay: one open phase whose arrivals are the trace's rows (offsets already time-scaled). */
export function tracePhasePlan(index: number, name: string, trace: TraceInfo, offsetsMs: readonly number[]): PhasePlan {
  return makePhasePlan({
    index,
    name,
    record: true,
    durationMs: null,
    maxRequests: offsetsMs.length,
    load: { kind: 'open', rateRps: null, ramp: null, arrival: 'trace', burstiness: 1, maxConcurrency: null, trace },
    arrivals: { kind: 'trace', offsetsMs },
  });
}

/** A sweep step: one recorded phase of at most `durationMs`, closed at a concurrency or open at a Poisson rate. */
export function stepPhasePlan(index: number, name: string, load: { kind: 'closed'; concurrency: number } | { kind: 'open'; rateRps: number }, durationMs: number): PhasePlan {
  return makePhasePlan({
    index,
    name,
    record: true,
    durationMs,
    maxRequests: null,
    load: load.kind === 'closed' ? load : { kind: 'open', rateRps: load.rateRps, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null },
  });
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
  return makePhasePlan({ index, name: phase.name, record: phase.record, durationMs, maxRequests: phase.requests ?? null, load });
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
