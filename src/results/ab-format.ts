// The pairing file of `loadshape ab`: it names the two side result files (each a normal result that
// report, compare, export and merge read) and holds what only the pair knows: the paired summary per
// metric (B − A and B/A over pairs, bootstrap intervals, verdicts), the fairness checks and the gates.
// zod is the source of the types; reads say which field is wrong and how to fix it.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LoadshapeError } from '../util/errors.js';
import { writeFileAtomic } from './io.js';

export const AB_FORMAT = 'loadshape-ab';
export const AB_VERSION = 1;

export const PAIRED_VERDICTS = ['better', 'worse', 'within_noise', 'differs', 'not_compared'] as const;
export type PairedVerdict = (typeof PAIRED_VERDICTS)[number];

/**
 * One statistic (p50, p95, p99; `rate` for errors and validity) of a paired metric: A's and B's value
 * over the pairs, B − A of them with its interval (what the verdict judges), and the same statistic
 * of the per-pair differences and ratios (how the pairs moved).
 */
export const PairedStatSchema = z.object({
  a: z.number(),
  b: z.number(),
  /** B's statistic − A's: what the interval and the verdict are about. */
  diff: z.number(),
  /** The statistic of the per-pair differences B − A (for rates: the same as diff). */
  delta: z.number(),
  /** The statistic of the per-pair ratios B / A; null where A is 0. */
  ratio: z.number().nullable(),
  /** Bootstrap interval of diff, resampling pairs (family-wise confidence); null with fewer than 2 pairs. */
  ci: z.tuple([z.number(), z.number()]).nullable(),
  verdict: z.enum(PAIRED_VERDICTS),
  /** Fewer pairs than the statistic needs (p95: 100, p99: 500): never beyond noise. */
  fewSamples: z.object({ have: z.number(), need: z.number() }).optional(),
});
export type PairedStat = z.infer<typeof PairedStatSchema>;

/** Histogram of the per-pair differences B − A (what the HTML chart draws). */
export const DiffHistSchema = z.object({ from: z.number(), bin: z.number(), counts: z.array(z.number()) });
export type DiffHist = z.infer<typeof DiffHistSchema>;

export const PairedMetricSchema = z.object({
  label: z.string(),
  unit: z.enum(['ms', 'tokens', 'rate']),
  /** Which direction is better; null for output tokens (a difference is only a difference). */
  better: z.enum(['lower', 'higher']).nullable(),
  /** Pairs where both sides have a value. */
  pairs: z.number(),
  /** p50/p95/p99 (latencies, tokens) or rate (errors, validity). */
  stats: z.record(z.string(), PairedStatSchema),
  hist: DiffHistSchema.nullable(),
  note: z.string().optional(),
});
export type PairedMetric = z.infer<typeof PairedMetricSchema>;

const SideRefSchema = z.object({
  /** The side's result file as written. */
  file: z.string(),
  runId: z.string(),
  target: z.string(),
  model: z.string(),
  labels: z.record(z.string(), z.string()),
});
export type SideRef = z.infer<typeof SideRefSchema>;

const ScheduleCountsSchema = z.object({ scheduled: z.number(), sent: z.number(), dropped: z.number() });

export const FairnessSchema = z.object({
  /** Every pair sent the same body to both sides (the model field aside). */
  sameBodies: z.boolean(),
  bodyMismatches: z.number(),
  /** sha256 over the hashes of each side's bodies in pair order (model field aside): equal when the sides got the same requests. */
  bodiesSha256: z.object({ a: z.string(), b: z.string() }),
  /** Mirrored open loop: both sides' requests had one scheduled send instant per pair. */
  sendInstantsShared: z.boolean(),
  /** |sent A − sent B| per pair; null where the sides do not share a clock (interleaved). */
  sendSkewMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).nullable(),
  saturated: z.object({ a: z.boolean(), b: z.boolean() }),
  schedule: z.object({ a: ScheduleCountsSchema, b: ScheduleCountsSchema }),
  outputLength: z.object({ disagreeingPairs: z.number(), fraction: z.number(), disagree: z.boolean() }),
  notes: z.array(z.string()),
});
export type Fairness = z.infer<typeof FairnessSchema>;

export const AbViolationSchema = z.object({ clause: z.string(), message: z.string() });

export const AbResultSchema = z.object({
  format: z.literal(AB_FORMAT),
  version: z.literal(AB_VERSION),
  startedAt: z.string(),
  mode: z.enum(['mirrored', 'interleaved']),
  /** Interleaved: the side of each round, in order. */
  rounds: z.array(z.enum(['a', 'b'])).nullable(),
  workload: z.object({ name: z.string(), seed: z.number(), sha256: z.string() }),
  sides: z.object({ a: SideRefSchema, b: SideRefSchema }),
  pairs: z.number(),
  unpaired: z.object({ a: z.number(), b: z.number() }),
  metrics: z.record(z.string(), PairedMetricSchema),
  fairness: FairnessSchema,
  verdict: z.object({ headline: z.string(), worse: z.array(z.string()), better: z.array(z.string()) }),
  /** `compare`'s headline of the two side results judged unpaired (B against A); null when not compared. */
  unpairedVerdict: z.string().nullable(),
  gates: z.object({ failOn: z.string(), violations: z.array(AbViolationSchema) }).nullable(),
  /** Why the experiment is invalid (exit 3): a side saturated, or failed to send its schedule. */
  invalid: z.array(z.string()),
  exitCode: z.number(),
  settings: z.object({ confidence: z.number(), minEffect: z.number(), floorMs: z.number(), resamples: z.number(), seed: z.number() }),
});
export type AbResult = z.infer<typeof AbResultSchema>;

export async function writeAbResult(path: string, result: AbResult): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(result, null, 1)}\n`);
}

/** The pairing file in `text`, or null when `text` is another kind of file (a run result). */
export function parseAbResult(text: string, file: string): AbResult | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null; // not JSON: the run-result reader names the problem
  }
  if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== AB_FORMAT) return null;
  const parsed = AbResultSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new LoadshapeError('result_file', `${file}: ${path || '(root)'}: ${issue.message}; the A/B pairing file was changed after loadshape wrote it: restore it or rerun \`loadshape ab\``);
  }
  return parsed.data;
}

/** Reads `file` when it is a pairing file; null for any other file (read it as a run result). */
export async function readAbResultIfAny(file: string): Promise<AbResult | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null; // the run-result reader says why it cannot be read
  }
  return parseAbResult(text, file);
}
