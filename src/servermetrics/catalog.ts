// Which engine metrics loadshape recognises, under one canonical name each, and how series with
// several label sets (models, engines, GPUs) are combined. Names from vLLM (V0 and V1), SGLang,
// TGI, TensorRT-LLM (trtllm-serve), llama.cpp's llama-server and NVIDIA's DCGM exporter. Pure.
import type { Sample } from './parse.js';

export type Combine = 'sum' | 'max' | 'mean';

export interface KnownMetric {
  key: CanonicalKey;
  /** Exposition names; a counter also matches with `_total`. */
  names: string[];
  combine: Combine;
  counter?: boolean;
  what: string;
}

export const CANONICAL_KEYS = [
  'running',
  'waiting',
  'kvCacheUsage',
  'prefixCacheQueries',
  'prefixCacheHits',
  'prefixCacheHitRate',
  'gpuUtilPct',
  'gpuMemoryUsedMiB',
  'gpuPowerW',
  'gpuEnergyMJ',
] as const;
export type CanonicalKey = (typeof CANONICAL_KEYS)[number];

export const KNOWN_METRICS: KnownMetric[] = [
  { key: 'running', names: ['vllm:num_requests_running', 'sglang:num_running_reqs', 'tgi_batch_current_size', 'trtllm_num_requests_running', 'llamacpp:requests_processing'], combine: 'sum', what: 'requests being decoded' },
  { key: 'waiting', names: ['vllm:num_requests_waiting', 'sglang:num_queue_reqs', 'tgi_queue_size', 'trtllm_num_requests_waiting', 'llamacpp:requests_deferred'], combine: 'sum', what: 'requests queued in the engine' },
  // Fractions 0..1: vLLM V0 gpu_cache_usage_perc, V1 kv_cache_usage_perc, SGLang token_usage, TRT-LLM kv_cache_utilization,
  // llama.cpp kv_cache_usage_ratio (older builds; current ones export no KV usage).
  { key: 'kvCacheUsage', names: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'sglang:token_usage', 'trtllm_kv_cache_utilization', 'llamacpp:kv_cache_usage_ratio'], combine: 'max', what: 'KV-cache usage (0..1)' },
  { key: 'prefixCacheQueries', names: ['vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries'], combine: 'sum', counter: true, what: 'prefix-cache queries (tokens)' },
  { key: 'prefixCacheHits', names: ['vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits'], combine: 'sum', counter: true, what: 'prefix-cache hits (tokens)' },
  { key: 'prefixCacheHitRate', names: ['vllm:gpu_prefix_cache_hit_rate', 'sglang:cache_hit_rate', 'trtllm_kv_cache_hit_rate'], combine: 'mean', what: 'prefix-cache hit rate (0..1)' },
  { key: 'gpuUtilPct', names: ['DCGM_FI_DEV_GPU_UTIL'], combine: 'mean', what: 'GPU utilisation (%)' },
  { key: 'gpuMemoryUsedMiB', names: ['DCGM_FI_DEV_FB_USED'], combine: 'sum', what: 'GPU memory used (MiB)' },
  { key: 'gpuPowerW', names: ['DCGM_FI_DEV_POWER_USAGE'], combine: 'sum', what: 'GPU power (W)' },
  { key: 'gpuEnergyMJ', names: ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION'], combine: 'sum', counter: true, what: 'GPU energy since boot (mJ)' },
];

/** Server-side queue time histograms (seconds). */
export const QUEUE_TIME_HISTOGRAMS = ['vllm:request_queue_time_seconds', 'sglang:queue_time_seconds', 'tgi_request_queue_duration', 'trtllm_request_queue_time_seconds'];

const BY_NAME = new Map<string, KnownMetric>();
for (const m of KNOWN_METRICS) for (const n of m.names) {
  BY_NAME.set(n, m);
  if (m.counter) BY_NAME.set(`${n}_total`, m);
}

/** One scrape boiled down: canonical values, user-named values and the queue-time histogram's cumulative buckets. */
export interface Digest {
  values: Partial<Record<string, number>>;
  /** upper bound (le, +Inf included) → cumulative count, summed over label sets. */
  queueTimeBuckets: Map<number, number> | null;
}

export function digest(samples: Sample[], extraNames: readonly string[] = []): Digest {
  const acc = new Map<string, { m: KnownMetric | null; xs: number[] }>();
  const extra = new Set(extraNames);
  const buckets = new Map<number, number>();
  let histName: string | null = null;
  for (const s of samples) {
    const known = BY_NAME.get(s.name);
    if (known) push(acc, known.key, known, s.value);
    if (extra.has(s.name)) push(acc, s.name, null, s.value);
    if (s.name.endsWith('_bucket') && s.labels.le !== undefined) {
      const base = s.name.slice(0, -'_bucket'.length);
      if (QUEUE_TIME_HISTOGRAMS.includes(base) && (histName === null || histName === base)) {
        histName = base;
        const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
        if (!Number.isNaN(le)) buckets.set(le, (buckets.get(le) ?? 0) + s.value);
      }
    }
  }
  const values: Digest['values'] = {};
  for (const [k, { m, xs }] of acc) values[k] = combine(m?.combine ?? 'sum', xs);
  return { values, queueTimeBuckets: histName ? buckets : null };
}

function push(acc: Map<string, { m: KnownMetric | null; xs: number[] }>, key: string, m: KnownMetric | null, v: number): void {
  let e = acc.get(key);
  if (!e) acc.set(key, (e = { m, xs: [] }));
  e.xs.push(v);
}

function combine(how: Combine, xs: number[]): number {
  if (how === 'max') return Math.max(...xs);
  const sum = xs.reduce((a, b) => a + b, 0);
  return how === 'mean' ? sum / xs.length : sum;
}

/**
 * A quantile from cumulative histogram buckets. Inside a bucket with a lower edge it interpolates
 * as Prometheus' histogram_quantile does. In the first bucket there is no lower edge to interpolate
 * from (a near-zero queue time would read as half the first bound), so the answer is that bucket's
 * top as an upper bound (`bound: 'below'`, shown "< 300 ms"); in +Inf it is the highest finite
 * bound as a lower bound (`bound: 'above'`). null when the histogram is empty.
 */
export interface BucketQuantile {
  value: number;
  /** The true quantile lies below / above `value`; absent when `value` is an interpolation. */
  bound?: 'below' | 'above';
}

export function bucketQuantile(q: number, cumulative: Map<number, number>): BucketQuantile | null {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  if (bounds.length === 0) return null;
  const total = cumulative.get(bounds[bounds.length - 1]) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  let first = true;
  for (const b of bounds) {
    const c = cumulative.get(b) ?? 0;
    if (c >= rank) {
      if (b === Infinity) return first ? null : { value: prevBound, bound: 'above' };
      if (first) return { value: b, bound: 'below' };
      if (c === prevCount) return { value: b };
      return { value: prevBound + ((b - prevBound) * (rank - prevCount)) / (c - prevCount) };
    }
    prevBound = b;
    prevCount = c;
    first = false;
  }
  return { value: prevBound, bound: 'above' };
}

/** Names digest() reads (plus the user's extras): what a scrape needs to parse. */
export function wantedNames(extraNames: readonly string[] = []): (name: string) => boolean {
  const set = new Set<string>([...BY_NAME.keys(), ...extraNames, ...QUEUE_TIME_HISTOGRAMS.map((h) => `${h}_bucket`)]);
  return (name) => set.has(name);
}
