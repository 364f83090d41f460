// Driver output + run metadata → the result file (pure).
import type { DriverResult } from '../metrics/collector.js';
import { percentileMs } from '../metrics/histogram.js';
import { phaseGroups, round } from './build.js';
import { lagWhen, saturationCause, type LagSecond, type SchedSample } from './client-verdict.js';
import { RESULT_FORMAT, RESULT_VERSION, type LoopHealth, type RunResult } from './format.js';

export interface ClientSample {
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  eventLoopUtilization: number;
  cpuPercent: number;
  peakRssMb: number;
  /** Main-thread scheduler figures since the sampler started; null where unreadable (not Linux). */
  sched?: SchedSample | null;
  /** Per-second worst lag, closed seconds only. */
  lagSeconds?: LagSecond[];
  /** GC pauses, longest task, body builds, first second beside the rest. */
  loop?: LoopHealth;
}

/**
 * Harness lag beyond these means its own delay is in the numbers. Event-loop utilisation is reported
 * but judges nothing: the pacer's last-stretch clock checks keep the loop busy by design at high
 * open-loop rates. 10 ms keeps a single scheduler hiccup on a shared 2-core runner from invalidating
 * a run, while a harness that really falls behind passes it quickly.
 */
export const DEFAULT_CLIENT_LAG_LIMIT_MS = 10;

/** `lagLimitMs`: `--max-client-lag`, for a user who knowingly accepts a noisier harness (a shared CI runner). */
export function clientHealth(sample: ClientSample, dispatchLagP99Ms: number, lagLimitMs = DEFAULT_CLIENT_LAG_LIMIT_MS): RunResult['client'] {
  const reasons: string[] = [];
  if (sample.eventLoopDelayP99Ms > lagLimitMs) {
    reasons.push(`event-loop delay p99 ${sample.eventLoopDelayP99Ms.toFixed(1)} ms > ${lagLimitMs} ms`);
  }
  if (dispatchLagP99Ms > lagLimitMs) {
    reasons.push(`open-loop sends ran late with free slots: dispatch lag p99 ${dispatchLagP99Ms.toFixed(1)} ms > ${lagLimitMs} ms`);
  }
  const { sched, lagSeconds, loop, ...rest } = sample;
  const saturated = reasons.length > 0;
  const cause = saturated ? saturationCause(sched ?? null) : null;
  return {
    ...rest,
    dispatchLagP99Ms,
    ...(lagLimitMs === DEFAULT_CLIENT_LAG_LIMIT_MS ? {} : { lagLimitMs }),
    saturated,
    reasons,
    ...(cause ? { reason: cause.reason, reasonDetail: cause.detail, advice: cause.advice } : {}),
    ...(sched ? { sched } : {}),
    ...(lagSeconds ? { lagSeconds, lagWhen: lagWhen(lagSeconds, lagLimitMs) } : {}),
    ...(loop ? { loop } : {}),
  };
}

export function assembleResult(d: DriverResult, meta: RunResult['meta'], sample: ClientSample, lagLimitMs = DEFAULT_CLIENT_LAG_LIMIT_MS): RunResult {
  const client = clientHealth(sample, percentileMs(d.dispatchLag, 99), lagLimitMs);
  return {
    format: RESULT_FORMAT,
    version: RESULT_VERSION,
    meta,
    client,
    clientSaturated: client.saturated,
    phases: d.phases.map((p) => {
      // Phase wall time runs to its last completion, so throughput counts the whole drain.
      const durationS = round((p.endedAtMs - p.startedAtMs) / 1000, 3);
      return {
        index: p.plan.index,
        name: p.plan.name,
        record: p.plan.record,
        load: p.plan.load,
        startedAtMs: round(p.startedAtMs, 3),
        endedAtMs: round(p.endedAtMs, 3),
        durationS,
        scheduled: p.scheduled,
        sent: p.sent,
        dropped: p.dropped,
        achievedRateRps: p.achievedRateRps,
        ...(p.requestsSent === undefined ? {} : { requestsSent: p.requestsSent }),
        groups: p.stats ? phaseGroups(p.stats, durationS) : [],
      };
    }),
    timeseries: { intervalMs: 1000, points: d.timeseries },
    errorSamples: d.errorSamples,
    validitySamples: d.validitySamples,
  };
}
