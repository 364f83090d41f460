// `loadshape probe`: the acceptance suite a serving team runs before benchmarking an engine. Each
// check sends a few small requests through an injected HTTP function and turns what came back into
// a verdict (supported / partial / not supported) with the evidence. No clock, no sockets here.
import { compileSchema, judgeJsonOutput, judgeToolCalls } from '../validate/output.js';
import type { ToolDefinition } from '../workload/schema.js';
import { bodyJson, bodyText, type HttpFn, type HttpResult } from './http.js';
import { observeChat, type ChatObservation } from './observe.js';
import { dataUrl, syntheticImage } from '../workload/images.js';
import { mulberry32 } from '../util/rng.js';

export type Verdict = 'supported' | 'partial' | 'not_supported' | 'skipped';

export const CAPABILITIES = [
  'models',
  'stream',
  'usage',
  'max_tokens',
  'ignore_eos',
  'stop',
  'short_prompt',
  'long_prompt',
  'unicode',
  'json_schema',
  'tool_calls',
  'reasoning',
  'vision',
  'concurrency',
  'error_shape',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface CheckResult {
  capability: Capability;
  verdict: Verdict;
  evidence: string;
  /** What a `run` should do about it (flags, workload changes), when anything. */
  implies?: string;
}

export interface ProbeReport {
  target: string;
  model: string;
  models: { id: string; maxModelLen: number | null }[];
  /** Largest accepted prompt (words) and the engine's error past the limit, when found. */
  context: { maxModelLen: number | null; acceptedWords: number | null; rejectedWords: number | null; rejection: string | null };
  checks: CheckResult[];
  /** The endpoint streams at all: false makes `probe` exit non-zero. */
  canStream: boolean;
  /** Prompt tokens the server charged for the probe's one test image (usage with it minus without); null when not measured. */
  imageTokens: number | null;
}

export interface ProbeOptions {
  http: HttpFn;
  /** Base URL ending in /v1. */
  baseUrl: string;
  model?: string;
  /** Per-request limit. */
  timeoutMs?: number;
  /** Upper bound of the upward context search when /v1/models does not give max_model_len. */
  maxProbeTokens?: number;
  /** Largest SSE event accepted (--max-event-bytes): a larger one is an error, as in a run. */
  maxEventBytes?: number;
}

// Common English words that are one token (with their leading space) in every major BPE vocabulary,
// so a prompt of N of them is about N tokens whatever the engine's tokenizer.
const FILLER = ['the', 'and', 'of', 'to', 'in', 'is', 'it', 'that', 'for', 'on'];
export function fillerPrompt(words: number): string {
  const out = new Array<string>(words);
  for (let i = 0; i < words; i++) out[i] = FILLER[i % FILLER.length];
  return out.join(' ');
}

/** The json_schema capability from the probe's answer: judged by the schema, as a run judges it. */
function jsonSchemaCheck(js: { error?: string | null; text: string; finishReason: string | null }): CheckResult {
  if (js.error) return { capability: 'json_schema', verdict: 'not_supported', evidence: js.error, implies: 'remove response_format json_schema classes from the workload' };
  const v = judgeJsonOutput(js.text, js.finishReason, compileSchema(JSON_SCHEMA));
  // Cut at max_tokens inside an object: neither shows nor refutes enforcement (free text would not start so).
  const cutInsideJson = v.validity === 'truncated' && /^\s*\{/.test(js.text);
  return {
    capability: 'json_schema',
    verdict: v.validity === 'valid' ? 'supported' : v.validity === 'schema_invalid' || cutInsideJson ? 'partial' : 'not_supported',
    evidence: `output ${v.validity}${v.detail ? ` (${v.detail})` : ''}: ${JSON.stringify(js.text.slice(0, 80))}`,
    implies:
      v.validity === 'valid'
        ? undefined
        : cutInsideJson
          ? 'the answer was cut at max_tokens inside the JSON: give json_schema classes output_tokens above their longest answer'
          : 'structured output is not enforced: expect a low validity rate for json_schema classes',
  };
}

// The string is bounded so that an engine enforcing the schema (a grammar) closes the JSON within the
// probe's 128 tokens whatever its model samples: a random-weight model otherwise fills the string
// until max_tokens, and the cut answer shows nothing about enforcement.
const JSON_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string', maxLength: 40 }, population: { type: 'integer' } },
  required: ['city', 'population'],
  additionalProperties: false,
};

const WEATHER_TOOL: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
} as ToolDefinition;

