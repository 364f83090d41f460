// Workload file schema: the single source of truth for what a workload file may say.
// Parsing turns YAML/JSON into a typed Workload; everything downstream reads only these types.
import { z } from 'zod';
import { caretLines, parseSlo, SloSyntaxError } from '../slo/grammar.js';
import { parseGoodput } from '../slo/goodput.js';
import {
  formatBound, MAX_CLASSES, MAX_CONCURRENCY, MAX_DURATION_MS, MAX_PHASES, MAX_RATE_RPS, MAX_REQUESTS, MAX_THINK_MS, MAX_TOKENS, MAX_TOOLS, MAX_TURNS,
} from '../util/limits.js';

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

/** The message of a bound (issueLines adds ", got <value>"): every count and size has one (workload/limits.ts). */
const atMost = (bound: number, unit: string) => `at most ${formatBound(bound)} ${unit} (see "Limits" in the README)`;

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_TEXT = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Durations are written as "30s", "500ms", "2m", "1h" or a number of seconds, up to `maxMs` (`label` says it). */
function durationSchema(maxMs: number, label: string) {
  const bound = `at most ${label} (see "Limits" in the README)`;
  return z.union([
    nonNegative.max(maxMs / 1000, bound),
    z.string().regex(DURATION_TEXT, 'expected a duration such as "500ms", "30s", "2m" or "1h"').superRefine((s, ctx) => {
      const m = DURATION_TEXT.exec(s);
      if (m !== null && Number(m[1]) * DURATION_UNIT_MS[m[2]] > maxMs) ctx.addIssue({ code: 'custom', message: `${bound}, got ${JSON.stringify(s)}` });
    }),
  ]);
}
export const DurationSchema = durationSchema(MAX_DURATION_MS, `${MAX_DURATION_MS / 3_600_000}h`);

/** A length distribution (tokens, turns or ms), always clamped to [min, max] and to `bound`. */
function distributionSchema(bound: number, unit: string) {
  const count = z.number().int().nonnegative().max(bound, atMost(bound, unit));
  const real = (base: z.ZodNumber) => base.max(bound, atMost(bound, unit));
  return z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('fixed'), value: count }),
  z.strictObject({ type: z.literal('uniform'), min: count, max: count }),
  z.strictObject({
    type: z.literal('normal'),
    mean: real(nonNegative),
    stddev: real(nonNegative),
    min: count.optional(),
    max: count.optional(),
  }),
  z.strictObject({
    type: z.literal('lognormal'),
    /** Mean and standard deviation of the distribution itself (not of its logarithm). */
    mean: real(positive),
    stddev: real(nonNegative),
    min: count.optional(),
    max: count.optional(),
  }),
]).superRefine((d, ctx) => {
  // Bounds that cannot hold together. Reported on the field to change, so the message reads
  // `classes[2].prompt_tokens.max: ...`.
  if (d.type === 'fixed') return;
  const min = d.min;
  const max = d.max;
  if (min !== undefined && max !== undefined && min > max) {
    ctx.addIssue({ code: 'custom', path: ['max'], message: `expected max >= min (${min}), got ${max}` });
    return;
  }
  if (d.type === 'uniform') return;
  // A mean outside the bounds means most samples land on a bound: the written shape is not the
  // one that would be sent, which is always a typo (e.g. mean 3000 with max 300).
  if (min !== undefined && d.mean < min) {
    ctx.addIssue({ code: 'custom', path: ['mean'], message: `expected a mean within [min, max], got ${d.mean} below min ${min}` });
  } else if (max !== undefined && d.mean > max) {
    ctx.addIssue({ code: 'custom', path: ['mean'], message: `expected a mean within [min, max], got ${d.mean} above max ${max}` });
  }
});
}
/** Lengths in tokens. Samples past the bound are clamped to it (a long lognormal tail included). */
export const DistributionSchema = distributionSchema(MAX_TOKENS, 'tokens');
const TurnsSchema = distributionSchema(MAX_TURNS, 'turns');
const ThinkMsSchema = distributionSchema(MAX_THINK_MS, 'ms');
export type Distribution = z.infer<typeof DistributionSchema>;

/** An OpenAI function tool definition, passed to the server verbatim. */
export const ToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }).loose(),
}).loose();
export type ToolDefinition = z.infer<typeof ToolSchema>;

/** Pixels per side: far above what any vision encoder takes (they resize), small enough to keep a body sane. */
export const MAX_IMAGE_PX = 4096;
/** Images per request. */
export const MAX_IMAGES = 32;
const PixelsSchema = distributionSchema(MAX_IMAGE_PX, 'px');
const ImageCountSchema = distributionSchema(MAX_IMAGES, 'images');

