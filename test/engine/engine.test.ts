// The engine suite (`npm run test:engine`, never part of `npm test`): loadshape against a real
// serving engine nobody here wrote (llama.cpp's llama-server, continuous batching over 4 slots, on
// the CPU with a tiny random-weight Llama) and against the embedded simulator, the same workload
// and load on both. Each check asserts what must hold on any correct engine and notes, side by side,
// what differed; the notes become test-output/engine-summary.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/client/record.js';
import type { RunResult } from '../../src/results/format.js';
import { loadTokenizer, type Tokenizer } from '../../src/workload/tokenizer.js';
import { ROOT, readOnlyResult, runCli, startSimProcess, tempDir } from '../commands/helpers.js';
import { delta, ensureEngine, MODEL_ALIAS, scrapeMetrics, startLlamaServer, type EngineFiles, type LlamaServer } from './llama.js';

const PARALLEL = 4;
/** Per-slot context of the engine: the long-context check's prompts are kept inside it. */
const SLOT_CTX_TOKENS = 8192;
const SERVER_CORE = 1;
const CLIENT_CORE = 0;

interface Target {
  name: 'llama-server' | 'simulator';
  url: string;
  root: string;
}

interface Row {
  check: string;
  llama: string;
  sim: string;
  differs: boolean;
  note: string;
}
const rows: Row[] = [];
function note(check: string, llama: string, sim: string, noteText = ''): void {
  rows.push({ check, llama, sim, differs: llama !== sim, note: noteText });
}

let files: EngineFiles;
let llama: LlamaServer;
let sim: { url: string; stop(): Promise<void> };
let targets: Target[];
let tokenizer: Tokenizer;
const work = tempDir('loadshape-engine-');

beforeAll(async () => {
  files = ensureEngine();
  llama = await startLlamaServer(files, { parallel: PARALLEL, ctxSize: PARALLEL * SLOT_CTX_TOKENS, core: SERVER_CORE, logFile: join(work, 'llama-server.log') });
  // The simulator with the same number of sequences at once as the engine has slots.
  sim = await startSimProcess(['--model', MODEL_ALIAS, '--max-seqs', String(PARALLEL)], SERVER_CORE);
  targets = [
    { name: 'llama-server', url: llama.url, root: llama.root },
    { name: 'simulator', url: sim.url, root: sim.url.replace(/\/v1$/, '') },
  ];
  tokenizer = await loadTokenizer(files.tokenizer);
}, 70 * 60_000);

afterAll(async () => {
  await llama?.stop();
  await sim?.stop();
  const md = [
    '# Engine suite: llama-server vs the embedded simulator',
    '',
    `llama.cpp from llama-cpp-python ${files?.llamaCppPythonVersion ?? '?'} (sdist), --parallel ${PARALLEL}, ${SLOT_CTX_TOKENS} tokens per slot, 1 thread; simulator --max-seqs ${PARALLEL}.`,
    '',
    '| check | llama-server | simulator | differs | note |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.check} | ${r.llama} | ${r.sim} | ${r.differs ? 'yes' : 'no'} | ${r.note} |`),
    '',
  ].join('\n');
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  writeFileSync(join(ROOT, 'test-output/engine-summary.md'), md);
  console.log(md);
});

/** A shipped workload with its classes as shipped and its phases replaced by one short recorded phase. */
function shippedWorkload(name: string, phase: Record<string, unknown>, edit: (w: Record<string, unknown>) => void = () => {}): string {
  const w = parseYaml(readFileSync(join(ROOT, 'workloads', `${name}.yaml`), 'utf8')) as Record<string, unknown>;
  w.phases = [{ name: 'steady', ...phase }];
  edit(w);
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, stringifyYaml(w));
  return path;
}

interface Outcome {
  result: RunResult;
  records: RequestRecord[];
  before: Map<string, number>;
  after: Map<string, number>;
  stderr: string;
}