export const UNICODE_PROMPT = 'Repeat exactly: héllo wörld — 你好，世界 🚀👩‍💻 ∑∞';

/** One probe's session: the chat helper every check sends through, and what it has seen so far. */
interface Session {
  chat: (messages: string | { role: string; content: unknown }[], extra?: Record<string, unknown>, stream?: boolean) => Promise<ChatObservation>;
  seen: ChatObservation[];
  /** Cleared when the engine rejects stream_options.include_usage. */
  includeUsage: boolean;
}

function openSession(opts: ProbeOptions, base: string, model: string, timeoutMs: number): Session {
  const session: Session = {
    seen: [],
    includeUsage: true,
    chat: async (messages, extra = {}, stream = true) => {
      const body: Record<string, unknown> = {
        model,
        messages: typeof messages === 'string' ? [{ role: 'user', content: messages }] : messages,
        temperature: 0,
        stream,
        ...(stream && session.includeUsage ? { stream_options: { include_usage: true } } : {}),
        ...extra,
      };
      const o = observeChat(await opts.http({ method: 'POST', url: `${base}/chat/completions`, body, timeoutMs }), opts.maxEventBytes);
      session.seen.push(o);
      return o;
    },
  };
  return session;
}

export async function runProbe(opts: ProbeOptions): Promise<ProbeReport> {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const checks: CheckResult[] = [];

  // /v1/models: ids, and the context length where the engine advertises it (vLLM: max_model_len).
  const modelsRes = await opts.http({ method: 'GET', url: `${base}/models`, timeoutMs: Math.min(timeoutMs, 10_000) });
  const models = parseModels(bodyJson(modelsRes));
  checks.push(modelsCheck(modelsRes, models));
  const model = opts.model ?? models[0]?.id ?? 'default';
  const info = models.find((m) => m.id === model);
  const session = openSession(opts, base, model, timeoutMs);

  // 1. Streaming, with nothing but stream: true.
  const s = await session.chat('Say hello in five words.', { max_tokens: 16 }, true);
  const canStream = s.status === 200 && s.streamed && s.outputChunks > 0 && s.error === null;
  if (!canStream) {
    checks.push(noStreamCheck(s));
    for (const c of CAPABILITIES.slice(2)) if (c !== 'error_shape') checks.push({ capability: c, verdict: 'skipped', evidence: 'the endpoint does not stream' });
    checks.push(await errorShape(opts.http, base, model, timeoutMs));
    return { target: base, model, models, context: { maxModelLen: info?.maxModelLen ?? null, acceptedWords: null, rejectedWords: null, rejection: null }, checks, canStream, imageTokens: null };
  }
  checks.push(streamCheck(s));
  checks.push(await usageCheck(session, s));
  checks.push(await maxTokensCheck(session));
  checks.push(await ignoreEosCheck(session));
  checks.push(await stopCheck(session));
  checks.push(await shortPromptCheck(session));
  // 7. Long prompt near the context limit.
  const ctx = await probeContext(session.chat, info?.maxModelLen ?? null, opts.maxProbeTokens ?? 131_072);
  checks.push(ctx.check);
  checks.push(await unicodeCheck(session));
  // 9. response_format json_schema, judged by the schema.
  const js = await session.chat('Give the largest city of France and its population as JSON.', {
    max_tokens: 128,
    response_format: { type: 'json_schema', json_schema: { name: 'city', schema: JSON_SCHEMA } },
  });
  checks.push(jsonSchemaCheck(js));
  checks.push(await toolCallsCheck(session));
  checks.push(await reasoningCheck(session));
  const vision = await visionCheck(session);
  checks.push(vision.check);
  // 12. Concurrency: two requests at once; does the second produce tokens before the first ends?
  const story = 'Write a long story about a lighthouse keeper.';
  const [a, b] = await Promise.all([session.chat(story, { max_tokens: 32, ignore_eos: true }), session.chat(story, { max_tokens: 32, ignore_eos: true })]);
  checks.push(concurrencyVerdict(a, b));
  // 13. Error shape of a bad request.
  checks.push(await errorShape(opts.http, base, model, timeoutMs));
  return { target: base, model, models, context: ctx.context, checks, canStream, imageTokens: vision.imageTokens };
}

