// SLOs: the threshold language of the promotion gate, parsing only (pure, and low in the layers so the
// workload schema can check `slo:` entries). `ttft.p95 < 500ms class=rag phase=steady` is parsed once
// (workload file `slo:` or `--slo`); gates/slo.ts judges it against a result. Parse errors carry the
// offset of the bad token so callers can put a caret under it.
//
// Grammar (whitespace between tokens is free):
//   slo    := metric op value scope*
//   metric := LATENCY '.' STAT | RATE | THROUGHPUT
//             LATENCY    ttft tpot e2e queue gap first_chunk sched_ttft sched_e2e
//             STAT       p<0–100> (p50, p95, p99.9 …) | mean | min | max
//             RATE       error_rate validity good_fraction valid_good_fraction      (value in %)
//             THROUGHPUT output_tps input_tps rps goodput valid_goodput           (value per second, "/s" optional)
//   op     := < | <= | > | >=
//   value  := number unit      latency: ms | s; rates: %; throughput: none or /s
//   scope  := class=NAME | phase=NAME   (separated by spaces or commas)
import type { MetricKey } from '../metrics/accumulator.js';

export type SloOp = '<' | '<=' | '>' | '>=';
export type SloKind = 'latency' | 'rate' | 'throughput';
export type LatencyStat = { kind: 'percentile'; p: number } | { kind: 'mean' | 'min' | 'max' };

export interface Slo {
  /** The expression as written (trimmed). */
  text: string;
  /** Canonical metric name: "ttft.p95", "error_rate", "output_tps". */
  metric: string;
  kind: SloKind;
  latency?: { key: MetricKey; stat: LatencyStat };
  op: SloOp;
  /** The bound in the metric's base unit: ms (latency), a fraction (rates), per second (throughput). */
  bound: number;
  /** Class scope; null = the all-classes group. */
  class: string | null;
  /** Phase scope; null = every recorded phase (one check each). */
  phase: string | null;
  /** Where it came from: "--slo", "slo.all[0]", "slo.classes.rag[1]". */
  source: string;
}

/** A syntax error at [offset, offset + length) of the expression. */
export class SloSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly length: number,
  ) {
    super(message);
    this.name = 'SloSyntaxError';
  }
}

export const LATENCY_NAMES: Record<string, MetricKey> = {
  ttft: 'ttftMs',
  tpot: 'tpotMs',
  e2e: 'e2eMs',
  queue: 'queueMs',
  gap: 'interChunkMs',
  first_chunk: 'firstChunkMs',
  sched_ttft: 'ttftFromScheduleMs',
  sched_e2e: 'e2eFromScheduleMs',
};

export interface ScalarDef {
  kind: 'rate' | 'throughput';
  needsGoodput?: boolean;
}

/** Rate and throughput metrics by name (gates/slo.ts reads each from a result group). */
export const SCALARS: Record<string, ScalarDef> = {
  error_rate: { kind: 'rate' },
  validity: { kind: 'rate' },
  good_fraction: { kind: 'rate', needsGoodput: true },
  valid_good_fraction: { kind: 'rate', needsGoodput: true },
  output_tps: { kind: 'throughput' },
  input_tps: { kind: 'throughput' },
  rps: { kind: 'throughput' },
  goodput: { kind: 'throughput', needsGoodput: true },
  valid_goodput: { kind: 'throughput', needsGoodput: true },
};
const ALIASES: Record<string, string> = { validity_rate: 'validity', inter_chunk: 'gap', output_tok_per_s: 'output_tps', req_per_s: 'rps' };

const metricList = () => [...Object.keys(LATENCY_NAMES).map((n) => `${n}.p95`), ...Object.keys(SCALARS)].join(', ');

/** Does this SLO read goodput (and so need goodput criteria)? */
export function needsGoodput(slo: Slo): boolean {
  return SCALARS[slo.metric]?.needsGoodput === true;
}

/** `text` with a caret line under [offset, offset + length), indented for an error message. */
export function caretLines(text: string, offset: number, length: number, indent = '  '): string {
  return `${indent}${text}\n${indent}${' '.repeat(offset)}${'^'.repeat(Math.max(1, length))}`;
}

