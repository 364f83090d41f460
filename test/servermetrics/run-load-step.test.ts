// A run against an engine whose vLLM-named /metrics move with its load: the result stores the
// server series and its per-phase summaries show the load step.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDefaults } from '../../src/commands/options.js';
import { runCommand } from '../../src/commands/run.js';
import type { RunResult } from '../../src/results/format.js';
import { ResultSchema } from '../../src/results/format.js';
import { renderSummary } from '../../src/report/text.js';
import { renderRunHtml } from '../../src/report/html.js';
import { startFakeEngine, type FakeEngine } from '../probe/fake-engine.js';

const WORKLOAD = `name: step
seed: 1
defaults: { model: fake }
classes:
  - name: chat
    weight: 1
    prompt_tokens: { type: fixed, value: 16 }
    output_tokens: { type: fixed, value: 40 }
phases:
  - { name: low, duration: 2500ms, concurrency: 1 }
  - { name: high, duration: 2500ms, concurrency: 8 }
`;

describe('server metrics through a load step', () => {
  let engine: FakeEngine;
  let result: RunResult;
  beforeAll(async () => {
    engine = await startFakeEngine({ capacity: 2, itlMs: 5 });
    const dir = mkdtempSync(join(tmpdir(), 'loadshape-sm-'));
    const file = join(dir, 'step.yaml');
    writeFileSync(file, WORKLOAD);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      // No --server-metrics: /metrics at the target's root is found by itself.
      ({ result } = await runCommand({ ...runDefaults(), workload: file, target: engine.url, out: dir, label: [], header: [], quiet: true, timeoutTtfb: '30s', timeoutIdle: '30s', timeoutTotal: '60s', serverMetric: ['vllm:num_requests_running'] }));
    } finally {
      out.mockRestore();
    }
  }, 30_000);
  afterAll(() => engine.close());

  it('stores the series aligned with the run clock and valid against the result schema', () => {
    expect(ResultSchema.safeParse(JSON.parse(JSON.stringify(result))).success).toBe(true);
    const sm = result.serverMetrics!;
    expect(sm.sources).toEqual([{ url: engine.url.replace(/\/v1$/, '/metrics'), scrapes: sm.tMs.length, failures: 0, lastError: null }]);
    expect(sm.tMs.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < sm.tMs.length; i++) expect(sm.tMs[i]).toBeGreaterThan(sm.tMs[i - 1]);
    expect(sm.tMs[sm.tMs.length - 1]).toBeGreaterThanOrEqual(result.phases[1].endedAtMs - 1);
    expect(sm.series.waiting).toHaveLength(sm.tMs.length);
    expect(sm.series['vllm:num_requests_running']).toEqual(sm.series.running);
  });

  it('waiting requests, running requests, KV cache and queue time move with the load', () => {
    const [low, high] = result.serverMetrics!.phases;
    expect(low.phase).toBe('low');
    expect(low.waitingMax).toBe(0);
    expect(low.runningMax).toBeLessThanOrEqual(1);
    expect(high.waitingMax).toBeGreaterThanOrEqual(4); // 8 in flight, capacity 2
    expect(high.waitingMean!).toBeGreaterThan(2);
    expect(high.runningMax).toBe(2);
    expect(high.kvCacheUsageMax!).toBeGreaterThan(low.kvCacheUsageMax!);
    expect(high.queueTimeP50Ms!).toBeGreaterThan(50); // waits for a slot: several 200 ms generations
    expect(low.queueTimeP99Ms!).toBeLessThan(25); // no wait for a slot, as far as a busy machine's timers allow
    expect(high.prefixCacheHitRate!).toBeGreaterThan(0.1);
    expect(high.prefixCacheHitRate!).toBeLessThan(0.35);
  });

  it('shows them in the text summary, with provenance', () => {
    const text = renderSummary(result);
    expect(text).toMatch(/server metrics \(http:\/\/127\.0\.0\.1:\d+\/metrics: \d+ scrapes\)/);
    expect(text).toMatch(/^\s+high\s+[\d.]+\/2\s+[\d.]+\/\d+\s+20\.0%/m);
    expect(result.meta.provenance?.serverHeaders.server).toBe('fake-engine/1.0');
    expect(result.meta.provenance?.models).toEqual([{ id: 'fake', maxModelLen: 512 }]);
  });

  it('charts them in the HTML time series', () => {
    const html = renderRunHtml('step.json', result);
    expect(html).toContain('Engine requests (running solid, waiting dashed)');
    expect(html).toContain('Engine KV-cache usage');
    expect(html).not.toContain('GPU utilisation'); // no exporter scraped
  });
});
