// The result file: versioned, self-describing, validated with zod on read. Summaries are derived
// from the encoded histograms, which are the truth: any percentile can be recomputed and runs merged.
import { z } from 'zod';
import { METRIC_KEYS } from '../metrics/accumulator.js';
import { TimeseriesPointSchema } from '../metrics/timeseries.js';
import { LoadSchema } from '../schedule/phases.js';
import { ERROR_CLASSES } from '../client/record.js';
import { GatesSchema, GroupGoodputSchema, SloCheckSchema } from './gates-schema.js';
import { CostSchema } from '../cost/cost.js';
import { EngineMetaShape } from '../provenance/schema.js';
import { ServerMetricsSchema } from '../servermetrics/summary.js';
import type { SweepAnswer } from '../sweep/answer.js';

export const RESULT_FORMAT = 'loadshape-result';
export const RESULT_VERSION = 1;

export const MetricSchema = z.object({
  count: z.number(),
  meanMs: z.number(),
  minMs: z.number(),
  p50Ms: z.number(),
  p90Ms: z.number(),
  p95Ms: z.number(),
  p99Ms: z.number(),
  p999Ms: z.number(),
  maxMs: z.number(),
  /** HdrHistogram, integer microseconds, compressed base64 (the HdrHistogram encoding every implementation reads). */
  hdr: z.string(),
});
export type MetricResult = z.infer<typeof MetricSchema>;

/** `too_large` is absent in files older than the answer cap. */
const ValiditySchema = z.object({ valid: z.number(), not_json: z.number(), schema_invalid: z.number(), truncated: z.number(), too_large: z.number().optional() });

/** One position in a conversation (multi-turn and round-trip classes): "turn 3", or the tool results after it. */
export const TurnSchema = z.object({
  /** 1-based user turn. */
  turn: z.number(),
  /** The requests that sent back tool results after that turn's tool calls. */
  toolFollowUp: z.boolean(),
  requests: z.number(),
  ok: z.number(),
  /** Prompt tokens of the successful requests, summed (each is the conversation so far; by usage where the server gave it). */
  promptTokens: z.number(),
  ttftMs: MetricSchema,
});
export type TurnResult = z.infer<typeof TurnSchema>;

export const GroupSchema = z.object({
  /** Class name, or "*" for all classes of the phase. */
  class: z.string(),
  requests: z.number(),
  ok: z.number(),
  errors: z.number(),
  errorsByClass: z.partialRecord(z.enum(ERROR_CLASSES), z.number()),
  /** Sweep steps: requests the sweep itself cancelled at the step's end, kept out of requests and errors. */
  cancelledByStepEnd: z.number().optional(),
  errorRate: z.number(),
  promptTokens: z.number(),
  outputTokens: z.number(),
  outputTokensFromUsage: z.number(),
  outputTokensFromChunks: z.number(),
  /** Requests whose usage held an impossible count, so their tokens were counted from the stream (absent in older files). */
  usageInvalid: z.number().optional(),
  /** Requests whose usage and streamed chunk count differ by more than a factor of 2 (absent in older files). */
  usageMismatch: z.number().optional(),
  /** Stream errors by kind, where the kind matters (`no_finish_reason`, `error_field`); absent when none, and in older files. */
  errorDetails: z.record(z.string(), z.number()).optional(),
  validity: ValiditySchema,
  /** valid / judged, or null when nothing in the group was judged. */
  validityRate: z.number().nullable(),
  finishReasons: z.record(z.string(), z.number()),
  endedEarly: z.number(),
  /** Attempts that failed with a `--retry` status and were retried, by status; not counted in `requests` (absent in older files). */
  retries: z.object({ attempts: z.number(), byStatus: z.record(z.string(), z.number()) }).optional(),
  throughput: z.object({ requestsPerS: z.number(), inputTokensPerS: z.number(), outputTokensPerS: z.number() }),
  /** Good requests under the run's per-request criteria (--goodput / slo.goodput); absent without criteria. */
  goodput: GroupGoodputSchema.optional(),
  /** Conversation classes (session / round_trip): TTFT by position in the conversation, in order (absent otherwise). */
  turns: z.array(TurnSchema).optional(),
  /** Request body bytes sent, all requests of the group (the upload; absent in older files). */
  requestBytes: z.number().optional(),
  /** Image classes: requests with images, images sent and their encoded bytes (absent otherwise). */
  images: z.object({ requests: z.number(), images: z.number(), imageBytes: z.number() }).optional(),
  /**
   * Prefix cache, successful requests: the server-reported cached tokens (usage.prompt_tokens_details)
   * of the requests that reported them, beside the prompt tokens the classes meant to share (absent when neither).
   */
  cache: z.object({
    reported: z.number(),
    reportedPromptTokens: z.number(),
    cachedTokens: z.number(),
    /** cachedTokens / reportedPromptTokens; null when no request reported. */
    cachedFraction: z.number().nullable(),
    sharedTokens: z.number(),
    /** sharedTokens / promptTokens: the sharing the workload intended (client side). */
    intendedSharedFraction: z.number().nullable(),
  }).optional(),
  /** Reasoning, successful requests that had any: tokens (and their source) and the answer-only TPOT (absent otherwise). */
  reasoning: z.object({
    requests: z.number(),
    reasoningTokens: z.number(),
    fromUsage: z.number(),
    fromChunks: z.number(),
    answerTpotMs: MetricSchema,
  }).optional(),
  metrics: z.object(Object.fromEntries(METRIC_KEYS.map((k) => [k, MetricSchema])) as Record<(typeof METRIC_KEYS)[number], typeof MetricSchema>),
});
export type GroupResult = z.infer<typeof GroupSchema>;