/**
 * Images in the user message, as `image_url` content parts with `data:` URLs: synthetic (seeded
 * noise and patterns, generated locally) unless the run passes --image-dir.
 */
export const ImagesSchema = z.strictObject({
  /** Images per request. */
  count: ImageCountSchema,
  /** Synthetic images: size in pixels (ignored with --image-dir, which sends the files as they are). */
  width: PixelsSchema,
  height: PixelsSchema,
  format: z.enum(['png', 'jpeg']).default('png'),
  /** Sent as image_url.detail when given (OpenAI's low | high | auto); absent otherwise. */
  detail: z.enum(['low', 'high', 'auto']).optional(),
});
export type ImagesSpec = z.infer<typeof ImagesSchema>;

/**
 * Reasoning controls, only the fields engines accept: `effort` is sent as `reasoning_effort` (OpenAI,
 * vLLM, SGLang), `template_kwargs` as `chat_template_kwargs` (e.g. {enable_thinking: false} for Qwen-style templates).
 */
export const ReasoningSchema = z.strictObject({
  effort: z.enum(['low', 'medium', 'high']).optional(),
  template_kwargs: z.record(z.string(), z.unknown()).optional(),
}).refine((r) => r.effort !== undefined || r.template_kwargs !== undefined, { message: 'reasoning needs "effort" (low | medium | high) or "template_kwargs" (e.g. {enable_thinking: false})' });
export type ReasoningSpec = z.infer<typeof ReasoningSchema>;

export const ToolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);

/** OpenAI `response_format`: only json_schema is judged for validity; json_object is passed through. */
export const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().min(1),
      strict: z.boolean().optional(),
      schema: z.record(z.string(), z.unknown()),
    }).loose(),
  }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({ type: z.literal('text') }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormatSchema>;

/** Think time between turns: a duration ("2s"), or a distribution of milliseconds. */
export const ThinkTimeSchema = z.union([durationSchema(MAX_THINK_MS, `${MAX_THINK_MS / 3_600_000}h`), ThinkMsSchema]);
export type ThinkTime = z.infer<typeof ThinkTimeSchema>;

/** A multi-turn conversation: each turn resends the whole conversation so far, replies included. */
export const SessionSchema = z.strictObject({
  /** User turns per conversation (at least 1). */
  turns: TurnsSchema,
  /** Wait after a reply before the next user turn (a user reading and typing); 0 when absent. */
  think_time: ThinkTimeSchema.optional(),
});
export type Session = z.infer<typeof SessionSchema>;

export const ClassSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'class names use letters, digits, "_", "-" and "." only'),
  weight: nonNegative.default(1),
  kind: z.enum(['chat', 'completion']).default('chat'),
  /** Tokens of the per-request synthesised words (after any system prompt and shared prefix); the suffix adds its own tokens. */
  prompt_tokens: DistributionSchema,
  /** Requested output tokens: sent as max_tokens. */
  output_tokens: DistributionSchema,
  /** A literal system prompt (chat only). */
  system_prompt: z.string().optional(),
  /** Synthesised tokens common to every request of this class: exercises prefix caching (RAG documents, long system prompts). */
  shared_prefix_tokens: z.number().int().nonnegative().max(MAX_TOKENS, atMost(MAX_TOKENS, 'tokens')).optional(),
  /**
   * Tokens of a per-request prefix placed first (right after the shared prefix when there is one,
   * otherwise before the system prompt), so no two requests share a cacheable prefix beyond it.
   */
  unique_prefix_tokens: z.number().int().positive().max(MAX_TOKENS, atMost(MAX_TOKENS, 'tokens')).optional(),
  /** Text appended after the synthesised prompt, e.g. a question or an instruction. */
  suffix: z.string().optional(),
  tools: z.array(ToolSchema).min(1).max(MAX_TOOLS, atMost(MAX_TOOLS, 'tools')).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  response_format: ResponseFormatSchema.optional(),
  /** Extra body fields for this class only, merged over the workload defaults' extra_body. */
  extra_body: z.record(z.string(), z.unknown()).optional(),
  /** Multi-turn: an arrival starts a conversation of this many turns; prompt_tokens is each new user message. */
  session: SessionSchema.optional(),
  /** Tool classes: answer each tool call with a synthetic tool result and measure the follow-up, as an agent would. */
  round_trip: z.boolean().optional(),
  /** Tokens of each synthetic tool result (round_trip); 64 when absent. */
  tool_result_tokens: DistributionSchema.optional(),
  /** Images in each request's user message (chat only). */
  images: ImagesSchema.optional(),
  /** Reasoning budget fields sent with each request (chat only). */
  reasoning: ReasoningSchema.optional(),
}).superRefine((c, ctx) => {
  const maxOutput = c.output_tokens.type === 'fixed' ? c.output_tokens.value : c.output_tokens.max;
  if (maxOutput === 0) {
    ctx.addIssue({ code: 'custom', path: ['output_tokens'], message: 'expected at least 1 output token (max_tokens must be >= 1), got a distribution that only yields 0' });
  }
  if (c.kind === 'completion') {
    // /completions has no roles and no function calling: these fields would be silently dropped.
    if (c.system_prompt !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['system_prompt'], message: 'system_prompt needs kind: chat; for a completion class put fixed text in "suffix"' });
    }
    if (c.tools !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tools'], message: 'tools need kind: chat (/completions has no function calling)' });
    }
    if (c.tool_choice !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: 'tool_choice needs kind: chat (/completions has no function calling)' });
    }
    if (c.images !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['images'], message: 'images need kind: chat (/completions takes text only)' });
    }
    if (c.reasoning !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['reasoning'], message: 'reasoning needs kind: chat (reasoning_effort and chat_template_kwargs are chat fields)' });
    }
  }
  if (c.images !== undefined) {
    const most = (d: Distribution) => (d.type === 'fixed' ? d.value : d.max);
    if (most(c.images.width) === 0 || most(c.images.height) === 0) {
      ctx.addIssue({ code: 'custom', path: ['images'], message: 'expected images at least 1 px wide and high, got a size distribution that only yields 0' });
    }
  }
  if (c.tool_choice !== undefined && c.tools === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: 'tool_choice needs "tools" in the same class' });
  }
  if (c.tool_choice !== undefined && typeof c.tool_choice === 'object' && c.tools !== undefined) {
    const wanted = c.tool_choice.function.name;
    const names = c.tools.map((t) => t.function.name);
    if (!names.includes(wanted)) {
      ctx.addIssue({ code: 'custom', path: ['tool_choice', 'function', 'name'], message: `expected one of the class's tools (${names.map((n) => `"${n}"`).join(', ')}), got "${wanted}"` });
    }
  }
  if (c.session !== undefined && c.kind !== 'chat') {
    ctx.addIssue({ code: 'custom', path: ['session'], message: 'session needs kind: chat (a conversation is a list of messages)' });
  }
  if (c.round_trip === true && c.tools === undefined) {
    ctx.addIssue({ code: 'custom', path: ['round_trip'], message: 'round_trip answers tool calls: add "tools" to this class, or drop round_trip' });
  }
  if (c.tool_result_tokens !== undefined && c.round_trip !== true) {
    ctx.addIssue({ code: 'custom', path: ['tool_result_tokens'], message: 'tool_result_tokens sizes the results sent back by round_trip: set round_trip: true, or drop it' });
  }
  checkExtraBody(c.extra_body, ctx);
});
export type RequestClass = z.infer<typeof ClassSchema>;

