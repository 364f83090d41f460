// Result files built by the real pipeline (PhaseStats → assembleResult) from synthetic, seeded records:
// fast and deterministic, and exactly what `run` would write for such requests.
import type { RequestRecord } from '../../src/client/record.js';
import type { DriverResult, PhaseRun } from '../../src/metrics/collector.js';
import { PhaseStats } from '../../src/metrics/accumulator.js';
import { newHistogram } from '../../src/metrics/histogram.js';
import { Timeseries } from '../../src/metrics/timeseries.js';
import { assembleResult } from '../../src/results/assemble.js';
import type { RunResult } from '../../src/results/format.js';
import type { LoadModel } from '../../src/schedule/phases.js';
import { normal, rngFor } from '../../src/util/rng.js';

export interface SynthClass {
  name: string;
  requests: number;
  ttftMs: number;
  tpotMs: number;
  outputTokens: number;
  /** Share of requests that fail with http_5xx. */
  errorRate?: number;
  /** Share of judged outputs that are valid (judged only when set). */
  validRate?: number;
}

export interface SynthPhase {
  name: string;
  load?: LoadModel;
  classes: SynthClass[];
  record?: boolean;
  /** Milliseconds between sends (default 20): sets the phase's throughput. */
  intervalMs?: number;
}

export interface SynthRun {
  seed: number;
  phases: SynthPhase[];
  labels?: Record<string, string>;
  runId?: string;
  model?: string;
}

/** Lognormal-ish jitter: 10 % spread, heavier right tail, like a real server. */
function jitter(rng: () => number, base: number): number {
  return base * Math.exp(0.1 * normal(rng) - 0.005);
}

