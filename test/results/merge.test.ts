import { describe, expect, it } from 'vitest';
import { PhaseStats } from '../../src/metrics/accumulator.js';
import { newHistogram } from '../../src/metrics/histogram.js';
import { assembleResult } from '../../src/results/assemble.js';
import { mergeResults } from '../../src/results/merge.js';
import { parseResult } from '../../src/results/io.js';
import type { RunResult } from '../../src/results/format.js';
import type { DriverResult } from '../../src/metrics/collector.js';
import type { RequestRecord } from '../../src/client/record.js';
import { rngFor } from '../../src/util/rng.js';
import { readOnlyResult, runCli, tempDir, fixture } from '../commands/helpers.js';

const sample = { eventLoopDelayP50Ms: 0.1, eventLoopDelayP99Ms: 1, eventLoopDelayMaxMs: 2, eventLoopUtilization: 0.1, cpuPercent: 10, peakRssMb: 100 };

function meta(startedAt: string): RunResult['meta'] {
  return {
    runId: startedAt, loadshapeVersion: 't', startedAt, endedAt: startedAt, durationS: 10,
    workload: { name: 'w', file: 'w.yaml', sha256: 'abc', text: '', seed: 1 },
    target: { url: 'http://127.0.0.1:1/v1', simulated: true, simulator: null }, model: 'm', tokenizer: 'o200k_base',
    labels: {}, argv: [], node: 'v20', host: { platform: 'linux', arch: 'x64', cpuModel: 'x', cpus: 2, memoryGb: 1 }, interrupted: false,
  };
}

/** Synthetic records with varied latencies and errors, deterministic from a seed. */
function records(n: number): RequestRecord[] {
  const rng = rngFor(5);
  return Array.from({ length: n }, (_, i) => {
    const err = rng() < 0.05;
    const ttft = 20 + rng() * 400;
    return {
      phase: 'steady', class: i % 3 ? 'chat' : 'rag', scheduledAtMs: i, sentAtMs: i, queueMs: rng() * 3, ttftMs: err ? null : ttft,
      firstChunkMs: err ? null : ttft, tpotMs: err ? null : 5 + rng() * 20, e2eMs: err ? null : ttft + 500 * rng(), promptTokens: 100 + i,
      outputTokens: err ? null : 50, outputTokensSource: err ? null : 'usage', chunks: 50, finishReason: err ? null : 'length',
      status: err ? 'error' : 'ok', errorClass: err ? 'http_5xx' : null, httpStatus: err ? 500 : 200, validity: null, toolCalls: null,
      // rag requests are conversations: four turns, some with a tool round trip.
      ...(i % 3 ? {} : { conversation: Math.floor(i / 12), turn: (Math.floor(i / 3) % 4) + 1, toolFollowUp: i % 9 === 0 }),
    };
  });
}

function resultOf(recs: RequestRecord[], startedAt: string): RunResult {
  const stats = new PhaseStats(['chat', 'rag']);
  for (const r of recs) {
    stats.add(r, 50);
    stats.gapSink(r.class)(r.tpotMs ?? 1);
  }
  const d: DriverResult = {
    phases: [{
      plan: { index: 0, name: 'steady', record: true, durationMs: 10_000, maxRequests: null, load: { kind: 'closed', concurrency: 4 } },
      stats, startedAtMs: 0, endedAtMs: 10_000, scheduled: recs.length, sent: recs.length, dropped: 0, achievedRateRps: null,
    }],
    timeseries: [], errorSamples: {}, validitySamples: {}, dispatchLag: newHistogram(), interrupted: false,
  };
  return assembleResult(d, meta(startedAt), sample);
}