function modelsCheck(modelsRes: HttpResult, models: { id: string; maxModelLen: number | null }[]): CheckResult {
  if (modelsRes.kind === 'response' && modelsRes.status === 200 && models.length > 0) {
    return { capability: 'models', verdict: 'supported', evidence: `/v1/models lists ${models.map((m) => m.id + (m.maxModelLen ? ` (max_model_len ${m.maxModelLen})` : '')).join(', ')}` };
  }
  const why = modelsRes.kind === 'error' ? `${modelsRes.code}: ${modelsRes.message}` : `HTTP ${modelsRes.status}`;
  return { capability: 'models', verdict: 'not_supported', evidence: `/v1/models: ${why}`, implies: 'pass --model NAME to run (the model cannot be discovered)' };
}

function noStreamCheck(s: ChatObservation): CheckResult {
  return {
    capability: 'stream',
    verdict: 'not_supported',
    evidence: s.error ?? (s.streamed ? `stream carried no output (${s.events} events)` : `answered ${s.contentType ?? 'no content type'} instead of text/event-stream`),
    implies: 'loadshape measures streamed responses only: TTFT and TPOT cannot be measured against this endpoint',
  };
}

function streamCheck(s: ChatObservation): CheckResult {
  const oneChunk = s.outputChunks === 1 && s.outputTokens > 2;
  return {
    capability: 'stream',
    verdict: oneChunk || !s.doneSeen ? 'partial' : 'supported',
    evidence:
      `${s.events} SSE events, ${s.outputChunks} output chunks, ${s.doneSeen ? '[DONE]' : 'no [DONE]'}, finish_reason ${s.finishReason ?? 'none'}` +
      (oneChunk ? '; the whole answer came in one chunk (the server buffers)' : ''),
    implies: oneChunk ? 'TTFT equals E2E here: the server or a proxy buffers the stream' : !s.doneSeen ? 'streams end without [DONE]; loadshape accepts a finish_reason as the end' : undefined,
  };
}

/** 2. Usage: with stream_options.include_usage, and whether it comes unasked (`s`) or only unstreamed. */
async function usageCheck(session: Session, s: ChatObservation): Promise<CheckResult> {
  const u = await session.chat('Say hello in five words.', { max_tokens: 16 }, true);
  if (u.status !== null && u.status >= 400) {
    session.includeUsage = false;
    return { capability: 'usage', verdict: 'not_supported', evidence: `stream_options.include_usage rejected: ${u.error}`, implies: 'usage not reported: output tokens will be counted from chunks (a chunk may hold several tokens)' };
  }
  if (u.usage?.completionTokens != null) {
    return {
      capability: 'usage',
      verdict: 'supported',
      evidence: `include_usage: usage chunk with completion_tokens ${u.usage.completionTokens} (${u.outputChunks} output chunks); without it: ${s.usage ? 'usage sent anyway' : 'no usage'}`,
    };
  }
  const ns = await session.chat('Say hello in five words.', { max_tokens: 16 }, false);
  const nsUsage = ns.usage?.completionTokens != null;
  return {
    capability: 'usage',
    verdict: nsUsage ? 'partial' : 'not_supported',
    evidence: nsUsage
      ? `no usage in the stream even with include_usage; non-streamed responses report completion_tokens ${ns.usage?.completionTokens}`
      : 'no usage in streamed or non-streamed responses',
    implies: 'usage not reported: output tokens will be counted from chunks (a chunk may hold several tokens); TPOT and tok/s are then approximate',
  };
}

