// Bad values from servers, through the real OpenAIClient against a loopback server the test starts:
// echoed keys (cut, re-cased, inside tool arguments), hostile usage, endless answers, bodies that
// are not event streams, and streams that fail outside `data:` lines. Bounded: small bodies, short
// timeouts, one server torn down at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenAIClient, type RequestOutcome } from '../../src/client/openai.js';
import { runCollected } from '../../src/driver/collect.js';
import { realClock } from '../../src/util/clock.js';
import type { RequestPlan } from '../../src/workload/plan.js';
import { leakedFragments } from '../util/leaks.js';
import { onePlan, startFaultServer, type FaultServer } from './fault-server.js';

type Responder = (req: IncomingMessage, res: ServerResponse) => void;

let server: FaultServer;
let respond: Responder = (_q, res) => res.end();
const t0 = performance.now();
const now = () => performance.now() - t0;

beforeAll(async () => {
  server = await startFaultServer({ raw: (req, res) => respond(req, res) });
});
afterAll(() => server.close());

const sse = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const content = (text: string, finish: string | null = null) => sse({ choices: [{ index: 0, delta: { content: text }, finish_reason: finish }] });
const finishChunk = (reason = 'stop') => sse({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });
const usageChunk = (usage: Record<string, unknown>) => sse({ choices: [], usage });
const toolDelta = (args: string, name?: string) =>
  sse({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...(name ? { id: 'call_1', function: { name, arguments: args } } : { function: { arguments: args } }) }] }, finish_reason: null }] });

function streamReply(res: ServerResponse, parts: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const p of parts) res.write(p);
  res.end();
}

function client(opts: { key?: string; maxAnswerBytes?: number; totalMs?: number } = {}): OpenAIClient {
  return new OpenAIClient(
    {
      baseUrl: server.url,
      headers: opts.key ? { authorization: `Bearer ${opts.key}` } : {},
      timeouts: { ttfbMs: 2000, idleMs: 2000, totalMs: opts.totalMs ?? 5000 },
      maxAnswerBytes: opts.maxAnswerBytes,
    },
    now,
  );
}

async function sendOnce(c: OpenAIClient, plan: RequestPlan = onePlan('/raw')): Promise<RequestOutcome> {
  return c.send({ plan, phase: 'p', scheduledAtMs: now() });
}

const SCHEMA_PLAN: RequestPlan = { ...onePlan('/raw'), responseSchema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } };
const TOOL_PLAN: RequestPlan = {
  ...onePlan('/raw'),
  tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
  toolChoice: { mode: 'auto' },
} as RequestPlan;

/** A project key: public prefix, random secret part of `n` characters. */
function makeKey(n: number, seed: number): { key: string; secret: string } {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let x = seed >>> 0 || 1;
  let secret = '';
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    secret += abc[(x >>> 16) % abc.length];
  }
  return { key: `sk-proj-${secret}`, secret };
}

/** Everything an outcome could carry into a file or a terminal. */
const stored = (o: RequestOutcome) => JSON.stringify({ r: o.record, e: o.errorMessage, v: o.validityDetail, t: o.text, c: o.toolCalls });