describe('mergeResults', () => {
  it('merges shards exactly: every percentile and counter equals the single result of all records', () => {
    const all = records(3000);
    const whole = resultOf(all, '2026-11-22T10:00:00.000Z');
    const shards = [0, 1, 2].map((s) => resultOf(all.filter((_, i) => i % 3 === s), '2026-11-22T10:00:00.000Z'));
    const merged = mergeResults(shards);
    for (const cls of ['*', 'chat', 'rag']) {
      const a = merged.phases[0].groups.find((g) => g.class === cls)!;
      const b = whole.phases[0].groups.find((g) => g.class === cls)!;
      const { metrics: ma, turns: ta, ...ca } = a;
      const { metrics: mb, turns: tb, ...cb } = b;
      expect(ca).toEqual(cb);
      // Conversation positions merge exactly too (TTFT by turn, prompt tokens, counts).
      const noHdr = (t: typeof ta) => t?.map(({ ttftMs: { hdr: _h, ...m }, ...rest }) => ({ ...rest, ttftMs: m }));
      expect(noHdr(ta)).toEqual(noHdr(tb));
      // Positions are kept per class: the all-classes group has none.
      if (cls === 'rag') expect(tb?.map((t) => `${t.turn}${t.toolFollowUp ? '+tool' : ''}`)).toEqual(['1', '1+tool', '2', '2+tool', '3', '3+tool', '4', '4+tool']);
      else expect(tb).toBeUndefined();
      for (const k of Object.keys(mb) as (keyof typeof mb)[]) {
        const { hdr: _ha, ...sa } = ma[k];
        const { hdr: _hb, ...sb } = mb[k];
        expect(sa).toEqual(sb);
      }
    }
    expect(merged.meta.mergedFrom).toHaveLength(3);
  });

  it('refuses to merge results of different workloads, naming the files', () => {
    const a = resultOf(records(10), '2026-11-22T10:00:00.000Z');
    const b = resultOf(records(10), '2026-11-22T10:00:00.000Z');
    b.meta.workload.sha256 = 'def';
    expect(() => mergeResults([a, b], ['a.json', 'b.json'])).toThrow(/b\.json ran workload w .* only shards of the same workload merge/);
  });
});

describe('loadshape run --shard + merge', () => {
  it('three shards of a run send every request exactly once and merge to the counts of a single run', async () => {
    const dirs = [0, 1, 2].map(() => tempDir());
    const args = ['run', fixture('timing.yaml'), '--sim-ttft', '5', '--sim-itl', '1', '--quiet'];
    await Promise.all(dirs.map((d, i) => runCli([...args, '--shard', `${i}/3`, '--out', d])));
    const single = tempDir();
    await runCli([...args, '--out', single]);
    const files = dirs.map((d) => {
      const r = readOnlyResult(d);
      expect(r.meta.shard).toEqual({ index: dirs.indexOf(d), count: 3 });
      return r;
    });
    const merged = mergeResults(files);
    const whole = readOnlyResult(single);
    const m = merged.phases[0].groups[0];
    const w = whole.phases[0].groups[0];
    expect(files.map((f) => f.phases[0].groups[0].requests)).toEqual([11, 11, 10]);
    expect(m.requests).toBe(32);
    expect(m.requests).toBe(w.requests);
    expect(m.outputTokens).toBe(w.outputTokens);
    expect(m.promptTokens).toBe(w.promptTokens);
    // Two runs made at different times: their timings agree only as a busy machine allows.
    expect(Math.abs(m.metrics.tpotMs.p50Ms - w.metrics.tpotMs.p50Ms)).toBeLessThan(25);
  });
});

