// Results with image, cache and reasoning figures, for the merge and report tests.
import { PhaseStats } from '../../src/metrics/accumulator.js';
import { newHistogram } from '../../src/metrics/histogram.js';
import { assembleResult } from '../../src/results/assemble.js';
import type { RunResult } from '../../src/results/format.js';
import type { DriverResult } from '../../src/metrics/collector.js';
import type { RequestRecord } from '../../src/client/record.js';
import { rngFor } from '../../src/util/rng.js';

const sample = { eventLoopDelayP50Ms: 0.1, eventLoopDelayP99Ms: 1, eventLoopDelayMaxMs: 2, eventLoopUtilization: 0.1, cpuPercent: 10, peakRssMb: 100 };
const meta = (): RunResult['meta'] => ({
  runId: 'r', loadshapeVersion: 't', startedAt: '2026-12-05T00:00:00.000Z', endedAt: '2026-12-05T00:00:10.000Z', durationS: 10,
  workload: { name: 'w', file: 'w.yaml', sha256: 'abc', text: '', seed: 1 },
  target: { url: 'http://127.0.0.1:1/v1', simulated: true, simulator: null }, model: 'm', tokenizer: 'o200k_base',
  labels: {}, argv: [], node: 'v20', host: { platform: 'linux', arch: 'x64', cpuModel: 'x', cpus: 2, memoryGb: 1 }, interrupted: false,
});

export function mediaRecords(n: number): RequestRecord[] {
  const rng = rngFor(21);
  return Array.from({ length: n }, (_, i) => {
    const cls = ['vision', 'think', 'rag'][i % 3];
    const ttft = 20 + rng() * 300;
    return {
      phase: 'steady', class: cls, scheduledAtMs: i, sentAtMs: i, queueMs: 0.1, ttftMs: ttft, firstChunkMs: ttft / 2, tpotMs: 5 + rng() * 10, e2eMs: ttft + 400,
      promptTokens: 500, outputTokens: 50, outputTokensSource: 'usage', chunks: 50, finishReason: 'length', status: 'ok', errorClass: null, httpStatus: 200,
      validity: null, toolCalls: null, requestBytes: 1000 + i,
      ...(cls === 'vision' ? { images: 1 + (i % 4), imageBytes: 5000 * (1 + (i % 4)) } : {}),
      ...(cls === 'rag' ? { sharedTokens: 400, cachedTokens: i % 2 ? 400 : 0 } : {}),
      ...(cls === 'think' ? { reasoningTokens: 10 + (i % 7), reasoningTokensSource: i % 5 ? 'usage' : 'chunks', answerTpotMs: 4 + rng() * 8 } : {}),
    } as RequestRecord;
  });
}

export function mediaResult(recs: RequestRecord[]): RunResult {
  const stats = new PhaseStats(['vision', 'think', 'rag']);
  for (const r of recs) stats.add(r, 50);
  const d: DriverResult = {
    phases: [{ plan: { index: 0, name: 'steady', record: true, durationMs: 10_000, maxRequests: null, load: { kind: 'closed', concurrency: 4 } }, stats, startedAtMs: 0, endedAtMs: 10_000, scheduled: recs.length, sent: recs.length, dropped: 0, achievedRateRps: null }],
    timeseries: [], errorSamples: {}, validitySamples: {}, dispatchLag: newHistogram(), interrupted: false,
  };
  return assembleResult(d, meta(), sample);
}