/** 3. max_tokens: a long answer asked, 5 tokens allowed. */
async function maxTokensCheck(session: Session): Promise<CheckResult> {
  const mt = await session.chat('Write a long story about a lighthouse keeper.', { max_tokens: 5 });
  if (mt.error) return { capability: 'max_tokens', verdict: 'not_supported', evidence: mt.error };
  if (mt.outputTokens > 5) {
    return { capability: 'max_tokens', verdict: 'not_supported', evidence: `asked 5, got ${mt.outputTokens} tokens (${tokenSource(mt)})`, implies: 'max_tokens is not honoured: output lengths in the workload will not hold' };
  }
  if (mt.finishReason === 'length' && mt.outputTokens === 5) {
    return { capability: 'max_tokens', verdict: 'supported', evidence: `asked 5, got 5 (${tokenSource(mt)}), finish_reason length` };
  }
  return { capability: 'max_tokens', verdict: 'partial', evidence: `asked 5, got ${mt.outputTokens} (${tokenSource(mt)}), finish_reason ${mt.finishReason ?? 'none'}` };
}

/** 4. ignore_eos / min_tokens: a one-word answer forced to 48 tokens. */
async function ignoreEosCheck(session: Session): Promise<CheckResult> {
  const want = 48;
  const ie = await session.chat('Reply with the single word: yes', { max_tokens: want, ignore_eos: true, min_tokens: want });
  if (ie.error) {
    return { capability: 'ignore_eos', verdict: 'not_supported', evidence: `ignore_eos/min_tokens rejected: ${ie.error}`, implies: 'output lengths are the model\'s own: remove extra_body ignore_eos/min_tokens from the workload; compare runs by tokens, not requests' };
  }
  if (ie.outputTokens >= want) {
    return { capability: 'ignore_eos', verdict: ie.usage ? 'supported' : 'partial', evidence: `a one-word answer ran to ${ie.outputTokens} tokens (${tokenSource(ie)}), finish_reason ${ie.finishReason ?? 'none'}` };
  }
  return {
    capability: 'ignore_eos',
    verdict: 'not_supported',
    evidence: `ignore_eos + min_tokens ${want} accepted but the answer stopped at ${ie.outputTokens} tokens (${tokenSource(ie)}), finish_reason ${ie.finishReason ?? 'none'}`,
    implies: 'output lengths are the model\'s own (ignore_eos ignored): the workload\'s output_tokens are upper bounds only',
  };
}

/** 5. Stop sequences: a word the model said once, then asked again with it as a stop string. */
async function stopCheck(session: Session): Promise<CheckResult> {
  const prompt = 'Count from one to twenty in words, separated by spaces.';
  const bl = await session.chat(prompt, { max_tokens: 24 });
  const stopWord = pickStopWord(bl.text);
  if (bl.error || stopWord === null) {
    return { capability: 'stop', verdict: 'skipped', evidence: bl.error ?? `baseline answer too short to pick a stop string (${JSON.stringify(bl.text.slice(0, 40))})` };
  }
  const st = await session.chat(prompt, { max_tokens: 24, stop: [stopWord] });
  if (st.error) return { capability: 'stop', verdict: 'not_supported', evidence: `stop rejected: ${st.error}` };
  if (!st.text.includes(stopWord) && st.finishReason === 'stop' && st.text.length < bl.text.length) {
    return { capability: 'stop', verdict: 'supported', evidence: `stop ${JSON.stringify(stopWord)}: answer cut before it (${st.text.length} of ${bl.text.length} chars), finish_reason stop` };
  }
  if (st.text.includes(stopWord)) {
    return { capability: 'stop', verdict: 'not_supported', evidence: `stop ${JSON.stringify(stopWord)} still in the answer, finish_reason ${st.finishReason ?? 'none'}`, implies: 'stop sequences are ignored: classes relying on them run to max_tokens' };
  }
  return { capability: 'stop', verdict: 'partial', evidence: `stop ${JSON.stringify(stopWord)} absent but finish_reason ${st.finishReason ?? 'none'} (the answer differed from the baseline)` };
}