export { LoadSchema };

export const PhaseResultSchema = z.object({
  index: z.number(),
  name: z.string(),
  record: z.boolean(),
  load: LoadSchema,
  startedAtMs: z.number(),
  endedAtMs: z.number(),
  durationS: z.number(),
  /** Requests the schedule asked for / actually sent / never sent because the phase ended first. */
  scheduled: z.number(),
  sent: z.number(),
  dropped: z.number(),
  /** Open loop: requests sent per second of the scheduled window, against the asked rate. */
  achievedRateRps: z.number().nullable(),
  /**
   * Requests sent, every turn of a conversation included (absent in older files). The counts above
   * count arrivals: for conversation classes, a conversation counts once there.
   */
  requestsSent: z.number().optional(),
  /** Groups: the all-classes group ("*") first, then one per class. Empty for warm-up phases. */
  groups: z.array(GroupSchema),
});
export type PhaseResult = z.infer<typeof PhaseResultSchema>;

export { TimeseriesPointSchema };

/** Latency figures of one stretch of the run (the first second, or the rest), for a cold start to show beside the rest. */
export const StretchFiguresSchema = z.object({
  /** Requests scheduled in the stretch (recorded phases and cold ones alike). */
  requests: z.number(),
  /** Pacer lateness of sends with a free slot in the stretch. */
  dispatchLagP99Ms: z.number(),
  /** Schedule-to-send delay of the stretch's requests (includes waits for a slot). */
  queueP99Ms: z.number(),
  /** TTFT as measured; its error against the server's truth is the bench's to measure (scripts/bench-loop.ts). */
  ttftP99Ms: z.number().nullable(),
});
export type StretchFigures = z.infer<typeof StretchFiguresSchema>;

/**
 * The measuring loop's own health: GC pauses of the measuring process, its longest synchronous task,
 * and the first second of the run beside the rest (absent in older files). Merged processes: counts
 * add up, p99s and maxima take the worst process.
 */
export const LoopHealthSchema = z.object({
  gcPauses: z.object({ count: z.number(), totalMs: z.number(), p99Ms: z.number(), maxMs: z.number() }),
  /** Longest the loop was held by one task: the worst event-loop delay (resolution subtracted). */
  longestTaskMs: z.number(),
  /** Request-body builds (prompt synthesis, tokenization, serialisation) timed one by one. */
  bodyBuild: z.object({ count: z.number(), p99Ms: z.number(), maxMs: z.number() }),
  firstSecond: StretchFiguresSchema.nullable(),
  afterFirstSecond: StretchFiguresSchema.nullable(),
});
export type LoopHealth = z.infer<typeof LoopHealthSchema>;

