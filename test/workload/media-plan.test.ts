// Planning of image classes, cold and warm prefix-cache phases, and reasoning fields.
import { describe, expect, it } from 'vitest';
import { createPlanner } from '../../src/workload/plan.js';
import { expandCachePhases, WorkloadSchema, type WorkloadInput } from '../../src/workload/schema.js';
import { parseWorkload } from '../../src/workload/load.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';
import { syntheticImage } from '../../src/workload/images.js';
import { mulberry32 } from '../../src/util/rng.js';

const tokenizer = defaultTokenizer();

function workload(classes: WorkloadInput['classes'], phases: WorkloadInput['phases'] = [{ name: 'main', concurrency: 1, requests: 10 }]) {
  return WorkloadSchema.parse({ name: 't', seed: 4, classes, phases });
}

type Part = { type: string; text?: string; image_url?: { url: string; detail?: string } };
const userParts = (body: string): Part[] => {
  const b = JSON.parse(body) as { messages: { role: string; content: string | Part[] }[] };
  const user = b.messages.find((m) => m.role === 'user')!;
  return typeof user.content === 'string' ? [{ type: 'text', text: user.content }] : user.content;
};

describe('image classes', () => {
  const w = workload([
    {
      name: 'vis',
      prompt_tokens: { type: 'fixed', value: 20 },
      output_tokens: { type: 'fixed', value: 8 },
      images: { count: { type: 'uniform', min: 1, max: 3 }, width: { type: 'fixed', value: 64 }, height: { type: 'fixed', value: 32 }, format: 'png', detail: 'low' },
    },
  ]);

  it('send the drawn number of image_url parts after the text, with detail as given, and count their bytes', () => {
    const planner = createPlanner(w, { model: 'm', tokenizer });
    const counts = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const plan = planner.plan(0, i);
      const parts = userParts(plan.body);
      const images = parts.filter((p) => p.type === 'image_url');
      expect(parts[0].type).toBe('text');
      expect(images.length).toBe(plan.images);
      expect(images.every((p) => p.image_url!.detail === 'low' && p.image_url!.url.startsWith('data:image/png;base64,'))).toBe(true);
      const bytes = images.reduce((s, p) => s + Buffer.from(p.image_url!.url.split(',')[1], 'base64').length, 0);
      expect(plan.imageBytes).toBe(bytes);
      expect(plan.bodyBytes).toBe(Buffer.byteLength(plan.body));
      // Images are not prompt text: the class's 20 tokens are.
      expect(plan.promptTokens).toBe(20);
      counts.add(images.length);
    }
    expect([...counts].sort()).toEqual([1, 2, 3]);
  });

  it('are the same bytes on a second planner with the same seed (reproducible runs)', () => {
    const a = createPlanner(w, { model: 'm', tokenizer }).plan(0, 5).body;
    const b = createPlanner(w, { model: 'm', tokenizer }).plan(0, 5).body;
    expect(a).toBe(b);
  });

  it('leave out detail when the class does not set it', () => {
    const plain = workload([{ name: 'v', prompt_tokens: { type: 'fixed', value: 5 }, output_tokens: { type: 'fixed', value: 4 }, images: { count: { type: 'fixed', value: 1 }, width: { type: 'fixed', value: 16 }, height: { type: 'fixed', value: 16 } } }]);
    const part = userParts(createPlanner(plain, { model: 'm', tokenizer }).plan(0, 0).body).find((p) => p.type === 'image_url')!;
    expect(part.image_url).not.toHaveProperty('detail');
  });

  it('send the given pool (--image-dir) instead of synthetic images', () => {
    const pool = [syntheticImage(10, 10, 'jpeg', mulberry32(1)), syntheticImage(12, 12, 'png', mulberry32(2))];
    const urls = new Set(pool.map((p) => `data:image/${p.format};base64,${p.bytes.toString('base64')}`));
    const planner = createPlanner(w, { model: 'm', tokenizer, imagePool: pool });
    for (let i = 0; i < 10; i++) {
      for (const p of userParts(planner.plan(0, i).body).filter((x) => x.type === 'image_url')) expect(urls.has(p.image_url!.url)).toBe(true);
    }
  });

  it('need kind: chat', () => {
    const r = WorkloadSchema.safeParse({
      name: 't',
      classes: [{ name: 'c', kind: 'completion', prompt_tokens: { type: 'fixed', value: 5 }, output_tokens: { type: 'fixed', value: 4 }, images: { count: { type: 'fixed', value: 1 }, width: { type: 'fixed', value: 8 }, height: { type: 'fixed', value: 8 } } }],
      phases: [{ name: 'p', concurrency: 1, requests: 1 }],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toMatch(/images need kind: chat/);
  });
});

describe('reasoning classes', () => {
  it('send reasoning_effort and chat_template_kwargs, and nothing else new', () => {
    const w = workload([{ name: 'r', prompt_tokens: { type: 'fixed', value: 5 }, output_tokens: { type: 'fixed', value: 4 }, reasoning: { effort: 'low', template_kwargs: { enable_thinking: false } } }]);
    const body = JSON.parse(createPlanner(w, { model: 'm', tokenizer }).plan(0, 0).body) as Record<string, unknown>;
    expect(body.reasoning_effort).toBe('low');
    expect(body.chat_template_kwargs).toEqual({ enable_thinking: false });
  });

  it('refuse the same fields in extra_body, pointing to the class field', () => {
    const r = WorkloadSchema.safeParse({ name: 't', classes: [{ name: 'c', prompt_tokens: { type: 'fixed', value: 5 }, output_tokens: { type: 'fixed', value: 4 }, extra_body: { reasoning_effort: 'high' } }], phases: [{ name: 'p', concurrency: 1, requests: 1 }] });
    expect(r.error!.issues[0].message).toMatch(/use the class field reasoning: \{effort/);
  });
});

describe('cache: cold | warm | both', () => {
  const classes: WorkloadInput['classes'] = [
    { name: 'sys', system_prompt: 'You answer from the document.', shared_prefix_tokens: 50, prompt_tokens: { type: 'fixed', value: 30 }, output_tokens: { type: 'fixed', value: 4 } },
    { name: 'bare', shared_prefix_tokens: 40, prompt_tokens: { type: 'fixed', value: 30 }, output_tokens: { type: 'fixed', value: 4 } },
  ];

  it('both: two phases named -cold and -warm with the same load, in that order', () => {
    const w = expandCachePhases(workload(classes, [{ name: 'steady', rate: 2, duration: '5s', cache: 'both' }, { name: 'after', concurrency: 1, requests: 2 }]));
    expect(w.phases.map((p) => [p.name, p.cache, p.rate])).toEqual([['steady-cold', 'cold', 2], ['steady-warm', 'warm', 2], ['after', undefined, undefined]]);
  });

  it('cold: a salt opens the first text the class controls (system prompt, else user message), prompt tokens unchanged', () => {
    const w = expandCachePhases(workload(classes, [{ name: 's', concurrency: 1, requests: 20, cache: 'both' }]));
    const planner = createPlanner(w, { model: 'm', tokenizer });
    const first = (body: string) => (JSON.parse(body) as { messages: { content: string }[] }).messages[0].content;
    const seen = new Map<string, { cold: string[]; warm: string[]; tokens: Set<string> }>();
    const add = (phase: number, i: number) => {
      const plan = planner.plan(phase, i);
      const entry = seen.get(plan.className) ?? { cold: [], warm: [], tokens: new Set<string>() };
      (phase === 0 ? entry.cold : entry.warm).push(first(plan.body).slice(0, 40));
      // Fixed lengths: every request of a class has the same prompt tokens, cold or warm.
      entry.tokens.add(`${plan.promptTokens}`);
      expect(plan.sharedTokens === 0).toBe(phase === 0);
      seen.set(plan.className, entry);
    };
    for (let i = 0; i < 20; i++) {
      add(0, i);
      add(1, i);
    }
    expect([...seen.keys()].sort()).toEqual(['bare', 'sys']);
    for (const [name, { cold, warm, tokens }] of seen) {
      expect(tokens.size, name).toBe(1);
      expect(new Set(warm).size, name).toBe(1); // warm: every request opens the same way
      expect(new Set(cold).size, name).toBe(cold.length); // cold: no two requests share their opening
    }
    // The system prompt follows its salt on a blank line; the warm one starts with it.
    expect(seen.get('sys')!.warm[0]).toBe('You answer from the document.');
    for (let i = 0; i < 20; i++) {
      const plan = planner.plan(0, i);
      if (plan.className === 'sys') expect(first(plan.body)).toMatch(/^\S.*\n\nYou answer from the document\.$/s);
    }
  });

  it('phase=NAME in an SLO names a cache: both phase, and cannot collide with a generated name', () => {
    const yaml = `name: t\nclasses:\n  - {name: c, prompt_tokens: {type: fixed, value: 5}, output_tokens: {type: fixed, value: 4}}\nphases:\n  - {name: s, concurrency: 1, requests: 2, cache: both}\nslo:\n  - ttft.p95 < 1s phase=s\n  - ttft.p99 < 2s phase=s-warm\n`;
    expect(parseWorkload(yaml, 'w.yaml').phases.map((p) => p.name)).toEqual(['s-cold', 's-warm']);
    const clash = `name: t\nclasses:\n  - {name: c, prompt_tokens: {type: fixed, value: 5}, output_tokens: {type: fixed, value: 4}}\nphases:\n  - {name: s, concurrency: 1, requests: 2, cache: both}\n  - {name: s-warm, concurrency: 1, requests: 2}\n`;
    expect(() => parseWorkload(clash, 'w.yaml')).toThrow(/w\.yaml: phases\[0\]\.cache: cache: both makes a phase "s-warm", which another phase is already called/);
  });
});
