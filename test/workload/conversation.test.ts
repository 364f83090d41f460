// Multi-turn sessions and tool round trips, planner side: each follow-up extends the conversation it
// continues with the reply it got, deterministically, and ends when the conversation is over.
import { describe, expect, it } from 'vitest';
import { createPlanner, type ChatMessage, type RequestPlan, type SizedPlanner } from '../../src/workload/plan.js';
import { WorkloadSchema, type WorkloadInput } from '../../src/workload/schema.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';

const tokenizer = defaultTokenizer();
const TOOL = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } };

function planner(classes: WorkloadInput['classes']): SizedPlanner {
  const w = WorkloadSchema.parse({ name: 'conv', seed: 5, classes, phases: [{ name: 'p', concurrency: 1, requests: 10 }] });
  return createPlanner(w, { model: 'm', tokenizer });
}

const messagesOf = (p: RequestPlan) => (JSON.parse(p.body) as { messages: ChatMessage[] }).messages;

describe('multi-turn sessions', () => {
  const session = planner([
    {
      name: 'chat',
      system_prompt: 'Be brief.',
      prompt_tokens: { type: 'uniform', min: 10, max: 30 },
      output_tokens: { type: 'fixed', value: 20 },
      session: { turns: { type: 'fixed', value: 3 }, think_time: { type: 'uniform', min: 100, max: 300 } },
    },
  ]);

  it('resends the conversation with the actual reply and a new user message, and counts its tokens', () => {
    const first = session.plan(0, 4);
    expect(first.conversation).toMatchObject({ turn: 1, turns: 3, toolFollowUp: false });
    const reply = ' the quick brown fox';
    const next = session.followUp!(first, { text: reply, toolCalls: null, finishReason: 'stop' });
    expect(next).not.toBeNull();
    const m1 = messagesOf(first);
    const m2 = messagesOf(next!.plan);
    expect(m2.slice(0, m1.length)).toEqual(m1);
    expect(m2[m1.length]).toEqual({ role: 'assistant', content: reply });
    expect(m2[m1.length + 1].role).toBe('user');
    const userTokens = tokenizer.count(m2[m1.length + 1].content as string);
    expect(userTokens).toBeGreaterThanOrEqual(10);
    expect(userTokens).toBeLessThanOrEqual(30);
    expect(next!.plan.promptTokens).toBe(first.promptTokens + tokenizer.count(reply) + userTokens);
    expect(next!.plan.conversation).toMatchObject({ turn: 2, turns: 3, toolFollowUp: false });
    expect(next!.thinkMs).toBeGreaterThanOrEqual(100);
    expect(next!.thinkMs).toBeLessThanOrEqual(300);
    // Same body fields as turn 1 besides the messages.
    const { messages: _a, ...rest1 } = JSON.parse(first.body) as Record<string, unknown>;
    const { messages: _b, ...rest2 } = JSON.parse(next!.plan.body) as Record<string, unknown>;
    expect(rest2).toEqual(rest1);
  });

  it('is deterministic and ends after the last turn', () => {
    const a = session.followUp!(session.plan(0, 2), { text: ' one', toolCalls: null, finishReason: 'stop' })!;
    const b = session.followUp!(session.plan(0, 2), { text: ' one', toolCalls: null, finishReason: 'stop' })!;
    expect(b.plan.body).toBe(a.plan.body);
    expect(b.thinkMs).toBe(a.thinkMs);
    const third = session.followUp!(a.plan, { text: ' two', toolCalls: null, finishReason: 'stop' })!;
    expect(third.plan.conversation?.turn).toBe(3);
    expect(session.followUp!(third.plan, { text: ' three', toolCalls: null, finishReason: 'stop' })).toBeNull();
  });

  it("keeps turn 1's words those of a single request of the class", () => {
    const single = planner([{ name: 'chat', system_prompt: 'Be brief.', prompt_tokens: { type: 'uniform', min: 10, max: 30 }, output_tokens: { type: 'fixed', value: 20 } }]);
    expect(session.plan(0, 7).body).toBe(single.plan(0, 7).body);
    expect(single.plan(0, 7).conversation).toBeUndefined();
  });

  it('draws the number of turns per conversation, at least one', () => {
    const varied = planner([{ name: 'chat', prompt_tokens: { type: 'fixed', value: 5 }, output_tokens: { type: 'fixed', value: 5 }, session: { turns: { type: 'uniform', min: 0, max: 4 } } }]);
    const turns = Array.from({ length: 200 }, (_, i) => varied.plan(0, i).conversation!.turns);
    expect(Math.min(...turns)).toBe(1);
    expect(Math.max(...turns)).toBe(4);
    expect(new Set(turns).size).toBe(4);
  });
});

