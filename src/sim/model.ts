// Simulator, model side (pure): turns a parsed request body into a GenerationPlan — how many
// prompt tokens it has, which output pieces the "engine" will produce, when the first one is due
// and how they finish — or into an OpenAI-shaped error. No I/O and no clock: server.ts owns
// sockets and time, so every rule here is tested as a function of its input.
import { dataUrlBytes, imageDims, imageTokens } from './images.js';
import type {
  ChatCompletionRequest,
  CompletionRequest,
  ErrorBody,
  FinishReason,
  FunctionTool,
  ResponseFormat,
  ToolChoice,
} from '../protocol/openai.js';
import type { StructuredFaults } from './config.js';
import { sampleJson, UnsatisfiableSchemaError } from './json-sample.js';

/** Structured outputs that come out wrong on purpose: the rates, and a seeded [0, 1) draw. */
export interface OutputFaults {
  rates: StructuredFaults;
  draw: () => number;
}

export interface EngineProfile {
  ttftMs: number;
  prefillMsPerToken: number;
  itlMs: number;
  defaultMaxTokens: number;
  maxModelLen: number;
  /** Absent: a vision model with 28-px tiles, and no reasoning (see SimSettings). */
  vision?: boolean;
  imagePatchPx?: number;
  reasoningTokens?: number;
  reasoningInUsage?: boolean;
}

export type Endpoint = 'chat' | 'completions';

export type GeneratedOutput =
  | { kind: 'text'; pieces: readonly string[] }
  /** Tool-call arguments, streamed as `function.arguments` fragments of the one call at index 0. */
  | { kind: 'tool_call'; name: string; pieces: readonly string[] };

export interface GenerationPlan {
  endpoint: Endpoint;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
  /** Of promptTokens, the images' tokens (see images.ts). */
  imageTokens: number;
  /** One piece per generated token; completion_tokens is its length. Never empty. */
  output: GeneratedOutput;
  /** The first this-many pieces are reasoning (delta.reasoning_content), the rest the answer. */
  reasoningTokens: number;
  /** usage.completion_tokens_details.reasoning_tokens is reported. */
  reasoningInUsage: boolean;
  finishReason: FinishReason;
  /** Request body received → first token: ttftMs + prefillMsPerToken × promptTokens. */
  firstTokenMs: number;
  itlMs: number;
}

export interface PlanError {
  status: number;
  body: ErrorBody;
}

export type PlanResult = { ok: true; plan: GenerationPlan } | { ok: false; error: PlanError };

/** Characters per structured-output token: roughly what BPE tokenizers average on JSON. */
export const JSON_CHARS_PER_TOKEN = 4;

/** Free-text output vocabulary. Plain ASCII words need no JSON escaping, which keeps the per-token path cheap. */
const VOCABULARY = [
  ' the', ' quick', ' brown', ' fox', ' jumps', ' over', ' a', ' lazy', ' dog', ' while',
  ' seven', ' small', ' engines', ' stream', ' tokens', ' under', ' load', ' and', ' then', ' rest',
];

export function errorBody(
  status: number,
  message: string,
  code: string | null,
  param: string | null = null,
): PlanError {
  const type = status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { status, body: { error: { message, type, param, code } } };
}

/**
 * The simulator's tokenizer approximation: one token per whitespace-separated word. loadshape's
 * synthetic prompts are built one token per word, so for them this count is exact; for other text
 * it is within the usual 0.75 words-per-token range of real tokenizers. A hand-written scan, because
 * prompts reach 100k+ words and splitting would allocate every word.
 */
export function countWords(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // ASCII whitespace plus NBSP, the Unicode spaces, line/paragraph separators and the ideographic space.
    const space =
      c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) ||
      c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0x1680 || c === 0xfeff;
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      count++;
    }
  }
  return count;
}

function contentWords(content: unknown): number {
  if (typeof content === 'string') return countWords(content);
  if (Array.isArray(content)) {
    let n = 0;
    for (const part of content) {
      if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') n += countWords(part.text);
    }
    return n;
  }
  return 0;
}

