import { describe, expect, it } from 'vitest';
import { bucketQuantile, digest } from '../../src/servermetrics/catalog.js';
import { parsePrometheus } from '../../src/servermetrics/parse.js';
import { mergeDigests, type Scrape } from '../../src/servermetrics/scrape.js';
import { summarisePhase } from '../../src/servermetrics/summary.js';
import { boundedMs } from '../../src/provenance/render.js';

const VLLM = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3.0
vllm:num_requests_running{engine="1",model_name="m"} 2.0
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="m"} 7.0
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.25
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.5
# TYPE vllm:prefix_cache_queries counter
vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1000.0
# TYPE vllm:prefix_cache_hits counter
vllm:prefix_cache_hits_total{engine="0",model_name="m"} 400.0
# TYPE vllm:request_queue_time_seconds histogram
vllm:request_queue_time_seconds_sum{engine="0",model_name="m"} 3.0
vllm:request_queue_time_seconds_bucket{engine="0",le="0.1",model_name="m"} 4.0
vllm:request_queue_time_seconds_bucket{engine="0",le="1.0",model_name="m"} 8.0
vllm:request_queue_time_seconds_bucket{engine="0",le="+Inf",model_name="m"} 10.0
vllm:request_queue_time_seconds_bucket{engine="1",le="0.1",model_name="m"} 6.0
vllm:request_queue_time_seconds_bucket{engine="1",le="1.0",model_name="m"} 8.0
vllm:request_queue_time_seconds_bucket{engine="1",le="+Inf",model_name="m"} 10.0
vllm:request_queue_time_seconds_count{engine="0",model_name="m"} 10.0
my_custom_gauge{a="x"} 5
my_custom_gauge{a="y"} 6
`;

describe('Prometheus text → canonical values', () => {
  it('keeps every label set (the library alone would merge labelled histograms)', () => {
    const s = parsePrometheus(VLLM);
    expect(s.filter((x) => x.name === 'vllm:request_queue_time_seconds_bucket')).toHaveLength(6);
    expect(s.find((x) => x.name === 'vllm:num_requests_running')?.labels).toEqual({ engine: '0', model_name: 'm' });
  });

  it('sums running/waiting over engines, takes the max KV usage, sums buckets and keeps named extras', () => {
    const d = digest(parsePrometheus(VLLM), ['my_custom_gauge']);
    expect(d.values).toEqual({ running: 5, waiting: 7, kvCacheUsage: 0.5, prefixCacheQueries: 1000, prefixCacheHits: 400, my_custom_gauge: 11 });
    expect([...(d.queueTimeBuckets ?? new Map())]).toEqual([
      [0.1, 10],
      [1, 16],
      [Infinity, 20],
    ]);
  });

  it('recognises SGLang, TGI and DCGM names', () => {
    const d = digest(
      parsePrometheus(`sglang:num_running_reqs 4\nsglang:num_queue_reqs 2\nsglang:token_usage 0.3\nsglang:cache_hit_rate 0.6\ntgi_queue_size 1\nDCGM_FI_DEV_GPU_UTIL{gpu="0"} 80\nDCGM_FI_DEV_GPU_UTIL{gpu="1"} 60\nDCGM_FI_DEV_FB_USED{gpu="0"} 1000\nDCGM_FI_DEV_FB_USED{gpu="1"} 2000\nDCGM_FI_DEV_POWER_USAGE{gpu="0"} 250.5\n`),
    );
    expect(d.values).toEqual({ running: 4, waiting: 3, kvCacheUsage: 0.3, prefixCacheHitRate: 0.6, gpuUtilPct: 70, gpuMemoryUsedMiB: 3000, gpuPowerW: 250.5 });
  });

  it("recognises llama.cpp's llama-server names (slots busy, requests deferred)", () => {
    // As llama-server --metrics writes them: no labels, counters already ending in _total.
    const d = digest(parsePrometheus('# TYPE llamacpp:requests_processing gauge\nllamacpp:requests_processing 3\n# TYPE llamacpp:requests_deferred gauge\nllamacpp:requests_deferred 5\nllamacpp:prompt_tokens_total 120\n'));
    expect(d.values).toEqual({ running: 3, waiting: 5 });
  });

  it('bucket quantiles interpolate inside a bucket with a lower edge, as histogram_quantile does', () => {
    const b = new Map([
      [0.1, 10],
      [1, 16],
      [Infinity, 20],
    ]);
    expect(bucketQuantile(0.65, b)!.value).toBeCloseTo(0.1 + 0.9 * (3 / 6), 9); // rank 13 in (0.1, 1]
    expect(bucketQuantile(0.65, b)!.bound).toBeUndefined();
    expect(bucketQuantile(0.99, b)).toEqual({ value: 1, bound: 'above' }); // in +Inf: above the highest finite bound
    expect(bucketQuantile(0.5, new Map([[Infinity, 0]]))).toBeNull();
  });

  it('a quantile in the first bucket is its upper bound, never an interpolated value', () => {
    // vLLM's queue-time histogram starts at 0.3 s: a near-zero queue must read "< 300 ms", not 150/297.
    const b = new Map([
      [0.3, 100],
      [0.5, 100],
      [Infinity, 100],
    ]);
    expect(bucketQuantile(0.5, b)).toEqual({ value: 0.3, bound: 'below' });
    expect(bucketQuantile(0.99, b)).toEqual({ value: 0.3, bound: 'below' });
    const s = summarisePhase([scrapeAt(0, [[0.3, 0], [0.5, 0], [Infinity, 0]]), scrapeAt(1000, [[0.3, 50], [0.5, 50], [Infinity, 50]])], { name: 'low', startedAtMs: 0, endedAtMs: 1000, outputTokens: null });
    expect([s.queueTimeP50Ms, s.queueTimeP50Bound, s.queueTimeP99Ms, s.queueTimeP99Bound]).toEqual([300, 'below', 300, 'below']);
    expect(boundedMs(s.queueTimeP50Ms, s.queueTimeP50Bound)).toBe('<300');
    expect(boundedMs(150.5, undefined)).toBe('150.5');
  });

  it('merges sources: a DCGM exporter beside the engine', () => {
    const m = mergeDigests([digest(parsePrometheus(VLLM)), digest(parsePrometheus('DCGM_FI_DEV_POWER_USAGE{gpu="0"} 300\n'))]);
    expect(m.values.running).toBe(5);
    expect(m.values.gpuPowerW).toBe(300);
  });
});

const scrapeAt = (tMs: number, buckets: [number, number][]): Scrape => ({ tMs, values: {}, queueTimeBuckets: new Map(buckets) });

describe('per-phase server summary', () => {
  const scrape = (tMs: number, values: Scrape['values'], buckets?: [number, number][]): Scrape => ({ tMs, values, queueTimeBuckets: buckets ? new Map(buckets) : null });
  const scrapes: Scrape[] = [
    scrape(0, { running: 0, waiting: 0, kvCacheUsage: 0, prefixCacheQueries: 100, prefixCacheHits: 10, gpuPowerW: 100, gpuEnergyMJ: 5_000_000 }, [[0.1, 2], [1, 2], [Infinity, 2]]),
    scrape(1000, { running: 2, waiting: 4, kvCacheUsage: 0.4, prefixCacheQueries: 300, prefixCacheHits: 110, gpuPowerW: 300, gpuEnergyMJ: 5_200_000 }, [[0.1, 6], [1, 12], [Infinity, 12]]),
    scrape(2000, { running: 4, waiting: 2, kvCacheUsage: 0.6, prefixCacheQueries: 500, prefixCacheHits: 210, gpuPowerW: 300, gpuEnergyMJ: 5_500_000 }, [[0.1, 6], [1, 22], [Infinity, 22]]),
  ];

  it('means, maxima, counter deltas from the last scrape before the phase, bucket deltas, energy per output token', () => {
    const s = summarisePhase(scrapes, { name: 'steady', startedAtMs: 500, endedAtMs: 2500, outputTokens: 1000 });
    expect(s.samples).toBe(2);
    expect(s.runningMean).toBe(3);
    expect(s.runningMax).toBe(4);
    expect(s.waitingMean).toBe(3);
    expect(s.waitingMax).toBe(4);
    expect(s.kvCacheUsageMax).toBe(0.6);
    expect(s.prefixCacheHitRate).toBe(0.5); // (210 − 10) / (500 − 100)
    // queue-time buckets over the phase: 4 in ≤0.1 s, 16 in (0.1, 1]; p50 = rank 10 → 0.1 + 0.9 × 6/16
    expect(s.queueTimeP50Ms).toBeCloseTo((0.1 + 0.9 * (6 / 16)) * 1000, 3);
    expect(s.queueTimeP99Ms).toBeCloseTo((0.1 + 0.9 * (19.8 - 4) / 16) * 1000, 3);
    expect(s.energyJ).toBe(500); // (5 500 000 − 5 000 000) mJ
    expect(s.energyPerOutputTokenJ).toBe(0.5);
    expect(s.gpuPowerMeanW).toBe(300);
  });

  it('without an energy counter, integrates power over the scrapes', () => {
    const noEnergy = scrapes.map((x) => ({ ...x, values: { ...x.values, gpuEnergyMJ: undefined } }));
    const s = summarisePhase(noEnergy, { name: 'all', startedAtMs: 0, endedAtMs: 2000, outputTokens: 400 });
    expect(s.energyJ).toBe(200 + 300); // (100+300)/2 × 1 s + (300+300)/2 × 1 s
    expect(s.energyPerOutputTokenJ).toBe(1.25);
  });
});

describe('scrape-time filtering', () => {
  it('parses only the names digest reads, with the same digest', async () => {
    const { wantedNames } = await import('../../src/servermetrics/catalog.js');
    const keep = wantedNames(['my_custom_gauge']);
    const filtered = parsePrometheus(VLLM, keep);
    expect(filtered.length).toBeLessThan(parsePrometheus(VLLM).length);
    expect(filtered.some((s) => s.name.endsWith('_count') || s.name.endsWith('_sum'))).toBe(false);
    expect(digest(filtered, ['my_custom_gauge'])).toEqual(digest(parsePrometheus(VLLM), ['my_custom_gauge']));
  });
});

describe('parser edge', () => {
  it('keeps a last sample without a trailing newline, and reads +Inf/NaN', () => {
    expect(parsePrometheus('a 1\nb{x="1"} +Inf\nc NaN\nd 2')).toEqual([
      { name: 'a', labels: {}, value: 1 },
      { name: 'b', labels: { x: '1' }, value: Infinity },
      { name: 'd', labels: {}, value: 2 },
    ]);
  });
});
