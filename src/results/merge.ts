// Exact merge of result files: shards of one run (`--shard i/N`), worker threads of one process, or
// repeated runs. Histograms are added bucket by bucket, counters summed, and summaries recomputed
// from the merged histograms, so a merged percentile is what one big run would have measured.
// Phases align by name; time series align on wall-clock seconds.
import { lagWhen, mergeLagSeconds } from './client-verdict.js';
import { DEFAULT_CLIENT_LAG_LIMIT_MS } from './assemble.js';
import { addCounters, emptyCounters, GroupStats, METRIC_KEYS, turnKey, type GroupCounters, type MetricKey, type TurnStats } from '../metrics/accumulator.js';
import { decodeHistogram, encodeHistogram, mergeHistograms, percentileMs, type Histogram } from '../metrics/histogram.js';
import { LoadshapeError } from '../util/errors.js';
import { parseGoodput, type GoodputCriteria } from '../slo/goodput.js';
import { computeCost } from '../cost/cost.js';
import { groupResult, round } from './build.js';
import type { GroupResult, LoopHealth, PhaseResult, RunResult, StretchFigures } from './format.js';

type Point = RunResult['timeseries']['points'][number];

/** Counters of a stored group, back in accumulator form. */
function countersOf(g: GroupResult): GroupCounters {
  const c = emptyCounters();
  c.requests = g.requests;
  c.ok = g.ok;
  c.errors = g.errors;
  c.errorsByClass = { ...g.errorsByClass };
  c.promptTokens = g.promptTokens;
  c.outputTokens = g.outputTokens;
  c.outputTokensFromUsage = g.outputTokensFromUsage;
  c.outputTokensFromChunks = g.outputTokensFromChunks;
  c.usageInvalid = g.usageInvalid ?? 0;
  c.usageMismatch = g.usageMismatch ?? 0;
  c.errorDetails = { ...g.errorDetails };
  c.validity = { ...c.validity, ...g.validity, too_large: g.validity.too_large ?? 0 };
  c.finishReasons = { ...g.finishReasons };
  c.endedEarly = g.endedEarly;
  if (g.retries) c.retries = { attempts: g.retries.attempts, byStatus: { ...g.retries.byStatus } };
  c.good = g.goodput?.good ?? 0;
  c.validGood = g.goodput?.validGood ?? 0;
  c.requestBytes = g.requestBytes ?? 0;
  if (g.images) Object.assign(c, { imageRequests: g.images.requests, images: g.images.images, imageBytes: g.images.imageBytes });
  if (g.cache) Object.assign(c, { cacheReported: g.cache.reported, cacheReportedPromptTokens: g.cache.reportedPromptTokens, cachedTokens: g.cache.cachedTokens, sharedTokens: g.cache.sharedTokens });
  if (g.reasoning) Object.assign(c, { reasoningRequests: g.reasoning.requests, reasoningTokens: g.reasoning.reasoningTokens, reasoningFromUsage: g.reasoning.fromUsage, reasoningFromChunks: g.reasoning.fromChunks });
  return c;
}

/**
 * The goodput criteria the groups were judged by: kept when every group has the same, dropped when
 * none has any; groups judged by different criteria cannot be added up, so that is refused.
 */
function goodputOf(groups: GroupResult[]): GoodputCriteria | null {
  const texts = [...new Set(groups.map((g) => g.goodput?.criteria ?? null))];
  if (texts.length === 1 && texts[0] === null) return null;
  if (texts.length > 1) {
    throw new LoadshapeError(
      'usage',
      `merge: class ${groups[0].class === '*' ? 'all' : groups[0].class}: the results count good requests by different criteria (${texts.map((t) => t ?? 'none').join(' vs ')}); rerun them with the same --goodput`,
    );
  }
  return parseGoodput(texts[0] as string);
}

function mergeGroups(groups: GroupResult[], durationS: number): GroupResult {
  const counters = emptyCounters();
  for (const g of groups) addCounters(counters, countersOf(g));
  const hist = Object.fromEntries(
    METRIC_KEYS.map((k): [MetricKey, Histogram] => [k, mergeHistograms(groups.map((g) => decodeHistogram(g.metrics[k].hdr)))]),
  ) as Record<MetricKey, Histogram>;
  const answerTpot = mergeHistograms(groups.flatMap((g) => (g.reasoning ? [decodeHistogram(g.reasoning.answerTpotMs.hdr)] : [])));
  return groupResult(groups[0].class, new GroupStats(hist, counters, goodputOf(groups), mergeTurns(groups), answerTpot), durationS);
}

