// A record's reasoning and cache fields from what the server streamed (OpenAI's usage shape).
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { OpenAIClient } from '../../src/client/openai.js';
import type { RequestPlan } from '../../src/workload/plan.js';

const plan: RequestPlan = { phaseIndex: 0, requestIndex: 0, className: 'c', kind: 'chat', path: '/chat/completions', body: '{}', bodyBytes: 2, promptTokens: 1, maxTokens: 4 };
const chunk = (delta: object, finish: string | null = null) => `data: {"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finish)}}]}\n\n`;
const usage = (details: string) => `data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13${details}}}\n\n`;

let server: Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function recordFor(body: string) {
  server = createServer((sock) => {
    sock.once('data', () => sock.end(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const t0 = performance.now();
  const client = new OpenAIClient({ baseUrl: `http://127.0.0.1:${(server!.address() as { port: number }).port}/v1`, timeouts: { idleMs: 2000, ttfbMs: 2000, totalMs: 5000 } }, () => performance.now() - t0);
  const { record } = await client.send({ plan, phase: 'p', scheduledAtMs: 0 });
  await client.close();
  return record;
}

describe('reasoning and cache fields of a record', () => {
  it('treats reasoning_tokens 0 with no reasoning chunk as no reasoning (OpenAI sends it for every answer), but keeps cached_tokens 0', async () => {
    const r = await recordFor(chunk({ content: 'a' }) + chunk({ content: 'b' }, 'stop') + usage(',"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}') + 'data: [DONE]\n\n');
    expect(r.reasoningTokens).toBeUndefined();
    expect(r.answerTpotMs).toBeUndefined();
    expect(r.cachedTokens).toBe(0);
    expect(r.requestBytes).toBe(2);
  });

  it('takes reasoning tokens from usage, over the chunks it counted', async () => {
    const r = await recordFor(chunk({ reasoning_content: 'x' }) + chunk({ reasoning_content: 'y' }) + chunk({ content: 'a' }) + chunk({ content: 'b' }, 'stop') + usage(',"completion_tokens_details":{"reasoning_tokens":2}') + 'data: [DONE]\n\n');
    expect(r).toMatchObject({ reasoningTokens: 2, reasoningTokensSource: 'usage', outputTokens: 4 });
  });

  it('counts the reasoning chunks when usage has no reasoning_tokens, and says so', async () => {
    const r = await recordFor(chunk({ reasoning: 'x' }) + chunk({ reasoning: 'y' }) + chunk({ reasoning: 'z' }) + chunk({ content: 'a' }, 'stop') + usage('') + 'data: [DONE]\n\n');
    expect(r).toMatchObject({ reasoningTokens: 3, reasoningTokensSource: 'chunks' });
    // One answer token: no answer-only pace to give.
    expect(r.answerTpotMs).toBeNull();
  });
});