/** Image tokens of a message's image_url parts, or the 400 a text-only model or a bad image gets. */
function contentImageTokens(content: unknown, profile: EngineProfile): number | PlanResult {
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (!isRecord(part) || part.type !== 'image_url') continue;
    if (profile.vision === false) {
      return badRequest('this model is text-only (simulator run with --no-vision): image_url content parts are not supported', 'invalid_request', 'messages');
    }
    const url = isRecord(part.image_url) ? part.image_url.url : undefined;
    const bytes = typeof url === 'string' ? dataUrlBytes(url) : null;
    if (bytes === null) return badRequest('image_url.url must be a data:image/...;base64 URL (the simulator fetches nothing)', 'invalid_image', 'messages');
    const dims = imageDims(bytes);
    if (dims === null) return badRequest('image_url holds neither a PNG nor a JPEG', 'invalid_image', 'messages');
    n += imageTokens(dims.width, dims.height, profile.imagePatchPx ?? 28);
  }
  return n;
}

/**
 * Reasoning tokens a request gets: the profile's count scaled by reasoning_effort (low ¼, medium 1,
 * high 2), none when chat_template_kwargs.enable_thinking is false; always at least one answer token.
 */
function reasoningFor(body: Record<string, unknown>, profile: EngineProfile, maxTokens: number): number {
  const base = profile.reasoningTokens ?? 0;
  if (base === 0) return 0;
  const kwargs = body.chat_template_kwargs;
  if (isRecord(kwargs) && kwargs.enable_thinking === false) return 0;
  const scale = body.reasoning_effort === 'low' ? 0.25 : body.reasoning_effort === 'high' ? 2 : 1;
  return Math.max(0, Math.min(Math.round(base * scale), maxTokens - 1));
}

/** An assistant message's tool calls are part of the prompt when a conversation sends them back (the chat template renders their arguments). */
function toolCallWords(calls: unknown): number {
  if (!Array.isArray(calls)) return 0;
  let n = 0;
  for (const c of calls) {
    if (isRecord(c) && isRecord(c.function) && typeof c.function.arguments === 'string') n += countWords(c.function.arguments);
  }
  return n;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Free text: `count` vocabulary words, each a token that starts with a space. */
export function textPieces(count: number): string[] {
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = VOCABULARY[i % VOCABULARY.length];
  return out;
}

/** Cuts text into pieces of JSON_CHARS_PER_TOKEN code points (never splitting a surrogate pair). */
export function splitIntoPieces(text: string): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += JSON_CHARS_PER_TOKEN) out.push(chars.slice(i, i + JSON_CHARS_PER_TOKEN).join(''));
  return out;
}

function badRequest(message: string, code: string, param: string | null = null): PlanResult {
  return { ok: false, error: errorBody(400, message, code, param) };
}

function optionalInt(body: Record<string, unknown>, key: string): number | undefined | PlanResult {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    return badRequest(`${key} must be a positive integer, got ${JSON.stringify(v)}`, 'invalid_value', key);
  }
  return v;
}