/** 6. Short prompt. */
async function shortPromptCheck(session: Session): Promise<CheckResult> {
  const sp = await session.chat('Hi', { max_tokens: 8 });
  return sp.error
    ? { capability: 'short_prompt', verdict: 'not_supported', evidence: sp.error }
    : { capability: 'short_prompt', verdict: 'supported', evidence: `"Hi": ${sp.outputTokens} tokens, prompt_tokens ${sp.usage?.promptTokens ?? 'not reported'}` };
}

/** 8. Unicode in and out. */
async function unicodeCheck(session: Session): Promise<CheckResult> {
  const uc = await session.chat(UNICODE_PROMPT, { max_tokens: 32 });
  if (uc.error) return { capability: 'unicode', verdict: 'not_supported', evidence: `Unicode prompt rejected: ${uc.error}` };
  if (uc.badUtf8) return { capability: 'unicode', verdict: 'not_supported', evidence: 'the response is not valid UTF-8 (replacement characters)' };
  const nonAscii = [...uc.text].filter((ch) => ch.codePointAt(0)! > 127).join('');
  return {
    capability: 'unicode',
    verdict: nonAscii.length > 0 ? 'supported' : 'partial',
    evidence:
      nonAscii.length > 0
        ? `accepted; answer has non-ASCII ${JSON.stringify(nonAscii.slice(0, 16))}, valid UTF-8 across ${uc.outputChunks} chunks`
        : 'Unicode prompt accepted; the answer was plain ASCII, so Unicode output was not observed',
  };
}

/** 10. Tool calling (named tool choice; `auto` when named is refused). */
async function toolCallsCheck(session: Session): Promise<CheckResult> {
  const ask = 'What is the weather in Paris?';
  let choice: unknown = { type: 'function', function: { name: 'get_weather' } };
  let tc = await session.chat(ask, { max_tokens: 128, tools: [WEATHER_TOOL], tool_choice: choice });
  if (tc.error && tc.status !== null && tc.status >= 400 && tc.status < 500) {
    choice = 'auto';
    tc = await session.chat(ask, { max_tokens: 128, tools: [WEATHER_TOOL], tool_choice: 'auto' });
  }
  if (tc.error) return { capability: 'tool_calls', verdict: 'not_supported', evidence: tc.error, implies: 'remove classes with tools from the workload' };
  if (tc.toolCalls.length === 0) {
    return { capability: 'tool_calls', verdict: 'not_supported', evidence: `no tool_calls returned (tool_choice ${JSON.stringify(choice)}), finish_reason ${tc.finishReason ?? 'none'}`, implies: 'classes with tools will be judged schema_invalid or not at all' };
  }
  const v = judgeToolCalls(tc.toolCalls, [WEATHER_TOOL], choice, tc.finishReason);
  return {
    capability: 'tool_calls',
    verdict: v.validity === 'valid' ? (choice === 'auto' ? 'partial' : 'supported') : 'partial',
    evidence: `${tc.toolCalls.length} call(s) ${tc.toolCalls.map((c) => `${c.name}(${c.arguments.slice(0, 40)})`).join(', ')}: ${v.validity}${v.detail ? ` (${v.detail})` : ''}${choice === 'auto' ? '; named tool_choice refused' : ''}`,
  };
}

/** The probe's test image: 112 × 84 px, seeded, so every probe sends the same bytes. */
export const PROBE_IMAGE = { width: 112, height: 84 } as const;

/**
 * 11b. Vision: the same question with and without one small PNG; the difference in prompt_tokens is
 * what the server charged for the image. A 4xx on the image request is a text-only model.
 */
