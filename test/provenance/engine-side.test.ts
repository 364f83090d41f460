import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDefaults } from '../../src/commands/options.js';
import { runCommand, type RunOptions } from '../../src/commands/run.js';
import { collectProvenance } from '../../src/provenance/collect.js';
import { parseRecipe, recipeCostPerHour, recipeDiff } from '../../src/provenance/recipe.js';
import { waitReady } from '../../src/provenance/ready.js';
import { createHttp } from '../../src/probe/http.js';
import { compareRuns } from '../../src/report/compare.js';
import { renderCompareText } from '../../src/report/compare-render.js';
import { csvRows, csvColumns } from '../../src/report/csv.js';
import type { RunResult } from '../../src/results/format.js';
import { startFakeEngine, type FakeEngine } from '../probe/fake-engine.js';

const RECIPE_A = `engine: vllm
version: 0.11.0
model: meta-llama/Llama-3.1-8B-Instruct
quantization: fp8
tensor_parallel: 1
gpu: { model: H100-SXM-80GB, count: 1 }
context_length: 8192
batching: { max_num_seqs: 256, enable_chunked_prefill: true }
cost_per_gpu_hour: 2.5
`;
const RECIPE_B = RECIPE_A.replace('tensor_parallel: 1', 'tensor_parallel: 2').replace('count: 1', 'count: 2').replace('max_num_seqs: 256', 'max_num_seqs: 512');

const WORKLOAD = `name: tiny
seed: 3
defaults: { model: fake }
classes:
  - name: chat
    weight: 1
    prompt_tokens: { type: fixed, value: 8 }
    output_tokens: { type: fixed, value: 8 }
phases:
  - { name: warmup, requests: 2, concurrency: 1, record: false }
  - { name: steady, requests: 6, concurrency: 2 }
`;

const dir = mkdtempSync(join(tmpdir(), 'loadshape-prov-'));
const workload = join(dir, 'tiny.yaml');
writeFileSync(workload, WORKLOAD);

async function run(target: string, extra: Partial<RunOptions>): Promise<RunResult> {
  const out = mkdtempSync(join(dir, 'out-'));
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const { result } = await runCommand({ ...runDefaults(), workload, target, out, label: [], header: [], quiet: true, timeoutTtfb: '30s', timeoutIdle: '30s', timeoutTotal: '60s', ...extra });
    return result;
  } finally {
    spy.mockRestore();
  }
}

