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

/**
 * Every count a group keeps, in one table: the type, the empty counters and the exact merge (addCounters)
 * all follow from it, so a new count is one line here plus where it is counted and stored. What each means:
 * - requests: finished (ok or error); ok; errors.
 * - promptTokens, outputTokens: of successful requests; outputTokensFromUsage/FromChunks: where each
 *   successful request's output length came from.
 * - usageInvalid: usage held an impossible count (negative, fractional, huge, not a number), so tokens
 *   were counted from the stream; usageMismatch: usage and streamed chunks differ by more than 2×.
 * - endedEarly: successful requests that ended before their max_tokens for a reason other than length.
 * - good, validGood: with goodput criteria, requests that met them, and of those the valid or unjudged.
 * - requestBytes: request body bytes, every request; imageRequests, images, imageBytes: what carried images.
 * - cacheReported, cacheReportedPromptTokens, cachedTokens: successful requests whose usage reported cached
 *   tokens, their prompt tokens and the cached ones; sharedTokens: prompt tokens the classes meant to share.
 * - reasoningRequests, reasoningTokens, reasoningFromUsage/FromChunks: reasoning and where its count came from.
 */
const COUNTS = [
  'requests', 'ok', 'errors', 'promptTokens', 'outputTokens', 'outputTokensFromUsage', 'outputTokensFromChunks',
  'usageInvalid', 'usageMismatch', 'endedEarly', 'good', 'validGood',
  'requestBytes', 'imageRequests', 'images', 'imageBytes', 'cacheReported', 'cacheReportedPromptTokens', 'cachedTokens', 'sharedTokens',
  'reasoningRequests', 'reasoningTokens', 'reasoningFromUsage', 'reasoningFromChunks',
] as const;

/** Counts by key, summed key by key in a merge. */
const TALLIES = ['errorsByClass', 'errorDetails', 'finishReasons', 'validity', 'retriesByStatus'] as const;

export type GroupCounters = Record<(typeof COUNTS)[number], number> & {
  errorsByClass: Partial<Record<ErrorClass, number>>;
  /** Stream errors of a kind users need to tell apart (`no_finish_reason`, `error_field`), by kind. */
  errorDetails: Record<string, number>;
  validity: Record<Validity, number>;
  finishReasons: Record<string, number>;
  /** Attempts that failed and were retried (`--retry`), by HTTP status; not in `requests`. */
  retries: { attempts: number; byStatus: Record<string, number> };
};

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
    ...(Object.fromEntries(COUNTS.map((k) => [k, 0])) as Record<(typeof COUNTS)[number], number>),
    errorsByClass: {},
    errorDetails: {},
    validity: { valid: 0, not_json: 0, schema_invalid: 0, truncated: 0, too_large: 0 },
    finishReasons: {},
    retries: { attempts: 0, byStatus: {} },
  };
}

/** A tally of `c` by its TALLIES name (retries' statuses sit inside `retries`). */
function tally(c: GroupCounters, name: (typeof TALLIES)[number]): Record<string, number | undefined> | undefined {
  return name === 'retriesByStatus' ? c.retries?.byStatus : c[name];
}

/**
 * Adds counters b into a (exact merge of shards/workers). `?? 0`: counters read back from files older
 * than a count (too_large, the media counts) lack its key.
 */
export function addCounters(a: GroupCounters, b: GroupCounters): void {
  for (const k of COUNTS) a[k] += b[k] ?? 0;
  a.retries ??= { attempts: 0, byStatus: {} };
  a.retries.attempts += b.retries?.attempts ?? 0;
  for (const name of TALLIES) {
    const into = tally(a, name) as Record<string, number>;
    for (const [k, v] of Object.entries(tally(b, name) ?? {})) into[k] = (into[k] ?? 0) + (v ?? 0);
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
