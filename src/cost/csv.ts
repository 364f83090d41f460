// Cost columns for `export csv`: present only when some run has a price; filled on each phase's
// all-classes row (cost is per phase), empty on class rows. Pure.
import type { GroupResult, PhaseResult, RunResult } from '../results/format.js';

export const COST_CSV_COLUMNS = ['usd_per_hour', 'cost_usd', 'usd_per_1m_output_tokens', 'usd_per_1m_input_tokens', 'usd_per_1k_accepted', 'accepted'] as const;

export function costCsvColumns(results: RunResult[]): string[] {
  return results.some((r) => r.cost) ? [...COST_CSV_COLUMNS] : [];
}

export function costCsvCells(r: RunResult, p: PhaseResult, g: GroupResult): Record<string, number | null> {
  const c = g.class === '*' ? r.cost?.phases.find((x) => x.phase === p.name) : undefined;
  return {
    usd_per_hour: c && r.cost ? r.cost.costPerHourUsd : null,
    cost_usd: c?.costUsd ?? null,
    usd_per_1m_output_tokens: c?.usdPer1MOutputTokens ?? null,
    usd_per_1m_input_tokens: c?.usdPer1MInputTokens ?? null,
    usd_per_1k_accepted: c?.usdPer1kAccepted ?? null,
    accepted: c?.accepted ?? null,
  };
}