describe('secrets echoed by a server (items 1 and 3)', () => {
  const { key, secret } = makeKey(156, 42);

  it('an error body echoing a 164-character key at offset 150 keeps no piece of it (scrubbed before the 300-character cut)', async () => {
    respond = (req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `${'x'.repeat(150)}${req.headers.authorization?.slice(7)} is not valid` } }));
    };
    const c = client({ key });
    const o = await sendOnce(c);
    await c.close();
    expect(o.record.errorClass).toBe('http_4xx');
    expect(o.errorMessage).toContain('<redacted>');
    expect(leakedFragments(stored(o), secret)).toEqual([]);
  });

  it('a malformed stream chunk echoing the key lower-cased at offset 150 keeps no piece of it (scrubbed before the 200-character snippet cut)', async () => {
    respond = (req, res) => streamReply(res, [`data: ${'y'.repeat(150)}${req.headers.authorization?.slice(7).toLowerCase()} oops\n\n`]);
    const c = client({ key });
    const o = await sendOnce(c);
    await c.close();
    expect(o.record.errorClass).toBe('malformed');
    expect(leakedFragments(stored(o), secret)).toEqual([]);
  });

  it('a key echoed inside tool-call arguments (split across deltas) is scrubbed in the record and in the tool calls kept for the next turn', async () => {
    respond = (req, res) => {
      const k = req.headers.authorization!.slice(7);
      streamReply(res, [toolDelta(`{"q": "${k.slice(0, 60)}`, 'lookup'), toolDelta(`${k.slice(60)}"}`), finishChunk('tool_calls'), 'data: [DONE]\n\n']);
    };
    const c = client({ key });
    const o = await sendOnce(c, TOOL_PLAN);
    await c.close();
    expect(o.record.status).toBe('ok');
    expect(o.record.toolCalls?.[0].arguments).toBe('{"q": "<redacted>"}');
    expect(o.toolCalls?.[0].arguments).toBe('{"q": "<redacted>"}');
    expect(leakedFragments(stored(o), secret)).toEqual([]);
  });

  it('a key in a structured answer is scrubbed from the kept text and from the validity detail that quotes it', async () => {
    respond = (req, res) => streamReply(res, [content(`not json ${req.headers.authorization!.slice(7).toUpperCase()}`), finishChunk(), 'data: [DONE]\n\n']);
    const c = client({ key });
    const o = await sendOnce(c, SCHEMA_PLAN);
    await c.close();
    expect(o.record.validity).toBe('not_json');
    expect(o.text).toContain('<redacted>');
    expect(leakedFragments(stored(o), secret)).toEqual([]);
  });

  it('property: random keys, echo places, offsets and cases never leave 8+ characters of the secret part in what the client hands on', async () => {
    const modes = ['error_json', 'error_text', 'malformed_chunk', 'error_object', 'event_error', 'error_field', 'tool_args', 'answer'] as const;
    const c0 = { n: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('sk-proj-', 'sk-', ''),
        fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'), minLength: 20, maxLength: 180 }),
        fc.constantFrom(...modes),
        fc.nat({ max: 400 }),
        fc.constantFrom('same', 'lower', 'upper'),
        async (prefix, part, mode, offset, casing) => {
          const key = prefix + part;
          const echo = (k: string) => (casing === 'lower' ? k.toLowerCase() : casing === 'upper' ? k.toUpperCase() : k);
          respond = (req, res) => {
            const k = echo(req.headers.authorization!.slice(7));
            const text = `${'z'.repeat(offset)}${k} end`;
            switch (mode) {
              case 'error_json':
                res.writeHead(400, { 'content-type': 'application/json' });
                return res.end(JSON.stringify({ error: { message: text } }));
              case 'error_text':
                res.writeHead(500, { 'content-type': 'text/plain' });
                return res.end(text);
              case 'malformed_chunk':
                return streamReply(res, [content('a'), `data: ${text}\n\n`]);
              case 'error_object':
                return streamReply(res, [content('a'), sse({ error: { message: text } })]);
              case 'event_error':
                return streamReply(res, [`event: error\ndata: ${text}\n\n`]);
              case 'error_field':
                return streamReply(res, [content('a'), `error: ${text}\n\n`, 'data: [DONE]\n\n']);
              case 'tool_args': {
                const cut = Math.min(text.length, offset + 3);
                return streamReply(res, [toolDelta(text.slice(0, cut), 'lookup'), toolDelta(text.slice(cut)), finishChunk('tool_calls')]);
              }
              case 'answer':
                return streamReply(res, [content(text.slice(0, offset + 5)), content(text.slice(offset + 5)), finishChunk()]);
            }
          };
          const c = client({ key });
          const o = await sendOnce(c, mode === 'tool_args' ? TOOL_PLAN : SCHEMA_PLAN);
          await c.close();
          c0.n++;
          expect(leakedFragments(stored(o), part)).toEqual([]);
        },
      ),
      { numRuns: 80, seed: 0x17a },
    );
    expect(c0.n).toBe(80);
  });
});

