import { describe, expect, it } from 'vitest';
import { dataUrl, syntheticImage } from '../../src/workload/images.js';
import { mulberry32 } from '../../src/util/rng.js';
import { countWords, planRequest, splitIntoPieces, type EngineProfile, type GenerationPlan } from '../../src/sim/model.js';

const PROFILE: EngineProfile = { ttftMs: 50, prefillMsPerToken: 0.02, itlMs: 10, defaultMaxTokens: 256, maxModelLen: 1000 };

function plan(endpoint: 'chat' | 'completions', body: unknown, profile = PROFILE): GenerationPlan {
  const result = planRequest(endpoint, body, profile);
  if (!result.ok) throw new Error(`expected a plan, got ${JSON.stringify(result.error)}`);
  return result.plan;
}

function planError(endpoint: 'chat' | 'completions', body: unknown, profile = PROFILE) {
  const result = planRequest(endpoint, body, profile);
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

const user = (content: string) => ({ role: 'user', content });

describe('countWords (the simulator tokenizer approximation)', () => {
  it.each([
    ['', 0],
    ['one', 1],
    ['  one two\tthree\nfour  ', 4],
    ['a\u00a0b\u3000c', 3],
    ['tok '.repeat(10_000), 10_000],
  ])('counts %j as %i tokens', (text, n) => {
    expect(countWords(text)).toBe(n);
  });
});

describe('splitIntoPieces', () => {
  it('cuts text into 4-character pieces that join back to the text', () => {
    expect(splitIntoPieces('{"a":"bcdefg"}')).toEqual(['{"a"', ':"bc', 'defg', '"}']);
  });

  it('never splits a surrogate pair', () => {
    const pieces = splitIntoPieces('ab😀cdefg');
    expect(pieces.join('')).toBe('ab😀cdefg');
    expect(pieces[0]).toBe('ab😀c');
  });
});

describe('planRequest', () => {
  it('counts prompt tokens over every message, system included, and text content parts', () => {
    // A 28×28 image is one 28-px tile: one image token (test/sim/vision.test.ts has the image rule).
    const tile = dataUrl(syntheticImage(28, 28, 'png', mulberry32(1)));
    const p = plan('chat', {
      messages: [
        { role: 'system', content: 'you are terse' },
        { role: 'user', content: [{ type: 'text', text: 'two words' }, { type: 'image_url', image_url: { url: tile } }] },
        user('three more words'),
      ],
      max_tokens: 5,
    });
    expect(p.promptTokens).toBe(8 + 1);
  });

  it('always generates exactly max_tokens of free text, finishing with length', () => {
    const p = plan('chat', { messages: [user('hi')], max_tokens: 7, ignore_eos: true, min_tokens: 1 });
    expect(p.output.pieces).toHaveLength(7);
    expect(p.output.kind).toBe('text');
    expect(p.finishReason).toBe('length');
    expect(p.output.pieces.every((piece) => /^ [a-z]+$/.test(piece))).toBe(true);
  });

  it('prefers max_completion_tokens over max_tokens on chat', () => {
    expect(plan('chat', { messages: [user('hi')], max_tokens: 9, max_completion_tokens: 4 }).output.pieces).toHaveLength(4);
  });

  it('uses defaultMaxTokens when none is sent, shrunk to the room left in the context', () => {
    expect(plan('chat', { messages: [user('hi')] }).output.pieces).toHaveLength(256);
    expect(plan('completions', { prompt: 'w '.repeat(900) }).output.pieces).toHaveLength(100);
  });

  it('adds prefill time per prompt token to the time to first token', () => {
    const p = plan('completions', { prompt: 'w '.repeat(500), max_tokens: 1 });
    expect(p.firstTokenMs).toBeCloseTo(50 + 0.02 * 500, 9);
    expect(p.itlMs).toBe(10);
  });

  it('reads stream and stream_options.include_usage', () => {
    const p = plan('chat', { messages: [user('hi')], stream: true, stream_options: { include_usage: true } });
    expect([p.stream, p.includeUsage]).toEqual([true, true]);
    const q = plan('chat', { messages: [user('hi')] });
    expect([q.stream, q.includeUsage]).toEqual([false, false]);
  });

  it('counts completion prompts given as a string, one string, or token ids', () => {
    expect(plan('completions', { prompt: 'a b c', max_tokens: 1 }).promptTokens).toBe(3);
    expect(plan('completions', { prompt: ['a b'], max_tokens: 1 }).promptTokens).toBe(2);
    expect(plan('completions', { prompt: [5, 6, 7, 8], max_tokens: 1 }).promptTokens).toBe(4);
    expect(plan('completions', { prompt: [[5, 6]], max_tokens: 1 }).promptTokens).toBe(2);
  });

  it.each([
    ['a body that is not an object', 'chat', [1, 2], 'invalid_request'],
    ['missing messages', 'chat', { model: 'm' }, 'missing_messages'],
    ['empty messages', 'chat', { messages: [] }, 'missing_messages'],
    ['missing prompt', 'completions', { max_tokens: 3 }, 'missing_prompt'],
    ['several prompts', 'completions', { prompt: ['a', 'b'] }, 'invalid_value'],
    ['n > 1', 'chat', { messages: [user('hi')], n: 2 }, 'invalid_value'],
    ['a non-integer max_tokens', 'chat', { messages: [user('hi')], max_tokens: 2.5 }, 'invalid_value'],
    ['zero max_tokens', 'chat', { messages: [user('hi')], max_tokens: 0 }, 'invalid_value'],
    ['a prompt longer than maxModelLen', 'chat', { messages: [user('w '.repeat(1001))] }, 'context_length_exceeded'],
    ['prompt + max_tokens over maxModelLen', 'completions', { prompt: 'w '.repeat(990), max_tokens: 11 }, 'context_length_exceeded'],
    ['a prompt that fills the context', 'completions', { prompt: 'w '.repeat(1000) }, 'context_length_exceeded'],
  ] as const)('rejects %s with a 400 in OpenAI error shape', (_name, endpoint, body, code) => {
    const error = planError(endpoint, body);
    expect(error.status).toBe(400);
    expect(error.body.error.type).toBe('invalid_request_error');
    expect(error.body.error.code).toBe(code);
    expect(error.body.error.message.length).toBeGreaterThan(10);
  });

  describe('structured output', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'days'],
    };
    const body = (maxTokens: number) => ({
      messages: [user('weather?')],
      max_tokens: maxTokens,
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema } },
    });

    it('finishes with stop when the document fits, completion tokens being its pieces', () => {
      const p = plan('chat', body(500));
      const doc = JSON.parse(p.output.pieces.join('')) as { city: string; days: number };
      expect(typeof doc.city).toBe('string');
      expect(doc.days).toBeGreaterThanOrEqual(1);
      expect(doc.days).toBeLessThanOrEqual(7);
      expect(p.finishReason).toBe('stop');
      expect(p.output.pieces.length).toBe(Math.ceil(p.output.pieces.join('').length / 4));
    });

    it('cuts the document at max_tokens and finishes with length', () => {
      const p = plan('chat', body(3));
      expect(p.output.pieces).toHaveLength(3);
      expect(p.finishReason).toBe('length');
      expect(() => JSON.parse(p.output.pieces.join(''))).toThrow();
    });

    it('answers json_object with a small valid object', () => {
      const p = plan('chat', { messages: [user('x')], response_format: { type: 'json_object' } });
      expect(typeof JSON.parse(p.output.pieces.join(''))).toBe('object');
      expect(p.finishReason).toBe('stop');
    });

    it('rejects a json_schema format without a schema, and an unsatisfiable schema', () => {
      expect(planError('chat', { messages: [user('x')], response_format: { type: 'json_schema', json_schema: { name: 'n' } } }).body.error.code).toBe(
        'invalid_response_format',
      );
      expect(
        planError('chat', { messages: [user('x')], response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { enum: [] } } } }).body
          .error.code,
      ).toBe('invalid_schema');
    });
  });

  describe('tool calls', () => {
    const tools = [
      { type: 'function', function: { name: 'first', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } },
      { type: 'function', function: { name: 'second', parameters: { type: 'object', properties: { n: { type: 'integer', minimum: 3, maximum: 3 } } } } },
    ];

    it('calls the first tool by default, with arguments valid JSON, finishing with tool_calls', () => {
      const p = plan('chat', { messages: [user('x')], tools, max_tokens: 100 });
      expect(p.output.kind).toBe('tool_call');
      if (p.output.kind !== 'tool_call') return;
      expect(p.output.name).toBe('first');
      expect(typeof (JSON.parse(p.output.pieces.join('')) as { q: unknown }).q).toBe('string');
      expect(p.finishReason).toBe('tool_calls');
    });

    it('calls the tool that tool_choice names', () => {
      const p = plan('chat', { messages: [user('x')], tools, tool_choice: { type: 'function', function: { name: 'second' } } });
      if (p.output.kind !== 'tool_call') throw new Error('expected a tool call');
      expect(p.output.name).toBe('second');
      expect(JSON.parse(p.output.pieces.join(''))).toEqual({ n: 3 });
    });

    it('writes text when tool_choice is none', () => {
      const p = plan('chat', { messages: [user('x')], tools, tool_choice: 'none', max_tokens: 3 });
      expect(p.output.kind).toBe('text');
      expect(p.finishReason).toBe('length');
    });

    it('rejects a tool_choice naming a tool that is not offered', () => {
      expect(planError('chat', { messages: [user('x')], tools, tool_choice: { type: 'function', function: { name: 'nope' } } }).body.error.code).toBe(
        'invalid_tool_choice',
      );
    });
  });
});
