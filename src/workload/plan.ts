// Planning: (workload, phase index, request index) → one RequestPlan, the exact body to send.
// Pure and order-independent: each plan draws from its own rng keyed by (seed, phase, request),
// so shards and workers plan their own slices and get byte-identical bodies.
import { parseDurationMs } from '../util/errors.js';
import { mixSeed, rngFor, type Rng } from '../util/rng.js';
import { sampleDistribution } from './distributions.js';
import { MAX_THINK_MS, MAX_TOKENS, MAX_TURNS } from '../util/limits.js';
import { promptSynthFor, type PromptSynth } from './prompts.js';
import type { Distribution, RequestClass, ThinkTime, ToolDefinition, Workload } from './schema.js';
import { MAX_IMAGE_PX, MAX_IMAGES } from './schema.js';
import { dataUrl, syntheticImage, type EncodedImage } from './images.js';
import type { Tokenizer } from './tokenizer.js';

export interface RequestPlan {
  phaseIndex: number;
  /** 0-based index within the phase. */
  requestIndex: number;
  className: string;
  kind: 'chat' | 'completion';
  /** Relative to the base URL, which ends in /v1. */
  path: '/chat/completions' | '/completions';
  /** Serialized JSON, ready to send. */
  body: string;
  /** Tokens of all prompt text we synthesised (system + shared prefix + unique prefix + prompt + suffix), by the tokenizer; excludes chat-template tokens. */
  promptTokens: number;
  maxTokens: number;
  /** From response_format json_schema.schema. */
  responseSchema?: Record<string, unknown>;
  tools?: ToolDefinition[];
  toolChoice?: unknown;
  /** Multi-turn classes and tool round trips: where this request sits in its conversation. */
  conversation?: ConversationStep;
  /** UTF-8 bytes of `body`: the upload this request costs (the planner always sets it; hand-made plans may not). */
  bodyBytes?: number;
  /** Image classes: images in the body and their encoded bytes (before base64). */
  images?: number;
  imageBytes?: number;
  /** Prompt tokens the class means to share with other requests (system prompt, shared prefix); 0 in a cold phase. */
  sharedTokens?: number;
}

/** A chat message as sent (system, user, assistant with or without tool calls, tool result). */
export type ChatMessage = Record<string, unknown> & { role: 'system' | 'user' | 'assistant' | 'tool' };

export interface ConversationStep {
  /** 1-based user turn. */
  turn: number;
  /** User turns this conversation has in all. */
  turns: number;
  /** This request sends back the results of the previous reply's tool calls. */
  toolFollowUp: boolean;
  /** The messages this request sent, which the next one extends. */
  messages: ChatMessage[];
}

/** What the model answered, as much of it as the next turn needs. */
export interface Reply {
  text: string | null;
  toolCalls: { id?: string; name: string; arguments: string }[] | null;
  /** `length` means the reply was cut: its tool calls may be half-written. */
  finishReason: string | null;
}

export interface FollowUp {
  plan: RequestPlan;
  /** Wait this long after the reply before sending (think time; 0 for a tool result). */
  thinkMs: number;
}

export interface Planner {
  readonly workload: Workload;
  plan(phaseIndex: number, requestIndex: number): RequestPlan;
  /**
   * The conversation's next request after `prev` got `reply`, or null when it is over: the tool
   * results when the class does round trips and the reply called tools, else the next user turn.
   * Pure: the same (prev, reply) always gives the same body.
   */
  followUp?(prev: RequestPlan, reply: Reply): FollowUp | null;
}

/** Lengths given from outside (a trace row) instead of drawn from the class's distributions. */
export interface RequestSize {
  /** A workload class to take the other settings from; null or unknown: drawn from the class mix. */
  className: string | null;
  /** Total prompt tokens the request should have (system prompt, prefixes and suffix included). */
  promptTokens: number;
  /** Sent as max_tokens (at least 1). */
  outputTokens: number;
}

export interface SizedPlanner extends Planner {
  /** Like plan(), with the lengths given: same rng stream, so the same (phase, request, size) gives the same body. */
  planSized(phaseIndex: number, requestIndex: number, size: RequestSize): RequestPlan;
}

