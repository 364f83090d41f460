import { Ajv2020 } from 'ajv/dist/2020.js';
import http from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimServer } from '../../src/sim/server.js';

// Fast timing so the protocol tests take milliseconds; timing itself is tested in timing.test.ts.
let sim: SimServer;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ ttftMs: 5, itlMs: 1, prefillMsPerToken: 0, maxModelLen: 4096 });
  client = new OpenAI({ baseURL: sim.url, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await sim.close();
});

async function post(path: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: await res.json() };
}

/** Reads a raw SSE response and returns its data payloads, [DONE] included. */
async function sseEvents(path: string, body: unknown): Promise<string[]> {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text();
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true);
      return block.slice('data: '.length);
    });
}

describe('simulator over the official openai client', () => {
  it('streams a chat completion of exactly max_tokens tokens and reports usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'loadshape-sim',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'tell me about load testing please' },
      ],
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let contentChunks = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let role: string | undefined;
    const ids = new Set<string>();
    for await (const chunk of stream) {
      ids.add(chunk.id);
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.model).toBe('loadshape-sim');
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      role ??= choice.delta.role;
      if (choice.delta.content) {
        text += choice.delta.content;
        contentChunks++;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    expect(ids.size).toBe(1);
    expect(role).toBe('assistant');
    expect(contentChunks).toBe(12);
    expect(text.trim().split(/\s+/)).toHaveLength(12);
    expect(finish).toBe('length');
    expect(usage).toEqual({ prompt_tokens: 8, completion_tokens: 12, total_tokens: 20 });
  });

  it('streams a text completion with choices[0].text and a usage chunk', async () => {
    const stream = await client.completions.create({
      model: 'loadshape-sim',
      prompt: 'one two three four',
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      if (chunk.usage) usage = chunk.usage;
      if (chunk.choices[0]) {
        texts.push(chunk.choices[0].text);
        finish = chunk.choices[0].finish_reason ?? finish;
      }
    }
    expect(texts).toHaveLength(5);
    expect(finish).toBe('length');
    expect(usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
  });

  it('answers non-streamed chat and completions with the full output and usage', async () => {
    const chat = await client.chat.completions.create({ model: 'loadshape-sim', messages: [{ role: 'user', content: 'a b c' }], max_tokens: 6 });
    expect(chat.object).toBe('chat.completion');
    expect(chat.choices[0].message.role).toBe('assistant');
    expect(chat.choices[0].message.content!.trim().split(/\s+/)).toHaveLength(6);
    expect(chat.choices[0].finish_reason).toBe('length');
    expect(chat.usage).toEqual({ prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });

    const completion = await client.completions.create({ model: 'loadshape-sim', prompt: [1, 2, 3, 4, 5], max_tokens: 2 });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0].text.trim().split(/\s+/)).toHaveLength(2);
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });

  it('streams JSON that parses and validates against the requested schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 3 },
        tags: { type: 'array', items: { enum: ['x', 'y', 'z'] }, minItems: 2, uniqueItems: true },
        rating: { type: 'integer', minimum: 1, maximum: 5 },
        draft: { type: 'boolean' },
        note: { anyOf: [{ type: 'null' }, { type: 'string' }] },
      },
      required: ['title', 'tags', 'rating'],
      additionalProperties: false,
    };
    const stream = await client.chat.completions.create({
      model: 'loadshape-sim',
      messages: [{ role: 'user', content: 'review' }],
      max_tokens: 500,
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'json_schema', json_schema: { name: 'review', schema, strict: true } },
    });
    let text = '';
    let pieces = 0;
    let finish: string | null = null;
    let completionTokens = -1;
    for await (const chunk of stream) {
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        pieces++;
        expect(choice.delta.content.length).toBeLessThanOrEqual(4);
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const doc: unknown = JSON.parse(text);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(finish).toBe('stop');
    expect(completionTokens).toBe(pieces);
  });

  it('cuts structured output at max_tokens with finish_reason length', async () => {
    const res = await client.chat.completions.create({
      model: 'loadshape-sim',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 4,
      response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
    });
    expect(res.choices[0].finish_reason).toBe('length');
    expect(res.usage?.completion_tokens).toBe(4);
    expect(res.choices[0].message.content).toHaveLength(16);
  });

  it('streams tool_calls deltas that assemble into arguments valid against the tool parameters', async () => {
    const parameters = {
      type: 'object',
      properties: {
        location: { type: 'string' },
        unit: { enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1, maximum: 10 },
      },
      required: ['location', 'unit'],
      additionalProperties: false,
    };
    const stream = await client.chat.completions.create({
      model: 'loadshape-sim',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } },
        { type: 'function', function: { name: 'get_weather', parameters } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_tokens: 200,
      stream: true,
    });
    let id: string | undefined;
    let name: string | undefined;
    let args = '';
    let firstDeltaHadEmptyArgs = false;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const call of choice?.delta.tool_calls ?? []) {
        expect(call.index).toBe(0);
        if (call.id) {
          id = call.id;
          name = call.function?.name;
          expect(call.type).toBe('function');
          firstDeltaHadEmptyArgs = call.function?.arguments === '';
        }
        args += call.function?.arguments ?? '';
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(id).toMatch(/^call_/);
    expect(name).toBe('get_weather');
    expect(firstDeltaHadEmptyArgs).toBe(true);
    expect(finish).toBe('tool_calls');
    const validate = new Ajv2020({ strict: false }).compile(parameters);
    expect(validate(JSON.parse(args)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('returns a non-streamed tool call as message.tool_calls with null content', async () => {
    const res = await client.chat.completions.create({
      model: 'loadshape-sim',
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } }],
    });
    const call = res.choices[0].message.tool_calls![0];
    expect(res.choices[0].message.content).toBeNull();
    expect(call.type).toBe('function');
    if (call.type !== 'function') return;
    expect(call.function.name).toBe('f');
    expect(Number.isInteger((JSON.parse(call.function.arguments) as { n: number }).n)).toBe(true);
    expect(res.choices[0].finish_reason).toBe('tool_calls');
  });

  it('lists its model with max_model_len', async () => {
    const page = await client.models.list();
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ id: 'loadshape-sim', object: 'model', owned_by: 'loadshape', max_model_len: 4096 });
  });
});

