// A minimal exact-schedule streaming server for scripts/bench-harness.ts. Each chunk carries the
// server's wall-clock send time ("t", epoch ms with µs resolution), so the harness's own receive lag
// is measured chunk by chunk, whatever the server's own scheduling accuracy.
// Per request: TTFT, inter-token time and token count come from the body's max_tokens and
// extra fields `bench_ttft_ms` / `bench_itl_ms` (defaults 50 / 10, or --ttft-ms / --itl-ms, so a
// plain `loadshape run` of any workload can be pointed at it). itl 0 = as fast as possible.
// --events-per-write N (itl 0 only): flush every N events, so each socket write carries N SSE events
// (default: one write per request's burst).
// Usage: node --import tsx scripts/bench-server.ts PORT [--ttft-ms N] [--itl-ms N] [--events-per-write N]
//   (prints "ready PORT" on stdout)
import { createServer, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DeadlineScheduler, type ScheduledTask } from '../src/sim/scheduler.js';

const epochMs = () => performance.timeOrigin + performance.now();
const argv = process.argv.slice(2);
function flag(name: string, dflt: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}
const DEFAULT_TTFT_MS = flag('--ttft-ms', 50);
const DEFAULT_ITL_MS = flag('--itl-ms', 10);
const EVENTS_PER_WRITE = flag('--events-per-write', 0);
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
  ) {
    this.dueAtMs = t0 + ttftMs;
  }

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
    const content = this.responseBytes > 0 ? 'x'.repeat(this.responseBytes) : ' tok';
    this.res.write(
      `data: {"id":"b","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":${last ? '"length"' : 'null'}}],"t":${epochMs().toFixed(3)}}\n\n`,
    );
    // node:http corks a chunked response until the next tick; for paced streams uncork, so the bytes
    // leave now and the stamp above is the real send time. As-fast-as-possible streams (itl 0) stay
    // corked: one write per batch, so this one-core server is not the limit in the ceiling runs.
    if (this.itlMs > 0) this.res.socket?.uncork();
    this.i++;
  }

  private finish(): void {
    this.res.end(`data: {"id":"b","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":${this.n},"total_tokens":${this.n + 1}}}\n\ndata: [DONE]\n\n`);
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const t0 = performance.now();
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
    const task = new Stream(res, t0, body.bench_ttft_ms ?? DEFAULT_TTFT_MS, body.bench_itl_ms ?? DEFAULT_ITL_MS, body.max_tokens ?? 16, body.bench_response_bytes ?? 0);
    res.on('close', () => scheduler.remove(task));
    if (task.dueAtMs <= t0) task.run();
    else scheduler.add(task);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(argv[0] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
