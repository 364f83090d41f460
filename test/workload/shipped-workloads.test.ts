import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadWorkload } from '../../src/workload/load.js';
import { createPlanner } from '../../src/workload/plan.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';
import { parseDurationMs } from '../../src/util/errors.js';

const DIR = fileURLToPath(new URL('../../workloads/', import.meta.url));
const EXPECTED = ['cache-cold-warm', 'ci-smoke', 'conversation', 'json-schema', 'long-context', 'mixed', 'rag', 'short', 'tool-call', 'vision', 'worst-case'];

describe('shipped workloads', () => {
  it('are the documented eleven', async () => {
    const names = (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
    expect(names).toEqual(EXPECTED);
  });

  it.each(EXPECTED)('%s validates, warms up unrecorded, and plans every class with exact prompt counts', async (name) => {
    const { workload } = await loadWorkload(`${DIR}${name}.yaml`);
    expect(workload.name).toBe(name);
    expect(workload.phases[0].record).toBe(false);
    expect(workload.phases.some((p) => p.record)).toBe(true);
    const tokenizer = defaultTokenizer();
    const planner = createPlanner(workload, { model: 'm', tokenizer });
    const seen = new Set<string>();
    for (let i = 0; seen.size < workload.classes.length && i < 5_000; i++) {
      const plan = planner.plan(workload.phases.length - 1, i);
      if (seen.has(plan.className)) continue;
      seen.add(plan.className);
      const body = JSON.parse(plan.body) as { messages?: { content: string | { type: string; text?: string }[] }[]; prompt?: string; max_tokens: number };
      // Image classes send the text as the first content part; images are not prompt text.
      const textOf = (c: string | { type: string; text?: string }[]) => (typeof c === 'string' ? c : c.filter((p) => p.type === 'text').map((p) => p.text ?? '').join(''));
      const texts = body.messages ? body.messages.map((m) => textOf(m.content)) : [body.prompt ?? ''];
      expect(plan.promptTokens).toBe(texts.reduce((s, t) => s + tokenizer.count(t), 0));
      expect(body.max_tokens).toBe(plan.maxTokens);
    }
    expect([...seen].sort()).toEqual(workload.classes.map((c) => c.name).sort());
  });

  it('keeps mixed.yaml (what `npm start` runs) to well under a minute of phases', async () => {
    const { workload } = await loadWorkload(`${DIR}mixed.yaml`);
    const totalMs = workload.phases.reduce((s, p) => s + parseDurationMs(p.duration ?? 0, p.name), 0);
    expect(totalMs).toBeLessThanOrEqual(35_000);
    // The longest request (output tokens at the simulator's ~10 ms each) bounds each phase's drain.
    const longestOutput = Math.max(...workload.classes.map((c) => (c.output_tokens.type === 'fixed' ? c.output_tokens.value : c.output_tokens.max ?? Infinity)));
    expect(longestOutput).toBeLessThanOrEqual(400);
    const weights = Object.fromEntries(workload.classes.map((c) => [c.name, c.weight]));
    expect(weights['short-chat']).toBeGreaterThan(50);
  });
});
