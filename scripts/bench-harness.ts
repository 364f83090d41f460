// scripts/bench-harness.ts — is the harness ever the bottleneck? Measures loadshape's own client
// (the real Driver + OpenAIClient + SSE path) against scripts/bench-server.ts, which stamps every
// chunk with its wall-clock send time, so the harness's receive lag is measured chunk by chunk.
// Server and harness are pinned to different cores when `taskset` exists.
//
//   npx tsx scripts/bench-harness.ts            # full run (~6-8 min on 2 cores)
//   npx tsx scripts/bench-harness.ts --quick    # smaller counts (~2 min)
//   npx tsx scripts/bench-harness.ts --only timing,ceiling
//   npx tsx scripts/bench-harness.ts --only ceiling,process   # client path beside the whole process
//   npx tsx scripts/bench-harness.ts --only live              # the live view and endpoint's extra CPU (scripts/bench-live.ts)
//
// `ceiling` measures the client path inside this process (the Driver and client, not start-up);
// `process` (scripts/bench-process.ts, needs `npm run build`) what a user pays: a whole pinned
// `loadshape run` of the short workload, start-up, planning and records included.
//
// Prints a table and writes results/bench/harness-<timestamp>.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OpenAIClient, type RequestInput, type RequestOutcome } from '../src/client/openai.js';
import type { RequestSender } from '../src/driver/run.js';
import { runCollected } from '../src/driver/collect.js';
import { realClock } from '../src/util/clock.js';
import { newHistogram, percentileMs, recordMs } from '../src/metrics/histogram.js';
import type { PhasePlan } from '../src/schedule/phases.js';
import type { Planner, RequestPlan } from '../src/workload/plan.js';
import { benchLive } from './bench-live.js';
import { benchProcess, startBenchServer } from './bench-process.js';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const onlyArg = args.indexOf('--only');
const ONLY = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(',')) : null;
const want = (name: string) => !ONLY || ONLY.has(name);

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
})();


interface Scenario {
  concurrency?: number;
  rateRps?: number;
  requests?: number;
  durationMs?: number;
  maxTokens: number;
  ttftMs: number;
  itlMs: number;
  promptBytes?: number;
  responseBytes?: number;
  /** Skip the per-chunk lag tap (its regex would be counted as harness CPU in the ceiling runs). */
  noTap?: boolean;
  /** Called every `everyRequests` completions (memory sampling). */
  every?: { n: number; fn: (done: number) => void };
}

interface Measured {
  wallS: number;
  cpuS: number;
  requests: number;
  errors: number;
  chunks: number;
  firstLag: ReturnType<typeof newHistogram>;
  gapErr: ReturnType<typeof newHistogram>;
  chunkLag: ReturnType<typeof newHistogram>;
  queueP99Ms: number;
  achievedRateRps: number | null;
  ttftP99Ms: number;
  ttftP50Ms: number;
}

const T_FIELD = /"t":(\d+(?:\.\d+)?)\}$/;

async function measure(url: string, s: Scenario): Promise<Measured> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const epochAt = (atMs: number) => performance.timeOrigin + t0 + atMs;
  const client = new OpenAIClient({ baseUrl: url }, now);
  const body = JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content: s.promptBytes ? 'w '.repeat(s.promptBytes / 2) : 'hello' }],
    max_tokens: s.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    bench_ttft_ms: s.ttftMs,
    bench_itl_ms: s.itlMs,
    bench_response_bytes: s.responseBytes ?? 0,
  });
  const plan = (requestIndex: number): RequestPlan => ({
    phaseIndex: 0, requestIndex, className: 'bench', kind: 'chat', path: '/chat/completions', body, promptTokens: 1, maxTokens: s.maxTokens,
  });
  const planner: Planner = { workload: {} as Planner['workload'], plan: (_p, i) => plan(i) };
  const firstLag = newHistogram();
  const gapErr = newHistogram();
  const chunkLag = newHistogram();
  let chunks = 0;
  let done = 0;
  // Wraps the real client: taps each chunk's server send stamp against its receive time.
  const sender: RequestSender = {
    get inFlightCount() {
      return client.inFlightCount;
    },
    async send(input: RequestInput): Promise<RequestOutcome> {
      let lastSend = -1;
      let lastRecv = -1;
      const out = await client.send(s.noTap ? input : {
        ...input,
        tap: (data, atMs) => {
          const m = T_FIELD.exec(data);
          if (!m) return;
          const sentEpoch = Number(m[1]);
          const recvEpoch = epochAt(atMs);
          chunks++;
          recordMs(chunkLag, recvEpoch - sentEpoch);
          if (lastSend < 0) recordMs(firstLag, recvEpoch - sentEpoch);
          else recordMs(gapErr, Math.abs(recvEpoch - lastRecv - (sentEpoch - lastSend)));
          lastSend = sentEpoch;
          lastRecv = recvEpoch;
        },
      });
      done++;
      if (s.noTap) chunks += out.record.chunks;
      if (s.every && done % s.every.n === 0) s.every.fn(done);
      return out;
    },
  };
  const load: PhasePlan['load'] = s.rateRps
    ? { kind: 'open', rateRps: s.rateRps, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null }
    : { kind: 'closed', concurrency: s.concurrency ?? 1 };
  const phase: PhasePlan = { index: 0, name: 'bench', record: true, durationMs: s.durationMs ?? null, maxRequests: s.requests ?? null, load };
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  const r = await runCollected({ planner, phases: [phase], client: sender, clock: realClock(t0), seed: 1, classNames: ['bench'] });
  const wallS = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await client.close();
  const all = r.phases[0].stats!.all;
  return {
    wallS,
    cpuS: (cpu.user + cpu.system) / 1e6,
    requests: all.counters.requests,
    errors: all.counters.errors,
    chunks,
    firstLag,
    gapErr,
    chunkLag,
    queueP99Ms: percentileMs(all.hist.queueMs, 99),
    achievedRateRps: r.phases[0].achievedRateRps,
    ttftP50Ms: percentileMs(all.hist.ttftMs, 50),
    ttftP99Ms: percentileMs(all.hist.ttftMs, 99),
  };
}