/** Plans one request. `body` is the parsed JSON, not yet trusted. */
export function planRequest(endpoint: Endpoint, body: unknown, profile: EngineProfile, faults?: OutputFaults): PlanResult {
  if (!isRecord(body)) return badRequest('the request body must be a JSON object', 'invalid_request');

  let promptTokens: number;
  let imageTokens = 0;
  if (endpoint === 'chat') {
    const messages = (body as Partial<ChatCompletionRequest>).messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      return badRequest("'messages' is required and must be a non-empty array", 'missing_messages', 'messages');
    }
    promptTokens = 0;
    for (const m of messages) {
      if (!isRecord(m)) return badRequest('each message must be an object', 'invalid_messages', 'messages');
      const img = contentImageTokens(m.content, profile);
      if (typeof img !== 'number') return img;
      imageTokens += img;
      promptTokens += contentWords(m.content) + toolCallWords(m.tool_calls) + img;
    }
  } else {
    const counted = countPrompt((body as Partial<CompletionRequest>).prompt);
    if (typeof counted !== 'number') return counted;
    promptTokens = counted;
  }

  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    return badRequest('the simulator generates exactly one choice; n must be 1', 'invalid_value', 'n');
  }

  if (promptTokens > profile.maxModelLen) {
    return badRequest(
      `This model's maximum context length is ${profile.maxModelLen} tokens. However, your prompt has ${promptTokens} tokens.`,
      'context_length_exceeded',
      endpoint === 'chat' ? 'messages' : 'prompt',
    );
  }

  const fromCompletion = endpoint === 'chat' ? optionalInt(body, 'max_completion_tokens') : undefined;
  if (typeof fromCompletion === 'object') return fromCompletion;
  const fromMax = optionalInt(body, 'max_tokens');
  if (typeof fromMax === 'object') return fromMax;
  const requested = fromCompletion ?? fromMax;
  const room = profile.maxModelLen - promptTokens;
  if (requested !== undefined && requested > room) {
    // vLLM rejects rather than truncates when prompt + max_tokens overflows the context.
    return badRequest(
      `This model's maximum context length is ${profile.maxModelLen} tokens. However, you requested ` +
        `${promptTokens + requested} tokens (${promptTokens} in the prompt, ${requested} in the completion).`,
      'context_length_exceeded',
      'max_tokens',
    );
  }
  const maxTokens = requested ?? Math.min(profile.defaultMaxTokens, room);
  if (maxTokens < 1) {
    return badRequest(`the prompt fills the ${profile.maxModelLen}-token context, leaving no room for output`, 'context_length_exceeded');
  }

  const shaped = endpoint === 'chat' ? shapeChatOutput(body as Partial<ChatCompletionRequest>, maxTokens, faults) : undefined;
  if (shaped && 'error' in shaped) return { ok: false, error: shaped.error };

  // The fixed profile has no EOS: free text always runs to max_tokens and finishes with `length`.
  // That is what `ignore_eos: true` (and a `min_tokens` ≥ max_tokens) asks of a real engine, and
  // what a load test wants anyway: output length set by the workload, not by the model's whim.
  const output: GeneratedOutput = shaped?.output ?? { kind: 'text', pieces: textPieces(maxTokens) };
  // Thinking comes before free text only; a tool call or structured answer is not given any here.
  const reasoningTokens = endpoint === 'chat' && output.kind === 'text' && shaped === undefined ? reasoningFor(body, profile, output.pieces.length) : 0;
  const finishReason: FinishReason = shaped?.finishReason ?? 'length';

  const streamOptions = body.stream_options;
  return {
    ok: true,
    plan: {
      endpoint,
      stream: body.stream === true,
      includeUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
      promptTokens,
      imageTokens,
      output,
      reasoningTokens,
      reasoningInUsage: profile.reasoningInUsage ?? true,
      finishReason,
      firstTokenMs: profile.ttftMs + profile.prefillMsPerToken * promptTokens,
      itlMs: profile.itlMs,
    },
  };
}

function countPrompt(prompt: unknown): number | PlanResult {
  const one = Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === 'string' || Array.isArray(prompt[0]))
    ? prompt[0]
    : prompt;
  if (typeof one === 'string') return countWords(one);
  if (Array.isArray(one) && one.length > 0 && one.every((t) => typeof t === 'number')) return one.length;
  if (Array.isArray(one) && one.length > 1) {
    return badRequest('the simulator serves one prompt per request; send a string or one array of token ids', 'invalid_value', 'prompt');
  }
  return badRequest("'prompt' is required: a string or an array of token ids", 'missing_prompt', 'prompt');
}

interface ShapedOutput {
  output: GeneratedOutput;
  finishReason: FinishReason;
}