describe('hostile usage (item 7)', () => {
  const twoChunks = (usage: Record<string, unknown>) => (_q: IncomingMessage, res: ServerResponse) =>
    streamReply(res, [content('a'), content('b', 'stop'), usageChunk(usage), 'data: [DONE]\n\n']);

  it.each([
    ['1e308', { prompt_tokens: 3, completion_tokens: 1e308 }],
    ['negative', { prompt_tokens: 3, completion_tokens: -40 }],
    ['fractional', { prompt_tokens: 3, completion_tokens: 2.5 }],
    ['a string', { prompt_tokens: 3, completion_tokens: '2' }],
    ['absurdly large', { prompt_tokens: 3, completion_tokens: 5e9 }],
    ['a negative prompt count', { prompt_tokens: -1, completion_tokens: 2 }],
  ])('ignores usage with %s, counts the tokens from the stream and marks the record', async (_what, usage) => {
    respond = twoChunks(usage);
    const c = client();
    const o = await sendOnce(c);
    await c.close();
    const r = o.record;
    expect(r.status).toBe('ok');
    expect(r.usageInvalid).toBe(true);
    expect(Number.isFinite(r.outputTokens)).toBe(true);
    expect(r.outputTokens).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(r.promptTokens)).toBe(true);
    expect(r.promptTokens).toBeGreaterThanOrEqual(0);
    if (usage.completion_tokens !== 2) {
      expect(r.outputTokens).toBe(2);
      expect(r.outputTokensSource).toBe('chunks');
    }
  });

  it('keeps sane usage as the source, and counts usage more than 2x off the chunk count as a mismatch without changing the source', async () => {
    respond = twoChunks({ prompt_tokens: 3, completion_tokens: 2 });
    let c = client();
    const good = await sendOnce(c);
    respond = twoChunks({ prompt_tokens: 3, completion_tokens: 9 });
    const off = await sendOnce(c);
    await c.close();
    expect(good.record).toMatchObject({ outputTokens: 2, outputTokensSource: 'usage' });
    expect(good.record.usageInvalid).toBeUndefined();
    expect(good.record.usageMismatch).toBeUndefined();
    expect(off.record).toMatchObject({ outputTokens: 9, outputTokensSource: 'usage', usageMismatch: true });

    // Through the driver: the counts land in the class's group and the all-classes group.
    const plans = [{ completion_tokens: 1e308 }, { completion_tokens: 9 }, { completion_tokens: 2 }, { completion_tokens: -1 }];
    let i = 0;
    respond = (q, res) => twoChunks({ prompt_tokens: 3, ...plans[i++ % plans.length] })(q, res);
    c = client();
    const d = await runCollected({
      planner: { workload: {} as never, plan: (phaseIndex, requestIndex) => ({ ...onePlan('/raw'), phaseIndex, requestIndex }) },
      phases: [{ index: 0, name: 'p', record: true, durationMs: null, maxRequests: 8, load: { kind: 'closed', concurrency: 1 } }],
      client: c,
      clock: realClock(t0),
      seed: 1,
      classNames: ['x'],
    });
    await c.close();
    const counters = d.phases[0].stats!.all.counters;
    expect(counters.usageInvalid).toBe(4);
    expect(counters.usageMismatch).toBe(2);
    expect(Number.isFinite(counters.outputTokens)).toBe(true);
    expect(counters.outputTokens).toBe(2 * 4 + 9 * 2 + 2 * 2);
  });
});