describe('loadshape run --workers', () => {
  it('splits the schedule across worker processes and merges their results and records into one', async () => {
    const out = tempDir();
    const records = `${out}/records.jsonl`;
    const r = await runCli(['run', fixture('timing.yaml'), '--workers', '2', '--concurrency', '4', '--requests', '40', '--sim-ttft', '5', '--sim-itl', '1',
      '--out', out, '--records', records, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/merged from 2 workers/);
    const files = (await import('node:fs')).readdirSync(out).filter((f) => f.endsWith('.json'));
    const result = JSON.parse((await import('node:fs')).readFileSync(`${out}/${files[0]}`, 'utf8')) as RunResult;
    expect(result.meta.mergedFrom).toHaveLength(2);
    expect(result.meta.shard).toBeUndefined();
    const g = result.phases[0].groups[0];
    expect(g.requests).toBe(40);
    expect(g.errors).toBe(0);
    expect(g.metrics.ttftMs.count).toBe(40);
    const lines = (await import('node:fs')).readFileSync(records, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(40);
  });

  it('refuses flags that need the whole run in one process', async () => {
    const r = await runCli(['run', fixture('timing.yaml'), '--workers', '2', '--checkpoint', '5s', '--quiet']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/--workers N > 1 does not combine with --checkpoint/);
  });
});

describe('mergeResults keeps retried attempts', () => {
  it('adds the retries counters of the shards', () => {
    const a = resultOf(records(30), '2026-11-22T10:00:00.000Z');
    const b = resultOf(records(30), '2026-11-22T10:00:00.000Z');
    a.phases[0].groups[0].retries = { attempts: 2, byStatus: { '429': 2 } };
    b.phases[0].groups[0].retries = { attempts: 3, byStatus: { '429': 1, '503': 2 } };
    const m = mergeResults([a, b]);
    expect(m.phases[0].groups[0].retries).toEqual({ attempts: 5, byStatus: { '429': 3, '503': 2 } });
  });
});

describe('mergeResults of repeated runs', () => {
  it('adds the durations of runs that did not overlap instead of counting the gap between them', () => {
    const a = resultOf(records(300), '2026-11-22T10:00:00.000Z');
    const b = resultOf(records(300), '2026-11-22T11:00:00.000Z');
    const m = mergeResults([a, b]);
    expect(m.phases[0].durationS).toBeCloseTo(20, 3);
    expect(m.phases[0].groups[0].throughput.requestsPerS).toBeCloseTo((2 * a.phases[0].groups[0].ok) / 20, 2);
  });

  it('does not carry one shard\'s gate verdict into the merge', () => {
    const a = resultOf(records(30), '2026-11-22T10:00:00.000Z');
    (a as { gates?: unknown }).gates = { verdict: 'fail' };
    expect(mergeResults([a, resultOf(records(30), '2026-11-22T10:00:00.000Z')]).gates).toBeUndefined();
  });
});

describe('server anomaly counters (usageInvalid, usageMismatch, stream error details, too_large)', () => {
  /** Records with every anomaly mixed in, deterministic. */
  function anomalous(n: number): RequestRecord[] {
    return records(n).map((r, i) => {
      if (r.status === 'error') return i % 2 ? { ...r, errorClass: 'stream_error', errorDetail: 'no_finish_reason' as const } : r;
      return {
        ...r,
        ...(i % 7 === 0 ? { usageInvalid: true as const, outputTokensSource: 'chunks' as const } : {}),
        ...(i % 5 === 0 ? { usageMismatch: true as const } : {}),
        validity: i % 11 === 0 ? ('too_large' as const) : ('valid' as const),
      };
    });
  }

  it('go into the result groups and merge exactly', () => {
    const all = anomalous(900);
    const whole = resultOf(all, '2026-11-22T10:00:00.000Z');
    const merged = mergeResults([0, 1, 2].map((s) => resultOf(all.filter((_, i) => i % 3 === s), '2026-11-22T10:00:00.000Z')));
    const g = whole.phases[0].groups[0];
    expect(g.usageInvalid).toBe(all.filter((r) => r.usageInvalid).length);
    expect(g.usageMismatch).toBe(all.filter((r) => r.usageMismatch).length);
    expect(g.errorDetails).toEqual({ no_finish_reason: all.filter((r) => r.errorDetail === 'no_finish_reason').length });
    expect(g.validity.too_large).toBe(all.filter((r) => r.validity === 'too_large').length);
    expect(g.usageInvalid).toBeGreaterThan(0);
    for (const cls of ['*', 'chat', 'rag']) {
      const a = merged.phases[0].groups.find((x) => x.class === cls)!;
      const b = whole.phases[0].groups.find((x) => x.class === cls)!;
      for (const k of ['usageInvalid', 'usageMismatch', 'errorDetails', 'validity', 'validityRate'] as const) expect(a[k]).toEqual(b[k]);
    }
  });

  it('are optional: a result written before them still loads, and merges with a new one', () => {
    const fresh = resultOf(anomalous(300), '2026-11-22T10:00:00.000Z');
    const old = JSON.parse(JSON.stringify(resultOf(records(300), '2026-11-22T10:00:00.000Z'))) as RunResult;
    for (const g of old.phases[0].groups) {
      const legacy = g as Partial<typeof g>;
      delete legacy.usageInvalid;
      delete legacy.usageMismatch;
      delete legacy.errorDetails;
      delete (legacy.validity as Partial<typeof g.validity>).too_large;
    }
    const parsed = parseResult(JSON.stringify(old), 'old.json');
    const merged = mergeResults([parsed, fresh]);
    const a = merged.phases[0].groups[0];
    const f = fresh.phases[0].groups[0];
    expect(a.usageInvalid).toBe(f.usageInvalid);
    expect(a.validity.too_large).toBe(f.validity.too_large);
    expect(a.validity.valid).toBe(f.validity.valid + parsed.phases[0].groups[0].validity.valid);
  });
});