export function synthResult(spec: SynthRun): RunResult {
  const ts = new Timeseries(1000);
  // The driver feeds the time series in completion order.
  const done: { r: RequestRecord; atMs: number; phase: string }[] = [];
  const phases: PhaseRun[] = [];
  let t = 0;
  spec.phases.forEach((ph, pi) => {
    const startedAtMs = t;
    const record = ph.record ?? true;
    const interval = ph.intervalMs ?? 20;
    const stats = new PhaseStats(ph.classes.map((c) => c.name));
    const rng = rngFor(spec.seed, pi);
    // Interleave classes so the time series sees them all.
    const total = ph.classes.reduce((s, c) => s + c.requests, 0);
    const left = ph.classes.map((c) => c.requests);
    let sent = 0;
    for (let i = 0; i < total; i++) {
      const ci = i % ph.classes.length;
      const k = left[ci] > 0 ? ci : left.findIndex((x) => x > 0);
      left[k]--;
      const c = ph.classes[k];
      const at = startedAtMs + (i * interval) + rng() * 5;
      const queueMs = Math.abs(normal(rng)) * 0.5;
      const failed = rng() < (c.errorRate ?? 0);
      const ttft = jitter(rng, c.ttftMs);
      const tpot = jitter(rng, c.tpotMs);
      const n = c.outputTokens;
      const e2e = ttft + tpot * (n - 1) + 0.3;
      const r: RequestRecord = failed
        ? { phase: ph.name, class: c.name, scheduledAtMs: at, sentAtMs: at + queueMs, queueMs, ttftMs: null, firstChunkMs: null, tpotMs: null, e2eMs: null, promptTokens: null, outputTokens: null, outputTokensSource: null, chunks: 0, finishReason: null, status: 'error', errorClass: 'http_5xx', httpStatus: 503, validity: null, toolCalls: null }
        : {
            phase: ph.name, class: c.name, scheduledAtMs: at, sentAtMs: at + queueMs, queueMs, ttftMs: ttft, firstChunkMs: ttft - 0.2, tpotMs: tpot, e2eMs: e2e,
            promptTokens: 200, outputTokens: n, outputTokensSource: 'usage', chunks: n, finishReason: 'length', status: 'ok', errorClass: null, httpStatus: 200,
            validity: c.validRate === undefined ? null : rng() < c.validRate ? 'valid' : 'schema_invalid', toolCalls: null,
          };
      if (record) {
        stats.add(r, n);
        if (!failed) {
          const gap = stats.gapSink(c.name);
          for (let g = 1; g < Math.min(n, 8); g++) gap(jitter(rng, c.tpotMs));
        }
      }
      done.push({ r, atMs: at + (r.e2eMs ?? 5), phase: ph.name });
      sent++;
    }
    t = startedAtMs + total * interval + 2000;
    phases.push({
      plan: { index: pi, name: ph.name, record, durationMs: null, maxRequests: total, load: ph.load ?? { kind: 'closed', concurrency: 4 } },
      stats: record ? stats : null,
      startedAtMs,
      endedAtMs: t,
      scheduled: total,
      sent,
      dropped: 0,
      achievedRateRps: null,
    });
  });
  done.sort((x, y) => x.atMs - y.atMs);
  // As the driver's one-second tick would: each second closes with 2 requests in flight.
  let lastS = -1;
  for (const x of done) {
    const s = Math.floor(x.atMs / 1000);
    if (lastS >= 0 && s !== lastS) ts.tick(x.atMs, x.phase, 2);
    lastS = s;
    ts.add(x.r, x.atMs, x.phase);
  }
  const last = done[done.length - 1];
  const d: DriverResult = { phases, timeseries: ts.finish(last?.atMs ?? 0, last?.phase ?? '', 2), errorSamples: {}, validitySamples: {}, dispatchLag: newHistogram(), interrupted: false };
  const meta: RunResult['meta'] = {
    runId: spec.runId ?? `run-${spec.seed}`,
    loadshapeVersion: '0.1.0',
    startedAt: new Date(Date.UTC(2026, 0, 1, 12, 0, spec.seed % 60)).toISOString(),
    endedAt: new Date(Date.UTC(2026, 0, 1, 12, 5, 0)).toISOString(),
    durationS: t / 1000,
    workload: { name: 'synthetic', file: 'workloads/synthetic.yaml', sha256: 'ab'.repeat(32), text: 'name: synthetic', seed: 7 },
    target: { url: 'http://127.0.0.1:8000/v1', simulated: true, simulator: null },
    model: spec.model ?? 'sim-model',
    tokenizer: 'o200k_base',
    labels: spec.labels ?? {},
    argv: ['run'],
    node: 'v20',
    host: { platform: 'linux', arch: 'x64', cpuModel: 'test', cpus: 2, memoryGb: 4 },
    interrupted: false,
  };
  return assembleResult(d, meta, { eventLoopDelayP50Ms: 1, eventLoopDelayP99Ms: 2, eventLoopDelayMaxMs: 3, eventLoopUtilization: 0.2, cpuPercent: 10, peakRssMb: 100 });
}

/** Two phases, two classes: a small mixed workload. */
export function standardRun(seed: number, ttftScale = 1, over: Partial<SynthRun> = {}): RunResult {
  return synthResult({
    seed,
    phases: [
      { name: 'warmup', record: false, classes: [{ name: 'chat', requests: 20, ttftMs: 50, tpotMs: 10, outputTokens: 32 }] },
      {
        name: 'steady',
        classes: [
          { name: 'chat', requests: 600, ttftMs: 50 * ttftScale, tpotMs: 10, outputTokens: 32, errorRate: 0.01 },
          { name: 'json', requests: 300, ttftMs: 120 * ttftScale, tpotMs: 12, outputTokens: 64, validRate: 0.97 },
        ],
      },
      { name: 'peak', load: { kind: 'closed', concurrency: 16 }, classes: [{ name: 'chat', requests: 600, ttftMs: 80 * ttftScale, tpotMs: 14, outputTokens: 32 }] },
    ],
    ...over,
  });
}