async function visionCheck(session: Session): Promise<{ check: CheckResult; imageTokens: number | null }> {
  const ask = 'Describe this image in one sentence.';
  const image = syntheticImage(PROBE_IMAGE.width, PROBE_IMAGE.height, 'png', mulberry32(0x1a9e));
  const withImage = await session.chat([{ role: 'user', content: [{ type: 'text', text: ask }, { type: 'image_url', image_url: { url: dataUrl(image) } }] }], { max_tokens: 8 });
  const size = `one ${image.width}×${image.height} PNG (${image.bytes.length} bytes)`;
  if (withImage.error) {
    const clientError = withImage.status !== null && withImage.status >= 400 && withImage.status < 500;
    return {
      imageTokens: null,
      check: {
        capability: 'vision',
        verdict: 'not_supported',
        evidence: `${size} ${clientError ? `refused with HTTP ${withImage.status}` : 'failed'}: ${withImage.error.replace(/^HTTP \d+: /, '').slice(0, 120)}`,
        implies: 'remove classes with images from the workload (a text-only model answers them with HTTP 400)',
      },
    };
  }
  const without = await session.chat(ask, { max_tokens: 8 });
  const a = withImage.usage?.promptTokens ?? null;
  const b = without.usage?.promptTokens ?? null;
  const imageTokens = a !== null && b !== null ? a - b : null;
  return {
    imageTokens,
    check: {
      capability: 'vision',
      verdict: 'supported',
      evidence:
        imageTokens !== null
          ? `${size} accepted: prompt_tokens ${a} with it, ${b} without: ${imageTokens} image tokens charged`
          : `${size} accepted; prompt_tokens not reported, so the image tokens charged are unknown`,
    },
  };
}

/** 11. Reasoning content (in any answer so far, else one question that invites thinking). */
async function reasoningCheck(session: Session): Promise<CheckResult> {
  let reasoned = session.seen.find((o) => o.reasoningText.length > 0);
  if (!reasoned) {
    const r = await session.chat('What is 17 * 23? Think step by step.', { max_tokens: 64 });
    if (r.reasoningText.length > 0) reasoned = r;
  }
  return reasoned
    ? { capability: 'reasoning', verdict: 'supported', evidence: `reasoning_content/reasoning streamed (${reasoned.reasoningText.length} chars before the answer)`, implies: 'ttftMs is the first answer token; thinking time is in it (firstChunkMs and TPOT count reasoning)' }
    : { capability: 'reasoning', verdict: 'not_supported', evidence: `no reasoning_content or reasoning field in ${session.seen.length} responses (not a reasoning model, or no reasoning parser)` };
}

function tokenSource(o: ChatObservation): string {
  return o.usage?.completionTokens != null ? 'usage' : 'counted chunks';
}

/** A word from the middle of an answer, which a deterministic model will say again. */
export function pickStopWord(text: string): string | null {
  const words = text.split(/\s+/).filter((w) => /^[\p{L}\p{N}]{3,}$/u.test(w));
  if (words.length < 4) return null;
  return words[Math.floor(words.length / 2)];
}

export function concurrencyVerdict(a: ChatObservation, b: ChatObservation): CheckResult {
  if (a.error || b.error) return { capability: 'concurrency', verdict: 'not_supported', evidence: `two concurrent requests: ${a.error ?? b.error}` };
  const [first, second] = (a.endAtMs ?? 0) <= (b.endAtMs ?? 0) ? [a, b] : [b, a];
  const firstEnd = first.endAtMs ?? 0;
  const secondStart = second.firstOutputAtMs ?? second.endAtMs ?? 0;
  const overlapMs = firstEnd - secondStart;
  if (overlapMs > 0) {
    return { capability: 'concurrency', verdict: 'supported', evidence: `the second request streamed its first token ${fmt(overlapMs)} ms before the first ended (continuous batching)` };
  }
  return {
    capability: 'concurrency',
    verdict: 'not_supported',
    evidence: `the second request's first token came ${fmt(-overlapMs)} ms after the first ended: one request at a time`,
    implies: 'the engine serves one request at a time: run with --concurrency 1; any higher load measures queueing only',
  };
}

