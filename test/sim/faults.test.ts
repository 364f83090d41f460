import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIClient, type RequestOutcome } from '../../src/client/openai.js';
import type { ErrorClass } from '../../src/client/record.js';
import { parseFaultFlag, type FaultSpec, type ProfileName, type StructuredFaults } from '../../src/sim/config.js';
import { startSimulator, type SimOptions, type SimServer } from '../../src/sim/server.js';
import type { RequestPlan } from '../../src/workload/plan.js';
import type { ToolDefinition } from '../../src/workload/schema.js';

// Each simulated fault, sent through loadshape's own client, must land in the error class a user
// would count for the real thing. Both serving paths are covered: the fixed schedule and the engine.
const open: SimServer[] = [];
const clients: OpenAIClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function setup(opts: Partial<SimOptions>, timeouts: { ttfbMs?: number; idleMs?: number } = {}) {
  const fast: Partial<SimOptions> =
    opts.profile === 'fixed' || opts.profile === undefined ? { ttftMs: 5, itlMs: 1, prefillMsPerToken: 0 } : { decodeBaseMs: 1, decodePerSeqMs: 0.01 };
  const sim = await startSimulator({ ...fast, ...opts });
  open.push(sim);
  const t0 = performance.now();
  const client = new OpenAIClient({ baseUrl: sim.url, timeouts }, () => performance.now() - t0);
  clients.push(client);
  return { sim, client };
}

function chatPlan(extra: Record<string, unknown> = {}, plan: Partial<RequestPlan> = {}): RequestPlan {
  const body = {
    model: 'loadshape-sim',
    messages: [{ role: 'user', content: 'hello there simulator' }],
    max_tokens: 20,
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  };
  return { phaseIndex: 0, requestIndex: 0, className: 'c', kind: 'chat', path: '/chat/completions', body: JSON.stringify(body), promptTokens: 3, maxTokens: 20, ...plan };
}

const send = (client: OpenAIClient, plan = chatPlan()): Promise<RequestOutcome> => client.send({ plan, phase: 'p', scheduledAtMs: client.now() });

const CASES: [string, FaultSpec, ErrorClass, { ttfbMs?: number; idleMs?: number }][] = [
  ['HTTP 500 with a JSON error', { type: 'http_500', every: 1 }, 'http_5xx', {}],
  ['HTTP 429 with Retry-After', { type: 'http_429', every: 1 }, 'http_429', {}],
  ['503 while loading', { type: 'loading_503', seconds: 60 }, 'http_5xx', {}],
  ['a reset before headers', { type: 'reset', every: 1 }, 'reset', {}],
  ['a stream cut mid-way', { type: 'cut', every: 1 }, 'stream_truncated', {}],
  ['an error object mid-stream', { type: 'stream_error', every: 1 }, 'stream_error', {}],
  ['a malformed chunk', { type: 'malformed', every: 1 }, 'malformed', {}],
  ['a stall', { type: 'stall', every: 1, seconds: 5 }, 'timeout_idle', { idleMs: 300 }],
  ['a slow first byte', { type: 'slow_first_byte', every: 1, seconds: 5 }, 'timeout_ttfb', { ttfbMs: 300 }],
];

describe.each(['fixed', 'continuous-batching'] as ProfileName[])('faults under the %s profile', (profile) => {
  it.each(CASES)('%s → %s', async (_name, fault, expected, timeouts) => {
    const { client } = await setup({ profile, faults: [fault] }, timeouts);
    const out = await send(client);
    expect(out.record.status).toBe('error');
    expect(out.record.errorClass).toBe(expected);
    if (fault.type === 'http_429') expect(out.retryAfterMs).toBe(1000);
    if (fault.type === 'http_500') expect(out.errorMessage).toMatch(/simulated fault: internal server error/);
    if (fault.type === 'cut' || fault.type === 'stream_error' || fault.type === 'malformed') {
      // Tokens before the fault arrived: it struck mid-stream, not before the response.
      expect(out.record.httpStatus).toBe(200);
      expect(out.record.chunks).toBeGreaterThanOrEqual(fault.type === 'malformed' ? 0 : 10);
    }
  });
});

