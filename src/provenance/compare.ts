// Engine side of `compare`: the recipe fields that differ between the baseline and each other run,
// as notes beside the comparison (a latency change means little without what changed in serving). Pure.
import type { RunResult } from '../results/format.js';
import { recipeDiff } from './recipe.js';

const show = (v: string | number | boolean | null) => (v === null ? '(none)' : String(v));

export function recipeNotes(results: RunResult[], ids: string[]): string[] {
  const base = results[0]?.meta.recipe;
  const notes: string[] = [];
  for (let i = 1; i < results.length; i++) {
    const other = results[i].meta.recipe;
    if (!base && !other) continue;
    if (!base || !other) {
      notes.push(`recipe: only ${base ? ids[0] : ids[i]} of ${ids[0]}/${ids[i]} has a --recipe`);
      continue;
    }
    const d = recipeDiff(base.recipe, other.recipe);
    if (d.length > 0) notes.push(`recipe ${ids[0]} → ${ids[i]} differs in ${d.length} field(s): ${d.map((x) => `${x.field} ${show(x.a)} → ${show(x.b)}`).join('; ')}`);
  }
  return notes;
}
