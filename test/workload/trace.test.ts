import { describe, expect, it } from 'vitest';
import { parseTrace, traceOffsetsMs, tracePlanner } from '../../src/workload/trace.js';
import { createPlanner } from '../../src/workload/plan.js';
import { parseWorkload } from '../../src/workload/load.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';

describe('parseTrace', () => {
  it('reads the Azure LLM inference trace layout (date-times with 7 fractional digits)', () => {
    const t = parseTrace('TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n2023-11-16 18:16:01.0000000,879,0\n', 'azure.csv');
    expect(t.rows.map((r) => [Math.round(r.offsetMs * 1000) / 1000, r.inputTokens, r.outputTokens])).toEqual([
      [0, 374, 44],
      [4314.579, 396, 109],
      [14319.41, 879, 0],
    ]);
  });

  it('reads the BurstGPT layout (seconds) and ignores the other columns', () => {
    const t = parseTrace('Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,472,18,490,Conversation log\n45,ChatGPT,1087,230,1317,Conversation log\n', 'burst.csv');
    expect(t.rows.map((r) => [r.offsetMs, r.inputTokens, r.outputTokens, r.className])).toEqual([[0, 472, 18, null], [40_000, 1087, 230, null]]);
  });

  it('reads JSONL with class and session id, orders rows by time and scales by speed', () => {
    const t = parseTrace('{"timestamp": 2.5, "input_tokens": 10, "output_tokens": 3, "class": "rag", "session_id": "s1"}\n\n{"timestamp": 1, "input_tokens": 20, "output_tokens": 4}\n', 'x.jsonl');
    expect(t.rows.map((r) => [r.offsetMs, r.inputTokens, r.className, r.sessionId, r.line])).toEqual([[0, 20, null, null, 3], [1500, 10, 'rag', 's1', 1]]);
    expect(traceOffsetsMs(t, 2)).toEqual([0, 750]);
  });

  it('names the file, line and column of a bad value', () => {
    expect(() => parseTrace('timestamp,input_tokens,output_tokens\n0,1,2\n1,3,-4\n', 't.csv')).toThrow('t.csv:3:5: output_tokens: expected a whole number of tokens >= 0, got "-4"');
    expect(() => parseTrace('timestamp,input_tokens,output_tokens\nyesterday,1,2\n', 't.csv')).toThrow('t.csv:2:1: timestamp: expected seconds');
    expect(() => parseTrace('time,tokens\n0,1\n', 't.csv')).toThrow('t.csv:1:1: no input tokens column in the header');
    expect(() => parseTrace('{"timestamp": 0, "input_tokens": 1, "output_tokens": "x"}\n', 't.jsonl')).toThrow('t.jsonl:1:37: output_tokens: expected a whole number');
    expect(() => parseTrace('{"timestamp": 0,\n', 't.jsonl')).toThrow(/^t\.jsonl:1:\d+: not JSON/);
  });
});

describe('tracePlanner', () => {
  const workload = parseWorkload(
    `name: w
seed: 3
classes:
  - {name: chat, weight: 1, prompt_tokens: {type: fixed, value: 50}, output_tokens: {type: fixed, value: 9}}
  - {name: sys, weight: 0, system_prompt: "Be brief.", prompt_tokens: {type: fixed, value: 50}, output_tokens: {type: fixed, value: 9}}
phases: [{name: r, rate: 1, requests: 3}]
`,
    'w.yaml',
  );
  const trace = parseTrace('timestamp,input_tokens,output_tokens,class\n0,300,40,\n1,120,7,sys\n2,64,0,nope\n', 't.csv');

  it('gives each request its row\'s lengths and class, exactly and deterministically', () => {
    const tokenizer = defaultTokenizer();
    const a = tracePlanner(createPlanner(workload, { model: 'm', tokenizer }), 0, trace.rows);
    const b = tracePlanner(createPlanner(workload, { model: 'm', tokenizer }), 0, trace.rows);
    const plans = [0, 1, 2].map((i) => a.plan(0, i));
    expect(plans.map((p) => [p.className, p.promptTokens, p.maxTokens])).toEqual([['chat', 300, 40], ['sys', 120, 7], ['chat', 64, 1]]);
    for (const p of plans) {
      const body = JSON.parse(p.body) as { messages: { content: string }[] };
      expect(body.messages.reduce((s, m) => s + tokenizer.count(m.content), 0)).toBe(p.promptTokens);
    }
    expect([0, 1, 2].map((i) => b.plan(0, i).body)).toEqual(plans.map((p) => p.body));
  });
});