export const ClientHealthSchema = z.object({
  eventLoopDelayP50Ms: z.number(),
  eventLoopDelayP99Ms: z.number(),
  eventLoopDelayMaxMs: z.number(),
  /** Pacer lateness of requests that had a free slot: delay the harness itself caused. */
  dispatchLagP99Ms: z.number(),
  /** Share of wall time the harness's event loop was busy (1 = no idle time: saturated). */
  eventLoopUtilization: z.number(),
  /** CPU of the whole process in % of one core (includes the embedded simulator's thread when used). */
  cpuPercent: z.number(),
  peakRssMb: z.number(),
  /** `--max-client-lag` when not the default 10 ms: the lag above which the run counts as saturated. */
  lagLimitMs: z.number().optional(),
  saturated: z.boolean(),
  reasons: z.array(z.string()),
  /**
   * Why a saturated client lagged (absent when not saturated, and in older files): 'overloaded' = its
   * own work took the CPU; 'starved' = other processes took the CPU it needed (client-verdict.ts has
   * the rule). Both invalidate timing.
   */
  reason: z.enum(['overloaded', 'starved']).optional(),
  /** What the numbers behind `reason` show, and what to do about it. */
  reasonDetail: z.string().optional(),
  advice: z.string().optional(),
  /** The main thread's CPU time and run-queue wait over the run (Linux /proc/self/schedstat; absent elsewhere). */
  sched: z.object({ wallMs: z.number(), threadCpuMs: z.number(), runQueueWaitMs: z.number() }).optional(),
  /** Per second of run time: worst event-loop delay and dispatch lag (absent in older files). */
  lagSeconds: z.array(z.object({ tS: z.number(), loopDelayMaxMs: z.number(), dispatchLagMaxMs: z.number() })).optional(),
  /** First and worst seconds of lag, from lagSeconds: a cold start or the whole run. */
  lagWhen: z
    .object({ secondsOver: z.number(), firstS: z.number().nullable(), firstMs: z.number().nullable(), worstS: z.number().nullable(), worstMs: z.number().nullable() })
    .optional(),  loop: LoopHealthSchema.optional(),
});

/**
 * `loadshape sweep`'s answer, stored in its result file: the schema of the SweepAnswer that
 * src/sweep/answer.ts builds (and `sweep --json` prints), checked against that type below so the two
 * cannot drift apart. One addition: each step's `checks`, every SLO's measured value on the step.
 */
const SweepLoadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('closed'), concurrency: z.number() }),
  z.object({ kind: z.literal('open'), rateRps: z.number() }),
]);

export const SweepStepSchema = z.object({
  index: z.number(),
  /** The step's phase in this file. */
  phase: z.string(),
  role: z.enum(['baseline', 'probe', 'grid', 'bisect', 'recheck']),
  /** The offered load: closed-loop concurrency or open-loop rate. */
  load: SweepLoadSchema,
  durationS: z.number(),
  requests: z.number(),
  /** The completed rate: successful completions over the step's steady window (docs/metrics.md, "Rates"). */
  achievedRps: z.number(),
  offeredRps: z.number().nullable().optional(),
  sentRps: z.number().nullable().optional(),
  /** The harness lagged during the step: it cannot be the answer. */
  clientSaturated: z.boolean().optional(),
  clientWhy: z.string().optional(),
  outputTps: z.number(),
  ttftP50Ms: z.number().nullable(),
  ttftP95Ms: z.number().nullable(),
  ttftP99Ms: z.number().nullable(),
  tpotP95Ms: z.number().nullable(),
  e2eP50Ms: z.number().nullable(),
  errorRate: z.number(),
  pass: z.boolean(),
  saturated: z.boolean(),
  /** The SLOs the step broke, with the measured value. */
  failed: z.array(z.string()),
  /** Why the step ended: "steady: …", "saturated: …", "max-duration: …". */
  stop: z.string(),
  /**
   * Every SLO judged on the step, one per entry of the sweep's `slos`, in that order: the expression
   * as written, its class ("*" = all), the measured value (ms, fraction or per second; null: no data).
   */
  checks: z.array(SloCheckSchema.pick({ slo: true, class: true, measured: true, pass: true })).optional(),
});

export const SweepSchema = z.object({
  by: z.enum(['rate', 'concurrency']),
  /** The highest load that held: its offered rate (rate sweeps) or its measured req/s (concurrency sweeps); 0 when none held. */
  maxRateRps: z.number(),
  maxOutputTps: z.number(),
  maxConcurrency: z.number().nullable(),
  achievedRps: z.number(),
  bestPhase: z.string().nullable(),
  /** The SLOs that bounded the search, as texts ("ttft.p95 < 500ms", "error_rate < 1% class=rag"). */
  slos: z.array(z.string()),
  boundedBy: z.array(z.string()),
  /** "max 14.1 req/s (282 output tok/s) with ttft.p95 < 100ms and error_rate < 1%" */
  sentence: z.string(),
  knee: z.object({ phase: z.string(), load: z.number(), achievedRps: z.number() }).nullable(),
  stoppedBy: z.enum(['converged', 'max-steps', 'baseline-failed', 'probe-passed']),
  steps: z.array(SweepStepSchema),
  /** Per class at the best load ("all" first). */
  classes: z.array(
    z.object({
      class: z.string(),
      requests: z.number(),
      achievedRps: z.number(),
      outputTps: z.number(),
      ttftP50Ms: z.number().nullable(),
      ttftP95Ms: z.number().nullable(),
      tpotP95Ms: z.number().nullable(),
      errorRate: z.number(),
    }),
  ),
  resultFile: z.string().nullable(),
});
export type SweepResult = z.infer<typeof SweepSchema>;

