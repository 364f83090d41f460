// A campaign plan (`loadshape campaign plan.yaml`): targets × workloads × points, validated like a
// workload but with the line and column of each bad field (file:line:col: field: what to fix), then
// expanded into the ordered list of points the campaign runs. Pure apart from nothing: the command
// reads the file and hands the text here.
import { dirname, isAbsolute, join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { parseDurationMs, workloadError } from '../util/errors.js';
import { formatPath, issueMessage } from '../workload/load.js';

const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a name of letters, digits, _ . - (it names files)');
const duration = z.union([z.string(), z.number()]).refine((d) => {
  try {
    return parseDurationMs(d, 'duration') > 0;
  } catch {
    return false;
  }
}, 'expected a positive duration such as "30s", "500ms" or "2m"');

const UrlTarget = z
  .object({
    name,
    url: z.string().url('expected a URL such as http://127.0.0.1:8000/v1'),
    model: z.string().min(1).optional(),
    recipe: z.string().min(1).optional(),
    cost_per_hour: z.number().min(0).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    api_key_env: z.string().min(1).optional(),
  })
  .strict();
const SimTarget = z
  .object({
    name,
    /** The embedded simulator's settings, as in a --sim-config file (profile, model, ttft_ms, …). */
    sim: z.record(z.string(), z.unknown()),
    model: z.string().min(1).optional(),
    cost_per_hour: z.number().min(0).optional(),
  })
  .strict();
export const PlanTargetSchema = z.union([UrlTarget, SimTarget]);

const count = z.number().int().min(1);
const Load = z
  .object({
    concurrency: count.optional(),
    rate: z.number().positive().optional(),
    requests: count.optional(),
    duration: duration.optional(),
    /** SLOs of this point alone, judged besides the plan's `gates.slo`. */
    slo: z.array(z.string().min(1)).optional(),
  })
  .strict()
  .refine((l) => (l.concurrency === undefined) !== (l.rate === undefined), 'give exactly one of concurrency (closed loop) or rate (open loop)')
  .refine((l) => l.requests !== undefined || l.duration !== undefined, 'give requests or duration (when the point ends)');
const Sweep = z
  .object({
    sweep: z
      .object({
        slo: z.array(z.string().min(1)).min(1),
        by: z.enum(['rate', 'concurrency']).default('rate'),
        step_duration: duration.optional(),
        min_step_duration: duration.optional(),
        max_steps: z.number().int().min(3).optional(),
      })
      .strict(),
  })
  .strict();
export const PointSchema = z.union([Sweep, Load]);

const Between = z.union([
  z.string().min(1).transform((command) => ({ command, ready_timeout: '10m' })),
  z.object({ command: z.string().min(1).optional(), ready_timeout: duration.default('10m') }).strict(),
]);

export const PlanSchema = z
  .object({
    name,
    targets: z.array(PlanTargetSchema).min(1),
    workloads: z.array(z.string().min(1)).min(1),
    points: z.array(PointSchema).min(1),
    repeat: count.default(1),
    between: Between.optional(),
    gates: z
      .object({ slo: z.array(z.string().min(1)).optional(), goodput: z.string().min(1).optional(), baseline: z.string().min(1).optional(), fail_on: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.targets.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `target name "${t.name}" is used twice; give each target its own name` });
      seen.add(t.name);
    });
  });
export type Plan = z.infer<typeof PlanSchema>;
export type PlanTarget = z.infer<typeof PlanTargetSchema>;
export type PlanPoint = z.infer<typeof PointSchema>;

/** Parses and validates a plan; one error (exit 4) with a `file:line:col: field: message` line per problem. */
export function parsePlan(text: string, file: string): Plan {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw workloadError(doc.errors.slice(0, 20).map((e) => `${file}:${lineCol(text, e.pos[0])}: YAML syntax error: ${e.message.split('\n')[0]}`).join('\n'));
  }
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw workloadError(`${file}:1:1: expected a mapping with name, targets, workloads and points`);
  }
  const result = PlanSchema.safeParse(data, { error: issueMessage, reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap(unionBranch).map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    const what = issue.code === 'unrecognized_keys' ? `unknown field "${issue.keys[0]}"` : issue.message;
    return `${file}:${positionOf(doc, text, path)}: ${path.length > 0 ? formatPath(path) : '(top level)'}: ${what}`;
  });
  throw workloadError(lines.join('\n'));
}

