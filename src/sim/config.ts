// Simulator settings (pure): the four profiles and their defaults, the YAML config file's schema
// (snake_case keys, validated with zod), fault specs and the `--fault type:key=value,...` syntax.
// The commands read files and flags; this module turns them into one resolved SimSettings.
import { z } from 'zod';

export const PROFILES = ['fixed', 'continuous-batching', 'prefix-cache', 'blocking'] as const;
export type ProfileName = (typeof PROFILES)[number];

export const FAULT_TYPES = [
  'http_500', // HTTP 500 with an OpenAI-style JSON error body
  'http_429', // HTTP 429 with Retry-After
  'loading_503', // HTTP 503 to every request during the first `seconds` after start
  'reset', // the connection is destroyed before any response byte
  'cut', // the stream's socket is destroyed after `at_token` tokens
  'stream_error', // an error object inside the HTTP 200 stream after `at_token` tokens, then [DONE]
  'malformed', // a chunk that is not JSON after `at_token` tokens (the stream then goes on)
  'stall', // no bytes for `seconds` after `at_token` tokens, then the stream resumes
  'slow_first_byte', // the response starts `seconds` late
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export interface FaultSpec {
  type: FaultType;
  /** Probability per request, drawn from the simulator's seeded rng. */
  rate?: number;
  /** Deterministic: every Nth generation request (the Nth, 2Nth, ...). */
  every?: number;
  /** stall, slow_first_byte: how long; loading_503: the loading period from start. */
  seconds?: number;
  /** Mid-stream faults: after how many tokens (default: half the output, at least 1). */
  atToken?: number;
}

/** Rates (0..1) at which structured outputs come out wrong; each request draws once. */
export interface StructuredFaults {
  invalidJson: number;
  schemaViolation: number;
  truncated: number;
  unknownTool: number;
  badToolArguments: number;
}

export interface SimSettings {
  profile: ProfileName;
  model: string;
  /** Seeds the fault and structured-output draws. */
  seed: number;
  defaultMaxTokens: number;
  maxModelLen: number;
  // fixed profile
  ttftMs: number;
  itlMs: number;
  /** fixed: added to TTFT per prompt token; engines: prefill cost per prompt token computed. */
  prefillMsPerToken: number;
  // engine profiles (see engine.ts EngineParams)
  decodeBaseMs: number;
  decodePerSeqMs: number;
  decodePerKContextMs: number;
  prefillChunkTokens: number;
  longPrefillTokens: number;
  maxRunningSeqs: number;
  kvBudgetTokens: number;
  preemption: boolean;
  blockTokens: number;
  /** 0: kvBudgetTokens / blockTokens. */
  prefixCacheBlocks: number;
  /** blocking: parallel slots. */
  slots: number;
  faults: FaultSpec[];
  structured: StructuredFaults;
  /** false plays a text-only model: image_url parts get HTTP 400, as vLLM answers for one. */
  vision: boolean;
  /** Image tokens: ceil(width / imagePatchPx) × ceil(height / imagePatchPx) per image (28: Qwen2-VL's 14-px patches merged 2×2). */
  imagePatchPx: number;
  /** A reasoning model: this many reasoning tokens (delta.reasoning_content) before the answer, within max_tokens; 0: none. */
  reasoningTokens: number;
  /** Report completion_tokens_details.reasoning_tokens in usage (false: as engines that leave it out). */
  reasoningInUsage: boolean;
}

const NO_STRUCTURED_FAULTS: StructuredFaults = { invalidJson: 0, schemaViolation: 0, truncated: 0, unknownTool: 0, badToolArguments: 0 };

/**
 * Defaults. Engine costs are plausible for a 7-8B model in bf16 on one H100-class GPU:
 * a decode step reads the ~16 GB of weights (~5 ms at ~3 TB/s) plus overheads → 8 ms; each
 * sequence adds sampling/bookkeeping (0.05 ms) and reads its KV cache (128 KiB per token for
 * Llama-3-8B → ~0.04 ms per 1,000 context tokens); prefill is compute-bound at ~16 GFLOP per token
 * → ~0.02 ms per prompt token at ~800 TFLOP/s (H100 bf16 at ~80 % MFU on large chunks), in steps of
 * at most 2,048 prompt tokens and 1,024 per sequence; 256 sequences
 * at most and a KV cache of 200k tokens (~26 GB) as vLLM would size it beside the weights.
 */
export const BASE_SETTINGS: Readonly<SimSettings> = {
  profile: 'continuous-batching',
  model: 'loadshape-sim',
  seed: 1,
  defaultMaxTokens: 256,
  maxModelLen: 131072,
  ttftMs: 50,
  itlMs: 10,
  prefillMsPerToken: 0.02,
  decodeBaseMs: 8,
  decodePerSeqMs: 0.05,
  decodePerKContextMs: 0.04,
  prefillChunkTokens: 2048,
  longPrefillTokens: 1024,
  maxRunningSeqs: 256,
  kvBudgetTokens: 200_000,
  preemption: true,
  blockTokens: 16,
  prefixCacheBlocks: 0,
  slots: 1,
  faults: [],
  structured: NO_STRUCTURED_FAULTS,
  vision: true,
  imagePatchPx: 28,
  reasoningTokens: 0,
  reasoningInUsage: true,
};

/** What each profile changes from BASE_SETTINGS. */
export const PROFILE_DEFAULTS: Record<ProfileName, Partial<SimSettings>> = {
  // The exact-schedule server the timing tests rely on: TTFT = 50 ms + 0.02 ms/prompt token, 10 ms/token.
  fixed: { prefillMsPerToken: 0.02 },
  'continuous-batching': {},
  'prefix-cache': {},
  // Ollama-like: one slot unless told otherwise.
  blocking: {},
};

export const usesEngine = (p: ProfileName): boolean => p !== 'fixed';

// ---- the YAML config file -------------------------------------------------------------------

const rate = z.number().min(0).max(1);
const FaultFile = z
  .object({
    type: z.enum(FAULT_TYPES),
    rate: rate.optional(),
    every: z.number().int().min(1).optional(),
    seconds: z.number().min(0).optional(),
    at_token: z.number().int().min(1).optional(),
  })
  .strict();

const ConfigFile = z
  .object({
    profile: z.enum(PROFILES).optional(),
    model: z.string().min(1).optional(),
    seed: z.number().int().optional(),
    default_max_tokens: z.number().int().min(1).optional(),
    max_model_len: z.number().int().min(1).optional(),
    ttft_ms: z.number().min(0).optional(),
    itl_ms: z.number().min(0).optional(),
    prefill_ms_per_token: z.number().min(0).optional(),
    decode_base_ms: z.number().min(0).optional(),
    decode_per_seq_ms: z.number().min(0).optional(),
    decode_per_k_context_ms: z.number().min(0).optional(),
    prefill_chunk_tokens: z.number().int().min(1).optional(),
    long_prefill_tokens: z.number().int().min(0).optional(),
    max_running_seqs: z.number().int().min(1).optional(),
    kv_budget_tokens: z.number().int().min(1).optional(),
    preemption: z.boolean().optional(),
    block_tokens: z.number().int().min(1).optional(),
    prefix_cache_blocks: z.number().int().min(0).optional(),
    slots: z.number().int().min(1).optional(),
    vision: z.boolean().optional(),
    image_patch_px: z.number().int().min(1).optional(),
    reasoning_tokens: z.number().int().min(0).optional(),
    reasoning_in_usage: z.boolean().optional(),
    faults: z.array(FaultFile).optional(),
    structured: z
      .object({
        invalid_json: rate.optional(),
        schema_violation: rate.optional(),
        truncated: rate.optional(),
        unknown_tool: rate.optional(),
        bad_tool_arguments: rate.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function faultFromFile(f: z.infer<typeof FaultFile>): FaultSpec {
  const out: FaultSpec = { type: f.type };
  if (f.rate !== undefined) out.rate = f.rate;
  if (f.every !== undefined) out.every = f.every;
  if (f.seconds !== undefined) out.seconds = f.seconds;
  if (f.at_token !== undefined) out.atToken = f.at_token;
  return out;
}

/** Parses a config file's already-loaded YAML/JSON value; throws an Error naming the bad field. */
export function parseConfig(value: unknown, source: string): Partial<SimSettings> {
  const parsed = ConfigFile.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new Error(`${source}: ${where}: ${issue.message}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed.data)) {
    if (v === undefined || k === 'faults' || k === 'structured') continue;
    out[camel(k)] = v;
  }
  if (parsed.data.faults) out.faults = parsed.data.faults.map(faultFromFile);
  if (parsed.data.structured) {
    const s: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed.data.structured)) if (v !== undefined) s[camel(k)] = v;
    out.structured = { ...NO_STRUCTURED_FAULTS, ...s };
  }
  const settings = out as Partial<SimSettings>;
  for (const f of settings.faults ?? []) checkFault(f, source);
  return settings;
}

/** `type`, or `type:key=value,key=value` with keys rate, every, seconds, at_token. */
export function parseFaultFlag(text: string): FaultSpec {
  const [type, rest] = text.split(':', 2) as [string, string | undefined];
  if (!(FAULT_TYPES as readonly string[]).includes(type)) {
    throw new Error(`--fault: unknown fault type "${type}"; expected one of ${FAULT_TYPES.join(', ')}`);
  }
  const fault: FaultSpec = { type: type as FaultType };
  for (const pair of (rest ?? '').split(',').filter((p) => p !== '')) {
    const [key, raw] = pair.split('=', 2);
    const n = Number(raw);
    if (raw === undefined || raw === '' || !Number.isFinite(n)) throw new Error(`--fault ${text}: "${pair}" is not key=number`);
    if (key === 'rate') fault.rate = n;
    else if (key === 'every') fault.every = n;
    else if (key === 'seconds') fault.seconds = n;
    else if (key === 'at_token') fault.atToken = n;
    else throw new Error(`--fault ${text}: unknown key "${key}"; expected rate, every, seconds or at_token`);
  }
  checkFault(fault, `--fault ${text}`);
  return fault;
}

function checkFault(f: FaultSpec, source: string): void {
  if (f.rate !== undefined && !(f.rate >= 0 && f.rate <= 1)) throw new Error(`${source}: rate must be in [0, 1], got ${f.rate}`);
  if (f.every !== undefined && !(Number.isInteger(f.every) && f.every >= 1)) throw new Error(`${source}: every must be a positive integer, got ${f.every}`);
  if (f.atToken !== undefined && !(Number.isInteger(f.atToken) && f.atToken >= 1)) throw new Error(`${source}: at_token must be a positive integer`);
  if (f.seconds !== undefined && !(f.seconds >= 0)) throw new Error(`${source}: seconds must be >= 0`);
  if (f.type === 'loading_503') {
    if (f.seconds === undefined) throw new Error(`${source}: loading_503 needs seconds (how long the model is "loading")`);
    return;
  }
  if ((f.type === 'stall' || f.type === 'slow_first_byte') && f.seconds === undefined) {
    throw new Error(`${source}: ${f.type} needs seconds`);
  }
  if (f.rate === undefined && f.every === undefined) throw new Error(`${source}: ${f.type} needs rate or every`);
}

/**
 * Layers profile defaults, the config file and flags (later wins). The profile comes from the
 * flags, else the file, else `implicitProfile` (fixed when only fixed-profile timings were given).
 */
export function resolveSettings(layers: {
  file?: Partial<SimSettings>;
  flags?: Partial<SimSettings>;
  implicitProfile?: ProfileName;
}): SimSettings {
  const file = stripUndefined(layers.file ?? {});
  const flags = stripUndefined(layers.flags ?? {});
  const profile = flags.profile ?? file.profile ?? layers.implicitProfile ?? BASE_SETTINGS.profile;
  const merged: SimSettings = { ...BASE_SETTINGS, ...PROFILE_DEFAULTS[profile], ...file, ...flags, profile };
  merged.faults = [...(file.faults ?? []), ...(flags.faults ?? [])];
  checkSettings(merged);
  return merged;
}

export function checkSettings(s: SimSettings): void {
  if (!(PROFILES as readonly string[]).includes(s.profile)) throw new RangeError(`profile must be one of ${PROFILES.join(', ')}, got ${s.profile}`);
  const nonNegative = ['ttftMs', 'itlMs', 'prefillMsPerToken', 'decodeBaseMs', 'decodePerSeqMs', 'decodePerKContextMs'] as const;
  for (const k of nonNegative) if (!Number.isFinite(s[k]) || s[k] < 0) throw new RangeError(`${k} must be a non-negative number, got ${s[k]}`);
  const positiveInts = ['defaultMaxTokens', 'maxModelLen', 'prefillChunkTokens', 'maxRunningSeqs', 'kvBudgetTokens', 'blockTokens', 'slots', 'imagePatchPx'] as const;
  if (!Number.isInteger(s.reasoningTokens) || s.reasoningTokens < 0) throw new RangeError(`reasoningTokens must be a non-negative integer, got ${s.reasoningTokens}`);
  for (const k of positiveInts) if (!Number.isInteger(s[k]) || s[k] < 1) throw new RangeError(`${k} must be a positive integer, got ${s[k]}`);
  if (usesEngine(s.profile) && s.decodeBaseMs + s.decodePerSeqMs <= 0) {
    throw new RangeError('decodeBaseMs + decodePerSeqMs must be positive: a zero-cost step would never let time pass');
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
