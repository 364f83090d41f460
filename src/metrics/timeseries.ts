// The run's time series: one point per second of run time, bucketed by completion time.
// Completions arrive in time order, so only the current bucket is open; each closed bucket keeps its
// TTFT histogram encoded (small, 2 significant digits) so worker and shard series merge exactly.
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { RequestRecord } from '../client/record.js';
import { encodeHistogram, percentileMs, recordMs } from './histogram.js';

export interface TimeseriesPoint {
  /** Bucket start, seconds from run start. */
  tS: number;
  phase: string;
  completed: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
  /** Requests in flight when the bucket closed. */
  inFlight: number;
  /** TTFT histogram of the bucket (HdrHistogram compressed base64), for exact merges. */
  ttftHdr: string | null;
}

function smallHistogram(): Histogram {
  return hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, autoResize: true, numberOfSignificantValueDigits: 2 });
}

export class Timeseries {
  readonly points: TimeseriesPoint[] = [];
  private current: TimeseriesPoint | null = null;
  private ttft: Histogram = smallHistogram();

  constructor(
    private readonly intervalMs = 1000,
    private readonly inFlight: () => number = () => 0,
  ) {}

  add(r: RequestRecord, atMs: number, phase: string): void {
    const p = this.bucket(atMs, phase);
    p.completed++;
    if (r.status === 'error') {
      p.errors++;
      return;
    }
    p.inputTokens += r.promptTokens ?? 0;
    p.outputTokens += r.outputTokens ?? 0;
    if (r.ttftMs !== null) recordMs(this.ttft, r.ttftMs);
  }

  /** Closes buckets up to `atMs` so that idle seconds still appear as zero points. */
  tick(atMs: number, phase: string): void {
    this.bucket(atMs, phase);
  }

  finish(): TimeseriesPoint[] {
    if (this.current) this.close();
    return this.points;
  }

  private bucket(atMs: number, phase: string): TimeseriesPoint {
    const tS = Math.floor(atMs / this.intervalMs) * (this.intervalMs / 1000);
    if (this.current && this.current.tS === tS) return this.current;
    if (this.current) {
      const last = this.current.tS;
      this.close();
      // Fill seconds in which nothing completed, so plots show the stall rather than skip it.
      for (let t = last + this.intervalMs / 1000; t < tS; t += this.intervalMs / 1000) {
        this.points.push(emptyPoint(t, phase, this.inFlight()));
      }
    }
    this.current = emptyPoint(tS, phase, 0);
    return this.current;
  }

  private close(): void {
    const p = this.current as TimeseriesPoint;
    if (this.ttft.totalCount > 0) {
      p.ttftP50Ms = percentileMs(this.ttft, 50);
      p.ttftP99Ms = percentileMs(this.ttft, 99);
      p.ttftHdr = encodeHistogram(this.ttft);
      this.ttft.reset();
    }
    p.inFlight = this.inFlight();
    this.points.push(p);
    this.current = null;
  }
}

function emptyPoint(tS: number, phase: string, inFlight: number): TimeseriesPoint {
  return { tS, phase, completed: 0, errors: 0, inputTokens: 0, outputTokens: 0, ttftP50Ms: null, ttftP99Ms: null, inFlight, ttftHdr: null };
}
