// Cost per outcome: the serving price per hour (recipe $ per GPU-hour × GPUs, or --cost-per-hour)
// spread over what each phase delivered. Every figure charges the phase's whole cost to that unit
// (the usual "$ per 1M tokens" convention), so input and output figures are not to be added. Pure.
import { z } from 'zod';
import type { GroupResult, PhaseResult } from '../results/format.js';

const n = z.number().nullable();

export const PhaseCostSchema = z.object({
  phase: z.string(),
  durationS: z.number(),
  costUsd: z.number(),
  outputTokens: z.number(),
  inputTokens: z.number(),
  /** Requests that succeeded and passed every judgement (see acceptedRequests). */
  accepted: z.number(),
  usdPer1MOutputTokens: n,
  usdPer1MInputTokens: n,
  usdPer1kAccepted: n,
});
export type PhaseCost = z.infer<typeof PhaseCostSchema>;

export const CostSchema = z.object({
  costPerHourUsd: z.number(),
  source: z.enum(['recipe', 'flag']),
  /** How `accepted` was judged: 'ok+valid', or 'ok+valid+goodput (criteria)' with per-request goodput criteria. */
  acceptedBy: z.string(),
  phases: z.array(PhaseCostSchema),
});
export type CostResult = z.infer<typeof CostSchema>;

/**
 * An accepted request: finished ok and not judged invalid (json_schema / tool calls; `truncated`
 * counts as invalid); with per-request goodput criteria (--goodput / slo.goodput) it must also have
 * met them, which is the group's `goodput.validGood`.
 */
export function acceptedRequests(g: GroupResult): number {
  if (g.goodput) return g.goodput.validGood;
  const invalid = g.validity.not_json + g.validity.schema_invalid + g.validity.truncated + (g.validity.too_large ?? 0);
  return Math.max(0, g.ok - invalid);
}

export function computeCost(phases: PhaseResult[], costPerHourUsd: number, source: 'recipe' | 'flag'): CostResult {
  const out: PhaseCost[] = [];
  for (const p of phases) {
    const all = p.groups.find((g) => g.class === '*');
    if (!p.record || !all) continue;
    const costUsd = (costPerHourUsd * p.durationS) / 3600;
    const accepted = acceptedRequests(all);
    out.push({
      phase: p.name,
      durationS: p.durationS,
      costUsd: round(costUsd),
      outputTokens: all.outputTokens,
      inputTokens: all.promptTokens,
      accepted,
      usdPer1MOutputTokens: all.outputTokens > 0 ? round((costUsd / all.outputTokens) * 1e6) : null,
      usdPer1MInputTokens: all.promptTokens > 0 ? round((costUsd / all.promptTokens) * 1e6) : null,
      usdPer1kAccepted: accepted > 0 ? round((costUsd / accepted) * 1e3) : null,
    });
  }
  const criteria = phases.flatMap((p) => p.groups).find((g) => g.goodput)?.goodput?.criteria;
  return { costPerHourUsd, source, acceptedBy: criteria ? `ok+valid+goodput (${criteria})` : 'ok+valid', phases: out };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
