// From accumulated stats to the result file's shape (pure).
import { METRIC_KEYS, type GroupStats, type PhaseStats, type TurnStats, ALL_CLASSES } from '../metrics/accumulator.js';
import { encodeHistogram, summarize, type Histogram } from '../metrics/histogram.js';
import type { GroupResult, MetricResult, TurnResult } from './format.js';

function metricResult(h: Histogram): MetricResult {
  return { ...summarize(h), hdr: encodeHistogram(h) };
}

/** Conversation positions in order: turn 1, its tool results, turn 2, … */
export function turnResults(turns: Map<string, TurnStats>): TurnResult[] {
  return [...turns.values()]
    .sort((a, b) => a.turn - b.turn || Number(a.toolFollowUp) - Number(b.toolFollowUp))
    .map((t) => ({
      turn: t.turn,
      toolFollowUp: t.toolFollowUp,
      requests: t.requests,
      ok: t.ok,
      promptTokens: t.promptTokens,
      ttftMs: metricResult(t.ttftMs),
    }));
}

export function groupResult(className: string, g: GroupStats, durationS: number): GroupResult {
  const c = g.counters;
  const judged = c.validity.valid + c.validity.not_json + c.validity.schema_invalid + c.validity.truncated + c.validity.too_large;
  const perS = (n: number) => (durationS > 0 ? round(n / durationS, 3) : 0);
  const metrics = Object.fromEntries(
    METRIC_KEYS.map((k): [string, MetricResult] => [k, metricResult(g.hist[k])]),
  ) as GroupResult['metrics'];
  return {
    class: className,
    requests: c.requests,
    ok: c.ok,
    errors: c.errors,
    errorsByClass: { ...c.errorsByClass },
    errorRate: c.requests > 0 ? round(c.errors / c.requests, 6) : 0,
    promptTokens: c.promptTokens,
    outputTokens: c.outputTokens,
    outputTokensFromUsage: c.outputTokensFromUsage,
    outputTokensFromChunks: c.outputTokensFromChunks,
    usageInvalid: c.usageInvalid,
    usageMismatch: c.usageMismatch,
    ...(Object.keys(c.errorDetails).length > 0 ? { errorDetails: { ...c.errorDetails } } : {}),
    validity: { ...c.validity },
    validityRate: judged > 0 ? round(c.validity.valid / judged, 6) : null,
    finishReasons: { ...c.finishReasons },
    endedEarly: c.endedEarly,
    retries: { attempts: c.retries.attempts, byStatus: { ...c.retries.byStatus } },
    throughput: { requestsPerS: perS(c.ok), inputTokensPerS: perS(c.promptTokens), outputTokensPerS: perS(c.outputTokens) },
    ...(g.goodput
      ? {
          goodput: {
            criteria: g.goodput.text,
            good: c.good,
            validGood: c.validGood,
            goodFraction: c.requests > 0 ? round(c.good / c.requests, 6) : 0,
            validGoodFraction: c.requests > 0 ? round(c.validGood / c.requests, 6) : 0,
            goodRps: perS(c.good),
            validGoodRps: perS(c.validGood),
          },
        }
      : {}),
    ...(g.turns.size > 0 ? { turns: turnResults(g.turns) } : {}),
    ...mediaResults(g),
    metrics,
  };
}

/** Upload, images, cache and reasoning figures of a group: each present only where the group has any. */
function mediaResults(g: GroupStats): Pick<GroupResult, 'requestBytes' | 'images' | 'cache' | 'reasoning'> {
  const c = g.counters;
  const out: Pick<GroupResult, 'requestBytes' | 'images' | 'cache' | 'reasoning'> = {};
  if (c.requestBytes > 0) out.requestBytes = c.requestBytes;
  if (c.imageRequests > 0) out.images = { requests: c.imageRequests, images: c.images, imageBytes: c.imageBytes };
  if (c.cacheReported > 0 || c.sharedTokens > 0) {
    out.cache = {
      reported: c.cacheReported,
      reportedPromptTokens: c.cacheReportedPromptTokens,
      cachedTokens: c.cachedTokens,
      cachedFraction: c.cacheReportedPromptTokens > 0 ? round(c.cachedTokens / c.cacheReportedPromptTokens, 6) : null,
      sharedTokens: c.sharedTokens,
      intendedSharedFraction: c.promptTokens > 0 ? round(c.sharedTokens / c.promptTokens, 6) : null,
    };
  }
  if (c.reasoningRequests > 0) {
    out.reasoning = {
      requests: c.reasoningRequests,
      reasoningTokens: c.reasoningTokens,
      fromUsage: c.reasoningFromUsage,
      fromChunks: c.reasoningFromChunks,
      answerTpotMs: metricResult(g.answerTpotMs),
    };
  }
  return out;
}

/** The all-classes group first, then classes in workload order. */
export function phaseGroups(stats: PhaseStats, durationS: number): GroupResult[] {
  const out = [groupResult(ALL_CLASSES, stats.all, durationS)];
  for (const [name, g] of stats.groups) {
    if (g.counters.requests > 0) out.push(groupResult(name, g, durationS));
  }
  return out;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