// Stream tags keep the class-level and run-level rngs apart from the per-request ones, which are
// keyed by three parts (seed, phase, request); these use four.
const SHARED_PREFIX_STREAM = 0x5348_5052; // "SHPR"
const LABEL_STREAM = 0x4c41_4245; // "LABE"
// Conversations use five parts: (seed, stream, phase, request, step).
const SESSION_STREAM = 0x5345_5353; // "SESS"
const TURN_STREAM = 0x5455_524e; // "TURN"
const IMAGE_STREAM = 0x494d_4147; // "IMAG"
const SALT_STREAM = 0x5341_4c54; // "SALT"

const DEFAULT_TOOL_RESULT_TOKENS: Distribution = { type: 'fixed', value: 64 };

/** A piece of literal text kept apart from the synthesised words because its tokens must be counted. */
const LITERAL_SEPARATOR = '\n\n';

/** What every request of one class shares: computed once per planner. */
interface ClassTemplate {
  cls: RequestClass;
  sharedText: string;
  sharedTokens: number;
  /** Where the unique prefix goes: before the system prompt only when nothing is meant to be shared. */
  uniqueLeadsSystem: boolean;
  systemTokens: number;
  fixedBody: Record<string, unknown>;
  responseSchema?: Record<string, unknown>;
  /** A conversation class: multi-turn or round trips. */
  converses: boolean;
  /** Image classes: the synthetic images made for the class before the run (absent with --image-dir). */
  imagePool?: PooledImage[];
}

/** An image ready to send: its data URL is built once, not per request. */
interface PooledImage {
  url: string;
  bytes: number;
}

/**
 * Synthetic images made per image class before the run; requests draw from them by seed. Encoding a
 * PNG or JPEG costs tens of milliseconds, which the measuring loop must not pay per request; the
 * price is that a class's images repeat across requests (as a real image set's would).
 */
export const SYNTHETIC_IMAGE_POOL = 16;

/** What planRequest needs beyond the class: the run's images and the phase's cache mode. */
interface PlanContext {
  synth: PromptSynth;
  model: string;
  seed: number;
  /** --image-dir: real images to sample instead of synthetic ones. */
  imagePool: readonly PooledImage[] | undefined;
  cold: boolean;
}

/** The cache mode of each workload phase, for createPlanner's `phaseCache` when the run's phases are the workload's. */
export function workloadPhaseCache(workload: Workload): ('cold' | 'warm' | undefined)[] {
  return workload.phases.map((p) => (p.cache === 'both' ? undefined : p.cache));
}

/**
 * `phaseCount`: how many phases the run plans requests for (default: the workload's). A trace replay
 * has one, a sweep one per possible step; it keys the unique-prefix labels of (phase, request).
 */
export function createPlanner(
  workload: Workload,
  opts: { model: string; tokenizer: Tokenizer; phaseCount?: number; imagePool?: readonly EncodedImage[]; phaseCache?: readonly ('cold' | 'warm' | undefined)[] },
): SizedPlanner {
  const synth = promptSynthFor(opts.tokenizer);
  const dirPool = opts.imagePool?.map(pooled);
  const templates = workload.classes.map((cls, classIndex) => classTemplate(workload, cls, classIndex, synth, dirPool === undefined));
  const cumulativeWeights: number[] = [];
  let totalWeight = 0;
  for (const cls of workload.classes) {
    totalWeight += cls.weight;
    cumulativeWeights.push(totalWeight);
  }
  // Unique-prefix labels are a bijection of (phase, request), shifted by the seed so that a rerun
  // with another seed does not hit the cache entries of the previous run.
  const labelOffset = mixSeed(workload.seed, LABEL_STREAM, 0, 0);
  const phaseCount = opts.phaseCount ?? workload.phases.length;
  const byName = new Map(templates.map((t) => [t.cls.name, t]));
  // A run of the workload's own phases takes their cache modes; sweeps and traces say theirs (default warm).
  const phaseCache = opts.phaseCache ?? (opts.phaseCount === undefined ? workloadPhaseCache(workload) : []);
  const ctx = (phaseIndex: number): PlanContext => ({ synth, model: opts.model, seed: workload.seed, imagePool: dirPool, cold: phaseCache[phaseIndex] === 'cold' });
  const check = (phaseIndex: number, requestIndex: number) => {
    if (!Number.isInteger(phaseIndex) || phaseIndex < 0 || phaseIndex >= phaseCount) {
      throw new RangeError(`phaseIndex must be an integer in [0, ${phaseCount}), got ${phaseIndex}`);
    }
    if (!Number.isInteger(requestIndex) || requestIndex < 0) {
      throw new RangeError(`requestIndex must be a non-negative integer, got ${requestIndex}`);
    }
  };

  return {
    workload,
    plan(phaseIndex: number, requestIndex: number): RequestPlan {
      check(phaseIndex, requestIndex);
      const rng = rngFor(workload.seed, phaseIndex, requestIndex);
      // Draw order is part of the contract: class, prompt length, output length, then words.
      const t = templates[pickWeighted(cumulativeWeights, totalWeight, rng)];
      const label = (requestIndex * phaseCount + phaseIndex + labelOffset) >>> 0;
      return planRequest(t, ctx(phaseIndex), phaseIndex, requestIndex, label, rng, conversationTurns(t, workload.seed, phaseIndex, requestIndex));
    },
    followUp(prev: RequestPlan, reply: Reply): FollowUp | null {
      const t = byName.get(prev.className);
      if (t === undefined || prev.conversation === undefined) return null;
      return nextInConversation(prev, prev.conversation, reply, t, synth, opts.model, workload.seed);
    },
    planSized(phaseIndex: number, requestIndex: number, size: RequestSize): RequestPlan {
      check(phaseIndex, requestIndex);
      const rng = rngFor(workload.seed, phaseIndex, requestIndex);
      // The class draw happens either way, so the words that follow do not depend on whether the row named one.
      const drawn = templates[pickWeighted(cumulativeWeights, totalWeight, rng)];
      const t = (size.className !== null ? byName.get(size.className) : undefined) ?? drawn;
      const label = (requestIndex * phaseCount + phaseIndex + labelOffset) >>> 0;
      return planRequest(t, ctx(phaseIndex), phaseIndex, requestIndex, label, rng, conversationTurns(t, workload.seed, phaseIndex, requestIndex), size);
    },
  };
}

