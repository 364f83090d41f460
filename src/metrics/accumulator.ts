// The accumulator: records in, histograms and counters out, per phase × class and per phase over all
// classes. Latency histograms take successful requests only (a refused request has no TTFT worth
// mixing in); errors are counted by class beside them. Nothing per request is kept.
import type { ErrorClass, RequestRecord, Validity } from '../client/record.js';
import { newHistogram, recordMs, type Histogram } from './histogram.js';
import { isGood, type GoodputCriteria } from '../slo/goodput.js';

export const METRIC_KEYS = [
  'ttftMs',
  'firstChunkMs',
  'tpotMs',
  'interChunkMs',
  'e2eMs',
  'queueMs',
  'ttftFromScheduleMs',
  'e2eFromScheduleMs',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** The class key for "all classes of this phase". */
export const ALL_CLASSES = '*';

export interface GroupCounters {
  /** Requests that finished (ok or error). */
  requests: number;
  ok: number;
  errors: number;
  errorsByClass: Partial<Record<ErrorClass, number>>;
  promptTokens: number;
  outputTokens: number;
  /** How many successful requests had their output length from usage vs counted chunks. */
  outputTokensFromUsage: number;
  outputTokensFromChunks: number;
  /** Requests whose usage held an impossible count (negative, fractional, huge, not a number): their tokens were counted from the stream. */
  usageInvalid: number;
  /** Requests whose usage and streamed output chunks differ by more than a factor of 2 (a count to look at, not an error). */
  usageMismatch: number;
  /** Stream errors of a kind users need to tell apart (`no_finish_reason`, `error_field`), by kind. */
  errorDetails: Record<string, number>;
  validity: Record<Validity, number>;
  finishReasons: Record<string, number>;
  /** Successful requests that ended before their max_tokens for a reason other than length. */
  endedEarly: number;
  /** Attempts that failed and were retried (`--retry`), by HTTP status; not in `requests`. */
  retries: { attempts: number; byStatus: Record<string, number> };
  /** With goodput criteria: requests that met them (`good`), and of those the ones with valid or unjudged output. */
  good: number;
  validGood: number;
  /** Request body bytes, every request (the upload; absent from records older than it: 0). */
  requestBytes: number;
  /** Requests that carried images, the images and their encoded bytes. */
  imageRequests: number;
  images: number;
  imageBytes: number;
  /** Successful requests whose usage reported cached tokens, their prompt tokens and the cached ones. */
  cacheReported: number;
  cacheReportedPromptTokens: number;
  cachedTokens: number;
  /** Prompt tokens the classes meant to share (successful requests). */
  sharedTokens: number;
  /** Successful requests with reasoning, their reasoning tokens, and where the count came from. */
  reasoningRequests: number;
  reasoningTokens: number;
  reasoningFromUsage: number;
  reasoningFromChunks: number;
}

/** One position in a conversation (user turn N, or the tool results that follow it), across conversations. */
export interface TurnStats {
  turn: number;
  toolFollowUp: boolean;
  requests: number;
  ok: number;
  /** Prompt tokens of the successful requests (the conversation so far): grows turn by turn. */
  promptTokens: number;
  ttftMs: Histogram;
}

/** Map key of a conversation position: "3", or "3+tool" for the tool results after user turn 3. */
export function turnKey(turn: number, toolFollowUp: boolean): string {
  return toolFollowUp ? `${turn}+tool` : String(turn);
}

export class GroupStats {
  readonly hist: Record<MetricKey, Histogram>;
  readonly counters: GroupCounters;
  /** Multi-turn and round-trip classes: TTFT by position in the conversation (empty otherwise). */
  readonly turns: Map<string, TurnStats>;
  /** Reasoning requests: TPOT of the answer alone (thinking excluded). */
  readonly answerTpotMs: Histogram;

  constructor(
    hist?: Record<MetricKey, Histogram>,
    counters?: GroupCounters,
    /** Per-request goodput criteria: each record is judged as it arrives and only the count is kept. */
    readonly goodput: GoodputCriteria | null = null,
    turns?: Map<string, TurnStats>,
    answerTpotMs?: Histogram,
  ) {
    this.answerTpotMs = answerTpotMs ?? newHistogram();
    this.hist = hist ?? (Object.fromEntries(METRIC_KEYS.map((k) => [k, newHistogram()])) as Record<MetricKey, Histogram>);
    this.counters = counters ?? emptyCounters();
    this.turns = turns ?? new Map();
  }

  add(r: RequestRecord, maxTokens: number | null): void {
    const c = this.counters;
    c.requests++;
    recordMs(this.hist.queueMs, r.queueMs);
    if (r.usageInvalid) c.usageInvalid++;
    if (r.usageMismatch) c.usageMismatch++;
    c.requestBytes += r.requestBytes ?? 0;
    if (r.images !== undefined) {
      c.imageRequests++;
      c.images += r.images;
      c.imageBytes += r.imageBytes ?? 0;
    }
    if (r.status === 'error') {
      c.errors++;
      const ec = r.errorClass as ErrorClass;
      c.errorsByClass[ec] = (c.errorsByClass[ec] ?? 0) + 1;
      if (r.errorDetail !== undefined) c.errorDetails[r.errorDetail] = (c.errorDetails[r.errorDetail] ?? 0) + 1;
      return;
    }
    c.ok++;
    const h = this.hist;
    if (r.ttftMs !== null) {
      recordMs(h.ttftMs, r.ttftMs);
      recordMs(h.ttftFromScheduleMs, r.ttftMs + r.queueMs);
    }
    if (r.firstChunkMs !== null) recordMs(h.firstChunkMs, r.firstChunkMs);
    if (r.tpotMs !== null) recordMs(h.tpotMs, r.tpotMs);
    if (r.e2eMs !== null) {
      recordMs(h.e2eMs, r.e2eMs);
      recordMs(h.e2eFromScheduleMs, r.e2eMs + r.queueMs);
    }
    c.promptTokens += r.promptTokens ?? 0;
    c.outputTokens += r.outputTokens ?? 0;
    if (r.outputTokensSource === 'usage') c.outputTokensFromUsage++;
    else if (r.outputTokensSource === 'chunks') c.outputTokensFromChunks++;
    if (r.validity) c.validity[r.validity]++;
    const fr = r.finishReason ?? 'none';
    c.finishReasons[fr] = (c.finishReasons[fr] ?? 0) + 1;
    if (maxTokens !== null && r.outputTokens !== null && r.outputTokens < maxTokens && r.finishReason !== 'length') {
      c.endedEarly++;
    }
    this.addCacheAndReasoning(r);
    if (this.goodput && isGood(r, this.goodput)) {
      c.good++;
      if (r.validity === null || r.validity === 'valid') c.validGood++;
    }
  }

  private addCacheAndReasoning(r: RequestRecord): void {
    const c = this.counters;
    c.sharedTokens += r.sharedTokens ?? 0;
    if (r.cachedTokens !== undefined) {
      c.cacheReported++;
      c.cacheReportedPromptTokens += r.promptTokens ?? 0;
      c.cachedTokens += r.cachedTokens;
    }
    if (r.reasoningTokens !== undefined) {
      c.reasoningRequests++;
      c.reasoningTokens += r.reasoningTokens;
      if (r.reasoningTokensSource === 'usage') c.reasoningFromUsage++;
      else c.reasoningFromChunks++;
      if (r.answerTpotMs != null) recordMs(this.answerTpotMs, r.answerTpotMs);
    }
  }

  gap(gapMs: number): void {
    recordMs(this.hist.interChunkMs, gapMs);
  }

  /** Counts a conversation request by its position (classes only: positions of different classes do not add up). */
  addTurn(r: RequestRecord): void {
    const follow = r.toolFollowUp === true;
    const key = turnKey(r.turn as number, follow);
    let t = this.turns.get(key);
    if (t === undefined) {
      t = { turn: r.turn as number, toolFollowUp: follow, requests: 0, ok: 0, promptTokens: 0, ttftMs: newHistogram() };
      this.turns.set(key, t);
    }
    t.requests++;
    if (r.status !== 'ok') return;
    t.ok++;
    t.promptTokens += r.promptTokens ?? 0;
    if (r.ttftMs !== null) recordMs(t.ttftMs, r.ttftMs);
  }
}

export function emptyCounters(): GroupCounters {
  return {
    requests: 0,
    ok: 0,
    errors: 0,
    errorsByClass: {},
    promptTokens: 0,
    outputTokens: 0,
    outputTokensFromUsage: 0,
    outputTokensFromChunks: 0,
    usageInvalid: 0,
    usageMismatch: 0,
    errorDetails: {},
    validity: { valid: 0, not_json: 0, schema_invalid: 0, truncated: 0, too_large: 0 },
    finishReasons: {},
    endedEarly: 0,
    retries: { attempts: 0, byStatus: {} },
    good: 0,
    validGood: 0,
    requestBytes: 0,
    imageRequests: 0,
    images: 0,
    imageBytes: 0,
    cacheReported: 0,
    cacheReportedPromptTokens: 0,
    cachedTokens: 0,
    sharedTokens: 0,
    reasoningRequests: 0,
    reasoningTokens: 0,
    reasoningFromUsage: 0,
    reasoningFromChunks: 0,
  };
}

/** The counters of issue 21 (upload, images, cache, reasoning): summed in a merge like the rest. */
const MEDIA_COUNTERS = [
  'requestBytes', 'imageRequests', 'images', 'imageBytes', 'cacheReported', 'cacheReportedPromptTokens', 'cachedTokens', 'sharedTokens',
  'reasoningRequests', 'reasoningTokens', 'reasoningFromUsage', 'reasoningFromChunks',
] as const;

/** Adds counters b into a (exact merge of shards/workers). */
export function addCounters(a: GroupCounters, b: GroupCounters): void {
  a.requests += b.requests;
  a.ok += b.ok;
  a.errors += b.errors;
  for (const [k, v] of Object.entries(b.errorsByClass)) {
    const key = k as ErrorClass;
    a.errorsByClass[key] = (a.errorsByClass[key] ?? 0) + (v ?? 0);
  }
  a.promptTokens += b.promptTokens;
  a.outputTokens += b.outputTokens;
  a.outputTokensFromUsage += b.outputTokensFromUsage;
  a.outputTokensFromChunks += b.outputTokensFromChunks;
  a.usageInvalid += b.usageInvalid ?? 0;
  a.usageMismatch += b.usageMismatch ?? 0;
  for (const [k, v] of Object.entries(b.errorDetails ?? {})) a.errorDetails[k] = (a.errorDetails[k] ?? 0) + v;
  // `?? 0`: counters read back from files older than an outcome (too_large) lack its key.
  for (const k of Object.keys(a.validity) as Validity[]) a.validity[k] += b.validity[k] ?? 0;
  for (const [k, v] of Object.entries(b.finishReasons)) a.finishReasons[k] = (a.finishReasons[k] ?? 0) + v;
  a.endedEarly += b.endedEarly;
  a.good += b.good ?? 0;
  for (const k of MEDIA_COUNTERS) a[k] += b[k] ?? 0;
  a.validGood += b.validGood ?? 0;
  if (b.retries) {
    a.retries ??= { attempts: 0, byStatus: {} };
    a.retries.attempts += b.retries.attempts;
    for (const [k, v] of Object.entries(b.retries.byStatus)) a.retries.byStatus[k] = (a.retries.byStatus[k] ?? 0) + v;
  }
}

/** One phase's groups: a GroupStats per class plus the all-classes group. */
export class PhaseStats {
  readonly groups = new Map<string, GroupStats>();
  readonly all: GroupStats;

  constructor(
    readonly classNames: readonly string[],
    readonly goodput: GoodputCriteria | null = null,
  ) {
    this.all = new GroupStats(undefined, undefined, goodput);
    for (const name of classNames) this.groups.set(name, new GroupStats(undefined, undefined, goodput));
  }

  group(className: string): GroupStats {
    let g = this.groups.get(className);
    if (!g) {
      g = new GroupStats(undefined, undefined, this.goodput);
      this.groups.set(className, g);
    }
    return g;
  }

  add(r: RequestRecord, maxTokens: number | null): void {
    const g = this.group(r.class);
    g.add(r, maxTokens);
    if (r.turn !== undefined) g.addTurn(r);
    this.all.add(r, maxTokens);
  }

  /** Counts the retried attempts of one request (their HTTP statuses) in its class and the all-classes group. */
  addRetries(className: string, statuses: readonly number[]): void {
    for (const c of [this.group(className).counters, this.all.counters]) {
      c.retries.attempts += statuses.length;
      for (const st of statuses) c.retries.byStatus[st] = (c.retries.byStatus[st] ?? 0) + 1;
    }
  }

  /** A gap sink for one request of a class: records into the class and the all-classes histograms. */
  gapSink(className: string): (gapMs: number) => void {
    const g = this.group(className);
    const all = this.all;
    return (gapMs) => {
      g.gap(gapMs);
      all.gap(gapMs);
    };
  }
}