async function errorShape(http: HttpFn, base: string, model: string, timeoutMs: number): Promise<CheckResult> {
  const r = await http({ method: 'POST', url: `${base}/chat/completions`, body: { model, messages: 'not-a-list', max_tokens: -1 }, timeoutMs });
  if (r.kind === 'error') return { capability: 'error_shape', verdict: 'not_supported', evidence: `bad request: ${r.code}: ${r.message}` };
  const j = bodyJson(r) as { error?: { message?: unknown; type?: unknown } | string; detail?: unknown; message?: unknown } | undefined;
  if (r.status >= 200 && r.status < 300) return { capability: 'error_shape', verdict: 'not_supported', evidence: `a malformed request was answered HTTP ${r.status}` };
  if (r.status >= 500) return { capability: 'error_shape', verdict: 'not_supported', evidence: `a malformed request gave HTTP ${r.status} (a server error, not a client error)`, implies: 'bad requests will be counted as http_5xx' };
  if (j && typeof j.error === 'object' && j.error !== null && typeof j.error.message === 'string') {
    return { capability: 'error_shape', verdict: 'supported', evidence: `HTTP ${r.status}, OpenAI error object (type ${String(j.error.type ?? 'none')}): ${j.error.message.slice(0, 80)}` };
  }
  const shape = j === undefined ? `plain text ${JSON.stringify(bodyText(r).slice(0, 60))}` : `JSON without error.message (keys ${Object.keys(j).join(', ')})`;
  return { capability: 'error_shape', verdict: 'partial', evidence: `HTTP ${r.status}, ${shape}` };
}

type Chat = (messages: string, extra?: Record<string, unknown>) => Promise<ChatObservation>;

async function probeContext(chat: Chat, maxModelLen: number | null, cap: number): Promise<{ check: CheckResult; context: ProbeReport['context'] }> {
  if (maxModelLen !== null) {
    const near = Math.max(16, Math.floor(maxModelLen * 0.9) - 64);
    const over = maxModelLen + 256;
    const ok = await chat(fillerPrompt(near), { max_tokens: 4 });
    const bad = await chat(fillerPrompt(over), { max_tokens: 4 });
    const context = { maxModelLen, acceptedWords: ok.error ? null : near, rejectedWords: bad.error ? over : null, rejection: bad.error };
    if (!ok.error && bad.error) {
      return { context, check: { capability: 'long_prompt', verdict: 'supported', evidence: `max_model_len ${maxModelLen}: ${near} words accepted (prompt_tokens ${ok.usage?.promptTokens ?? '?'}); ${over} words rejected: ${bad.error.slice(0, 120)}`, implies: `keep prompt_tokens + output_tokens below ${maxModelLen}` } };
    }
    return {
      context,
      check: {
        capability: 'long_prompt',
        verdict: 'partial',
        evidence: `max_model_len ${maxModelLen}: ${near} words ${ok.error ? `rejected (${ok.error.slice(0, 80)})` : 'accepted'}; ${over} words ${bad.error ? 'rejected' : 'accepted (the engine truncates or the advertised limit is wrong)'}`,
      },
    };
  }
  // No advertised limit: probe upward, doubling, and keep the engine's own words past the limit.
  let accepted: number | null = null;
  for (let words = 1024; words <= cap; words *= 2) {
    const o = await chat(fillerPrompt(words), { max_tokens: 4 });
    if (o.error) {
      return {
        context: { maxModelLen: null, acceptedWords: accepted, rejectedWords: words, rejection: o.error },
        check: { capability: 'long_prompt', verdict: 'partial', evidence: `no max_model_len advertised; ${accepted ?? 'no'} words accepted, ${words} rejected: ${o.error.slice(0, 120)}`, implies: accepted ? `keep prompts below about ${accepted} tokens` : undefined },
      };
    }
    accepted = words;
  }
  return {
    context: { maxModelLen: null, acceptedWords: accepted, rejectedWords: null, rejection: null },
    check: { capability: 'long_prompt', verdict: 'partial', evidence: `no max_model_len advertised; prompts up to ${accepted} words accepted (search stopped there)` },
  };
}

export function parseModels(j: unknown): { id: string; maxModelLen: number | null }[] {
  const data = (j as { data?: unknown })?.data;
  if (!Array.isArray(data)) return [];
  return data
    .filter((m): m is { id: string; max_model_len?: unknown; context_length?: unknown } => typeof (m as { id?: unknown })?.id === 'string')
    .map((m) => {
      const len = m.max_model_len ?? m.context_length;
      return { id: m.id, maxModelLen: typeof len === 'number' && len > 0 ? len : null };
    });
}

function fmt(x: number): string {
  return x.toFixed(x >= 100 ? 0 : 1);
}