function pooled(image: EncodedImage): PooledImage {
  return { url: dataUrl(image), bytes: image.bytes.length };
}

/** The class's synthetic images, sizes drawn from its distributions, from a stream keyed by the class. */
function syntheticPool(spec: NonNullable<RequestClass['images']>, seed: number, classIndex: number): PooledImage[] {
  const rng = rngFor(seed, IMAGE_STREAM, classIndex, 0, 0);
  const out: PooledImage[] = [];
  for (let k = 0; k < SYNTHETIC_IMAGE_POOL; k++) {
    const w = Math.max(1, sampleDistribution(spec.width, rng, MAX_IMAGE_PX));
    const h = Math.max(1, sampleDistribution(spec.height, rng, MAX_IMAGE_PX));
    out.push(pooled(syntheticImage(w, h, spec.format, rng)));
  }
  return out;
}

function classTemplate(workload: Workload, cls: RequestClass, classIndex: number, synth: PromptSynth, synthesiseImages: boolean): ClassTemplate {
  const tok = synth.tokenizer;
  const sharedTokens = cls.shared_prefix_tokens ?? 0;
  const sharedText = synth.text(sharedTokens, rngFor(workload.seed, SHARED_PREFIX_STREAM, classIndex, 0));
  const uniqueLeadsSystem = cls.kind === 'chat' && sharedTokens === 0 && cls.unique_prefix_tokens !== undefined && cls.system_prompt !== undefined;

  const fixedBody: Record<string, unknown> = {};
  if (workload.defaults.temperature !== undefined) fixedBody.temperature = workload.defaults.temperature;
  if (workload.defaults.top_p !== undefined) fixedBody.top_p = workload.defaults.top_p;
  if (cls.tools !== undefined) fixedBody.tools = cls.tools;
  if (cls.tool_choice !== undefined) fixedBody.tool_choice = cls.tool_choice;
  if (cls.response_format !== undefined) fixedBody.response_format = cls.response_format;
  if (cls.reasoning?.effort !== undefined) fixedBody.reasoning_effort = cls.reasoning.effort;
  if (cls.reasoning?.template_kwargs !== undefined) fixedBody.chat_template_kwargs = cls.reasoning.template_kwargs;
  Object.assign(fixedBody, workload.defaults.extra_body, cls.extra_body);

  return {
    cls,
    sharedText,
    sharedTokens: synth.exact ? sharedTokens : tok.count(sharedText),
    uniqueLeadsSystem,
    systemTokens: cls.system_prompt !== undefined && !uniqueLeadsSystem ? tok.count(cls.system_prompt) : 0,
    fixedBody,
    responseSchema: cls.response_format?.type === 'json_schema' ? cls.response_format.json_schema.schema : undefined,
    converses: cls.session !== undefined || cls.round_trip === true,
    ...(cls.images !== undefined && synthesiseImages ? { imagePool: syntheticPool(cls.images, workload.seed, classIndex) } : {}),
  };
}