// Compile-time: the stored form and answer.ts's SweepAnswer are the same shape (up to the optional
// per-step `checks`). A field added to SweepAnswer must be added here, or zod would drop it on read.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Exact<A, B> = Same<keyof A, keyof B>;
const sweepMatchesAnswer: Same<SweepAnswer, SweepResult> &
  Exact<SweepAnswer, SweepResult> &
  Exact<SweepAnswer['steps'][number], Omit<SweepResult['steps'][number], 'checks'>> &
  Exact<SweepAnswer['classes'][number], SweepResult['classes'][number]> = true;
void sweepMatchesAnswer;

export const ResultSchema = z.object({
  format: z.literal(RESULT_FORMAT),
  version: z.literal(RESULT_VERSION),
  meta: z.object({
    runId: z.string(),
    loadshapeVersion: z.string(),
    startedAt: z.string(),
    endedAt: z.string(),
    durationS: z.number(),
    workload: z.object({ name: z.string(), file: z.string(), sha256: z.string(), text: z.string(), seed: z.number() }),
    target: z.object({ url: z.string(), simulated: z.boolean(), simulator: z.record(z.string(), z.unknown()).nullable() }),
    model: z.string(),
    tokenizer: z.string(),
    labels: z.record(z.string(), z.string()),
    /** Command line with secrets redacted. */
    argv: z.array(z.string()),
    node: z.string(),
    host: z.object({ platform: z.string(), arch: z.string(), cpuModel: z.string(), cpus: z.number(), memoryGb: z.number() }),
    interrupted: z.boolean(),
    /** A checkpoint written during the run (`--checkpoint`): the run had not finished (absent in older files). */
    checkpoint: z.boolean().optional(),
    /** Engine side (absent in older files): /v1/models, server headers and version endpoints; --recipe with its sha256; --wait-ready. */
    ...EngineMetaShape,
    /** `--shard i/N`: this file holds requests i, i+N, … of every phase's schedule. */
    shard: z.object({ index: z.number(), count: z.number() }).optional(),
    /** When the run clock started (epoch ms, µs precision); absent in older files. */
    clockStartedAtEpochMs: z.number().optional(),
    /**
     * The warm start before the clock started (absent with --no-warm-start and in older files):
     * connections opened ahead (0 when the endpoint does not keep them alive), and the time it took.
     */
    warmStart: z.object({ connections: z.number(), keepAlive: z.boolean(), rehearsed: z.number().optional(), ms: z.number() }).optional(),
    /** A merged result: how far apart (ms) the clocks of the results it merged started. */
    startSpreadMs: z.number().optional(),
    /** Run ids (or file names) this result was merged from. */
    mergedFrom: z.array(z.string()).optional(),
  }),
  client: ClientHealthSchema,
  /** True when the harness itself lagged: such numbers are not to be trusted. */
  clientSaturated: z.boolean(),
  phases: z.array(PhaseResultSchema),
  timeseries: z.object({ intervalMs: z.number(), points: z.array(TimeseriesPointSchema) }),
  /** The first few messages per error class, in the server's words (secrets never included). */
  errorSamples: z.partialRecord(z.enum(ERROR_CLASSES), z.array(z.string())),
  /** The first few validity failures per class with ajv's reason. */
  validitySamples: z.record(z.string(), z.array(z.string())),
  /** SLOs, run-validity checks, baseline regression and the verdict (`run` with gates; absent otherwise). */
  gates: GatesSchema.optional(),
  /** Engine /metrics and GPU exporters scraped during the run (--server-metrics; absent when none answered). */
  serverMetrics: ServerMetricsSchema.optional(),
  /** Cost per phase from the recipe's $ per GPU-hour or --cost-per-hour (absent without a price). */
  cost: CostSchema.optional(),
  /** `loadshape sweep`: the answer (max load, SLOs, knee, per-step pass/fail, per-class breakdown); absent otherwise. */
  sweep: SweepSchema.optional(),
});
export type RunResult = z.infer<typeof ResultSchema>;
