// Serving recipe: what was served, as the team declares it (engine, version, model, parallelism,
// GPUs, batching flags, price). Validated with zod, embedded in the result with its sha256, and
// diffed field by field by `compare`.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { LoadshapeError, usageError } from '../util/errors.js';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const RecipeSchema = z
  .object({
    engine: z.string().min(1),
    version: z.string().optional(),
    model: z.string().min(1),
    quantization: z.string().optional(),
    tensor_parallel: z.number().int().positive().optional(),
    pipeline_parallel: z.number().int().positive().optional(),
    gpu: z.object({ model: z.string().min(1), count: z.number().int().positive() }).strict(),
    context_length: z.number().int().positive().optional(),
    /** Batching and scheduler flags as given to the engine, e.g. max_num_seqs, max_num_batched_tokens, enable_chunked_prefill. */
    batching: z.record(z.string(), Scalar).optional(),
    /** Other engine flags worth recording. */
    flags: z.record(z.string(), Scalar).optional(),
    /** US dollars per GPU-hour; × gpu.count gives the serving cost per hour. */
    cost_per_gpu_hour: z.number().nonnegative().optional(),
    notes: z.string().optional(),
  })
  .strict();
export type Recipe = z.infer<typeof RecipeSchema>;

export const EmbeddedRecipeSchema = z.object({ file: z.string(), sha256: z.string(), recipe: RecipeSchema });
export type EmbeddedRecipe = z.infer<typeof EmbeddedRecipeSchema>;

export function parseRecipe(text: string, file: string): EmbeddedRecipe {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw usageError(`--recipe ${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = RecipeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.join('.') || '(top level)';
    throw usageError(`--recipe ${file}: ${path}: ${issue.message} (fields: engine, version, model, quantization, tensor_parallel, pipeline_parallel, gpu {model, count}, context_length, batching, flags, cost_per_gpu_hour, notes)`);
  }
  return { file, sha256: createHash('sha256').update(text).digest('hex'), recipe: parsed.data };
}

export async function loadRecipe(file: string): Promise<EmbeddedRecipe> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LoadshapeError('usage', `--recipe ${file}: cannot read (${(err as { code?: string }).code ?? (err as Error).message})`);
  }
  return parseRecipe(text, file);
}

/** Serving cost per hour in USD from a recipe, or null when it gives no price. */
export function recipeCostPerHour(r: Recipe): number | null {
  return r.cost_per_gpu_hour === undefined ? null : r.cost_per_gpu_hour * r.gpu.count;
}

export interface RecipeDifference {
  /** Dotted path, e.g. "gpu.model", "batching.max_num_seqs". */
  field: string;
  a: string | number | boolean | null;
  b: string | number | boolean | null;
}

/** Exactly the fields whose values differ between two recipes (absent on one side = null). Pure. */
export function recipeDiff(a: Recipe | null | undefined, b: Recipe | null | undefined): RecipeDifference[] {
  const fa = flatten(a ?? {});
  const fb = flatten(b ?? {});
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const out: RecipeDifference[] = [];
  for (const k of keys) {
    const va = fa.get(k) ?? null;
    const vb = fb.get(k) ?? null;
    if (va !== vb) out.push({ field: k, a: va, b: vb });
  }
  return out;
}

function flatten(o: object, prefix = '', into = new Map<string, string | number | boolean>()): Map<string, string | number | boolean> {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object') flatten(v as object, key, into);
    else into.set(key, v as string | number | boolean);
  }
  return into;
}

/** "gpu.model: H100 → H200" lines for compare output. */
export function renderRecipeDiff(diffs: RecipeDifference[], labels: [string, string] = ['A', 'B']): string[] {
  if (diffs.length === 0) return [];
  return [`recipe differences (${labels[0]} → ${labels[1]}):`, ...diffs.map((d) => `  ${d.field}: ${d.a ?? '(none)'} → ${d.b ?? '(none)'}`)];
}