/**
 * Body fields the planner owns. Overriding them through extra_body would make the plan lie
 * (promptTokens, maxTokens) or break the streaming client, so each points to its proper field.
 */
const RESERVED_BODY_FIELDS: Record<string, string> = {
  model: "set the model with the run's model option (or defaults.model)",
  messages: 'messages are synthesised from prompt_tokens, system_prompt and suffix',
  prompt: 'the prompt is synthesised from prompt_tokens and suffix',
  max_tokens: 'use output_tokens',
  stream: 'loadshape always streams, to time the first token',
  stream_options: 'loadshape always asks for usage in the stream',
  reasoning_effort: 'use the class field reasoning: {effort: ...}',
  chat_template_kwargs: 'use the class field reasoning: {template_kwargs: {...}}',
};

function checkExtraBody(extra: Record<string, unknown> | undefined, ctx: z.RefinementCtx): void {
  if (extra === undefined) return;
  for (const key of Object.keys(extra)) {
    if (!Object.hasOwn(RESERVED_BODY_FIELDS, key)) continue;
    const why = RESERVED_BODY_FIELDS[key];
    ctx.addIssue({ code: 'custom', path: ['extra_body', key], message: `"${key}" is set by loadshape and cannot be overridden; ${why}` });
  }
}

export const ArrivalSchema = z.enum(['constant', 'poisson', 'gamma']);