async function runOn(t: Target, workload: string, extra: string[] = [], timeoutMs = 180_000): Promise<Outcome> {
  const out = tempDir(`loadshape-engine-${t.name}-`);
  const records = join(out, 'records.jsonl');
  const before = await scrapeMetrics(t.root);
  const r = await runCli(
    ['run', workload, '--target', t.url, '--model', MODEL_ALIAS, '--tokenizer', files.tokenizer, '--workers', '1', '--out', out, '--records', records, '--quiet', ...extra],
    { timeoutMs, core: CLIENT_CORE },
  );
  if (r.code !== 0) throw new Error(`loadshape run against ${t.name} exited ${r.code}:\n${r.stderr.slice(-3000)}${t.name === 'llama-server' ? `\nserver log:\n${llama.log().slice(-2000)}` : ''}`);
  const after = await scrapeMetrics(t.root);
  const recs = readFileSync(records, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
  return { result: readOnlyResult(out), records: recs, before, after, stderr: r.stderr };
}

const sum = (xs: (number | null)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);
const counts = (xs: (string | null)[]) => {
  const m: Record<string, number> = {};
  for (const x of xs) m[String(x)] = (m[String(x)] ?? 0) + 1;
  return Object.entries(m).sort().map(([k, v]) => `${k}:${v}`).join(' ');
};

describe('the engine suite: llama-server and the simulator side by side', () => {
  it('the engine and loadshape count the same tokens (one tokenizer.json on both sides)', async () => {
    const texts = ['Hello world, this is a load test.', 'The lighthouse keeper wrote 42 letters in 1999; {"ok": true}', 'é ü 漢字 🙂 tabs\tand\nnewlines'];
    for (const text of texts) {
      const r = await fetch(`${llama.root}/tokenize`, { method: 'POST', body: JSON.stringify({ content: text }), headers: { 'content-type': 'application/json' } });
      const engineTokens = ((await r.json()) as { tokens: number[] }).tokens;
      expect(engineTokens, text).toEqual(tokenizer.encode(text));
    }
    note('tokenizer agreement', `${texts.length}/${texts.length} texts same ids`, 'n/a (no /tokenize)', 'the simulator counts words, not tokens');
  });

  it('short: every request streams to max_tokens (ignore_eos), records agree with the server counters', async () => {
    const wl = shippedWorkload('short', { concurrency: PARALLEL, requests: 12 });
    const seen: Record<string, Outcome> = {};
    for (const t of targets) {
      const o = await runOn(t, wl);
      seen[t.name] = o;
      expect(o.records).toHaveLength(12);
      for (const r of o.records) {
        expect(r.status, JSON.stringify(r)).toBe('ok');
        expect(r.outputTokensSource).toBe('usage');
        expect(r.ttftMs).not.toBeNull();
        expect(r.chunks).toBeGreaterThan(0);
      }
      const outTok = sum(o.records.map((r) => r.outputTokens));
      const promptTok = sum(o.records.map((r) => r.promptTokens));
      if (t.name === 'llama-server') {
        // tokens_predicted_total counts every generated token; prompt tokens split into processed and reused from the slot cache.
        expect(delta(o.before, o.after, 'llamacpp:tokens_predicted_total')).toBe(outTok);
        const processed = delta(o.before, o.after, 'llamacpp:prompt_tokens_total') ?? 0;
        const cached = delta(o.before, o.after, 'llamacpp:prompt_tokens_cached_total') ?? 0;
        expect(processed + cached).toBe(promptTok);
      } else {
        expect(delta(o.before, o.after, 'vllm:generation_tokens_total')).toBe(outTok);
        expect(delta(o.before, o.after, 'vllm:prompt_tokens_total')).toBe(promptTok);
        expect(delta(o.before, o.after, 'vllm:request_success_total')).toBe(12);
      }
    }
    const l = seen['llama-server'];
    const s = seen.simulator;
    note('short: finish reasons', counts(l.records.map((r) => r.finishReason)), counts(s.records.map((r) => r.finishReason)));
    note('short: output tokens = usage = server counter', String(sum(l.records.map((r) => r.outputTokens))), String(sum(s.records.map((r) => r.outputTokens))), 'same seed and workload: differences are prompt/template token counts');
    note('short: prompt tokens (usage)', String(sum(l.records.map((r) => r.promptTokens))), String(sum(s.records.map((r) => r.promptTokens))), 'the engine counts the ChatML template tokens too');
    note('short: ttft p50 ms', l.result.phases[0].groups[0].metrics.ttftMs.p50Ms.toFixed(1), s.result.phases[0].groups[0].metrics.ttftMs.p50Ms.toFixed(1));
  }, 600_000);
});
