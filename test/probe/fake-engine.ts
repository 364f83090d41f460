// A tiny loopback OpenAI-ish engine for probe, readiness and server-metrics tests, with the settings
// the simulator lacks: no usage at all, a capacity (1 = one request at a time; more wait in a queue),
// no streaming, 503 while "loading", and vLLM-named /metrics that move with its load.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeEngineOptions {
  usage: boolean;
  /** Generations served at once; the rest wait (vllm:num_requests_waiting). Infinity = no limit. */
  capacity: number;
  /** Serve one generation at a time (capacity 1). */
  serial: boolean;
  /** Answer stream: true with a JSON body instead of SSE. */
  noStream: boolean;
  itlMs: number;
  /** Every route answers 503 for this long after start (a model load). */
  notReadyForMs: number;
}

export interface FakeEngine {
  url: string;
  /** Chat requests received (readiness polls excluded). */
  readonly chatRequests: number;
  close(): Promise<void>;
}

const QUEUE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export async function startFakeEngine(opts: Partial<FakeEngineOptions> = {}): Promise<FakeEngine> {
  const o: FakeEngineOptions = { usage: true, capacity: Infinity, serial: false, noStream: false, itlMs: 2, notReadyForMs: 0, ...opts };
  const capacity = o.serial ? 1 : o.capacity;
  const startedAt = performance.now();
  let running = 0;
  const queue: (() => void)[] = [];
  let chatRequests = 0;
  let prefixQueries = 0;
  let prefixHits = 0;
  const queueCounts = new Array<number>(QUEUE_BUCKETS.length + 1).fill(0);
  let queueSum = 0;

  const acquire = () =>
    new Promise<number>((resolve) => {
      const at = performance.now();
      const go = () => {
        running++;
        const waitedS = (performance.now() - at) / 1000;
        const i = QUEUE_BUCKETS.findIndex((b) => waitedS <= b);
        queueCounts[i < 0 ? QUEUE_BUCKETS.length : i]++;
        queueSum += waitedS;
        resolve(waitedS);
      };
      if (running < capacity) go();
      else queue.push(go);
    });
  const release = () => {
    running--;
    queue.shift()?.();
  };

  const metrics = () => {
    const lines = [
      '# HELP vllm:num_requests_running Number of requests in model execution batches.',
      '# TYPE vllm:num_requests_running gauge',
      `vllm:num_requests_running{engine="0",model_name="fake"} ${running}.0`,
      '# TYPE vllm:num_requests_waiting gauge',
      `vllm:num_requests_waiting{engine="0",model_name="fake"} ${queue.length}.0`,
      '# TYPE vllm:kv_cache_usage_perc gauge',
      `vllm:kv_cache_usage_perc{engine="0",model_name="fake"} ${Math.min(1, running * 0.1)}`,
      '# TYPE vllm:prefix_cache_queries counter',
      `vllm:prefix_cache_queries_total{engine="0",model_name="fake"} ${prefixQueries}.0`,
      '# TYPE vllm:prefix_cache_hits counter',
      `vllm:prefix_cache_hits_total{engine="0",model_name="fake"} ${prefixHits}.0`,
      '# TYPE vllm:request_queue_time_seconds histogram',
    ];
    let cum = 0;
    QUEUE_BUCKETS.forEach((b, i) => {
      cum += queueCounts[i];
      lines.push(`vllm:request_queue_time_seconds_bucket{engine="0",le="${b}",model_name="fake"} ${cum}.0`);
    });
    cum += queueCounts[QUEUE_BUCKETS.length];
    lines.push(`vllm:request_queue_time_seconds_bucket{engine="0",le="+Inf",model_name="fake"} ${cum}.0`);
    lines.push(`vllm:request_queue_time_seconds_count{engine="0",model_name="fake"} ${cum}.0`);
    lines.push(`vllm:request_queue_time_seconds_sum{engine="0",model_name="fake"} ${queueSum}`);
    return `${lines.join('\n')}\n`;
  };

  const server = http.createServer((req, res) => {
    if (performance.now() - startedAt < o.notReadyForMs) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'model loading' } }));
      return;
    }
    if (req.url === '/health') {
      res.writeHead(200).end();
      return;
    }
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
      return;
    }
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json', server: 'fake-engine/1.0' }).end(JSON.stringify({ object: 'list', data: [{ id: 'fake', object: 'model', max_model_len: 512 }] }));
      return;
    }
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      chatRequests++;
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { messages?: unknown; max_tokens?: number; stream?: boolean; stream_options?: { include_usage?: boolean } };
      if (!Array.isArray(body.messages)) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'messages must be a list' }));
        return;
      }
      const words = (body.messages as { content: string }[]).map((m) => m.content).join(' ').split(/\s+/).length;
      if (words > 512) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: `prompt of ${words} tokens is over 512` }));
        return;
      }
      prefixQueries += words;
      prefixHits += Math.floor(words / 4);
      const n = body.max_tokens ?? 16;
      void acquire().then(() => generate(res, n, body.stream === true && !o.noStream, o, body.stream_options?.include_usage === true).finally(release));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get chatRequests() {
      return chatRequests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function generate(res: http.ServerResponse, n: number, stream: boolean, o: FakeEngineOptions, includeUsage: boolean): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if (!stream) {
    await sleep(n * o.itlMs);
    const text = Array.from({ length: n }, (_, i) => ` word${i}`).join('');
    const out: Record<string, unknown> = { choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' }] };
    if (o.usage) out.usage = { prompt_tokens: 3, completion_tokens: n, total_tokens: n + 3 };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < n; i++) {
    await sleep(o.itlMs);
    if (res.destroyed) return;
    const finish = i === n - 1 ? 'length' : null;
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: ` word${i}` }, finish_reason: finish }] })}\n\n`);
  }
  if (o.usage && includeUsage) res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: n, total_tokens: n + 3 } })}\n\n`);
  res.end('data: [DONE]\n\n');
}
