import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPlanner, type RequestPlan } from '../../src/workload/plan.js';
import { WorkloadSchema, type WorkloadInput } from '../../src/workload/schema.js';
import { defaultTokenizer, loadTokenizer, type Tokenizer } from '../../src/workload/tokenizer.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tokenizer-wordlevel/tokenizer.json', import.meta.url));
const tokenizer = defaultTokenizer();

const SCHEMA = { type: 'object', properties: { priority: { type: 'string', enum: ['low', 'high'] } }, required: ['priority'], additionalProperties: false };
const TOOL = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

function workload(overrides: Partial<WorkloadInput> = {}): WorkloadInput {
  return {
    name: 'test',
    seed: 11,
    defaults: { temperature: 0.7, top_p: 0.9, extra_body: { ignore_eos: true, min_tokens: 4 } },
    classes: [
      { name: 'chat', weight: 6, prompt_tokens: { type: 'lognormal', mean: 200, stddev: 80, min: 5, max: 1000 }, output_tokens: { type: 'uniform', min: 20, max: 60 } },
      {
        name: 'rag',
        weight: 3,
        system_prompt: 'You answer from the documents below. Cite the document you used.',
        shared_prefix_tokens: 300,
        unique_prefix_tokens: 8,
        prompt_tokens: { type: 'uniform', min: 50, max: 150 },
        output_tokens: { type: 'fixed', value: 30 },
        suffix: 'Question: which document mentions the river?',
        extra_body: { min_tokens: 10, repetition_penalty: 1.1 },
      },
      { name: 'complete', weight: 1, kind: 'completion', prompt_tokens: { type: 'fixed', value: 64 }, output_tokens: { type: 'fixed', value: 0 + 16 }, unique_prefix_tokens: 4 },
    ],
    phases: [
      { name: 'warmup', concurrency: 2, duration: '5s', record: false },
      { name: 'steady', rate: 5, duration: '20s' },
    ],
    ...overrides,
  };
}

function planner(input: WorkloadInput = workload(), tok: Tokenizer = tokenizer) {
  return createPlanner(WorkloadSchema.parse(input), { model: 'test-model', tokenizer: tok });
}

function firstOfClass(p: ReturnType<typeof planner>, className: string, phaseIndex = 1, count = 1): RequestPlan[] {
  const found: RequestPlan[] = [];
  for (let i = 0; found.length < count; i++) {
    const plan = p.plan(phaseIndex, i);
    if (plan.className === className) found.push(plan);
  }
  return found;
}

type Body = Record<string, unknown> & { messages?: { role: string; content: string }[]; prompt?: string };
const body = (plan: RequestPlan): Body => JSON.parse(plan.body) as Body;