/** Conversation positions added up by (turn, tool follow-up). */
function mergeTurns(groups: GroupResult[]): Map<string, TurnStats> {
  const out = new Map<string, TurnStats>();
  for (const g of groups) {
    for (const t of g.turns ?? []) {
      const key = turnKey(t.turn, t.toolFollowUp);
      const into = out.get(key);
      const hist = decodeHistogram(t.ttftMs.hdr);
      if (into === undefined) {
        out.set(key, { turn: t.turn, toolFollowUp: t.toolFollowUp, requests: t.requests, ok: t.ok, promptTokens: t.promptTokens, ttftMs: hist });
        continue;
      }
      into.requests += t.requests;
      into.ok += t.ok;
      into.promptTokens += t.promptTokens;
      into.ttftMs = mergeHistograms([into.ttftMs, hist]);
    }
  }
  return out;
}

/** Each result's clock start (epoch ms): the precise one when every result has it, else the ISO start. */
function clockStarts(results: RunResult[]): number[] {
  const precise = results.map((r) => r.meta.clockStartedAtEpochMs);
  return precise.every((x): x is number => x !== undefined) ? precise : results.map((r) => Date.parse(r.meta.startedAt));
}

/** Offset of each result's clock from the earliest start, in ms (wall clock). */
function offsetsMs(results: RunResult[]): number[] {
  const starts = clockStarts(results);
  const first = Math.min(...starts);
  return starts.map((s) => s - first);
}

function mergePhase(parts: { phase: PhaseResult; offsetMs: number }[]): PhaseResult {
  const first = parts[0].phase;
  // Shards run side by side: the merged phase spans the earliest start to the latest end, and their
  // rates add up. Repeats run one after another: their durations add up, and the gaps between them
  // are not phase time.
  const startedAtMs = Math.min(...parts.map((p) => p.phase.startedAtMs + p.offsetMs));
  const endedAtMs = Math.max(...parts.map((p) => p.phase.endedAtMs + p.offsetMs));
  const spans = parts.map((p) => [p.phase.startedAtMs + p.offsetMs, p.phase.endedAtMs + p.offsetMs]).sort((a, b) => a[0] - b[0]);
  const sequential = spans.length > 1 && spans.every((sp, i) => i === 0 || sp[0] >= spans[i - 1][1]);
  const durationS = sequential ? round(parts.reduce((t, p) => t + p.phase.durationS, 0), 3) : round((endedAtMs - startedAtMs) / 1000, 3);
  const classes: string[] = [];
  for (const p of parts) for (const g of p.phase.groups) if (!classes.includes(g.class)) classes.push(g.class);
  const groups = classes.map((cls) =>
    mergeGroups(
      parts.flatMap((p) => p.phase.groups.filter((g) => g.class === cls)),
      durationS,
    ),
  );
  const sum = (f: (p: PhaseResult) => number) => parts.reduce((s, p) => s + f(p.phase), 0);
  const rates = parts.map((p) => p.phase.achievedRateRps);
  return {
    index: first.index,
    name: first.name,
    record: first.record,
    load: first.load,
    startedAtMs: round(startedAtMs, 3),
    endedAtMs: round(endedAtMs, 3),
    durationS,
    scheduled: sum((p) => p.scheduled),
    sent: sum((p) => p.sent),
    dropped: sum((p) => p.dropped),
    ...(parts.every((p) => p.phase.requestsSent !== undefined) ? { requestsSent: sum((p) => p.requestsSent as number) } : {}),
    achievedRateRps: !rates.every((r) => r !== null)
      ? null
      : sequential
        ? round(sum((p) => p.sent) / parts.reduce((t, p) => t + p.phase.sent / Math.max(p.phase.achievedRateRps as number, 1e-9), 0), 3)
        : round(rates.reduce((s, r) => s + (r as number), 0), 3),
    groups,
  };
}

function mergeTimeseries(results: RunResult[], offsets: number[]): Point[] {
  const byT = new Map<number, { point: Point; ttft: Histogram[] }>();
  results.forEach((r, i) => {
    const shiftS = Math.round(offsets[i] / 1000);
    for (const p of r.timeseries.points) {
      const tS = p.tS + shiftS;
      let slot = byT.get(tS);
      if (!slot) {
        slot = { point: { ...p, tS, completed: 0, errors: 0, inputTokens: 0, outputTokens: 0, inFlight: 0, ttftP50Ms: null, ttftP99Ms: null, ttftHdr: null }, ttft: [] };
        byT.set(tS, slot);
      }
      const s = slot.point;
      s.completed += p.completed;
      s.errors += p.errors;
      s.inputTokens += p.inputTokens;
      s.outputTokens += p.outputTokens;
      s.inFlight += p.inFlight;
      if (p.ttftHdr) slot.ttft.push(decodeHistogram(p.ttftHdr));
    }
  });
  return [...byT.keys()]
    .sort((a, b) => a - b)
    .map((t) => {
      const { point, ttft } = byT.get(t)!;
      if (ttft.length > 0) {
        const h = mergeHistograms(ttft);
        point.ttftP50Ms = percentileMs(h, 50);
        point.ttftP99Ms = percentileMs(h, 99);
        point.ttftHdr = encodeHistogram(h);
      }
      return point;
    });
}