type Issue = z.core.$ZodIssue;

/**
 * A value that matches no variant of a union (a target, a point) is judged by the variant it came
 * closest to (fewest problems), so the message names the bad field, not "matches no variant".
 */
function unionBranch(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
  return best.flatMap((i) => unionBranch({ ...i, path: [...issue.path, ...i.path] } as Issue));
}

/** `line:col` of the field at `path` in the plan's text (of its nearest ancestor when it is missing). */
export function locate(text: string, path: readonly PropertyKey[]): string {
  return positionOf(parseDocument(text), text, path);
}

/** line:col of the node at `path` (its key for a missing or unknown field), else of its nearest ancestor. */
function positionOf(doc: Document, text: string, path: readonly PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const parent = n === 0 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    if (n === 0) return lineCol(text, (parent as { range?: number[] } | null)?.range?.[0] ?? 0);
    if (isMap(parent)) {
      const pair = parent.items.find((it) => (it.key as { value?: unknown } | null)?.value === last);
      const key = pair?.key as { range?: number[] } | undefined;
      if (key?.range) return lineCol(text, key.range[0]);
    }
    if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last] as { range?: number[] } | undefined;
      if (item?.range) return lineCol(text, item.range[0]);
    }
  }
  return '1:1';
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `${before.split('\n').length}:${offset - before.lastIndexOf('\n')}`;
}

/** One point of the campaign: a target, a workload and a load (or a sweep), the k-th time. */
export interface CampaignPoint {
  /** Stable across runs of the same plan: `<target>/<workload>/<n>-<load>/r<k>`. */
  id: string;
  target: string;
  workload: string;
  /** Index in plan.points. */
  pointIndex: number;
  load: PlanPoint;
  repeat: number;
}

/** `rate-20-1s`, `concurrency-2-10req`, `sweep-rate`. */
export function describePoint(p: PlanPoint): string {
  if ('sweep' in p) return `sweep-${p.sweep.by}`;
  const head = p.concurrency !== undefined ? `concurrency-${p.concurrency}` : `rate-${p.rate}`;
  return [head, p.requests !== undefined ? `${p.requests}req` : null, p.duration !== undefined ? String(p.duration) : null].filter((x) => x !== null).join('-');
}

/** The workload name a point files its results under (a path's base name without extension). */
export function workloadKey(w: string): string {
  return w.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, '');
}

/**
 * Points in run order: per repeat, targets in plan order (reversed on even repeats, so each target
 * runs first as often as last: a warm or cooling GPU favours neither), then workloads, then points.
 */
export function expandPoints(plan: Plan): CampaignPoint[] {
  const out: CampaignPoint[] = [];
  for (let k = 1; k <= plan.repeat; k++) {
    const targets = k % 2 === 0 ? [...plan.targets].reverse() : plan.targets;
    for (const t of targets) {
      for (const w of plan.workloads) {
        plan.points.forEach((load, i) => {
          out.push({ id: `${t.name}/${workloadKey(w)}/${i + 1}-${describePoint(load)}/r${k}`, target: t.name, workload: w, pointIndex: i, load, repeat: k });
        });
      }
    }
  }
  return out;
}

/** A workload given as a path resolves against the plan's folder; a bare name stays a name (workloads/NAME.yaml). */
export function resolveWorkloadRef(ref: string, planFile: string): string {
  if (!/[\\/]/.test(ref) && !/\.(ya?ml|json)$/i.test(ref)) return ref;
  return isAbsolute(ref) ? ref : join(dirname(planFile), ref);
}
