// usage.prompt_tokens_details.cached_tokens and completion_tokens_details.reasoning_tokens, and the
// reasoning chunks counted when usage lacks them: read the same by the scanner and by JSON.parse.
import { describe, expect, it } from 'vitest';
import { StreamState } from '../../src/client/stream.js';

const ID = '"id":"c","object":"chat.completion.chunk","created":1,"model":"m"';
const chunk = (delta: object, fr: string | null = null) => `{${ID},"choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(fr)}}]}`;
const usage = (details: string) => `{${ID},"choices":[],"usage":{"prompt_tokens":100,"completion_tokens":7,"total_tokens":107${details}}}`;

function feed(events: string[], fastPath: boolean): StreamState {
  const s = new StreamState({ keepText: false, fastPath });
  events.forEach((e, i) => s.onEvent(e, undefined, i));
  return s;
}

describe.each([true, false])('usage details (scanner: %s)', (fastPath) => {
  const stream = [chunk({ role: 'assistant', content: '' }), chunk({ reasoning_content: 'hmm' }), chunk({ reasoning_content: ' so' }), chunk({ content: 'A' }), chunk({ content: '!' }, 'stop')];

  it('reads cached and reasoning tokens from usage', () => {
    const s = feed([...stream, usage(',"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":5}')], fastPath);
    expect(s.usage).toMatchObject({ promptTokens: 100, completionTokens: 7, cachedTokens: 64, reasoningTokens: 5 });
    expect(s.reasoningChunks).toBe(2);
  });

  it('leaves them undefined when usage has no details (null or absent), and counts the reasoning chunks', () => {
    const s = feed([...stream, usage(',"prompt_tokens_details":null')], fastPath);
    expect(s.usage?.cachedTokens).toBeUndefined();
    expect(s.usage?.reasoningTokens).toBeUndefined();
    expect(s.reasoningChunks).toBe(2);
    expect(s.outputChunks).toBe(4);
  });

  it('takes the details of the last usage object only', () => {
    const s = feed([...stream, usage(',"prompt_tokens_details":{"cached_tokens":64}'), usage('')], fastPath);
    expect(s.usage?.cachedTokens).toBeUndefined();
  });

  it('drops an impossible count rather than trusting it', () => {
    const s = feed([...stream, usage(',"prompt_tokens_details":{"cached_tokens":-3},"completion_tokens_details":{"reasoning_tokens":"many"}')], fastPath);
    expect(s.usage?.cachedTokens).toBeUndefined();
    expect(s.usage?.reasoningTokens).toBeUndefined();
  });
});