/** Tool calls and structured output: a document that is cut at max_tokens, else finishes on its own. */
function shapeChatOutput(
  body: Partial<ChatCompletionRequest>,
  maxTokens: number,
  faults: OutputFaults | undefined,
): ShapedOutput | { error: PlanError } | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as FunctionTool[]) : [];
  const choice = body.tool_choice as ToolChoice | undefined;
  // A model given its tools' results answers in words unless the request forces another call.
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages[messages.length - 1] as unknown;
  const answersToolResult = isRecord(last) && last.role === 'tool' && (choice === undefined || choice === 'auto');
  if (tools.length > 0 && choice !== 'none' && !answersToolResult) {
    const wanted = isRecord(choice) && isRecord(choice.function) ? choice.function.name : undefined;
    const tool = wanted === undefined ? tools[0] : tools.find((t) => t?.function?.name === wanted);
    if (!tool || !isRecord(tool.function) || typeof tool.function.name !== 'string') {
      return {
        error: errorBody(400, wanted === undefined ? 'tools[0] has no function name' : `tool_choice names "${wanted}", which is not in tools`, 'invalid_tool_choice', 'tool_choice'),
      };
    }
    const parameters = tool.function.parameters ?? { type: 'object', properties: {} };
    const sampled = generateValue(parameters, 'tools');
    if ('error' in sampled) return sampled;
    let name = tool.function.name;
    let doc = JSON.stringify(sampled.value);
    if (faults !== undefined) {
      const r = faults.rates;
      const u = faults.draw();
      if (u < r.unknownTool) name = `${name}_not_offered`;
      else if (u < r.unknownTool + r.badToolArguments) doc = JSON.stringify(violating(sampled.value));
    }
    return cut(splitIntoPieces(doc), maxTokens, 'tool_calls', (pieces) => ({ kind: 'tool_call', name, pieces }));
  }

  const format = body.response_format as ResponseFormat | undefined;
  if (isRecord(format) && format.type === 'json_schema') {
    const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
    if (!isRecord(schema)) {
      return { error: errorBody(400, 'response_format.json_schema.schema must be a JSON Schema object', 'invalid_response_format', 'response_format') };
    }
    const sampled = generateValue(schema, 'response_format');
    if ('error' in sampled) return sampled;
    let doc = JSON.stringify(sampled.value);
    if (faults !== undefined) {
      const r = faults.rates;
      const u = faults.draw();
      if (u < r.invalidJson) doc = brokenJson(doc);
      else if (u < r.invalidJson + r.schemaViolation) doc = JSON.stringify(violating(sampled.value));
      else if (u < r.invalidJson + r.schemaViolation + r.truncated) {
        // Cut as max_tokens would: half the document, finish_reason "length".
        const pieces = splitIntoPieces(doc);
        return cut(pieces, Math.min(maxTokens, Math.max(1, Math.floor(pieces.length / 2))), 'stop', (p) => ({ kind: 'text', pieces: p }));
      }
    }
    return cut(splitIntoPieces(doc), maxTokens, 'stop', (pieces) => ({ kind: 'text', pieces }));
  }
  if (isRecord(format) && format.type === 'json_object') {
    const doc = JSON.stringify({ result: 'simulated', ok: true, count: 3 });
    return cut(splitIntoPieces(doc), maxTokens, 'stop', (pieces) => ({ kind: 'text', pieces }));
  }
  return undefined;
}

/** Not JSON: a trailing comma before the closing bracket (a classic model slip), or an unclosed brace. */
export function brokenJson(doc: string): string {
  return doc.endsWith('}') || doc.endsWith(']') ? `${doc.slice(0, -1)},${doc.slice(-1)}` : `{${doc}`;
}

/** Parses but violates a schema that constrains the root type: an object becomes an array around it, anything else an object. */
export function violating(value: unknown): unknown {
  return isRecord(value) ? [value] : { value };
}

function generateValue(schema: unknown, param: string): { value: unknown } | { error: PlanError } {
  try {
    return { value: sampleJson(schema) };
  } catch (err) {
    if (err instanceof UnsatisfiableSchemaError) {
      return { error: errorBody(400, `cannot generate output for this schema: ${err.message}`, 'invalid_schema', param) };
    }
    throw err;
  }
}

function cut(
  pieces: string[],
  maxTokens: number,
  completeReason: FinishReason,
  wrap: (pieces: string[]) => GeneratedOutput,
): ShapedOutput {
  if (pieces.length > maxTokens) return { output: wrap(pieces.slice(0, maxTokens)), finishReason: 'length' };
  // An empty document (cannot happen for JSON, which is at least "{}") would leave nothing to time.
  return { output: wrap(pieces.length > 0 ? pieces : ['{}']), finishReason: completeReason };
}
