// Planning: (workload, phase index, request index) → one RequestPlan, the exact body to send.
// Pure and order-independent: each plan draws from its own rng keyed by (seed, phase, request),
// so shards and workers plan their own slices and get byte-identical bodies.
import { mixSeed, rngFor, type Rng } from '../util/rng.js';
import { sampleDistribution } from './distributions.js';
import { promptSynthFor, type PromptSynth } from './prompts.js';
import type { RequestClass, ToolDefinition, Workload } from './schema.js';
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
}

export interface Planner {
  readonly workload: Workload;
  plan(phaseIndex: number, requestIndex: number): RequestPlan;
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
}

export function createPlanner(workload: Workload, opts: { model: string; tokenizer: Tokenizer }): SizedPlanner {
  const synth = promptSynthFor(opts.tokenizer);
  const templates = workload.classes.map((cls, classIndex) => classTemplate(workload, cls, classIndex, synth));
  const cumulativeWeights: number[] = [];
  let totalWeight = 0;
  for (const cls of workload.classes) {
    totalWeight += cls.weight;
    cumulativeWeights.push(totalWeight);
  }
  // Unique-prefix labels are a bijection of (phase, request), shifted by the seed so that a rerun
  // with another seed does not hit the cache entries of the previous run.
  const labelOffset = mixSeed(workload.seed, LABEL_STREAM, 0, 0);
  const phaseCount = workload.phases.length;
  const byName = new Map(templates.map((t) => [t.cls.name, t]));
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
      return planRequest(t, synth, opts.model, phaseIndex, requestIndex, label, rng);
    },
    planSized(phaseIndex: number, requestIndex: number, size: RequestSize): RequestPlan {
      check(phaseIndex, requestIndex);
      const rng = rngFor(workload.seed, phaseIndex, requestIndex);
      // The class draw happens either way, so the words that follow do not depend on whether the row named one.
      const drawn = templates[pickWeighted(cumulativeWeights, totalWeight, rng)];
      const t = (size.className !== null ? byName.get(size.className) : undefined) ?? drawn;
      const label = (requestIndex * phaseCount + phaseIndex + labelOffset) >>> 0;
      return planRequest(t, synth, opts.model, phaseIndex, requestIndex, label, rng, size);
    },
  };
}

function classTemplate(workload: Workload, cls: RequestClass, classIndex: number, synth: PromptSynth): ClassTemplate {
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
  Object.assign(fixedBody, workload.defaults.extra_body, cls.extra_body);

  return {
    cls,
    sharedText,
    sharedTokens: synth.exact ? sharedTokens : tok.count(sharedText),
    uniqueLeadsSystem,
    systemTokens: cls.system_prompt !== undefined && !uniqueLeadsSystem ? tok.count(cls.system_prompt) : 0,
    fixedBody,
    responseSchema: cls.response_format?.type === 'json_schema' ? cls.response_format.json_schema.schema : undefined,
  };
}

function planRequest(t: ClassTemplate, synth: PromptSynth, model: string, phaseIndex: number, requestIndex: number, label: number, rng: Rng, size?: RequestSize): RequestPlan {
  const cls = t.cls;
  let promptWords = sampleDistribution(cls.prompt_tokens, rng);
  let maxTokens = Math.max(1, sampleDistribution(cls.output_tokens, rng));
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

  const userWordsBeforePrompt = t.sharedTokens + (t.uniqueLeadsSystem ? 0 : uniqueTokens);
  // An empty user message is rejected by most servers; one word keeps the request valid.
  if (promptWords === 0 && userWordsBeforePrompt === 0 && (cls.suffix ?? '') === '') promptWords = 1;
  const promptText = synth.text(promptWords, rng);

  let system: Counted | undefined;
  if (cls.system_prompt !== undefined) {
    system = t.uniqueLeadsSystem
      ? appendLiteral(synth, { text: uniqueText, tokens: uniqueTokens }, cls.system_prompt)
      : { text: cls.system_prompt, tokens: t.systemTokens };
  }
  const words = joinWords(synth, [
    { text: t.sharedText, tokens: t.sharedTokens },
    t.uniqueLeadsSystem ? { text: '', tokens: 0 } : { text: uniqueText, tokens: uniqueTokens },
    { text: promptText, tokens: promptWords },
  ]);
  const user = cls.suffix !== undefined ? appendLiteral(synth, words, cls.suffix) : words;

  const isChat = cls.kind === 'chat';
  const content: Record<string, unknown> = { model };
  if (isChat) {
    content.messages = system !== undefined
      ? [{ role: 'system', content: system.text }, { role: 'user', content: user.text }]
      : [{ role: 'user', content: user.text }];
  } else {
    content.prompt = user.text;
  }
  content.max_tokens = maxTokens;
  content.stream = true;
  content.stream_options = { include_usage: true };
  const body = { ...content, ...t.fixedBody };

  const plan: RequestPlan = {
    phaseIndex,
    requestIndex,
    className: cls.name,
    kind: cls.kind,
    path: isChat ? '/chat/completions' : '/completions',
    body: JSON.stringify(body),
    promptTokens: (system?.tokens ?? 0) + user.tokens,
    maxTokens,
  };
  if (t.responseSchema !== undefined) plan.responseSchema = t.responseSchema;
  if (cls.tools !== undefined) plan.tools = cls.tools;
  if (cls.tool_choice !== undefined) plan.toolChoice = cls.tool_choice;
  return plan;
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
