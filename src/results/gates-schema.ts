// The gates' part of the result file (zod): SLO checks, run-validity checks, the baseline
// regression and the verdict with its exit code. Optional in the result, so older files still read.
import { z } from 'zod';

export const SloCheckSchema = z.object({
  /** The expression as written. */
  slo: z.string(),
  /** "--slo", "slo.all[0]", "slo.classes.rag[1]". */
  source: z.string(),
  metric: z.string(),
  kind: z.enum(['latency', 'rate', 'throughput']),
  op: z.enum(['<', '<=', '>', '>=']),
  /** ms (latency), fraction (rate), per second (throughput). */
  bound: z.number(),
  phase: z.string(),
  /** Class name, or "*" for all classes. */
  class: z.string(),
  /** Same unit as `bound`; null when there was nothing to measure (which fails the check). */
  measured: z.number().nullable(),
  pass: z.boolean(),
  note: z.string().optional(),
});
export type SloCheck = z.infer<typeof SloCheckSchema>;

export const RunCheckSchema = z.object({
  /** "client not saturated", "phase steady: open-loop schedule met", … */
  name: z.string(),
  pass: z.boolean(),
  detail: z.string(),
});
export type RunCheck = z.infer<typeof RunCheckSchema>;

export const RegressionSchema = z.object({
  baseline: z.string(),
  baselineRunId: z.string(),
  failOn: z.string(),
  /** One per --fail-on clause; a clause fails when any aligned phase × class moved past it beyond noise. */
  checks: z.array(z.object({ clause: z.string(), pass: z.boolean(), violations: z.array(z.string()) })),
  /** What did not align between baseline and run (phases, load, workload, saturation). */
  notes: z.array(z.string()),
});
export type RegressionResult = z.infer<typeof RegressionSchema>;

export const VERDICTS = ['pass', 'slo_failed', 'regression', 'invalid_run', 'unreachable'] as const;
export type VerdictName = (typeof VERDICTS)[number];

export const GatesSchema = z.object({
  verdict: z.enum(VERDICTS),
  exitCode: z.number(),
  /** One line saying why (the first deciding failure), for humans. */
  reason: z.string(),
  slos: z.array(SloCheckSchema),
  /** Per-request criteria of a good request (--goodput / slo.goodput), or null. */
  goodput: z.string().nullable(),
  runChecks: z.array(RunCheckSchema),
  regression: RegressionSchema.nullable(),
  /** --abort-on-fail stopped the run: the SLO that was already lost. */
  abortedOnFail: z.string().nullable(),
});
export type GatesResult = z.infer<typeof GatesSchema>;

/** Per phase × class goodput (absent without goodput criteria). */
export const GroupGoodputSchema = z.object({
  criteria: z.string(),
  /** Successful requests that met every criterion. */
  good: z.number(),
  /** Good requests whose output was also valid (or not judged: no schema, no tools). */
  validGood: z.number(),
  /** good / requests (finished, errors included). */
  goodFraction: z.number(),
  validGoodFraction: z.number(),
  /** good requests per second of the phase wall time. */
  goodRps: z.number(),
  validGoodRps: z.number(),
});
export type GroupGoodput = z.infer<typeof GroupGoodputSchema>;
