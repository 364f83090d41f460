// Simulator /metrics (pure): the subset of vLLM's Prometheus metrics that load testers scrape,
// with vLLM's names, types, label names and histogram buckets, rendered in the text exposition
// format (0.0.4) as prometheus_client writes it: counters carry the `_total` suffix.

/** vLLM's buckets (vllm/v1/metrics/loggers.py). */
export const TTFT_BUCKETS_S = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
export const ITL_BUCKETS_S = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];
export const REQUEST_TIME_BUCKETS_S = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];

export class Histogram {
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per `le`, +Inf last. */
  cumulative(): number[] {
    const out: number[] = [];
    let acc = 0;
    for (const c of this.counts) out.push((acc += c));
    return out;
  }
}

export interface MetricsSnapshot {
  modelName: string;
  running: number;
  waiting: number;
  kvUsage: number;
  prefixQueryTokens: number;
  prefixHitTokens: number;
  preemptions: number;
  promptTokens: number;
  generationTokens: number;
  successByReason: Record<string, number>;
  queueTime: Histogram;
  ttft: Histogram;
  itl: Histogram;
  e2e: Histogram;
}

const num = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));
const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function renderMetrics(m: MetricsSnapshot): string {
  const labels = `model_name="${esc(m.modelName)}",engine="0"`;
  const out: string[] = [];
  const gauge = (name: string, help: string, value: number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}{${labels}} ${num(value)}`);
  };
  const counter = (name: string, help: string, rows: [string, number][]) => {
    out.push(`# HELP ${name}_total ${help}`, `# TYPE ${name}_total counter`);
    for (const [extra, v] of rows) out.push(`${name}_total{${labels}${extra}} ${num(v)}`);
  };
  const histogram = (name: string, help: string, h: Histogram) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    const cum = h.cumulative();
    h.bounds.forEach((b, i) => out.push(`${name}_bucket{${labels},le="${num(b)}"} ${num(cum[i])}`));
    out.push(`${name}_bucket{${labels},le="+Inf"} ${num(cum[cum.length - 1])}`);
    out.push(`${name}_count{${labels}} ${num(h.count)}`, `${name}_sum{${labels}} ${num(h.sum)}`);
  };
  gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', m.running);
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', m.waiting);
  gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', m.kvUsage);
  counter('vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.', [['', m.prefixQueryTokens]]);
  counter('vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.', [['', m.prefixHitTokens]]);
  counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.', [['', m.preemptions]]);
  counter('vllm:prompt_tokens', 'Number of prefill tokens processed.', [['', m.promptTokens]]);
  counter('vllm:generation_tokens', 'Number of generation tokens processed.', [['', m.generationTokens]]);
  counter(
    'vllm:request_success',
    'Count of successfully processed requests.',
    ['stop', 'length', 'abort'].map((r) => [`,finished_reason="${r}"`, m.successByReason[r] ?? 0] as [string, number]),
  );
  histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', m.queueTime);
  histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', m.ttft);
  histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', m.itl);
  histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', m.e2e);
  return `${out.join('\n')}\n`;
}