export const PhaseSchema = z.strictObject({
  name: z.string().min(1),
  duration: DurationSchema.optional(),
  requests: z.number().int().positive().max(MAX_REQUESTS, atMost(MAX_REQUESTS, 'requests')).optional(),
  /** Closed loop: this many requests always in flight. */
  concurrency: z.number().int().positive().max(MAX_CONCURRENCY, atMost(MAX_CONCURRENCY, 'in flight')).optional(),
  /** Open loop: requests per second. */
  rate: positive.max(MAX_RATE_RPS, atMost(MAX_RATE_RPS, 'req/s')).optional(),
  /** Open loop: a linear ramp of the rate over the phase's duration. */
  ramp: z.strictObject({
    from: nonNegative.max(MAX_RATE_RPS, atMost(MAX_RATE_RPS, 'req/s')),
    to: nonNegative.max(MAX_RATE_RPS, atMost(MAX_RATE_RPS, 'req/s')),
  }).optional(),
  arrival: ArrivalSchema.default('poisson'),
  /** Gamma arrivals: 1 is Poisson, below 1 burstier, above 1 more regular. */
  burstiness: positive.default(1),
  /** Open loop: at most this many requests in flight; later arrivals wait (and their wait shows as queueMs). */
  max_concurrency: z.number().int().positive().max(MAX_CONCURRENCY, atMost(MAX_CONCURRENCY, 'in flight')).optional(),
  /** false marks warm-up: the phase runs but is kept out of the recorded results. */
  record: z.boolean().default(true),
  /**
   * Prefix cache: `cold` salts the start of each request's first class text so no two requests share
   * a cacheable prefix (same token counts); `warm` (default) shares what the class shares; `both` runs
   * the phase twice, as `<name>-cold` then `<name>-warm`, with the same load.
   */
  cache: z.enum(['cold', 'warm', 'both']).optional(),
}).superRefine((p, ctx) => {
  const loads = [p.concurrency !== undefined, p.rate !== undefined, p.ramp !== undefined].filter(Boolean).length;
  if (loads !== 1) {
    ctx.addIssue({ code: 'custom', message: 'a phase needs exactly one load model: "concurrency" (closed loop), "rate" or "ramp" (open loop)' });
  }
  if (p.duration === undefined && p.requests === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a phase needs "duration", "requests" or both (it ends at whichever comes first)' });
  }
  if (p.ramp !== undefined && p.duration === undefined) {
    ctx.addIssue({ code: 'custom', path: ['ramp'], message: 'a ramp needs a "duration" to ramp over' });
  }
  if (p.ramp !== undefined && p.ramp.from === 0 && p.ramp.to === 0) {
    ctx.addIssue({ code: 'custom', path: ['ramp'], message: 'a ramp from 0 to 0 req/s sends nothing; raise "to"' });
  }
  if (p.concurrency !== undefined && p.max_concurrency !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['max_concurrency'], message: 'max_concurrency caps open-loop phases; a closed-loop phase already has "concurrency"' });
  }
});
export type Phase = z.infer<typeof PhaseSchema>;

export const DefaultsSchema = z.strictObject({
  model: z.string().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  /** Body fields passed through verbatim on every request (e.g. ignore_eos, min_tokens). */
  extra_body: z.record(z.string(), z.unknown()).optional(),
}).superRefine((d, ctx) => checkExtraBody(d.extra_body, ctx));

const SloListSchema = z.array(z.string().min(1, 'expected an SLO such as "ttft.p95 < 500ms"'));

/**
 * `slo:` either a list (every entry for all classes unless scoped with class=…), or
 * `{ all: [...], classes: { rag: [...] }, goodput: "ttft<=500ms,tpot<=50ms" }`.
 * The expressions are parsed in the workload's refinement, so a bad one is reported with its path and a caret.
 */
export const SloBlockSchema = z.union([
  SloListSchema,
  z.strictObject({
    all: SloListSchema.optional(),
    classes: z.record(z.string(), SloListSchema).optional(),
    goodput: z.string().min(1).optional(),
  }),
]);
export type SloBlock = z.infer<typeof SloBlockSchema>;

/** Every SLO expression of a block with its path in the file. */
export function sloEntries(block: SloBlock | undefined): { path: (string | number)[]; text: string; class: string | null }[] {
  if (block === undefined) return [];
  if (Array.isArray(block)) return block.map((text, i) => ({ path: ['slo', i], text, class: null }));
  const out = (block.all ?? []).map((text, i) => ({ path: ['slo', 'all', i] as (string | number)[], text, class: null as string | null }));
  for (const [cls, list] of Object.entries(block.classes ?? {})) list.forEach((text, i) => out.push({ path: ['slo', 'classes', cls, i], text, class: cls }));
  return out;
}

