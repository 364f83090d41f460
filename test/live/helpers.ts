// Feeding the live model as a run would: a LiveTap driven by hand-made records and views.
import type { LiveView } from '../../src/driver/sink.js';
import { newHistogram } from '../../src/metrics/histogram.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import type { LiveTick } from '../../src/live/tick.js';

export function phasePlan(over: Partial<PhasePlan> = {}): PhasePlan {
  return { index: 0, name: 'steady', record: true, durationMs: 60_000, maxRequests: null, load: { kind: 'closed', concurrency: 4 }, ...over };
}

/** A mutable LiveView for tap.tick(). */
export function view(over: Partial<{ -readonly [K in keyof LiveView]: LiveView[K] }> = {}): LiveView {
  return { atMs: 0, phase: null, phaseStartedAtMs: 0, scheduled: 0, started: 0, sent: 0, done: 0, errors: 0, inFlight: 0, finished: [], dispatchLag: newHistogram(), stopped: false, ...over };
}

/** Collects what a tap emits, copied (the tap resets its deltas after emit). */
export function collector(): { ticks: LiveTick[]; emit: (t: LiveTick) => void } {
  const ticks: LiveTick[] = [];
  return { ticks, emit: (t) => ticks.push(structuredClone({ ...t, groups: t.groups.map((g) => ({ ...g, ttft: null, tpot: null })) }) as unknown as LiveTick) };
}