/**
 * User turns of a conversation class's request (undefined for other classes). Drawn from a stream of
 * its own, so turn 1's words are those a single request of the class would get.
 */
function conversationTurns(t: ClassTemplate, seed: number, phaseIndex: number, requestIndex: number): number | undefined {
  if (!t.converses) return undefined;
  const session = t.cls.session;
  return session === undefined ? 1 : Math.max(1, sampleDistribution(session.turns, rngFor(seed, SESSION_STREAM, phaseIndex, requestIndex, 0), MAX_TURNS));
}

function nextInConversation(prev: RequestPlan, conv: ConversationStep, reply: Reply, t: ClassTemplate, synth: PromptSynth, model: string, seed: number): FollowUp | null {
  const cls = t.cls;
  const tok = synth.tokenizer;
  const calls = reply.toolCalls ?? [];
  // Only complete calls are answered: arguments cut by max_tokens (or not JSON) are no call an agent could run.
  const roundTrip = cls.round_trip === true && !conv.toolFollowUp && calls.length > 0 && reply.finishReason !== 'length' && calls.every((c) => parsesAsJson(c.arguments));
  if (!roundTrip && conv.turn >= conv.turns) return null;
  const step = conv.turn * 2 + (roundTrip ? 1 : 0);
  const rng = rngFor(seed, TURN_STREAM, prev.phaseIndex, prev.requestIndex, step);
  const maxTokens = Math.max(1, sampleDistribution(cls.output_tokens, rng, MAX_TOKENS));
  let added: ChatMessage[];
  let addedTokens: number;
  let thinkMs = 0;
  if (roundTrip) {
    // The assistant's tool calls as the server expects them back, each answered by a tool message.
    const toolCalls = calls.map((c, i) => ({
      id: c.id ?? `call_${prev.requestIndex}_${conv.turn}_${i}`,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
    const assistant: ChatMessage = { role: 'assistant', content: reply.text, tool_calls: toolCalls };
    added = [assistant];
    addedTokens = (reply.text ? tok.count(reply.text) : 0) + calls.reduce((n, c) => n + tok.count(c.arguments), 0);
    for (const call of toolCalls) {
      const n = sampleDistribution(cls.tool_result_tokens ?? DEFAULT_TOOL_RESULT_TOKENS, rng, MAX_TOKENS);
      const content = JSON.stringify({ result: synth.text(n, rng) });
      added.push({ role: 'tool', tool_call_id: call.id, content });
      addedTokens += tok.count(content);
    }
  } else {
    // A tool call left unanswered (no round_trip) goes back as the assistant's words, so the
    // conversation stays one a server accepts (tool_calls must be followed by tool messages).
    const said = reply.text ?? (calls.length > 0 ? JSON.stringify(calls.map((c) => ({ name: c.name, arguments: c.arguments }))) : '');
    const words = Math.max(1, sampleDistribution(cls.prompt_tokens, rng, MAX_TOKENS));
    const text = synth.text(words, rng);
    const asked: Counted = { text, tokens: synth.exact ? words : tok.count(text) };
    const user = cls.suffix !== undefined ? appendLiteral(synth, asked, cls.suffix) : asked;
    added = [{ role: 'assistant', content: said }, { role: 'user', content: user.text }];
    addedTokens = tok.count(said) + user.tokens;
    thinkMs = cls.session?.think_time === undefined ? 0 : thinkTimeMs(cls.session.think_time, rng);
  }
  const messages = [...conv.messages, ...added];
  const plan: RequestPlan = {
    phaseIndex: prev.phaseIndex,
    requestIndex: prev.requestIndex,
    className: prev.className,
    kind: 'chat',
    path: '/chat/completions',
    body: '',
    bodyBytes: 0,
    promptTokens: prev.promptTokens + addedTokens,
    maxTokens,
    conversation: { turn: roundTrip ? conv.turn : conv.turn + 1, turns: conv.turns, toolFollowUp: roundTrip, messages },
  };
  setBody(plan, requestBody(model, { messages }, maxTokens, t.fixedBody));
  if (prev.images !== undefined) {
    plan.images = prev.images;
    plan.imageBytes = prev.imageBytes;
  }
  if (prev.sharedTokens !== undefined) plan.sharedTokens = prev.sharedTokens;
  if (t.responseSchema !== undefined) plan.responseSchema = t.responseSchema;
  if (cls.tools !== undefined) plan.tools = cls.tools;
  if (cls.tool_choice !== undefined) plan.toolChoice = cls.tool_choice;
  return { plan, thinkMs };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function thinkTimeMs(think: ThinkTime, rng: Rng): number {
  return typeof think === 'object' ? sampleDistribution(think, rng, MAX_THINK_MS) : parseDurationMs(think, 'think_time');
}

/** The body every request shares: the model, its prompt, streaming with usage, then the class's fixed fields. */
function requestBody(model: string, prompt: { messages: ChatMessage[] } | { prompt: string }, maxTokens: number, fixedBody: Record<string, unknown>): Record<string, unknown> {
  return { model, ...prompt, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true }, ...fixedBody };
}

/** Sets a plan's body and its size in bytes (the upload it costs). */
function setBody(plan: RequestPlan, body: Record<string, unknown>): void {
  plan.body = JSON.stringify(body);
  plan.bodyBytes = Buffer.byteLength(plan.body);
}

function planRequest(t: ClassTemplate, c: PlanContext, phaseIndex: number, requestIndex: number, label: number, rng: Rng, turns: number | undefined, size?: RequestSize): RequestPlan {
  const { synth, model } = c;
  const cls = t.cls;
  let promptWords = sampleDistribution(cls.prompt_tokens, rng, MAX_TOKENS);
  let maxTokens = Math.max(1, sampleDistribution(cls.output_tokens, rng, MAX_TOKENS));
  const uniqueTokens = cls.unique_prefix_tokens ?? 0;
  if (size !== undefined) {
    // A given total: the class's fixed text is counted in it and the synthesised words fill the rest
    // (exact without a suffix or system prompt; those are counted on their own, off by a boundary token at most).
    const systemTokens = cls.system_prompt !== undefined ? synth.tokenizer.count(cls.system_prompt) : 0;
    const suffixTokens = cls.suffix !== undefined ? synth.tokenizer.count(cls.suffix) : 0;
    promptWords = Math.max(0, size.promptTokens - t.sharedTokens - uniqueTokens - systemTokens - suffixTokens);
    maxTokens = Math.max(1, size.outputTokens);
  }
  const uniqueText = synth.labelledText(uniqueTokens, label, rng);
  // Cold cache: a salt spelling (phase, request) opens the first text the class controls; the tokens
  // it adds (the blank line before a system prompt included) come out of the synthesised words, so the
  // prompt keeps its length.
  const salt = c.cold ? coldSalt(synth, label) : undefined;

  let system: Counted | undefined;
  if (cls.system_prompt !== undefined) {
    system = t.uniqueLeadsSystem
      ? appendLiteral(synth, { text: uniqueText, tokens: uniqueTokens }, cls.system_prompt)
      : { text: cls.system_prompt, tokens: t.systemTokens };
    if (salt !== undefined) {
      const salted = appendLiteral(synth, salt, system.text);
      promptWords = Math.max(0, promptWords - (salted.tokens - system.tokens));
      system = salted;
    }
  } else if (salt !== undefined) {
    promptWords = Math.max(0, promptWords - salt.tokens);
  }

  const userWordsBeforePrompt = t.sharedTokens + (t.uniqueLeadsSystem ? 0 : uniqueTokens);
  // An empty user message is rejected by most servers; one word keeps the request valid.
  if (promptWords === 0 && userWordsBeforePrompt === 0 && (cls.suffix ?? '') === '' && (salt === undefined || system !== undefined)) promptWords = 1;
  const promptText = synth.text(promptWords, rng);
  const words = joinWords(synth, [
    system === undefined && salt !== undefined ? salt : { text: '', tokens: 0 },
    { text: t.sharedText, tokens: t.sharedTokens },
    t.uniqueLeadsSystem ? { text: '', tokens: 0 } : { text: uniqueText, tokens: uniqueTokens },
    { text: promptText, tokens: promptWords },
  ]);
  const user = cls.suffix !== undefined ? appendLiteral(synth, words, cls.suffix) : words;

  const isChat = cls.kind === 'chat';
  const images = cls.images !== undefined ? imageParts(cls.images, t.imagePool ?? c.imagePool ?? [], c.seed, phaseIndex, requestIndex) : undefined;
  const userContent: unknown = images === undefined ? user.text : [{ type: 'text', text: user.text }, ...images.parts];
  const messages: ChatMessage[] = system !== undefined
    ? [{ role: 'system', content: system.text }, { role: 'user', content: userContent }]
    : [{ role: 'user', content: userContent }];

  const plan: RequestPlan = {
    phaseIndex,
    requestIndex,
    className: cls.name,
    kind: cls.kind,
    path: isChat ? '/chat/completions' : '/completions',
    body: '',
    bodyBytes: 0,
    promptTokens: (system?.tokens ?? 0) + user.tokens,
    maxTokens,
  };
  setBody(plan, requestBody(model, isChat ? { messages } : { prompt: user.text }, maxTokens, t.fixedBody));
  if (t.responseSchema !== undefined) plan.responseSchema = t.responseSchema;
  if (cls.tools !== undefined) plan.tools = cls.tools;
  if (cls.tool_choice !== undefined) plan.toolChoice = cls.tool_choice;
  if (turns !== undefined) plan.conversation = { turn: 1, turns, toolFollowUp: false, messages };
  if (images !== undefined) {
    plan.images = images.parts.length;
    plan.imageBytes = images.bytes;
  }
  const shared = c.cold ? 0 : t.sharedTokens + t.systemTokens;
  if (shared > 0 || c.cold) plan.sharedTokens = shared;
  return plan;
}

/** The cold-cache salt of one request: words spelling its label, from a stream of its own (the request's words stay as they were). */
function coldSalt(synth: PromptSynth, label: number): Counted {
  const text = synth.labelledText(synth.labelWords, label, rngFor(SALT_STREAM, label));
  return { text, tokens: synth.exact ? synth.labelWords : synth.tokenizer.count(text) };
}

/** The image_url parts of one request: `count` images drawn from the pool by a stream of their own (so a class with images has the same words as without). */
function imageParts(spec: NonNullable<RequestClass['images']>, pool: readonly PooledImage[], seed: number, phaseIndex: number, requestIndex: number): { parts: unknown[]; bytes: number } {
  const rng = rngFor(seed, IMAGE_STREAM, phaseIndex, requestIndex);
  const count = pool.length === 0 ? 0 : sampleDistribution(spec.count, rng, MAX_IMAGES);
  const parts: unknown[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const image = pool[Math.floor(rng() * pool.length)];
    bytes += image.bytes;
    parts.push({ type: 'image_url', image_url: spec.detail === undefined ? { url: image.url } : { url: image.url, detail: spec.detail } });
  }
  return { parts, bytes };
}

interface Counted {
  text: string;
  tokens: number;
}

/** Word runs joined by single spaces: on an additive tokenizer the counts simply add up. */
function joinWords(synth: PromptSynth, parts: Counted[]): Counted {
  const present = parts.filter((p) => p.text !== '');
  const text = present.map((p) => p.text).join(' ');
  const tokens = synth.exact ? present.reduce((s, p) => s + p.tokens, 0) : synth.tokenizer.count(text);
  return { text, tokens };
}

/**
 * Appends literal text (a suffix or a system prompt) after synthesised words, on a blank line unless
 * it already starts with whitespace. Only the boundary can tokenize differently from the parts, and
 * pre-tokenizers split at spaces and newlines, so the literal's tokens are counted together with the
 * last word and that word's one token taken back: exact, without encoding the whole prompt.
 */
function appendLiteral(synth: PromptSynth, words: Counted, literal: string): Counted {
  const tok = synth.tokenizer;
  if (words.text === '') return { text: literal, tokens: tok.count(literal) };
  const glued = /^\s/.test(literal) ? literal : `${LITERAL_SEPARATOR}${literal}`;
  const text = words.text + glued;
  if (!synth.exact) return { text, tokens: tok.count(text) };
  // The last word keeps its leading space (if it has one), as it was encoded in the prompt.
  const lastWord = words.text.slice(Math.max(0, words.text.lastIndexOf(' ')));
  return { text, tokens: words.tokens - 1 + tok.count(lastWord + glued) };
}

/** Index of the class whose cumulative weight first exceeds a uniform draw in [0, total). */
function pickWeighted(cumulative: number[], total: number, rng: Rng): number {
  const r = rng() * total;
  for (let i = 0; i < cumulative.length; i++) {
    if (r < cumulative[i]) return i;
  }
  // Floating-point sums can leave r a hair above the last threshold: fall back to the last class
  // with weight (never a weight-0 class, which must never be chosen).
  for (let i = cumulative.length - 1; i >= 0; i--) {
    if (cumulative[i] > (i === 0 ? 0 : cumulative[i - 1])) return i;
  }
  return 0;
}