describe('simulator wire format', () => {
  it('sends the role chunk first, content chunks, finish_reason on the last token, then usage and [DONE]', async () => {
    const events = await sseEvents('/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(events).toHaveLength(6);
    const chunks = events.slice(0, 5).map((e) => JSON.parse(e) as Record<string, any>);
    expect(chunks[0].choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
    expect(chunks.slice(1, 4).map((c) => c.choices[0].finish_reason)).toEqual([null, null, 'length']);
    for (const c of chunks.slice(1, 4)) expect(Object.keys(c.choices[0].delta)).toEqual(['content']);
    expect(chunks[4].choices).toEqual([]);
    expect(chunks[4].usage).toEqual({ prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
    for (const c of chunks) {
      expect(Object.keys(c).slice(0, 4)).toEqual(['id', 'object', 'created', 'model']);
      expect(c.id).toBe(chunks[0].id);
      expect(Number.isInteger(c.created)).toBe(true);
    }
    expect(events[5]).toBe('[DONE]');
  });

  it('sends no usage chunk unless stream_options.include_usage asks for it', async () => {
    const events = await sseEvents('/completions', { model: 'm', prompt: 'x', max_tokens: 2, stream: true });
    expect(events).toHaveLength(3);
    expect(events.slice(0, 2).every((e) => !('usage' in (JSON.parse(e) as object)))).toBe(true);
  });

  it('answers /health, /version and unknown paths', async () => {
    const base = sim.url.replace(/\/v1$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const version = (await (await fetch(`${base}/version`)).json()) as { version: string };
    expect(version.version).toMatch(/^\d+\.\d+\.\d+/);
    const missing = await fetch(`${sim.url}/embeddings`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });

  it.each([
    ['invalid JSON', '/chat/completions', '{"model": ', 'invalid_json'],
    ['missing messages', '/chat/completions', JSON.stringify({ model: 'm' }), 'missing_messages'],
    ['a prompt over max_model_len', '/completions', JSON.stringify({ model: 'm', prompt: 'w '.repeat(5000) }), 'context_length_exceeded'],
  ])('answers %s with a 400 OpenAI error', async (_name, path, body, code) => {
    const { status, json } = await post(path, body);
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: { type: 'invalid_request_error', code } });
    expect(typeof (json as { error: { message: unknown } }).error.message).toBe('string');
  });

  it('surfaces a 400 through the openai client as a BadRequestError', async () => {
    await expect(client.completions.create({ model: 'm', prompt: 'w '.repeat(5000), max_tokens: 1 })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });
});

describe('simulator lifecycle', () => {
  it('stops a stream whose client disconnects and stays healthy', async () => {
    const sent: number[] = [];
    const local = await startSimulator({ ttftMs: 5, itlMs: 5, onTokenSent: (_lag, index) => sent.push(index) });
    try {
      const url = new URL(`${local.url}/chat/completions`);
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000, stream: true });
      await new Promise<void>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          let chunks = 0;
          res.on('data', (buf: Buffer) => {
            chunks += buf.toString().split('data: ').length - 1;
            if (chunks >= 3) {
              req.destroy();
              resolve();
            }
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        req.end(body);
      });
      await waitFor(() => local.activeRequests === 0);
      const sentAtDisconnect = sent.length;
      await sleep(50);
      // Ten more token deadlines have passed: none of them was written.
      expect(sent.length).toBe(sentAtDisconnect);
      expect(sentAtDisconnect).toBeLessThan(20);

      const after = new OpenAI({ baseURL: local.url, apiKey: 'unused', maxRetries: 0 });
      const res = await after.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
      expect(res.usage?.completion_tokens).toBe(2);
    } finally {
      await local.close();
    }
  });

  it('close() ends open streams and resolves promptly', async () => {
    const local = await startSimulator({ ttftMs: 1, itlMs: 50 });
    const res = await fetch(`${local.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 10_000, stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    const started = performance.now();
    await local.close();
    expect(performance.now() - started).toBeLessThan(500);
    await expect(drain(reader)).rejects.toThrow();
    expect(local.activeRequests).toBe(0);
  });
});

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  for (;;) {
    const { done } = await reader.read();
    if (done) return;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}
