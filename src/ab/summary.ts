// The pairing file's content, from what the pairing sink kept and the two side results (pure apart
// from nothing): the paired metrics and verdict, the fairness block, the gates and the exit code.
import type { AbResult, Fairness, SideRef } from '../results/ab-format.js';
import type { RunResult } from '../results/format.js';
import { scheduleMet } from '../results/rates.js';
import type { CompareResult } from '../report/compare.js';
import { compareHeadline } from '../report/compare-render.js';
import type { Threshold } from '../report/failon.js';
import { evaluatePairedFailOn } from '../report/paired-failon.js';
import { outputLengthDisagreement, PAIRED_DEFAULTS, pairedMetrics, pairedVerdict } from '../report/paired.js';
import type { PairingFacts } from './pairing.js';
import type { Side } from './schedule.js';

export interface AbInputs {
  mode: 'mirrored' | 'interleaved';
  rounds: Side[] | null;
  startedAt: Date;
  facts: PairingFacts;
  sides: Record<Side, { file: string; result: RunResult }>;
  failOn: { spec: string; thresholds: Threshold[] } | null;
  /** The two side results compared unpaired (compare's noise model), for clauses with no per-pair value. */
  unpaired: CompareResult | null;
  /** Exit codes as `run`: 0 ok, 2 regression, 3 invalid, 5 unreachable. */
  exit: { ok: number; regression: number; invalid: number; unreachable: number };
}

const ms3 = (x: number) => Math.round(x * 1000) / 1000;

function skewSummary(skews: number[]): Fairness['sendSkewMs'] {
  if (skews.length === 0) return null;
  const s = Float64Array.from(skews).sort();
  const at = (p: number) => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
  return { p50: ms3(at(50)), p99: ms3(at(99)), max: ms3(s[s.length - 1]) };
}

function scheduleCounts(r: RunResult): { scheduled: number; sent: number; dropped: number } {
  const recorded = r.phases.filter((p) => p.record);
  return { scheduled: recorded.reduce((n, p) => n + p.scheduled, 0), sent: recorded.reduce((n, p) => n + p.sent, 0), dropped: recorded.reduce((n, p) => n + p.dropped, 0) };
}

function fairness(x: AbInputs, lengths: ReturnType<typeof outputLengthDisagreement>): Fairness {
  const { facts, sides } = x;
  const openOnly = sides.a.result.phases.every((p) => p.load.kind === 'open');
  const shared = x.mode === 'mirrored' && openOnly;
  const notes: string[] = [];
  if (x.mode === 'mirrored' && !openOnly) notes.push('closed loop: each side runs its own slots over the same ordered requests, so pairs share a body and an order but not a send instant');
  if (x.mode === 'interleaved') notes.push('interleaved: the sides ran in turns (balanced order), so pairs share a body but not an instant; no send skew applies');
  if (facts.bodyMismatches > 0) notes.push(`${facts.bodyMismatches} pairs sent different bodies to A and B: the pairing is broken (different seeds or workloads?)`);
  if (facts.unpaired.a + facts.unpaired.b > 0) notes.push(`unpaired requests: A ${facts.unpaired.a}, B ${facts.unpaired.b} (a side sent more within the duration, or a stop cut one short); they count in the side results, not in the pairs`);
  for (const s of ['a', 'b'] as const) if (sides[s].result.clientSaturated) notes.push(`side ${s.toUpperCase()}: the harness was saturated (${sides[s].result.client.reasons.join('; ')}); its latencies include the harness's own delay`);
  if (lengths.disagree) notes.push(`the sides disagree about output length in ${lengths.disagreeingPairs} pairs (${(lengths.fraction * 100).toFixed(0)}%): one ignores max_tokens or ignore_eos; only per-token metrics (TPOT) compare, E2E does not`);
  return {
    sameBodies: facts.bodyMismatches === 0,
    bodyMismatches: facts.bodyMismatches,
    bodiesSha256: facts.bodiesSha256,
    sendInstantsShared: shared,
    sendSkewMs: x.mode === 'mirrored' ? skewSummary(facts.skewsMs) : null,
    saturated: { a: sides.a.result.clientSaturated, b: sides.b.result.clientSaturated },
    schedule: { a: scheduleCounts(sides.a.result), b: scheduleCounts(sides.b.result) },
    outputLength: lengths,
    notes,
  };
}

function sideRef(file: string, r: RunResult): SideRef {
  return { file, runId: r.meta.runId, target: r.meta.target.url, model: r.meta.model, labels: r.meta.labels };
}

/** Every side that sent nothing that succeeded: the endpoint is down (exit 5). */
function unreachableSides(x: AbInputs): string[] {
  return (['a', 'b'] as const).filter((s) => {
    const all = x.sides[s].result.phases.flatMap((p) => p.groups.filter((g) => g.class === '*'));
    return all.reduce((n, g) => n + g.requests, 0) > 0 && all.reduce((n, g) => n + g.ok, 0) === 0;
  });
}

export function buildAbResult(x: AbInputs): AbResult {
  const lengths = outputLengthDisagreement(x.facts.pairs);
  const metrics = pairedMetrics(x.facts.pairs, { lengthsDisagree: lengths.disagree });
  const fair = fairness(x, lengths);
  const invalid: string[] = [];
  for (const s of ['a', 'b'] as const) {
    if (fair.saturated[s]) invalid.push(`side ${s.toUpperCase()}: the harness was saturated`);
    // The same rule as `run`: an open phase sent at least 95 % of its arrivals and dropped none.
    const missed = x.sides[s].result.phases.filter((p) => p.record && scheduleMet(p) === false).map((p) => `${p.name} (sent ${p.sent} of ${p.scheduled}, dropped ${p.dropped})`);
    if (missed.length > 0) invalid.push(`side ${s.toUpperCase()}: did not send its schedule in ${missed.join(', ')}`);
  }
  const violations = x.failOn ? evaluatePairedFailOn(metrics, x.failOn.thresholds, x.unpaired) : [];
  const down = unreachableSides(x);
  const exitCode = down.length > 0 ? x.exit.unreachable : invalid.length > 0 ? x.exit.invalid : violations.length > 0 ? x.exit.regression : x.exit.ok;
  const w = x.sides.a.result.meta.workload;
  return {
    format: 'loadshape-ab',
    version: 1,
    startedAt: x.startedAt.toISOString(),
    mode: x.mode,
    rounds: x.rounds,
    workload: { name: w.name, seed: w.seed, sha256: w.sha256 },
    sides: { a: sideRef(x.sides.a.file, x.sides.a.result), b: sideRef(x.sides.b.file, x.sides.b.result) },
    pairs: x.facts.pairs.length,
    unpaired: x.facts.unpaired,
    metrics,
    fairness: fair,
    verdict: pairedVerdict(metrics),
    unpairedVerdict: x.unpaired ? (compareHeadline(x.unpaired)[0]?.replace(/^verdict: /, '') ?? null) : null,
    gates: x.failOn ? { failOn: x.failOn.spec, violations } : null,
    invalid: [...invalid, ...down.map((s) => `side ${s.toUpperCase()}: every request failed`)],
    exitCode,
    settings: { confidence: PAIRED_DEFAULTS.confidence, minEffect: PAIRED_DEFAULTS.minEffect, floorMs: PAIRED_DEFAULTS.floorMs, resamples: PAIRED_DEFAULTS.resamples, seed: PAIRED_DEFAULTS.seed },
  };
}