const f = (x: number, d = 2) => x.toFixed(d);
const rows: string[][] = [];
const json: Record<string, unknown> = { startedAt: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, pinned: hasTaskset, quick: QUICK };

function row(...cells: (string | number)[]) {
  rows.push(cells.map(String));
  process.stderr.write(`${cells.join('  ')}\n`);
}

async function main() {
  if (hasTaskset) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const { url, proc } = await startBenchServer(hasTaskset);
  try {
    // Warm the JIT and the connection pool so the first scenario does not pay for it.
    await measure(url, { concurrency: 64, requests: 2000, maxTokens: 16, ttftMs: 0, itlMs: 0 });

    if (want('timing')) {
      const out: Record<string, unknown> = {};
      for (const c of [1, 64, 256, 1024]) {
        const m = await measure(url, { concurrency: c, requests: Math.max(20, c * (QUICK ? 2 : 3)), maxTokens: 64, ttftMs: 50, itlMs: 10 });
        row('timing', `c=${c}`, `TTFT err p50 ${f(percentileMs(m.firstLag, 50), 3)} ms`, `p99 ${f(percentileMs(m.firstLag, 99), 3)} ms`,
          `gap err p50 ${f(percentileMs(m.gapErr, 50), 3)} ms`, `p99 ${f(percentileMs(m.gapErr, 99), 3)} ms`, `errors ${m.errors}`);
        out[`c${c}`] = {
          ttftErrP50Ms: percentileMs(m.firstLag, 50), ttftErrP99Ms: percentileMs(m.firstLag, 99),
          gapErrP50Ms: percentileMs(m.gapErr, 50), gapErrP99Ms: percentileMs(m.gapErr, 99), errors: m.errors,
        };
      }
      json.timing = out;
    }

    if (want('openloop-300')) {
      // ~300 live streams: 100 req/s × (50 ms + 149 × 20 ms ≈ 3 s).
      const m = await measure(url, { rateRps: 100, durationMs: QUICK ? 6000 : 12_000, maxTokens: 150, ttftMs: 50, itlMs: 20 });
      row('open 100 rps, ~300 live', `TTFT err p99 ${f(percentileMs(m.firstLag, 99), 3)} ms`, `gap err p99 ${f(percentileMs(m.gapErr, 99), 3)} ms`,
        `queue p99 ${f(m.queueP99Ms, 3)} ms`, `achieved ${f(m.achievedRateRps ?? 0, 1)} rps`);
      json.openLoop300 = { ttftErrP99Ms: percentileMs(m.firstLag, 99), gapErrP99Ms: percentileMs(m.gapErr, 99), queueP99Ms: m.queueP99Ms, achievedRateRps: m.achievedRateRps };
    }

    if (want('ceiling')) {
      const out: Record<string, unknown> = {};
      for (const c of [64, 256]) {
        const m = await measure(url, { concurrency: c, requests: QUICK ? c * 8 : c * 24, maxTokens: 256, ttftMs: 0, itlMs: 0, noTap: true });
        const perCore = m.chunks / m.cpuS;
        row('ceiling', `c=${c}`, `${f(m.chunks / m.wallS, 0)} chunks/s`, `${f(perCore, 0)} chunks/s per harness core`,
          `${f((m.cpuS / m.chunks) * 1e6, 2)} µs CPU/chunk`, `harness CPU ${f((m.cpuS / m.wallS) * 100, 0)}%`);
        out[`c${c}`] = { chunksPerS: m.chunks / m.wallS, chunksPerCoreS: perCore, cpuUsPerChunk: (m.cpuS / m.chunks) * 1e6, cpuPercent: (m.cpuS / m.wallS) * 100 };
      }
      json.ceiling = out;
    }

    if (want('process')) {
      const b = await benchProcess({ workload: 'short', requests: QUICK ? 2048 : 8192, concurrency: 256, eventsPerWrite: 8, runs: QUICK ? 1 : 3 });
      const m = b.median;
      row('whole process', `short, ${m.requests} requests, c=256, 8 events per write, --records`, `${f(m.cpuUsPerToken, 2)} µs CPU per streamed token (median of ${b.runs.length})`,
        `${f(m.tokensPerCoreS, 0)} tokens per harness CPU-second`, `${f(m.tokensPerWallS, 0)} tokens/s wall`, `errors ${m.errors}`);
      json.process = { command: b.command, median: m, runs: b.runs };
    }

    // Only when asked (`--only live`): it needs util-linux `script` for a pseudo-terminal, and minutes.
    if (ONLY?.has('live')) {
      const b = await benchLive({ runs: QUICK ? 2 : 4, requests: QUICK ? 2048 : 4096, concurrency: 256, itlMs: 0 });
      const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
      const [a, l] = [med(b.base.cpuUsPerToken), med(b.live.cpuUsPerToken)];
      row('live view + endpoint', `short, c=256, progress line vs --live --metrics-listen (scraped 1/s)`, `${f(a, 3)} → ${f(l, 3)} µs CPU per streamed token`, `${f(((l - a) / a) * 100, 2)} % extra (medians)`);
      json.live = { summary: b.summary, base: b.base, live: b.live };
    }

    if (want('openloop')) {
      const out: Record<string, unknown> = {};
      for (const rate of [500, 2000, 5000]) {
        const m = await measure(url, { rateRps: rate, durationMs: QUICK ? 3000 : 6000, maxTokens: 1, ttftMs: 0, itlMs: 0 });
        row('open loop', `${rate} rps`, `achieved ${f(m.achievedRateRps ?? 0, 1)} rps (${f(((m.achievedRateRps ?? 0) / rate - 1) * 100, 2)}%)`,
          `queue p99 ${f(m.queueP99Ms, 3)} ms`, `errors ${m.errors}`);
        out[`r${rate}`] = { achievedRateRps: m.achievedRateRps, queueP99Ms: m.queueP99Ms, errors: m.errors };
      }
      json.openLoop = out;
    }

    if (want('memory')) {
      const total = QUICK ? 100_000 : 1_000_000;
      const marks: Record<string, number> = {};
      const at = new Set([10_000, 100_000, 1_000_000]);
      const m = await measure(url, {
        concurrency: 256, requests: total, maxTokens: 1, ttftMs: 0, itlMs: 0, noTap: true,
        every: { n: 10_000, fn: (done) => { if (at.has(done)) marks[`rssMbAt${done}`] = Math.round(process.memoryUsage().rss / 1e6); } },
      });
      const values = Object.values(marks);
      row('memory', `${m.requests} requests`, Object.entries(marks).map(([k, v]) => `${k.replace('rssMbAt', '@')} ${v} MB`).join(', '),
        `growth ${Math.max(...values) - Math.min(...values)} MB`, `${f(m.requests / m.wallS, 0)} req/s`);
      json.memory = { ...marks, requests: m.requests, reqPerS: m.requests / m.wallS };
    }

    if (want('long')) {
      const small = await measure(url, { concurrency: 8, requests: 64, maxTokens: 64, ttftMs: 0, itlMs: 0 });
      const big = await measure(url, { concurrency: 8, requests: 64, maxTokens: 64, ttftMs: 0, itlMs: 0, promptBytes: 400_000, responseBytes: 16_384 });
      const bigMbPerS = (64 * (400_000 + 64 * 16_400)) / 1e6 / big.wallS;
      row('long context', `400 KB prompts + 64×16 KB events`, `${f(big.requests / big.wallS, 1)} req/s (small bodies: ${f(small.requests / small.wallS, 1)})`,
        `${f(bigMbPerS, 1)} MB/s moved`, `chunk lag p99 ${f(percentileMs(big.chunkLag, 99), 2)} ms`, `errors ${big.errors}`);
      json.longContext = { reqPerS: big.requests / big.wallS, smallReqPerS: small.requests / small.wallS, mbPerS: bigMbPerS, chunkLagP99Ms: percentileMs(big.chunkLag, 99), errors: big.errors };
    }
  } finally {
    proc.kill('SIGTERM');
  }
  const dir = join(ROOT, 'results/bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `harness-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(file, `${JSON.stringify(json, null, 1)}\n`);
  process.stdout.write(`\nloadshape harness benchmark (${json.cores} cores${hasTaskset ? ', harness on core 0, server on core 1' : ''})\n`);
  for (const r of rows) process.stdout.write(`${r.join('  ·  ')}\n`);
  process.stdout.write(`written ${file}\n`);
}

await main();