function mergeSamples<K extends string>(all: Partial<Record<K, string[]>>[], limit = 5): Partial<Record<K, string[]>> {
  const out: Partial<Record<K, string[]>> = {};
  for (const s of all) {
    for (const [k, msgs] of Object.entries(s) as [K, string[]][]) {
      const list = (out[k] ??= []);
      for (const m of msgs) if (list.length < limit && !list.includes(m)) list.push(m);
    }
  }
  return out;
}

/**
 * Merges results of the same workload into one. Refuses results of different workloads (their
 * phases and classes would not mean the same thing) with a message naming the files.
 */
export function mergeResults(results: RunResult[], names: string[] = results.map((r) => r.meta.runId)): RunResult {
  if (results.length === 0) throw new LoadshapeError('usage', 'merge: give at least one result file');
  const base = results[0];
  results.forEach((r, i) => {
    if (r.meta.workload.sha256 !== base.meta.workload.sha256) {
      throw new LoadshapeError(
        'usage',
        `merge: ${names[i]} ran workload ${r.meta.workload.name} (sha256 ${r.meta.workload.sha256.slice(0, 12)}), ${names[0]} ran ${base.meta.workload.name} (sha256 ${base.meta.workload.sha256.slice(0, 12)}); only shards of the same workload merge`,
      );
    }
  });
  const offsets = offsetsMs(results);
  const phaseNames: string[] = [];
  for (const r of results) for (const p of r.phases) if (!phaseNames.includes(p.name)) phaseNames.push(p.name);
  const phases = phaseNames.map((name) =>
    mergePhase(results.flatMap((r, i) => r.phases.filter((p) => p.name === name).map((phase) => ({ phase, offsetMs: offsets[i] })))),
  );
  const starts = results.map((r) => Date.parse(r.meta.startedAt));
  const ends = results.map((r) => Date.parse(r.meta.endedAt));
  const reasons = [...new Set(results.flatMap((r) => r.client.reasons))];
  const max = (f: (r: RunResult) => number) => Math.max(...results.map(f));
  const client: RunResult['client'] = {
    eventLoopDelayP50Ms: max((r) => r.client.eventLoopDelayP50Ms),
    eventLoopDelayP99Ms: max((r) => r.client.eventLoopDelayP99Ms),
    eventLoopDelayMaxMs: max((r) => r.client.eventLoopDelayMaxMs),
    dispatchLagP99Ms: max((r) => r.client.dispatchLagP99Ms),
    eventLoopUtilization: max((r) => r.client.eventLoopUtilization),
    cpuPercent: round(results.reduce((s, r) => s + r.client.cpuPercent, 0), 1),
    peakRssMb: max((r) => r.client.peakRssMb),
    ...(results.some((r) => r.client.lagLimitMs !== undefined) ? { lagLimitMs: max((r) => r.client.lagLimitMs ?? 10) } : {}),
    saturated: results.some((r) => r.client.saturated),
    reasons,
    ...mergedClientCause(results, offsets),
    ...mergedLoop(results.map((r) => r.client.loop)),
  };
  const merged: RunResult = {
    ...base,
    meta: {
      ...base.meta,
      runId: results.length === 1 ? base.meta.runId : `${base.meta.runId}-merged${results.length}`,
      startedAt: new Date(Math.min(...starts)).toISOString(),
      endedAt: new Date(Math.max(...ends)).toISOString(),
      durationS: round((Math.max(...ends) - Math.min(...starts)) / 1000, 3),
      interrupted: results.some((r) => r.meta.interrupted),
      mergedFrom: names,
      clockStartedAtEpochMs: results.every((r) => r.meta.clockStartedAtEpochMs !== undefined) ? Math.min(...clockStarts(results)) : undefined,
      // Shards meant to start together (workers, --start-barrier): how far apart they really did.
      // Each process warmed its own connections: the merged run opened them all, in the slowest one's time.
      ...mergedWarmStart(results),
      ...(results.length > 1 && results.every((r) => r.meta.shard) ? { startSpreadMs: round(Math.max(...clockStarts(results)) - Math.min(...clockStarts(results)), 3) } : {}),
    },
    client,
    clientSaturated: client.saturated,
    phases,
    timeseries: { intervalMs: base.timeseries.intervalMs, points: mergeTimeseries(results, offsets) },
    errorSamples: mergeSamples(results.map((r) => r.errorSamples)),
    validitySamples: mergeSamples(results.map((r) => r.validitySamples)) as Record<string, string[]>,
  };
  // Per-run judgements do not carry over: gates judged one shard, a sweep's answer judged one file's
  // steps, and cost was priced on one shard's tokens. Cost is recomputed on the merged phases; gates
  // are judged again by whoever needs them; a sweep's answer is not recomputed (merging sweeps whose
  // steps share phase names would add different loads together): the merged steps remain as phases.
  delete merged.gates;
  delete merged.sweep;
  if (base.cost) merged.cost = computeCost(phases, base.cost.costPerHourUsd, base.cost.source);
  return merged;
}

