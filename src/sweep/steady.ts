// Sweep, inside one step (pure): has the load reached steady state, or is it clearly over-saturated?
// Read from the run's per-second time series (completions, TTFT p50, in-flight at each second's end),
// so the same numbers the result file keeps decide how long a step runs.
import type { TimeseriesPoint } from '../metrics/timeseries.js';

export type StepPoint = Pick<TimeseriesPoint, 'completed' | 'ttftP50Ms' | 'inFlight'>;

export interface StepJudgeOptions {
  /** Time since the step started. */
  elapsedMs: number;
  /** No verdict but saturation before this; the step always runs at least this long. */
  minMs: number;
  /** The step ends here whatever it looks like. */
  maxMs: number;
  /** Seconds per rolling window; steady = two consecutive windows agree. */
  windowS: number;
  /** Completions the step needs before it may be called steady (percentiles need samples). */
  minRequests: number;
  /** Open loop: the offered rate; null for a closed loop (which cannot run away: in-flight is bounded). */
  offeredRps: number | null;
}

export type StepVerdict =
  | { state: 'running' }
  | { state: 'steady'; reason: string }
  | { state: 'saturated'; reason: string }
  | { state: 'max-duration'; reason: string };

/** Two counts agree when within 10 % or within Poisson noise (2σ of their difference). */
function countsAgree(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(0.1 * Math.max(a, b), 2 * Math.sqrt(a + b));
}

/** Two latencies agree when within 25 % or 5 ms (a few ms of jitter is not a trend). */
function latenciesAgree(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= Math.max(0.25 * Math.max(a, b), 5);
}

function mean(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length;
}

/**
 * Is a per-second series still climbing? Its later half is compared with its earlier half: rising when
 * the later mean exceeds the earlier one by more than `material` (absolute, or `relative` of the earlier
 * mean) AND by more than twice the standard error of the difference (second-to-second noise is not a
 * trend). Nulls (seconds without a value) are left out; fewer than one value per half is never rising.
 */
export function risingTrend(series: readonly (number | null)[], material: number, relative: number): boolean {
  const half = Math.floor(series.length / 2);
  const a = series.slice(0, half).filter((x): x is number => x !== null);
  const b = series.slice(series.length - half).filter((x): x is number => x !== null);
  if (a.length === 0 || b.length === 0) return false;
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  const variance = (xs: number[], m: number) => (xs.length < 2 ? 0 : xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
  const se = Math.sqrt(variance(a, ma) / a.length + variance(b, mb) / b.length);
  return mb - ma > Math.max(material, relative * Math.abs(ma), 2 * se);
}

/**
 * `points`: the step's closed one-second buckets, oldest first, the step's first (partial) second
 * already left out. Saturation is judged first: an open loop whose in-flight count rose in every one
 * of the last max(`windowS`, 4) seconds by a clear margin, while completions fell short of the offered rate,
 * has a queue growing without bound; running it longer only measures the queue. Steady, after `minMs`
 * and `minRequests`: the last two windows agree on completions and TTFT p50, an open loop keeps up with
 * its offer, and neither the in-flight count nor TTFT p50 still climbs over the step's later half (at
 * least the two windows; risingTrend): near capacity a queue can build slower than a window lasts.
 */
export function judgeStep(points: readonly StepPoint[], o: StepJudgeOptions): StepVerdict {
  const w = Math.max(1, Math.round(o.windowS));
  // At least 4 s of rise: in-flight counts wander by chance near capacity, a runaway queue does not stop.
  const h = Math.max(w, 4);
  if (o.offeredRps !== null && points.length >= h + 1) {
    const tail = points.slice(-(h + 1));
    const rising = tail.every((p, i) => i === 0 || p.inFlight > tail[i - 1].inFlight);
    const growth = tail[h].inFlight - tail[0].inFlight;
    const done = tail.slice(1).reduce((s, p) => s + p.completed, 0);
    if (rising && growth >= Math.max(5, 0.1 * o.offeredRps * h) && done < 0.95 * o.offeredRps * h) {
      return {
        state: 'saturated',
        reason: `in flight rose ${tail[0].inFlight} → ${tail[h].inFlight} over ${h}s while ${(done / h).toFixed(1)} req/s completed of ${o.offeredRps} offered`,
      };
    }
  }
  if (o.elapsedMs >= o.minMs && points.length >= 2 * w) {
    const a = points.slice(-2 * w, -w);
    const b = points.slice(-w);
    const na = a.reduce((s, p) => s + p.completed, 0);
    const nb = b.reduce((s, p) => s + p.completed, 0);
    const total = points.reduce((s, p) => s + p.completed, 0);
    const keepsUp = o.offeredRps === null || nb >= 0.9 * o.offeredRps * w || countsAgree(nb, o.offeredRps * w);
    // Two agreeing windows are not enough near capacity: a queue may build slower than a window lasts.
    // The step's later half (at least the two windows) must show no climb in flight or in TTFT.
    const span = points.slice(-Math.max(2 * w, Math.ceil(points.length / 2)));
    const climbing = risingTrend(span.map((p) => p.inFlight), 1, 0.1) || risingTrend(span.map((p) => p.ttftP50Ms), 5, 0.1);
    if (
      total >= o.minRequests &&
      keepsUp &&
      !climbing &&
      countsAgree(na, nb) &&
      latenciesAgree(mean(a.map((p) => p.ttftP50Ms)), mean(b.map((p) => p.ttftP50Ms)))
    ) {
      return { state: 'steady', reason: `two ${w}s windows agree (${na} → ${nb} completions), no climb over the last ${span.length}s` };
    }
  }
  if (o.elapsedMs >= o.maxMs) return { state: 'max-duration', reason: `no steady state within ${o.maxMs / 1000}s` };
  return { state: 'running' };
}
