// The run's time series: one point per second of run time, bucketed by completion time.
// Completions arrive in time order, so only the current bucket is open; each closed bucket keeps its
// TTFT histogram encoded (small, 2 significant digits) so worker and shard series merge exactly.
import * as hdr from 'hdr-histogram-js';
import { z } from 'zod';
import type { Histogram } from 'hdr-histogram-js';
import type { RequestRecord } from '../client/record.js';
import { encodeHistogram, percentileMs, recordMs } from './histogram.js';

// The zod schema is the one source of a point's type: the result file stores points as they are.
export const TimeseriesPointSchema = z.object({
  /** Bucket start, seconds from run start. */
  tS: z.number(),
  phase: z.string(),
  completed: z.number(),
  errors: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  ttftP50Ms: z.number().nullable(),
  ttftP99Ms: z.number().nullable(),
  /** Requests in flight when the bucket closed. */
  inFlight: z.number(),
  /** TTFT histogram of the bucket (HdrHistogram compressed base64), for exact merges. */
  ttftHdr: z.string().nullable(),
});
export type TimeseriesPoint = z.infer<typeof TimeseriesPointSchema>;

function smallHistogram(): Histogram {
  return hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, autoResize: true, numberOfSignificantValueDigits: 2 });
}

/**
 * Completions go into the second they happened in; the run's one-second tick closes the seconds that
 * have ended, stamping each with the requests in flight at its close, so idle seconds are points too
 * and no consumer has to ask for them. At most two seconds are open at once (a completion may land in
 * the next second just before that second's tick runs).
 */
export class Timeseries {
  readonly points: TimeseriesPoint[] = [];
  private readonly open: TimeseriesPoint[] = [];
  private readonly ttft: Histogram[] = [];
  /** The first second not closed yet (null before anything happened). */
  private nextS: number | null = null;

  constructor(private readonly intervalMs = 1000) {}

  add(r: RequestRecord, atMs: number, phase: string): void {
    const p = this.bucket(atMs, phase);
    p.completed++;
    if (r.status === 'error') return;
    p.inputTokens += r.promptTokens ?? 0;
    p.outputTokens += r.outputTokens ?? 0;
    if (r.ttftMs !== null) recordMs(this.ttft[this.open.indexOf(p)], r.ttftMs);
  }

  /** Closes every second that ended by `atMs` (idle ones included), with `inFlight` as their in-flight figure. */
  tick(atMs: number, phase: string, inFlight: number): void {
    const endS = this.slot(atMs);
    if (this.nextS === null) this.nextS = endS - this.stepS;
    while (this.nextS < endS - 1e-9) {
      const t = this.nextS;
      if (this.open.length > 0 && this.open[0].tS <= t + 1e-9) this.closeFirst(inFlight);
      else this.points.push(emptyPoint(t, phase, inFlight));
      this.nextS = round3(t + this.stepS);
    }
  }

  /** Closes what is still open (the run's last, partial second) and returns the points. */
  finish(atMs: number, phase: string, inFlight: number): TimeseriesPoint[] {
    if (this.nextS !== null || this.open.length > 0) this.tick(atMs + this.intervalMs, phase, inFlight);
    return this.points;
  }

  private get stepS(): number {
    return this.intervalMs / 1000;
  }

  private slot(atMs: number): number {
    return round3(Math.floor(atMs / this.intervalMs) * this.stepS);
  }

  private bucket(atMs: number, phase: string): TimeseriesPoint {
    // A completion stamped in a second already closed (it cannot be, on one clock) joins the oldest open one.
    const tS = Math.max(this.slot(atMs), this.nextS ?? -Infinity);
    for (const p of this.open) if (p.tS === tS) return p;
    if (this.nextS === null) this.nextS = tS;
    // Idle seconds before this one stay unopened: the tick writes them as empty points.
    const p = emptyPoint(tS, phase, 0);
    this.open.push(p);
    this.ttft.push(smallHistogram());
    return p;
  }

  private closeFirst(inFlight: number): void {
    const p = this.open.shift() as TimeseriesPoint;
    const h = this.ttft.shift() as Histogram;
    if (h.totalCount > 0) {
      p.ttftP50Ms = percentileMs(h, 50);
      p.ttftP99Ms = percentileMs(h, 99);
      p.ttftHdr = encodeHistogram(h);
    }
    p.inFlight = inFlight;
    this.points.push(p);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function emptyPoint(tS: number, phase: string, inFlight: number): TimeseriesPoint {
  return { tS, phase, completed: 0, errors: 0, inputTokens: 0, outputTokens: 0, ttftP50Ms: null, ttftP99Ms: null, inFlight, ttftHdr: null };
}