function checkSlo(w: { slo?: SloBlock; classes: { name: string }[]; phases: { name: string; cache?: string }[] }, ctx: z.RefinementCtx): void {
  const classNames = w.classes.map((c) => c.name);
  const phaseNames = w.phases.flatMap((p) => (p.cache === 'both' ? [p.name, `${p.name}-cold`, `${p.name}-warm`] : [p.name]));
  if (w.slo !== undefined && !Array.isArray(w.slo)) {
    for (const cls of Object.keys(w.slo.classes ?? {})) {
      if (!classNames.includes(cls)) ctx.addIssue({ code: 'custom', path: ['slo', 'classes', cls], message: `no class "${cls}" in this workload (classes: ${classNames.join(', ')})` });
    }
    if (w.slo.goodput !== undefined) {
      try {
        parseGoodput(w.slo.goodput);
      } catch (err) {
        if (!(err instanceof SloSyntaxError)) throw err;
        ctx.addIssue({ code: 'custom', path: ['slo', 'goodput'], message: `${err.message}\n${caretLines(w.slo.goodput, err.offset, err.length, '    ')}` });
      }
    }
  }
  for (const e of sloEntries(w.slo)) {
    try {
      const slo = parseSlo(e.text);
      if (e.class !== null && slo.class !== null && slo.class !== e.class) {
        ctx.addIssue({ code: 'custom', path: e.path, message: `class=${slo.class} inside slo.classes.${e.class}: move it to slo.classes.${slo.class} or drop the scope` });
      }
      if (slo.class !== null && !classNames.includes(slo.class)) {
        ctx.addIssue({ code: 'custom', path: e.path, message: `class=${slo.class}: no such class (classes: ${classNames.join(', ')})` });
      }
      if (slo.phase !== null && !phaseNames.includes(slo.phase)) {
        ctx.addIssue({ code: 'custom', path: e.path, message: `phase=${slo.phase}: no such phase (phases: ${phaseNames.join(', ')})` });
      }
    } catch (err) {
      if (!(err instanceof SloSyntaxError)) throw err;
      ctx.addIssue({ code: 'custom', path: e.path, message: `${err.message}\n${caretLines(e.text.trim(), err.offset, err.length, '    ')}` });
    }
  }
}

export const WorkloadSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z.number().int().nonnegative().default(1),
  defaults: DefaultsSchema.default({}),
  classes: z.array(ClassSchema).min(1, 'a workload needs at least one class').max(MAX_CLASSES, atMost(MAX_CLASSES, 'classes')),
  phases: z.array(PhaseSchema).min(1, 'a workload needs at least one phase').max(MAX_PHASES, atMost(MAX_PHASES, 'phases')),
  /** Promotion gates: SLOs for all classes and per class, and the per-request criteria of goodput. */
  slo: SloBlockSchema.optional(),
}).superRefine((w, ctx) => {
  const names = new Set<string>();
  w.classes.forEach((c, i) => {
    if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['classes', i, 'name'], message: `duplicate class name "${c.name}"` });
    names.add(c.name);
  });
  if (w.classes.reduce((s, c) => s + c.weight, 0) <= 0) {
    ctx.addIssue({ code: 'custom', path: ['classes'], message: 'class weights sum to 0; give at least one class a positive weight' });
  }
  const phaseNames = new Set<string>();
  w.phases.forEach((p, i) => {
    if (phaseNames.has(p.name)) ctx.addIssue({ code: 'custom', path: ['phases', i, 'name'], message: `duplicate phase name "${p.name}"` });
    phaseNames.add(p.name);
  });
  w.phases.forEach((p, i) => {
    if (p.cache !== 'both') return;
    for (const made of [`${p.name}-cold`, `${p.name}-warm`]) {
      if (phaseNames.has(made)) ctx.addIssue({ code: 'custom', path: ['phases', i, 'cache'], message: `cache: both makes a phase "${made}", which another phase is already called; rename one` });
    }
  });
  checkSlo(w, ctx);
});
export type Workload = z.infer<typeof WorkloadSchema>;

/**
 * A `cache: both` phase becomes two phases with the same load, `<name>-cold` then `<name>-warm`
 * (the loader calls this once after parsing; SLOs scoped phase=<name> apply to both, see phaseInScope).
 */
export function expandCachePhases(w: Workload): Workload {
  if (!w.phases.some((p) => p.cache === 'both')) return w;
  const phases = w.phases.flatMap((p): Phase[] =>
    p.cache === 'both' ? [{ ...p, name: `${p.name}-cold`, cache: 'cold' }, { ...p, name: `${p.name}-warm`, cache: 'warm' }] : [p],
  );
  return { ...w, phases };
}
export type WorkloadInput = z.input<typeof WorkloadSchema>;
