// Multi-turn sessions and tool round trips end to end: the CLI against a simulator in this process,
// whose view of every request it accepted is the evidence (issue 8: "a 4-turn session's prompts grow
// by the previous replies, verified from the simulator's view of the requests").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import type { RequestRecord } from '../../src/client/record.js';
import type { RunResult } from '../../src/results/format.js';
import { fixture, readOnlyResult, runCli, tempDir } from './helpers.js';

type Message = { role: string; content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string };
interface Seen {
  messages: Message[];
  promptTokens: number;
  outputText: string;
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

describe('conversations against the simulator', () => {
  const seen: Seen[] = [];
  let sim: SimServer;
  let result: RunResult;
  let records: RequestRecord[];

  beforeAll(async () => {
    sim = await startSimulator({
      profile: 'fixed', ttftMs: 5, itlMs: 1, prefillMsPerToken: 0,
      onRequest: (v) => seen.push({ messages: (v.body as { messages: Message[] }).messages, promptTokens: v.promptTokens, outputText: v.outputText }),
    });
    const out = tempDir();
    const recordsFile = join(out, 'records.jsonl');
    const r = await runCli(['run', fixture('conversations.yaml'), '--target', sim.url, '--server-metrics', 'none', '--out', out, '--records', recordsFile, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    result = readOnlyResult(out);
    records = readFileSync(recordsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
  }, 60_000);
  afterAll(() => sim.close());

  it("sends each 4-turn session's growing conversation: every turn repeats the last one and adds the model's actual reply and a new user message", () => {
    const chats = seen.filter((s) => s.messages[0].role === 'system');
    const byConversation = new Map<string, Seen[]>();
    for (const s of chats) {
      const key = s.messages[1].content as string; // the first user message opens one conversation
      byConversation.set(key, [...(byConversation.get(key) ?? []), s]);
    }
    const conversations = [...byConversation.values()];
    expect(conversations.length).toBeGreaterThanOrEqual(2);
    for (const turns of conversations) {
      expect(turns.map((t) => t.messages.length)).toEqual([2, 4, 6, 8]);
      for (let k = 1; k < turns.length; k++) {
        const prev = turns[k - 1];
        const cur = turns[k];
        expect(cur.messages.slice(0, prev.messages.length)).toEqual(prev.messages);
        expect(cur.messages[prev.messages.length]).toEqual({ role: 'assistant', content: prev.outputText });
        const user = cur.messages[prev.messages.length + 1];
        expect(user.role).toBe('user');
        // The prompt grows by exactly the previous reply and the new user message.
        expect(cur.promptTokens).toBe(prev.promptTokens + words(prev.outputText) + words(user.content as string));
        expect(words(prev.outputText)).toBe(12);
      }
    }
  });

  it('records the turn of every request, waits the think time between turns, and reports TTFT by turn', () => {
    const chat = records.filter((r) => r.class === 'chat');
    expect(chat.every((r) => r.status === 'ok')).toBe(true);
    const byConv = new Map<number, RequestRecord[]>();
    for (const r of chat) byConv.set(r.conversation as number, [...(byConv.get(r.conversation as number) ?? []), r]);
    for (const turns of byConv.values()) {
      turns.sort((a, b) => (a.turn as number) - (b.turn as number));
      expect(turns.map((r) => r.turn)).toEqual([1, 2, 3, 4]);
      for (let k = 1; k < turns.length; k++) {
        const replyEndMs = turns[k - 1].sentAtMs + (turns[k - 1].e2eMs as number);
        const waitedMs = turns[k].scheduledAtMs - replyEndMs;
        // The think time (40 ms), then as soon as a busy machine allows: the exact schedule is checked on
        // a virtual clock in test/driver/run.test.ts.
        expect(waitedMs).toBeGreaterThanOrEqual(40);
        expect(waitedMs).toBeLessThan(40 + 100);
      }
    }
    const group = result.phases[0].groups.find((g) => g.class === 'chat')!;
    expect(group.turns!.map((t) => [t.turn, t.toolFollowUp, t.requests])).toEqual([1, 2, 3, 4].map((n) => [n, false, byConv.size]));
    const meanPrompt = group.turns!.map((t) => t.promptTokens / t.ok);
    for (let k = 1; k < meanPrompt.length; k++) expect(meanPrompt[k]).toBeGreaterThan(meanPrompt[k - 1] + 12);
    expect(group.turns!.every((t) => t.ttftMs.count === t.ok && t.ttftMs.p50Ms >= 5)).toBe(true);
  });

  it('keeps conversations going with --wait-ready (its cold phase wraps the planner)', async () => {
    const out = tempDir();
    const r = await runCli(['run', fixture('conversations.yaml'), '--target', sim.url, '--server-metrics', 'none', '--wait-ready', '5s', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const phase = readOnlyResult(out).phases.find((p) => p.name === 'conversations')!;
    expect(phase.groups.find((g) => g.class === 'chat')!.turns!.map((t) => t.turn)).toEqual([1, 2, 3, 4]);
  });

  it("answers the agent's tool call with the server's call id and a synthetic result, and measures the follow-up", () => {
    const followUps = seen.filter((s) => s.messages.some((m) => m.role === 'tool'));
    expect(followUps.length).toBeGreaterThan(0);
    for (const f of followUps) {
      const [user, assistant, tool] = f.messages;
      expect(user.role).toBe('user');
      const call = assistant.tool_calls![0];
      expect(call.id).toMatch(/^call_[0-9a-f]{16}$/); // the id the simulator streamed, not one of ours
      const asked = seen.find((s) => s.messages.length === 1 && s.messages[0].content === user.content)!;
      expect(call.function).toEqual({ name: 'search_docs', arguments: asked.outputText });
      expect(tool).toMatchObject({ role: 'tool', tool_call_id: call.id });
      expect(words((JSON.parse(tool.content as string) as { result: string }).result)).toBe(30);
    }
    const agent = records.filter((r) => r.class === 'agent');
    const calls = agent.filter((r) => !r.toolFollowUp);
    const answers = agent.filter((r) => r.toolFollowUp);
    expect(answers.length).toBe(calls.length);
    expect(calls.every((r) => r.finishReason === 'tool_calls' && r.validity === 'valid')).toBe(true);
    // Given the results, the simulated model answers in words.
    expect(answers.every((r) => r.toolCalls === null && r.outputTokens === 16 && r.turn === 1)).toBe(true);
    const turns = result.phases[0].groups.find((g) => g.class === 'agent')!.turns!;
    expect(turns.map((t) => [t.turn, t.toolFollowUp, t.requests])).toEqual([[1, false, calls.length], [1, true, answers.length]]);
  });
});
