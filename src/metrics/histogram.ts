// HDR histograms in integer microseconds: the only latency storage in loadshape.
// Percentiles are read from histograms, never from kept samples, so memory stays flat however long the run,
// and histograms encode losslessly into the result file so runs and shards merge exactly.
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** Three significant digits: 1 µs resolution below 1 ms, ~0.1 % relative error above. */
const SIGNIFICANT_DIGITS = 3 as const;

/** `significantDigits` 2 (1 % resolution, a tenth of the memory and of the add/subtract cost) suits the live view; results keep 3. */
export function newHistogram(significantDigits: 1 | 2 | 3 | 4 | 5 = SIGNIFICANT_DIGITS): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    // 60 s to start with; auto-resize grows it for longer latencies without wasting memory up front.
    highestTrackableValue: 60_000_000,
    autoResize: true,
    numberOfSignificantValueDigits: significantDigits,
  });
}

/** Records a duration given in milliseconds (negative clock noise is clamped to 0). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(ms > 0 ? Math.round(ms * 1000) : 0);
}

export interface MetricSummary {
  count: number;
  meanMs: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

const usToMs = (us: number) => Math.round(us) / 1000;

export function summarize(h: Histogram): MetricSummary {
  if (h.totalCount === 0) {
    return { count: 0, meanMs: 0, minMs: 0, p50Ms: 0, p90Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  }
  return {
    count: h.totalCount,
    meanMs: Math.round(h.mean) / 1000,
    minMs: usToMs(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.getValueAtPercentile(0)),
    p50Ms: usToMs(h.getValueAtPercentile(50)),
    p90Ms: usToMs(h.getValueAtPercentile(90)),
    p95Ms: usToMs(h.getValueAtPercentile(95)),
    p99Ms: usToMs(h.getValueAtPercentile(99)),
    p999Ms: usToMs(h.getValueAtPercentile(99.9)),
    // From the buckets, not the raw max, so a decoded or merged histogram summarises identically.
    maxMs: usToMs(h.getValueAtPercentile(100)),
  };
}

/** Percentile in ms (0 when empty). */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : usToMs(h.getValueAtPercentile(p));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false);
  h.autoResize = true;
  return h;
}

/** Exact merge: adds every bucket of the sources into a new histogram. */
export function mergeHistograms(hs: Histogram[]): Histogram {
  const out = newHistogram();
  for (const h of hs) out.add(h);
  return out;
}