describe('tool-call round trips', () => {
  const agent = planner([
    { name: 'agent', prompt_tokens: { type: 'fixed', value: 12 }, output_tokens: { type: 'fixed', value: 30 }, tools: [TOOL], round_trip: true, tool_result_tokens: { type: 'fixed', value: 25 } },
  ]);
  const call = { id: 'call_abc', name: 'lookup', arguments: '{"q":"rivers"}' };

  it('answers each tool call with a tool message carrying its id, then ends the one-turn conversation', () => {
    const first = agent.plan(0, 0);
    const next = agent.followUp!(first, { text: null, toolCalls: [call, { name: 'lookup', arguments: '{"q":"lakes"}' }], finishReason: 'stop' })!;
    expect(next.thinkMs).toBe(0);
    expect(next.plan.conversation).toMatchObject({ turn: 1, toolFollowUp: true });
    const m = messagesOf(next.plan);
    expect(m[1]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_abc', type: 'function', function: { name: 'lookup', arguments: '{"q":"rivers"}' } },
        { id: 'call_0_1_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"lakes"}' } },
      ],
    });
    expect(m.slice(2).map((x) => [x.role, x.tool_call_id])).toEqual([['tool', 'call_abc'], ['tool', 'call_0_1_1']]);
    const result = JSON.parse(m[2].content as string) as { result: string };
    expect(tokenizer.count(result.result)).toBe(25);
    expect(next.plan.tools).toEqual([TOOL]);
    // One round trip per user turn: a follow-up that calls a tool again is not answered.
    expect(agent.followUp!(next.plan, { text: null, toolCalls: [call], finishReason: 'stop' })).toBeNull();
    // A reply without tool calls has nothing to send back.
    expect(agent.followUp!(first, { text: ' done', toolCalls: null, finishReason: 'stop' })).toBeNull();
  });

  it('does not send back tool calls cut by max_tokens or with arguments that are not JSON', () => {
    const first = agent.plan(0, 1);
    expect(agent.followUp!(first, { text: null, toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"riv' }], finishReason: 'length' })).toBeNull();
    expect(agent.followUp!(first, { text: null, toolCalls: [{ id: 'c1', name: 'lookup', arguments: 'q=rivers' }], finishReason: 'tool_calls' })).toBeNull();
    expect(agent.followUp!(first, { text: null, toolCalls: [call], finishReason: 'tool_calls' })?.plan.conversation?.toolFollowUp).toBe(true);
  });

  it('goes on to the next user turn after the tool results when the class is also a session', () => {
    const both = planner([
      { name: 'agent', prompt_tokens: { type: 'fixed', value: 12 }, output_tokens: { type: 'fixed', value: 30 }, tools: [TOOL], round_trip: true, session: { turns: { type: 'fixed', value: 2 }, think_time: '1s' } },
    ]);
    const tools = both.followUp!(both.plan(0, 0), { text: null, toolCalls: [call], finishReason: 'stop' })!;
    const turn2 = both.followUp!(tools.plan, { text: ' it is the Nile', toolCalls: null, finishReason: 'stop' })!;
    expect(turn2.thinkMs).toBe(1000);
    expect(turn2.plan.conversation).toMatchObject({ turn: 2, toolFollowUp: false });
    expect(messagesOf(turn2.plan).map((x) => x.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user']);
  });
});

describe('conversation settings in the workload file', () => {
  const base = { prompt_tokens: { type: 'fixed', value: 5 }, output_tokens: { type: 'fixed', value: 5 } } as const;
  const issues = (cls: Record<string, unknown>) => {
    const r = WorkloadSchema.safeParse({ name: 'w', classes: [{ name: 'c', ...base, ...cls }], phases: [{ name: 'p', concurrency: 1, requests: 1 }] });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('refuses sessions on completion classes, round trips without tools, and result sizes without round trips', () => {
    expect(issues({ kind: 'completion', session: { turns: { type: 'fixed', value: 2 } } })).toEqual([expect.stringMatching(/^classes\.0\.session: session needs kind: chat/)]);
    expect(issues({ round_trip: true })).toEqual([expect.stringMatching(/^classes\.0\.round_trip: .*add "tools"/)]);
    expect(issues({ tools: [TOOL], tool_result_tokens: { type: 'fixed', value: 5 } })).toEqual([expect.stringMatching(/^classes\.0\.tool_result_tokens: .*round_trip: true/)]);
    expect(issues({ session: { turns: { type: 'fixed', value: 2 }, think_time: 'soon' } }).length).toBeGreaterThan(0);
    expect(issues({ session: { turns: { type: 'fixed', value: 2 }, think_time: '500ms' } })).toEqual([]);
  });
});
