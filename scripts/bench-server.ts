// A minimal exact-schedule streaming server for scripts/bench-harness.ts. Each chunk carries the
// server's wall-clock send time ("t", epoch ms with µs resolution), so the harness's own receive lag
// is measured chunk by chunk, whatever the server's own scheduling accuracy.
// Per request: TTFT, inter-token time and token count come from the body's max_tokens and
// extra fields `bench_ttft_ms` / `bench_itl_ms` (defaults 50 / 10, or --ttft-ms / --itl-ms, so a
// plain `loadshape run` of any workload can be pointed at it). itl 0 = as fast as possible.
// Usage: node --import tsx scripts/bench-server.ts PORT [--ttft-ms N] [--itl-ms N] [--events-per-write N] [--content S] [--truth FILE]
// (prints "ready PORT" on stdout). --events-per-write N (itl 0 only): flush every N events, so each
// socket write carries N SSE events (default: one write per request's burst). The other options serve
// peers that cannot send the bench_* fields: --content the text of every chunk (one token of the
// tokenizer the peers count with), --truth appends one JSON line per finished request: its arrival and
// every chunk's send time, epoch ms, for TTFT and inter-token truth.
import { appendFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DeadlineScheduler, type ScheduledTask } from '../src/sim/scheduler.js';

const epochMs = () => performance.timeOrigin + performance.now();
const opt = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const DEFAULT_TTFT_MS = Number(opt('--ttft-ms') ?? 50);
const DEFAULT_ITL_MS = Number(opt('--itl-ms') ?? 10);
const EVENTS_PER_WRITE = Number(opt('--events-per-write') ?? 0);
const CONTENT = JSON.stringify(opt('--content') ?? ' tok').slice(1, -1);
const TRUTH_FILE = opt('--truth');
const scheduler = new DeadlineScheduler();

class Stream implements ScheduledTask {
  dueAtMs: number;
  heapIndex = -1;
  private i = 0;
  constructor(
    private readonly res: ServerResponse,
    private readonly t0: number,
    private readonly ttftMs: number,
    private readonly itlMs: number,
    private readonly n: number,
    private readonly responseBytes: number,
    private readonly completions: boolean,
  ) {
    this.dueAtMs = t0 + ttftMs;
  }

  /** Send stamps of every chunk, kept only for --truth. */
  private readonly stamps: number[] = [];

  run(): number | null {
    if (this.i === 0) this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (this.itlMs === 0) {
      // As fast as possible: every token in its own write, back to back.
      while (this.i < this.n) {
        this.write();
        // Each uncork flushes what was written since as one writev: EVENTS_PER_WRITE events per write.
        if (EVENTS_PER_WRITE > 0 && this.i % EVENTS_PER_WRITE === 0) this.res.socket?.uncork();
      }
      this.finish();
      return null;
    }
    this.write();
    if (this.i >= this.n) {
      this.finish();
      return null;
    }
    return this.t0 + this.ttftMs + this.i * this.itlMs;
  }

  private write(): void {
    const last = this.i === this.n - 1;
    const content = this.responseBytes > 0 ? 'x'.repeat(this.responseBytes) : CONTENT;
    const t = epochMs();
    if (TRUTH_FILE) this.stamps.push(t);
    const choice = this.completions ? `"text":"${content}"` : `"delta":{"content":"${content}"}`;
    this.res.write(
      `data: {"id":"b","object":"${this.completions ? 'text_completion' : 'chat.completion.chunk'}","model":"bench","choices":[{"index":0,${choice},"finish_reason":${last ? '"length"' : 'null'}}],"t":${t.toFixed(3)}}\n\n`,
    );
    // node:http corks a chunked response until the next tick; for paced streams uncork, so the bytes
    // leave now and the stamp above is the real send time. As-fast-as-possible streams (itl 0) stay
    // corked: one write per batch, so this one-core server is not the limit in the ceiling runs.
    if (this.itlMs > 0) this.res.socket?.uncork();
    this.i++;
  }

  private finish(): void {
    if (TRUTH_FILE) appendFileSync(TRUTH_FILE, `${JSON.stringify({ a: performance.timeOrigin + this.t0, s: this.stamps })}\n`);
    this.res.end(`data: {"id":"b","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":${this.n},"total_tokens":${this.n + 1}}}\n\ndata: [DONE]\n\n`);
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const t0 = performance.now();
    // Peers check /health before they start.
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    if (req.method !== 'POST' && !req.url?.endsWith('/models')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
      return;
    }
    if (req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[{"id":"bench","object":"model"}]}');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, number | undefined>;
    const maxTokens = body.max_tokens ?? body.max_completion_tokens ?? 16;
    const completions = !(req.url ?? '').endsWith('/chat/completions');
    const task = new Stream(res, t0, body.bench_ttft_ms ?? DEFAULT_TTFT_MS, body.bench_itl_ms ?? DEFAULT_ITL_MS, maxTokens, body.bench_response_bytes ?? 0, completions);
    res.on('close', () => scheduler.remove(task));
    if (task.dueAtMs <= t0) task.run();
    else scheduler.add(task);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