describe('createPlanner', () => {
  it('gives the same plan for the same (seed, phase, request), in any order and across planners', () => {
    const a = planner();
    const b = planner();
    const forward = [0, 1, 2, 3, 4, 5].map((i) => a.plan(1, i));
    const backward = [5, 4, 3, 2, 1, 0].map((i) => b.plan(1, i)).reverse();
    expect(backward).toEqual(forward);
  });

  it('gives different bodies for a different seed, phase or request', () => {
    const base = planner().plan(1, 3).body;
    expect(planner(workload({ seed: 12 })).plan(1, 3).body).not.toBe(base);
    expect(planner().plan(0, 3).body).not.toBe(base);
    expect(planner().plan(1, 4).body).not.toBe(base);
  });

  it('chooses classes in proportion to their weights, never a weight-0 class', () => {
    const input = workload();
    input.classes = [...input.classes, { name: 'never', weight: 0, prompt_tokens: { type: 'fixed', value: 1 }, output_tokens: { type: 'fixed', value: 1 } }];
    const p = planner(input);
    const counts: Record<string, number> = {};
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const name = p.plan(1, i).className;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts.chat / n).toBeCloseTo(0.6, 1);
    expect(counts.rag / n).toBeCloseTo(0.3, 1);
    expect(counts.complete / n).toBeCloseTo(0.1, 1);
    expect(counts.never).toBeUndefined();
  });

  it('builds a streaming chat body with usage, sampling defaults and extra_body (class wins)', () => {
    const [rag] = firstOfClass(planner(), 'rag');
    expect(rag.kind).toBe('chat');
    expect(rag.path).toBe('/chat/completions');
    expect(rag.maxTokens).toBe(30);
    const b = body(rag);
    expect(Object.keys(b)).toEqual(['model', 'messages', 'max_tokens', 'stream', 'stream_options', 'temperature', 'top_p', 'ignore_eos', 'min_tokens', 'repetition_penalty']);
    expect(b).toMatchObject({ model: 'test-model', max_tokens: 30, stream: true, stream_options: { include_usage: true }, temperature: 0.7, top_p: 0.9, ignore_eos: true, min_tokens: 10, repetition_penalty: 1.1 });
    expect(b.messages?.map((m) => m.role)).toEqual(['system', 'user']);
    expect(b.messages?.[0].content).toBe('You answer from the documents below. Cite the document you used.');
    expect(b.messages?.[1].content.endsWith('\n\nQuestion: which document mentions the river?')).toBe(true);
  });

  it('samples max_tokens from output_tokens', () => {
    const chats = firstOfClass(planner(), 'chat', 1, 200);
    const maxTokens = chats.map((c) => c.maxTokens);
    expect(Math.min(...maxTokens)).toBe(20);
    expect(Math.max(...maxTokens)).toBe(60);
    for (const c of chats) expect(body(c).max_tokens).toBe(c.maxTokens);
  });

  it('builds a /completions body with a prompt string', () => {
    const [c] = firstOfClass(planner(), 'complete');
    expect(c.path).toBe('/completions');
    const b = body(c);
    expect(b.messages).toBeUndefined();
    expect(typeof b.prompt).toBe('string');
    expect(tokenizer.count(b.prompt as string)).toBe(4 + 64);
    expect(c.promptTokens).toBe(68);
  });

  it('starts every request of a class with the same shared prefix, then a unique prefix', () => {
    const rags = firstOfClass(planner(), 'rag', 1, 20);
    const users = rags.map((r) => body(r).messages![1].content.split(' '));
    const shared = users[0].slice(0, 300);
    for (const words of users) expect(words.slice(0, 300)).toEqual(shared);
    // Right after the shared prefix the requests diverge, each from the others.
    const uniques = new Set(users.map((w) => w.slice(300, 308).join(' ')));
    expect(uniques.size).toBe(20);
    // A different seed gives a different shared document.
    const [other] = firstOfClass(planner(workload({ seed: 99 })), 'rag');
    expect(body(other).messages![1].content.split(' ').slice(0, 300)).not.toEqual(shared);
  });

  it('puts the unique prefix before the system prompt when nothing is meant to be shared', () => {
    const input = workload();
    input.classes = [{ name: 'nocache', system_prompt: 'You are a helpful assistant.', unique_prefix_tokens: 3, prompt_tokens: { type: 'fixed', value: 10 }, output_tokens: { type: 'fixed', value: 5 } }];
    const p = planner(input);
    const systems = [0, 1, 2, 3].map((i) => body(p.plan(1, i)).messages![0].content);
    for (const s of systems) expect(s).toMatch(/^\S+ \S+ \S+\n\nYou are a helpful assistant\.$/);
    expect(new Set(systems.map((s) => s.split(' ')[0])).size).toBe(4);
    const plan = p.plan(1, 0);
    const m = body(plan).messages!;
    expect(plan.promptTokens).toBe(tokenizer.count(m[0].content) + 10);
    expect(tokenizer.count(m[1].content)).toBe(10);
  });

  it('counts promptTokens exactly: system + shared + unique + prompt + suffix', () => {
    const p = planner();
    for (let i = 0; i < 60; i++) {
      const plan = p.plan(1, i);
      const b = body(plan);
      const texts = b.messages ? b.messages.map((m) => m.content) : [b.prompt as string];
      expect(plan.promptTokens).toBe(texts.reduce((s, t) => s + tokenizer.count(t), 0));
    }
  });

  it('counts exactly under a Hugging Face tokenizer too', async () => {
    const hf = await loadTokenizer(FIXTURE);
    const p = planner(workload(), hf);
    for (let i = 0; i < 30; i++) {
      const plan = p.plan(1, i);
      const b = body(plan);
      const texts = b.messages ? b.messages.map((m) => m.content) : [b.prompt as string];
      expect(plan.promptTokens).toBe(texts.reduce((s, t) => s + hf.count(t), 0));
    }
  });

  it('exposes tools, tool_choice and the response schema alongside the body', () => {
    const input = workload({ defaults: {} });
    input.classes = [
      { name: 'json', prompt_tokens: { type: 'fixed', value: 20 }, output_tokens: { type: 'fixed', value: 50 }, response_format: { type: 'json_schema', json_schema: { name: 'triage', strict: true, schema: SCHEMA } } },
      { name: 'tools', weight: 0.000001, prompt_tokens: { type: 'fixed', value: 20 }, output_tokens: { type: 'fixed', value: 50 }, tools: [TOOL], tool_choice: 'required' },
    ];
    const [json] = firstOfClass(planner(input), 'json');
    expect(json.responseSchema).toEqual(SCHEMA);
    expect(json.tools).toBeUndefined();
    expect(body(json).response_format).toEqual({ type: 'json_schema', json_schema: { name: 'triage', strict: true, schema: SCHEMA } });
    expect(Object.keys(body(json))).toEqual(['model', 'messages', 'max_tokens', 'stream', 'stream_options', 'response_format']);

    input.classes[1].weight = 1;
    input.classes[0].weight = 0;
    const tools = planner(input).plan(0, 0);
    expect(tools.tools).toEqual([TOOL]);
    expect(tools.toolChoice).toBe('required');
    expect(tools.responseSchema).toBeUndefined();
    expect(body(tools)).toMatchObject({ tools: [TOOL], tool_choice: 'required' });
  });

  it('never sends an empty user message', () => {
    const input = workload();
    input.classes = [{ name: 'empty', prompt_tokens: { type: 'fixed', value: 0 }, output_tokens: { type: 'fixed', value: 1 } }];
    const plan = planner(input).plan(0, 0);
    expect(body(plan).messages![0].content.length).toBeGreaterThan(0);
    expect(plan.promptTokens).toBe(1);
  });

  it('rejects indexes outside the workload', () => {
    const p = planner();
    expect(() => p.plan(2, 0)).toThrow('phaseIndex must be an integer in [0, 2), got 2');
    expect(() => p.plan(0, -1)).toThrow('requestIndex must be a non-negative integer, got -1');
  });
});