describe('answers past the per-request cap (item 8)', () => {
  it('keeps only the cap of an over-long structured answer, reads the rest to the end, and judges it too_large', async () => {
    const piece = 'x'.repeat(4096);
    let written = false;
    respond = (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(content('{"a": "'));
      for (let i = 0; i < 64; i++) res.write(content(piece)); // 256 KiB, four times the cap
      res.end(content('"}', 'stop') + 'data: [DONE]\n\n', () => (written = true));
    };
    const c = client({ maxAnswerBytes: 64 * 1024 });
    const o = await sendOnce(c, SCHEMA_PLAN);
    await c.close();
    expect(written).toBe(true);
    expect(o.record.status).toBe('ok');
    expect(o.record.finishReason).toBe('stop');
    expect(o.record.chunks).toBe(66); // every chunk was read, and counted
    expect(o.record.validity).toBe('too_large');
    expect(o.validityDetail).toMatch(/over 65536 bytes/);
    expect(o.text!.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('an endless answer holds at most the cap until the total time limit ends the request', async () => {
    respond = (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = content('y'.repeat(8192));
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    };
    const c = client({ maxAnswerBytes: 32 * 1024, totalMs: 600 });
    const o = await sendOnce(c, SCHEMA_PLAN);
    await c.close();
    expect(o.record.errorClass).toBe('timeout_total');
    expect(o.record.chunks).toBeGreaterThan(4);
    expect((o.text ?? '').length).toBeLessThanOrEqual(32 * 1024);
  });
});

describe('200 answers that are not event streams (item 9)', () => {
  it.each([
    ['text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>\n', /content-type text\/html.*<html><body><h1>502 Bad Gateway/],
    ['application/json', '{"id":"cmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"content":"hi"}}]}', /content-type application\/json.*\{\\"id\\":\\"cmpl-1/],
  ])('a %s body is malformed, naming its content type and first bytes', async (type, body, pattern) => {
    respond = (_q, res) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    const c = client();
    const o = await sendOnce(c);
    await c.close();
    expect(o.record.errorClass).toBe('malformed');
    expect(o.errorMessage).toMatch(/not an event stream/);
    expect(o.errorMessage).toMatch(pattern);
  });

  it('an event stream cut before its first event is still stream_truncated', async () => {
    respond = (_q, res) => streamReply(res, [': keep-alive\n\n']);
    const c = client();
    const o = await sendOnce(c);
    await c.close();
    expect(o.record.errorClass).toBe('stream_truncated');
  });
});

describe('streams that fail outside data lines (item 10)', () => {
  it('reads a non-standard error: field (old llama.cpp) as a stream error with its message, even when [DONE] follows', async () => {
    respond = (_q, res) => streamReply(res, [content('Hel'), 'error: {"message":"slot 3 failed: out of KV cache"}\n\n', 'data: [DONE]\n\n']);
    const c = client();
    const o = await sendOnce(c);
    await c.close();
    expect(o.record).toMatchObject({ status: 'error', errorClass: 'stream_error', errorDetail: 'error_field' });
    expect(o.errorMessage).toBe('error field: slot 3 failed: out of KV cache');
  });

  it('counts [DONE] without any finish_reason as stream_error no_finish_reason, apart from other stream errors', async () => {
    respond = (_q, res) => streamReply(res, [content('Hel'), content('lo'), 'data: [DONE]\n\n']);
    const c = client();
    const o = await sendOnce(c);
    expect(o.record).toMatchObject({ status: 'error', errorClass: 'stream_error', errorDetail: 'no_finish_reason', chunks: 2 });
    expect(o.errorMessage).toMatch(/^no_finish_reason: /);

    let i = 0;
    respond = (_q, res) =>
      i++ % 2 === 0 ? streamReply(res, [content('a'), 'data: [DONE]\n\n']) : streamReply(res, [content('a'), sse({ error: { message: 'boom' } })]);
    const d = await runCollected({
      planner: { workload: {} as never, plan: (phaseIndex, requestIndex) => ({ ...onePlan('/raw'), phaseIndex, requestIndex }) },
      phases: [{ index: 0, name: 'p', record: true, durationMs: null, maxRequests: 6, load: { kind: 'closed', concurrency: 1 } }],
      client: c,
      clock: realClock(t0),
      seed: 1,
      classNames: ['x'],
    });
    await c.close();
    const counters = d.phases[0].stats!.all.counters;
    expect(counters.errorsByClass).toEqual({ stream_error: 6 });
    expect(counters.errorDetails).toEqual({ no_finish_reason: 3 });
  });
});
