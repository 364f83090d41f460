import http from 'node:http';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimServer } from '../../src/sim/server.js';

// /metrics must be what a real vLLM serves (names, types, labels, histogram series) and must
// follow the load: scraped while requests run and queue, then after they finish.
let sim: SimServer | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

/**
 * Typed families by name, plus every series as an untyped sample: the parser folds a histogram's
 * series into one bucket map without labels, `_count` or `_sum`, so those are read untyped.
 */
async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${sim!.url.replace(/\/v1$/, '')}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const typed = parsePrometheusTextFormat(text) as unknown as Family[];
  const untyped = parsePrometheusTextFormat(text.split('\n').filter((l) => !l.startsWith('#')).join('\n')) as unknown as Family[];
  const out = new Map<string, Family>(untyped.map((f) => [`series:${f.name}`, f]));
  for (const f of typed) out.set(f.name, f);
  return out;
}
const value = (m: Map<string, Family>, name: string) => Number(m.get(name)!.metrics[0].value);
const series = (m: Map<string, Family>, name: string) => m.get(`series:${name}`)!.metrics;

/** Starts `n` streams that are read to the end; resolves when all ended. */
function streams(n: number, maxTokens: number): Promise<void[]> {
  const agent = new http.Agent({ keepAlive: false });
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'a b c d e f g h' }], max_tokens: maxTokens, stream: true });
  return Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(`${sim!.url}/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(body);
      }),
    ),
  );
}

describe('/metrics', () => {
  it('exposes vLLM names and types that a Prometheus parser reads, with model_name labels', async () => {
    sim = await startSimulator({ profile: 'prefix-cache', model: 'sim-8b' });
    const m = await scrape();
    const types: Record<string, string> = {
      'vllm:num_requests_running': 'GAUGE',
      'vllm:num_requests_waiting': 'GAUGE',
      'vllm:kv_cache_usage_perc': 'GAUGE',
      'vllm:prefix_cache_queries_total': 'COUNTER',
      'vllm:prefix_cache_hits_total': 'COUNTER',
      'vllm:request_queue_time_seconds': 'HISTOGRAM',
      'vllm:time_to_first_token_seconds': 'HISTOGRAM',
      'vllm:inter_token_latency_seconds': 'HISTOGRAM',
    };
    for (const [name, type] of Object.entries(types)) {
      expect(m.get(name)?.type, name).toBe(type);
      const first = type === 'HISTOGRAM' ? series(m, `${name}_count`)[0] : m.get(name)!.metrics[0];
      expect(first.labels?.model_name, name).toBe('sim-8b');
    }
    const ttft = m.get('vllm:time_to_first_token_seconds')!.metrics[0];
    expect(Object.keys(ttft.buckets!)).toContain('+Inf');
    expect(Object.keys(ttft.buckets!)).toContain('0.1');
    expect(series(m, 'vllm:time_to_first_token_seconds_bucket').every((b) => b.labels?.model_name === 'sim-8b' && b.labels.le !== undefined)).toBe(true);
    expect(Number(series(m, 'vllm:time_to_first_token_seconds_count')[0].value)).toBe(0);
    expect(Number(series(m, 'vllm:time_to_first_token_seconds_sum')[0].value)).toBe(0);
  });

  it('follows the load: running, waiting and KV usage while requests run, histograms after', async () => {
    // 4 sequences at most and 100 ms steps: 10 streams leave 6 waiting for a while.
    sim = await startSimulator({ profile: 'continuous-batching', maxRunningSeqs: 4, decodeBaseMs: 100, decodePerSeqMs: 0 });
    const idle = await scrape();
    expect(value(idle, 'vllm:num_requests_running')).toBe(0);
    const done = streams(10, 5);
    await new Promise((r) => setTimeout(r, 250));
    const busy = await scrape();
    expect(value(busy, 'vllm:num_requests_running')).toBe(4);
    expect(value(busy, 'vllm:num_requests_waiting')).toBe(6);
    expect(value(busy, 'vllm:kv_cache_usage_perc')).toBeGreaterThan(0);
    await done;
    const after = await scrape();
    expect(value(after, 'vllm:num_requests_running')).toBe(0);
    expect(value(after, 'vllm:num_requests_waiting')).toBe(0);
    expect(value(after, 'vllm:kv_cache_usage_perc')).toBe(0);
    expect(Number(series(after, 'vllm:time_to_first_token_seconds_count')[0].value)).toBe(10);
    // The last six waited for a whole request (5 steps of 100 ms) before starting.
    expect(Number(series(after, 'vllm:request_queue_time_seconds_count')[0].value)).toBe(10);
    expect(Number(after.get('vllm:request_queue_time_seconds')!.metrics[0].buckets!['0.3'])).toBe(4);
    expect(Number(series(after, 'vllm:inter_token_latency_seconds_count')[0].value)).toBe(40);
    expect(Number(series(after, 'vllm:inter_token_latency_seconds_sum')[0].value)).toBeCloseTo(4, 1);
    expect(value(after, 'vllm:generation_tokens_total')).toBe(50);
  });

  it('counts prefix-cache queries and hits in tokens', async () => {
    sim = await startSimulator({ profile: 'prefix-cache', decodeBaseMs: 1, blockTokens: 4 });
    const shared = Array.from({ length: 64 }, (_, i) => `w${i}`).join(' ');
    for (const tail of ['x y z', 'p q r']) {
      const res = await fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `${shared} ${tail}` }], max_tokens: 2 }),
      });
      expect(res.status).toBe(200);
    }
    const m = await scrape();
    expect(value(m, 'vllm:prefix_cache_queries_total')).toBe(134);
    expect(value(m, 'vllm:prefix_cache_hits_total')).toBe(64);
  });
});
