// Images in prompts, cold and warm prefix cache, and reasoning budgets end to end (issue 21): the CLI
// against a simulator in this process, whose view of every request is the evidence of what was sent.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import type { RequestRecord } from '../../src/client/record.js';
import type { GroupResult, RunResult } from '../../src/results/format.js';
import { syntheticImage } from '../../src/workload/images.js';
import { mulberry32 } from '../../src/util/rng.js';
import { fixture, readOnlyResult, runCli, startSimProcess, tempDir } from './helpers.js';

type Part = { type: string; text?: string; image_url?: { url: string; detail?: string } };
interface Seen {
  images: Part[];
  promptTokens: number;
}

function imagesOf(body: unknown): Part[] {
  const messages = (body as { messages: { content: string | Part[] }[] }).messages;
  return messages.flatMap((m) => (Array.isArray(m.content) ? m.content.filter((p) => p.type === 'image_url') : []));
}

async function runAgainst(sim: SimServer, workload: string, extra: string[] = []): Promise<{ result: RunResult; records: RequestRecord[]; out: string; code: number | null; stderr: string }> {
  const out = tempDir();
  const recordsFile = join(out, 'records.jsonl');
  const r = await runCli(['run', workload, '--target', sim.url, '--server-metrics', 'none', '--out', out, '--records', recordsFile, '--quiet', ...extra]);
  // Exit 5 (every request failed) still writes the result and the records.
  if (r.code !== 0 && r.code !== 5) return { result: undefined as unknown as RunResult, records: [], out, code: r.code, stderr: r.stderr };
  const records = readFileSync(recordsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
  return { result: readOnlyResult(out), records, out, code: r.code, stderr: r.stderr };
}

const group = (r: RunResult, phase: string, cls: string) => r.phases.find((p) => p.name === phase)!.groups.find((g) => g.class === cls) as GroupResult;

describe('images in prompts against the simulator', () => {
  const seen: Seen[] = [];
  let sim: SimServer;
  let run: Awaited<ReturnType<typeof runAgainst>>;

  beforeAll(async () => {
    // 0.2 ms of prefill per prompt token: each 448×448 image (256 tokens) adds ~51 ms to TTFT.
    sim = await startSimulator({ profile: 'fixed', ttftMs: 5, itlMs: 1, prefillMsPerToken: 0.2, onRequest: (v) => seen.push({ images: imagesOf(v.body), promptTokens: v.promptTokens }) });
    run = await runAgainst(sim, fixture('vision-counts.yaml'));
    expect(run.code, run.stderr).toBe(0);
  }, 60_000);
  afterAll(() => sim.close());

  it('sends each class its configured image count, detail as given, and the simulator charges ceil(w/28)·ceil(h/28) tokens per image', () => {
    expect(seen.length).toBe(12);
    for (const s of seen) {
      expect([1, 4]).toContain(s.images.length);
      expect(s.images.every((p) => p.image_url!.detail === 'high')).toBe(true);
      expect(s.promptTokens).toBe(20 + s.images.length * 16 * 16);
    }
    for (const r of run.records) {
      expect(r.images).toBe(r.class === 'one' ? 1 : 4);
      expect(r.promptTokens).toBe(20 + (r.images ?? 0) * 256);
    }
    expect(group(run.result, 'main', 'four').images).toMatchObject({ requests: group(run.result, 'main', 'four').requests, images: 4 * group(run.result, 'main', 'four').requests });
  });

  it('shows the image tokens in TTFT: four images take longer to first token than one', () => {
    const one = group(run.result, 'main', 'one').metrics.ttftMs.p50Ms;
    const four = group(run.result, 'main', 'four').metrics.ttftMs.p50Ms;
    // 768 more prompt tokens × 0.2 ms = 154 ms more prefill.
    expect(four - one).toBeGreaterThan(100);
  });

  it('reports request bytes per class in the result and in the CSV', async () => {
    for (const cls of ['one', 'four']) {
      const sum = run.records.filter((r) => r.class === cls).reduce((s, r) => s + (r.requestBytes ?? 0), 0);
      expect(group(run.result, 'main', cls).requestBytes).toBe(sum);
    }
    expect(group(run.result, 'main', 'four').requestBytes!).toBeGreaterThan(3 * group(run.result, 'main', 'one').requestBytes! * (group(run.result, 'main', 'four').requests / group(run.result, 'main', 'one').requests));
    const resultFile = join(run.out, readdirSync(run.out).find((f) => f.endsWith('.json'))!);
    const csv = await runCli(['export', 'csv', resultFile]);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    const four = rows.find((r) => r.class === 'four')!;
    const g = group(run.result, 'main', 'four');
    expect(Number(four.request_bytes_mean)).toBe(Math.round(g.requestBytes! / g.requests));
    expect(Number(four.images)).toBe(g.images!.images);
    expect(Number(four.image_bytes)).toBe(g.images!.imageBytes);
  });
});

describe('a text-only simulator (--no-vision)', () => {
  it('answers image requests with HTTP 400, counted as http_4xx', async () => {
    const sim = await startSimulator({ profile: 'fixed', ttftMs: 2, itlMs: 1, vision: false });
    try {
      const run = await runAgainst(sim, fixture('vision-counts.yaml'), ['--requests', '4', '--concurrency', '1']);
      expect(run.code, run.stderr).toBe(5);
      expect(run.stderr).toMatch(/every request .* failed \(http_4xx 4\)/);
      expect(run.records.every((r) => r.errorClass === 'http_4xx' && r.httpStatus === 400)).toBe(true);
      expect(group(run.result, 'cli', '*').errorsByClass.http_4xx).toBe(4);
    } finally {
      await sim.close();
    }
  }, 60_000);
});

describe('loadshape sim --no-vision', () => {
  it('makes `run` count image requests as http_4xx and `probe` say vision is not supported', async () => {
    const sim = await startSimProcess(['--no-vision', '--profile', 'fixed', '--ttft', '2', '--itl', '1']);
    try {
      const out = tempDir();
      const records = join(out, 'records.jsonl');
      const r = await runCli(['run', fixture('vision-counts.yaml'), '--target', sim.url, '--server-metrics', 'none', '--requests', '3', '--concurrency', '1', '--records', records, '--out', out, '--quiet']);
      expect(r.code).toBe(5);
      const lines = readFileSync(records, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
      expect(lines.map((x) => [x.errorClass, x.httpStatus])).toEqual([['http_4xx', 400], ['http_4xx', 400], ['http_4xx', 400]]);
      const probe = await runCli(['probe', '--target', sim.url, '--json']);
      const report = JSON.parse(probe.stdout) as { checks: { capability: string; verdict: string }[]; imageTokens: number | null };
      expect(report.checks.find((c) => c.capability === 'vision')!.verdict).toBe('not_supported');
      expect(report.imageTokens).toBeNull();
    } finally {
      await sim.stop();
    }
  }, 60_000);
});

describe('--image-dir', () => {
  it('sends the folder\'s PNG and JPEG files, sampled by seed, and the simulator charges their own sizes', async () => {
    const dir = join(tempDir(), 'images');
    mkdirSync(dir);
    const files = [
      { name: 'a.png', img: syntheticImage(56, 28, 'png', mulberry32(1)), tokens: 2 * 1 },
      { name: 'b.png', img: syntheticImage(84, 84, 'png', mulberry32(2)), tokens: 3 * 3 },
      { name: 'c.jpg', img: syntheticImage(28, 112, 'jpeg', mulberry32(3)), tokens: 1 * 4 },
    ];
    for (const f of files) writeFileSync(join(dir, f.name), f.img.bytes);
    const byUrl = new Map(files.map((f) => [`data:image/${f.img.format};base64,${f.img.bytes.toString('base64')}`, f]));
    const seen: Seen[] = [];
    const sim = await startSimulator({ profile: 'fixed', ttftMs: 2, itlMs: 1, onRequest: (v) => seen.push({ images: imagesOf(v.body), promptTokens: v.promptTokens }) });
    try {
      const run = await runAgainst(sim, fixture('vision-counts.yaml'), ['--image-dir', dir]);
      expect(run.code, run.stderr).toBe(0);
      const used = new Set<string>();
      for (const s of seen) {
        const chosen = s.images.map((p) => byUrl.get(p.image_url!.url));
        expect(chosen.every((c) => c !== undefined)).toBe(true);
        chosen.forEach((c) => used.add(c!.name));
        expect(s.promptTokens).toBe(20 + chosen.reduce((n, c) => n + c!.tokens, 0));
      }
      expect(used.size).toBe(3);
      const fileBytes = new Set(files.map((f) => f.img.bytes.length));
      for (const r of run.records.filter((x) => x.class === 'one')) expect(fileBytes.has(r.imageBytes!)).toBe(true);
    } finally {
      await sim.close();
    }
    writeFileSync(join(dir, 'broken.png'), Buffer.from('not a png'));
    const bad = await runCli(['run', fixture('vision-counts.yaml'), '--image-dir', dir, '--out', tempDir(), '--quiet']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/--image-dir: .*broken\.png: not a PNG or JPEG file .*; remove it or replace it/);
  }, 60_000);
});

describe('cache: both on the prefix-cache profile', () => {
  it('runs the phase cold then warm: cached tokens near zero cold and high warm, TTFT lower warm, SLOs of the phase on both', async () => {
    const sim = await startSimulator({ profile: 'prefix-cache' });
    try {
      // The gates make a lagging harness exit 3; on a shared 2-core runner its lag is not what this test is about.
      const run = await runAgainst(sim, fixture('cold-warm.yaml'), ['--max-client-lag', '500ms']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.result.phases.map((p) => p.name)).toEqual(['steady-cold', 'steady-warm']);
      const cold = run.records.filter((r) => r.phase === 'steady-cold');
      const warm = run.records.filter((r) => r.phase === 'steady-warm');
      expect(cold.every((r) => r.cachedTokens !== undefined && r.cachedTokens < 0.01 * r.promptTokens!)).toBe(true);
      // The first warm request finds only salted (cold) prefixes; every later one the shared document.
      expect(warm.slice(1).every((r) => r.cachedTokens! > 0.9 * r.promptTokens!)).toBe(true);
      const c = group(run.result, 'steady-cold', '*');
      const w = group(run.result, 'steady-warm', '*');
      expect(c.cache!.cachedFraction!).toBeLessThan(0.01);
      expect(w.cache!.cachedFraction!).toBeGreaterThan(0.75);
      expect(c.cache!.intendedSharedFraction).toBe(0);
      expect(w.cache!.intendedSharedFraction!).toBeGreaterThan(0.9);
      // 6,100 prompt tokens at 0.02 ms each: ~120 ms of prefill cold, a few ms warm.
      expect(c.metrics.ttftMs.p50Ms - w.metrics.ttftMs.p50Ms).toBeGreaterThan(50);
      expect(run.result.gates!.slos.map((s) => s.phase)).toEqual(['steady-cold', 'steady-warm']);
      // The README's one-liner: compare the cold half with the warm half of one result.
      const file = join(run.out, readdirSync(run.out).find((f) => f.endsWith('.json'))!);
      const cmp = await runCli(['compare', `${file}#steady-cold`, `${file}#steady-warm`, '--format', 'json']);
      expect(cmp.code, cmp.stderr).toBe(0);
      const groups = (JSON.parse(cmp.stdout) as { groups: { phase: string; class: string }[] }).groups;
      expect(groups.map((g) => g.phase)).toContain('steady-cold vs steady-warm');
    } finally {
      await sim.close();
    }
  }, 60_000);
});

describe('reasoning classes', () => {
  it('record reasoning tokens from usage, the answer-only TPOT, and TTFT after the reasoning', async () => {
    const sim = await startSimulator({ profile: 'fixed', ttftMs: 5, itlMs: 10, prefillMsPerToken: 0, reasoningTokens: 10 });
    try {
      const run = await runAgainst(sim, fixture('reasoning.yaml'));
      expect(run.code, run.stderr).toBe(0);
      const think = run.records.filter((r) => r.class === 'think');
      expect(think.length).toBeGreaterThan(0);
      for (const r of think) {
        expect(r).toMatchObject({ reasoningTokens: 10, reasoningTokensSource: 'usage', outputTokens: 40 });
        // The first answer token comes after ten reasoning tokens at 10 ms each; the answer keeps 10 ms a token.
        expect(r.ttftMs! - r.firstChunkMs!).toBeGreaterThan(50);
        expect(Math.abs(r.answerTpotMs! - 10)).toBeLessThan(5);
      }
      // enable_thinking: false turns it off.
      expect(run.records.filter((r) => r.class === 'plain').every((r) => r.reasoningTokens === undefined)).toBe(true);
      const g = group(run.result, 'main', 'think');
      expect(g.reasoning).toMatchObject({ requests: think.length, reasoningTokens: 10 * think.length, fromUsage: think.length, fromChunks: 0 });
      expect(g.reasoning!.answerTpotMs.count).toBe(think.length);
      expect(group(run.result, 'main', 'plain').reasoning).toBeUndefined();
    } finally {
      await sim.close();
    }
  }, 60_000);

  it('count reasoning tokens from the reasoning chunks when usage lacks them, and say so', async () => {
    const sim = await startSimulator({ profile: 'fixed', ttftMs: 2, itlMs: 1, reasoningTokens: 10, reasoningInUsage: false });
    try {
      const run = await runAgainst(sim, fixture('reasoning.yaml'));
      expect(run.code, run.stderr).toBe(0);
      const think = run.records.filter((r) => r.class === 'think');
      expect(think.every((r) => r.reasoningTokens === 10 && r.reasoningTokensSource === 'chunks')).toBe(true);
      expect(group(run.result, 'main', 'think').reasoning).toMatchObject({ fromChunks: think.length, fromUsage: 0 });
    } finally {
      await sim.close();
    }
  }, 60_000);
});

describe('validate', () => {
  it('explains images, reasoning fields and cold/warm phases in words', async () => {
    const vision = await runCli(['validate', 'vision']);
    expect(vision.code, vision.stderr).toBe(0);
    expect(vision.stdout).toMatch(/describe: 1–4 image\(s\) per request as image_url data: URLs, synthetic png 256–768 × 256–768 px/);
    expect(vision.stdout).toMatch(/thumbnail: .*jpeg 224 × 224 px.*, detail low/);
    const cache = await runCli(['validate', 'cache-cold-warm']);
    expect(cache.stdout).toMatch(/steady-cold \[open 2 rps poisson, 30s, cache cold\], steady-warm \[open 2 rps poisson, 30s, cache warm\]/);
    expect(cache.stdout).toMatch(/cache: a cold phase opens each request's first class text .* with a seeded salt/);
    const reasoning = await runCli(['validate', fixture('reasoning.yaml')]);
    expect(reasoning.stdout).toMatch(/think: sends reasoning_effort medium; records reasoning tokens/);
    expect(reasoning.stdout).toMatch(/plain: sends chat_template_kwargs \{"enable_thinking":false\}/);
  }, 30_000);
});