describe('recipe', () => {
  it('validates with the field path named, and prices GPUs', () => {
    expect(() => parseRecipe('engine: vllm\nmodel: m\ngpu: { model: H100, count: 0 }\n', 'r.yaml')).toThrow(/r\.yaml: gpu\.count/);
    expect(() => parseRecipe('engine: vllm\nmodel: m\ngpu: { model: H100, count: 1 }\ntensor_paralel: 2\n', 'r.yaml')).toThrow(/tensor_paralel/);
    const r = parseRecipe(RECIPE_B, 'b.yaml');
    expect(recipeCostPerHour(r.recipe)).toBe(5);
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('recipeDiff lists exactly the differing fields', () => {
    const a = parseRecipe(RECIPE_A, 'a').recipe;
    const b = parseRecipe(RECIPE_B, 'b').recipe;
    expect(recipeDiff(a, b)).toEqual([
      { field: 'batching.max_num_seqs', a: 256, b: 512 },
      { field: 'gpu.count', a: 1, b: 2 },
      { field: 'tensor_parallel', a: 1, b: 2 },
    ]);
    expect(recipeDiff(a, { ...a, quantization: undefined })).toEqual([{ field: 'quantization', a: 'fp8', b: null }]);
    expect(recipeDiff(a, a)).toEqual([]);
  });
});

describe('a run records what was served', () => {
  let engine: FakeEngine;
  beforeAll(async () => {
    engine = await startFakeEngine({ itlMs: 2 });
  });
  afterAll(() => engine.close());

  it('--recipe is stored with its sha256, priced, and compare lists the recipe differences', async () => {
    writeFileSync(join(dir, 'a.yaml'), RECIPE_A);
    writeFileSync(join(dir, 'b.yaml'), RECIPE_B);
    const a = await run(engine.url, { recipe: join(dir, 'a.yaml') });
    const b = await run(engine.url, { recipe: join(dir, 'b.yaml') });
    expect(a.meta.recipe?.recipe.gpu).toEqual({ model: 'H100-SXM-80GB', count: 1 });
    expect(a.meta.recipe?.sha256).toBe(parseRecipe(RECIPE_A, 'x').sha256);
    expect(a.cost).toMatchObject({ costPerHourUsd: 2.5, source: 'recipe' });
    expect(b.cost?.costPerHourUsd).toBe(5);
    const steady = b.cost!.phases[0];
    expect(steady.phase).toBe('steady');
    expect(steady.costUsd).toBeCloseTo((5 * b.phases[1].durationS) / 3600, 6);
    expect(steady.accepted).toBe(6);
    const cmp = compareRuns([{ file: 'a.json', result: a }, { file: 'b.json', result: b }], { resamples: 20 });
    const notes = cmp.notes.filter((n) => n.startsWith('recipe'));
    expect(notes).toEqual(['recipe A → B differs in 3 field(s): batching.max_num_seqs 256 → 512; gpu.count 1 → 2; tensor_parallel 1 → 2']);
    expect(renderCompareText(cmp)).toContain('gpu.count 1 → 2');
    expect(csvColumns([{ file: 'b.json', result: b }])).toContain('usd_per_1k_accepted');
    const rows = csvRows([{ file: 'b.json', result: b }]);
    expect(rows.find((r) => r.class === 'all')).toMatchObject({ usd_per_hour: 5, cost_usd: steady.costUsd, usd_per_1k_accepted: steady.usdPer1kAccepted, accepted: 6 });
    expect(rows.find((r) => r.class === 'chat')).toMatchObject({ cost_usd: null });
  }, 30_000);

  it('--cost-per-hour overrides the recipe price', async () => {
    const r = await run(engine.url, { recipe: join(dir, 'a.yaml'), costPerHour: 36 });
    expect(r.cost).toMatchObject({ costPerHourUsd: 36, source: 'flag' });
  }, 30_000);

  it('provenance: /v1/models, the server header; unknown version endpoints skipped', async () => {
    const t = createHttp();
    try {
      const p = await collectProvenance(t.http, engine.url);
      expect(p).toEqual({ models: [{ id: 'fake', maxModelLen: 512 }], serverHeaders: { server: 'fake-engine/1.0' }, versions: [], engine: null });
    } finally {
      await t.close();
    }
  });
});

describe('--wait-ready', () => {
  it('records the time to ready and runs a cold phase before the warm-up', async () => {
    const engine = await startFakeEngine({ itlMs: 2, notReadyForMs: 1200 });
    try {
      const r = await run(engine.url, { waitReady: '10s', coldRequests: 2 });
      expect(r.meta.readiness?.ready).toBe(true);
      expect(r.meta.readiness!.timeToReadyMs).toBeGreaterThanOrEqual(1000);
      expect(r.meta.readiness!.timeToReadyMs).toBeLessThan(4000);
      expect(r.meta.readiness!.lastNotReady).toMatch(/HTTP 503/);
      expect(r.phases.map((p) => p.name)).toEqual(['cold', 'warmup', 'steady']);
      const cold = r.phases[0].groups[0];
      expect(cold).toMatchObject({ class: '*', requests: 2, ok: 2 });
      expect(cold.metrics.ttftMs.count).toBe(2);
      expect(cold.metrics.e2eMs.maxMs).toBeGreaterThan(0);
      expect(engine.chatRequests).toBe(2 + 2 + 6);
    } finally {
      await engine.close();
    }
  }, 30_000);

  it('gives up after the limit with the last answer', async () => {
    const engine = await startFakeEngine({ notReadyForMs: 60_000 });
    const t = createHttp();
    try {
      let clock = 0;
      const r = await waitReady({ http: t.http, baseUrl: engine.url, limitMs: 2000, intervalMs: 500, now: () => clock, sleep: async (ms) => void (clock += ms) });
      expect(r).toMatchObject({ ready: false, attempts: 5, readyBy: null, timeToReadyMs: 2000 }); // polls at 0, 0.5, 1, 1.5 and 2 s
      expect(r.lastNotReady).toBe('/health: HTTP 503, /v1/models: HTTP 503');
    } finally {
      await t.close();
      await engine.close();
    }
  });
});