/** Parses one SLO expression; throws SloSyntaxError pointing at the bad token. */
export function parseSlo(input: string, source = '--slo'): Slo {
  const lead = input.length - input.trimStart().length;
  const text = input.trim();
  const err = (message: string, at: number, length: number): never => {
    throw new SloSyntaxError(message, at - lead, length);
  };
  // Offsets below are into `input`; errors are reported into `text`.
  let i = lead;
  const end = lead + text.length;
  const skipWs = () => {
    while (i < end && /\s/.test(input[i])) i++;
  };
  if (text === '') err('empty SLO; write e.g. "ttft.p95 < 500ms"', lead, 1);

  // metric
  const mm = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_.]*)?/.exec(input.slice(i, end));
  if (!mm) err(`expected a metric name (${metricList()})`, i, 1);
  const metricAt = i;
  const rawMetric = mm![0].toLowerCase();
  i += mm![0].length;
  const dot = rawMetric.indexOf('.');
  const headRaw = dot < 0 ? rawMetric : rawMetric.slice(0, dot);
  const head = ALIASES[headRaw] ?? headRaw;
  const statText = dot < 0 ? undefined : rawMetric.slice(dot + 1);
  let kind: SloKind;
  let latency: Slo['latency'];
  let metric: string;
  if (head in LATENCY_NAMES) {
    if (statText === undefined || statText === '') {
      err(`${head} needs a statistic, e.g. ${head}.p95 (p<percentile>, mean, min, max)`, metricAt, rawMetric.length);
    }
    const stat = parseStat(statText!);
    if (!stat) err(`unknown statistic "${statText}" for ${head}: use p<percentile> (p50, p95, p99.9), mean, min or max`, metricAt + dot + 1, statText!.length);
    kind = 'latency';
    latency = { key: LATENCY_NAMES[head], stat: stat! };
    metric = `${head}.${statText}`;
  } else if (head in SCALARS) {
    if (statText !== undefined) err(`${head} takes no statistic`, metricAt + dot, statText.length + 1);
    kind = SCALARS[head].kind;
    metric = head;
  } else {
    const guess = closest(head, [...Object.keys(LATENCY_NAMES), ...Object.keys(SCALARS)]);
    err(`unknown metric "${headRaw}"${guess ? `; did you mean "${guess}"?` : ''} (metrics: ${metricList()})`, metricAt, headRaw.length);
  }

  // operator
  skipWs();
  const om = /^(<=|>=|==|=<|=>|!=|<|>|=)/.exec(input.slice(i, end));
  if (!om) err(`expected a comparison (<, <=, > or >=) after ${metric!}`, i, Math.max(1, tokenLength(input, i, end)));
  const opText = om![0];
  if (!['<', '<=', '>', '>='].includes(opText)) err(`"${opText}" is not a comparison here: use <, <=, > or >=`, i, opText.length);
  const op = opText as SloOp;
  i += opText.length;

  // value with unit
  skipWs();
  const valueAt = i;
  const vm = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|%|\/s)?(?=$|[\s,])/i.exec(input.slice(i, end));
  const tokLen = Math.max(1, tokenLength(input, i, end));
  if (!vm) err(`expected a number with a unit${unitHint(kind!)}`, valueAt, tokLen);
  const num = Number(vm![1]);
  const unit = vm![2]?.toLowerCase();
  let bound: number;
  if (kind! === 'latency') {
    if (unit !== 'ms' && unit !== 's') err(`a latency bound needs a unit: ms or s (e.g. 500ms, 8s)`, valueAt, tokLen);
    bound = unit === 's' ? num * 1000 : num;
  } else if (kind! === 'rate') {
    if (unit !== '%') err(`${metric!} is a rate: write the bound in % (e.g. 1%, 99.5%)`, valueAt, tokLen);
    if (num > 100) err(`a rate bound is at most 100%`, valueAt, tokLen);
    bound = num / 100;
  } else {
    if (unit !== undefined && unit !== '/s') err(`${metric!} is per second: write a bare number or N/s (e.g. 2000)`, valueAt, tokLen);
    bound = num;
  }
  i += vm![0].length;

  // scopes
  let cls: string | null = null;
  let phase: string | null = null;
  for (;;) {
    while (i < end && (/\s/.test(input[i]) || input[i] === ',')) i++;
    if (i >= end) break;
    const sm = /^([A-Za-z_]+)=([A-Za-z0-9_.*-]+)(?=$|[\s,])/.exec(input.slice(i, end));
    const len = tokenLength(input, i, end);
    if (!sm) err(`expected a scope class=NAME or phase=NAME after the bound`, i, len);
    const key = sm![1].toLowerCase();
    const value = sm![2];
    if (key === 'class') {
      if (cls !== null) err('class given twice', i, len);
      cls = value === 'all' || value === '*' ? null : value;
    } else if (key === 'phase') {
      if (phase !== null) err('phase given twice', i, len);
      phase = value;
    } else {
      err(`unknown scope "${sm![1]}": use class=NAME or phase=NAME`, i, sm![1].length);
    }
    i += sm![0].length;
  }
  return { text, metric: metric!, kind: kind!, ...(latency ? { latency } : {}), op, bound, class: cls, phase, source };
}

function parseStat(s: string): LatencyStat | null {
  if (s === 'mean' || s === 'min' || s === 'max') return { kind: s };
  if (s === 'median') return { kind: 'percentile', p: 50 };
  const m = /^p(\d{1,3}(?:\.\d+)?)$/.exec(s);
  if (!m) return null;
  const p = Number(m[1]);
  return p > 0 && p <= 100 ? { kind: 'percentile', p } : null;
}

function unitHint(kind: SloKind): string {
  return kind === 'latency' ? ': ms or s (e.g. 500ms)' : kind === 'rate' ? ': % (e.g. 1%)' : ' (per second, e.g. 2000)';
}

/** Length of the whitespace/comma-delimited token at i (for carets). */
function tokenLength(s: string, i: number, end: number): number {
  let j = i;
  while (j < end && !/[\s,]/.test(s[j])) j++;
  return j - i;
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word, o);
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

export function holds(measured: number, op: SloOp, bound: number): boolean {
  switch (op) {
    case '<':
      return measured < bound;
    case '<=':
      return measured <= bound;
    case '>':
      return measured > bound;
    case '>=':
      return measured >= bound;
  }
}

/** "612.3 ms", "0.85%", "2010.5/s" */
export function formatSloValue(kind: SloKind, v: number): string {
  if (kind === 'latency') return v >= 1000 ? `${Number((v / 1000).toFixed(3))} s` : `${Number(v.toFixed(3))} ms`;
  if (kind === 'rate') return `${Number((v * 100).toFixed(3))}%`;
  return `${Number(v.toFixed(2))}/s`;
}


/** An SLO's phase scope covers the phase itself and, for a `cache: both` phase, its -cold and -warm halves. */
export function phaseInScope(scope: string, phaseName: string): boolean {
  return phaseName === scope || phaseName === `${scope}-cold` || phaseName === `${scope}-warm`;
}