describe('fault schedules', () => {
  it('fires `every: 3` on exactly the 3rd, 6th and 9th request', async () => {
    const { client } = await setup({ profile: 'continuous-batching', faults: [{ type: 'http_500', every: 3 }] });
    const classes: (ErrorClass | null)[] = [];
    for (let i = 0; i < 9; i++) classes.push((await send(client)).record.errorClass);
    expect(classes).toEqual([null, null, 'http_5xx', null, null, 'http_5xx', null, null, 'http_5xx']);
  });

  it('draws `rate` from the seed: the same seed gives the same failures, near the rate', async () => {
    const pattern = async (seed: number) => {
      const { client } = await setup({ profile: 'fixed', ttftMs: 0, itlMs: 0, seed, faults: [{ type: 'http_429', rate: 0.3 }] });
      const out: boolean[] = [];
      for (let i = 0; i < 120; i++) out.push((await send(client, chatPlan({ max_tokens: 1 }))).record.errorClass === 'http_429');
      return out;
    };
    const a = await pattern(7);
    const b = await pattern(7);
    expect(b).toEqual(a);
    const n = a.filter(Boolean).length;
    expect(n).toBeGreaterThan(20);
    expect(n).toBeLessThan(55);
  });

  it('stops answering 503 when loading is over', async () => {
    const { client } = await setup({ profile: 'continuous-batching', faults: [{ type: 'loading_503', seconds: 0.3 }] });
    expect((await send(client)).record.errorClass).toBe('http_5xx');
    await new Promise((r) => setTimeout(r, 350));
    expect((await send(client)).record.status).toBe('ok');
  });

  it('resumes a stalled stream after the stall, with every token delivered', async () => {
    for (const profile of ['fixed', 'continuous-batching'] as ProfileName[]) {
      const { client } = await setup({ profile, faults: [{ type: 'stall', every: 1, seconds: 0.4, atToken: 5 }] });
      const gaps: number[] = [];
      const out = await client.send({ plan: chatPlan(), phase: 'p', scheduledAtMs: 0, onGap: (g) => gaps.push(g) });
      expect(out.record.status).toBe('ok');
      expect(out.record.outputTokens).toBe(20);
      expect(Math.max(...gaps)).toBeGreaterThanOrEqual(390);
      expect(gaps.filter((g) => g >= 390)).toHaveLength(1);
    }
  });

  it('parses the --fault flag syntax and rejects what it cannot act on', () => {
    expect(parseFaultFlag('stall:every=10,seconds=5')).toEqual({ type: 'stall', every: 10, seconds: 5 });
    expect(parseFaultFlag('http_500:rate=0.05')).toEqual({ type: 'http_500', rate: 0.05 });
    expect(() => parseFaultFlag('http_501:rate=1')).toThrow(/unknown fault type "http_501"/);
    expect(() => parseFaultFlag('stall:every=2')).toThrow(/stall needs seconds/);
    expect(() => parseFaultFlag('reset')).toThrow(/needs rate or every/);
    expect(() => parseFaultFlag('reset:rate=2')).toThrow(/rate must be in \[0, 1\]/);
  });
});

describe('structured outputs that come out wrong at configured rates', () => {
  const schema = {
    type: 'object',
    properties: { category: { type: 'string', enum: ['a', 'b'] }, n: { type: 'integer' } },
    required: ['category', 'n'],
    additionalProperties: false,
  };
  const jsonPlan = chatPlan(
    { max_tokens: 200, response_format: { type: 'json_schema', json_schema: { name: 't', schema } } },
    { responseSchema: schema, maxTokens: 200 },
  );
  const tools: ToolDefinition[] = [{ type: 'function', function: { name: 'lookup', parameters: schema } }];
  const toolPlan = chatPlan({ max_tokens: 200, tools, tool_choice: 'auto' }, { tools, toolChoice: 'auto', maxTokens: 200 });
  const none: StructuredFaults = { invalidJson: 0, schemaViolation: 0, truncated: 0, unknownTool: 0, badToolArguments: 0 };

  it.each([
    ['invalidJson', 'not_json', jsonPlan],
    ['schemaViolation', 'schema_invalid', jsonPlan],
    ['truncated', 'truncated', jsonPlan],
    ['unknownTool', 'schema_invalid', toolPlan],
    ['badToolArguments', 'schema_invalid', toolPlan],
  ] as const)('%s at rate 1 is judged %s by loadshape', async (key, validity, plan) => {
    const { client } = await setup({ profile: 'continuous-batching', structured: { ...none, [key]: 1 } });
    const out = await send(client, plan);
    expect(out.record.status).toBe('ok');
    expect(out.record.validity).toBe(validity);
    if (key === 'truncated') expect(out.record.finishReason).toBe('length');
    if (key === 'unknownTool') expect(out.record.toolCalls?.[0].name).toBe('lookup_not_offered');
  });

  it('stays valid by default and fails at about the configured rate', async () => {
    const clean = await setup({ profile: 'fixed' });
    expect((await send(clean.client, jsonPlan)).record.validity).toBe('valid');
    expect((await send(clean.client, toolPlan)).record.validity).toBe('valid');
    const { client } = await setup({ profile: 'fixed', ttftMs: 0, itlMs: 0, structured: { ...none, schemaViolation: 0.25 } });
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => send(client, jsonPlan)));
    const invalid = outcomes.filter((o) => o.record.validity === 'schema_invalid').length;
    expect(outcomes.filter((o) => o.record.validity === 'valid').length + invalid).toBe(200);
    expect(invalid).toBeGreaterThan(30);
    expect(invalid).toBeLessThan(72);
  });
});