/**
 * Why and when merged processes lagged: one starved process makes the run starved (its advice applies
 * to the machine it ran on); the per-second lag is the worst process's, on the merged clock.
 */
function mergedClientCause(results: RunResult[], offsetsMs: number[]): Partial<RunResult['client']> {
  const saturated = results.filter((r) => r.client.saturated && r.client.reason);
  const cause = saturated.find((r) => r.client.reason === 'starved') ?? saturated[0];
  const withSeconds = results.map((r, i) => ({ r, offS: Math.round(offsetsMs[i] / 1000) })).filter((x) => x.r.client.lagSeconds);
  const out: Partial<RunResult['client']> = cause ? { reason: cause.client.reason, reasonDetail: cause.client.reasonDetail, advice: cause.client.advice } : {};
  if (withSeconds.length === 0) return out;
  const lagSeconds = mergeLagSeconds(withSeconds.map(({ r, offS }) => (r.client.lagSeconds ?? []).map((x) => ({ ...x, tS: x.tS + offS }))));
  const limit = Math.max(...results.map((r) => r.client.lagLimitMs ?? DEFAULT_CLIENT_LAG_LIMIT_MS));
  return { ...out, lagSeconds, lagWhen: lagWhen(lagSeconds, limit) };
}

/**
 * The measuring loops of merged processes: GC pauses and body builds count up; p99s and maxima are the
 * worst process's (each process's loop stalls only its own requests, so the worst one bounds them all).
 */
export function mergedLoop(loops: readonly (LoopHealth | undefined)[]): { loop?: LoopHealth } {
  const xs = loops.filter((l): l is LoopHealth => l !== undefined);
  if (xs.length === 0) return {};
  const max = (f: (l: LoopHealth) => number) => Math.max(...xs.map(f));
  const sum = (f: (l: LoopHealth) => number) => round(xs.reduce((s, l) => s + f(l), 0), 3);
  const stretch = (f: (l: LoopHealth) => StretchFigures | null): StretchFigures | null => {
    const ss = xs.map(f).filter((x): x is StretchFigures => x !== null);
    if (ss.length === 0) return null;
    const ttfts = ss.map((x) => x.ttftP99Ms).filter((x): x is number => x !== null);
    return {
      requests: ss.reduce((s, x) => s + x.requests, 0),
      dispatchLagP99Ms: Math.max(...ss.map((x) => x.dispatchLagP99Ms)),
      queueP99Ms: Math.max(...ss.map((x) => x.queueP99Ms)),
      ttftP99Ms: ttfts.length > 0 ? Math.max(...ttfts) : null,
    };
  };
  return {
    loop: {
      gcPauses: { count: sum((l) => l.gcPauses.count), totalMs: sum((l) => l.gcPauses.totalMs), p99Ms: max((l) => l.gcPauses.p99Ms), maxMs: max((l) => l.gcPauses.maxMs) },
      longestTaskMs: max((l) => l.longestTaskMs),
      bodyBuild: { count: sum((l) => l.bodyBuild.count), p99Ms: max((l) => l.bodyBuild.p99Ms), maxMs: max((l) => l.bodyBuild.maxMs) },
      firstSecond: stretch((l) => l.firstSecond),
      afterFirstSecond: stretch((l) => l.afterFirstSecond),
    },
  };
}

function mergedWarmStart(results: RunResult[]): Pick<RunResult['meta'], 'warmStart'> {
  const ws = results.map((r) => r.meta.warmStart).filter((w) => w !== undefined);
  if (ws.length === 0) return { warmStart: undefined };
  return { warmStart: { connections: ws.reduce((n, w) => n + w.connections, 0), keepAlive: ws.every((w) => w.keepAlive), ms: Math.max(...ws.map((w) => w.ms)) } };
}
