// --fail-on thresholds: 'ttft.p95>+10%,error_rate>+0.5pp,tpot.p99>+5ms' parsed into checks and judged
// against a comparison (pure). A check fails only when the candidate (the last run) moved past the
// threshold in the bad direction AND the move is beyond noise, in some aligned phase × class.
import { usageError } from '../util/errors.js';
import type { CompareResult } from './compare.js';
import { COMPARE_METRICS, LATENCY_METRICS, METRIC_BY_ID, STATS, type MetricDef } from './metrics.js';

export type ThresholdUnit = '%' | 'pp' | 'ms' | '/s';

export interface Threshold {
  /** The clause as written, for messages. */
  text: string;
  metric: string;
  /** '>' fails on increases, '<' on decreases. */
  op: '>' | '<';
  /** Signed threshold in `unit` (ms for "s" input). */
  value: number;
  unit: ThresholdUnit;
}

export interface Violation {
  threshold: Threshold;
  phase: string;
  class: string;
  baseline: number;
  candidate: number;
  /** The change in the threshold's unit. */
  change: number;
  message: string;
}

const CLAUSE = /^\s*([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)?)\s*([<>])\s*([+-]?)(\d+(?:\.\d+)?)\s*(%|pp|ms|s|\/s)?\s*$/i;

/** Points at `part` inside `clause` with carets, for error messages. */
function caret(spec: string, offset: number, length: number): string {
  return `\n  ${spec}\n  ${' '.repeat(offset)}${'^'.repeat(Math.max(1, length))}`;
}

function fail(spec: string, offset: number, length: number, message: string): never {
  throw usageError(`--fail-on: ${message}${caret(spec, offset, length)}`);
}

const metricNames = () => [...LATENCY_METRICS.map((m) => m.name), 'throughput', 'error_rate', 'validity_rate'].join(', ');

export function parseFailOn(spec: string): Threshold[] {
  if (spec.trim() === '') throw usageError('--fail-on: empty; write e.g. \'ttft.p95>+10%,error_rate>+0.5pp\'');
  const out: Threshold[] = [];
  let offset = 0;
  for (const raw of spec.split(',')) {
    const lead = raw.length - raw.trimStart().length;
    const at = offset + lead;
    const text = raw.trim();
    offset += raw.length + 1;
    if (text === '') fail(spec, at, 1, 'empty clause (two commas, or a trailing comma)');
    const m = CLAUSE.exec(text);
    if (!m) {
      const opAt = text.search(/[<>]/);
      if (opAt < 0) fail(spec, at, text.length, `"${text}" has no comparison; write metric>+N% (increase) or metric<-N% (decrease)`);
      const left = text.slice(0, opAt).trim();
      if (!/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$/i.test(left)) fail(spec, at, opAt, `"${left}" is not a metric name (metrics: ${metricNames()})`);
      const right = text.slice(opAt + 1);
      fail(spec, at + opAt + 1, right.length, `"${right}" is not a threshold; write a number with a unit: +10% (relative), +5ms (latency), +0.5pp (rates), -20/s (throughput)`);
    }
    const [, name, op, sign, num, unitRaw] = m;
    const metricAt = at + text.indexOf(name);
    const valueAt = at + text.indexOf(op) + 1;
    const valueLen = text.length - (text.indexOf(op) + 1);
    const def = resolveMetric(spec, name.toLowerCase(), metricAt);
    if (!unitRaw) fail(spec, valueAt, valueLen, `threshold "${text.slice(text.indexOf(op) + 1).trim()}" needs a unit: % (relative)${unitHint(def)}`);
    const unitIn = unitRaw.toLowerCase();
    let value = Number(num) * (sign === '-' ? -1 : 1);
    let unit: ThresholdUnit;
    if (unitIn === '%') unit = '%';
    else if (unitIn === 'pp') {
      if (def.kind !== 'rate') fail(spec, valueAt, valueLen, `"pp" (percentage points) applies to error_rate and validity_rate, not ${def.id}; use %${unitHint(def)}`);
      unit = 'pp';
    } else if (unitIn === 'ms' || unitIn === 's') {
      if (def.kind !== 'latency') fail(spec, valueAt, valueLen, `"${unitIn}" applies to latencies, not ${def.id}; use %${unitHint(def)}`);
      unit = 'ms';
      if (unitIn === 's') value *= 1000;
    } else {
      if (def.kind !== 'throughput') fail(spec, valueAt, valueLen, `"/s" applies to throughput, not ${def.id}; use %${unitHint(def)}`);
      unit = '/s';
    }
    if ((op === '>' && value < 0) || (op === '<' && value > 0)) {
      fail(spec, valueAt, valueLen, `"${op}${sign}${num}" mixes directions: use ">+N" to fail on increases or "<-N" to fail on decreases`);
    }
    const regressionOp = def.better === 'lower' ? '>' : '<';
    if (op !== regressionOp) {
      fail(spec, at + text.indexOf(op), 1, `${def.id} is better when ${def.better}; a regression is ${regressionOp === '>' ? 'an increase: use ">+N"' : 'a decrease: use "<-N"'}`);
    }
    out.push({ text, metric: def.id, op, value, unit });
  }
  return out;
}

function unitHint(def: MetricDef): string {
  return def.kind === 'latency' ? ' or ms' : def.kind === 'rate' ? ' or pp' : ' or /s';
}

function resolveMetric(spec: string, name: string, at: number): MetricDef {
  const def = METRIC_BY_ID.get(name);
  if (def) return def;
  const [head, stat] = name.split('.');
  const lat = LATENCY_METRICS.find((m) => m.name === head);
  if (lat) {
    if (stat === undefined) fail(spec, at, name.length, `${head} needs a statistic: ${STATS.map((s) => `${head}.${s}`).join(', ')}`);
    fail(spec, at + head.length + 1, stat.length, `unknown statistic "${stat}" for ${head} (use ${STATS.join(', ')})`);
  }
  if (head === 'throughput') {
    const opts = COMPARE_METRICS.filter((m) => m.kind === 'throughput').map((m) => m.id);
    if (stat === undefined) fail(spec, at, name.length, `throughput needs a measure: ${opts.join(', ')}`);
    fail(spec, at + head.length + 1, stat.length, `unknown throughput measure "${stat}" (use ${opts.join(', ')})`);
  }
  if ((head === 'error_rate' || head === 'validity_rate') && stat !== undefined) {
    fail(spec, at + head.length, stat.length + 1, `${head} takes no statistic`);
  }
  return fail(spec, at, head.length, `unknown metric "${head}" (metrics: ${metricNames()})`);
}

/** The change of a row in a threshold's unit, or null when it cannot be expressed (baseline 0 for %). */
function changeIn(unit: ThresholdUnit, base: number, cand: number): number | null {
  switch (unit) {
    case '%':
      return base !== 0 ? ((cand - base) / base) * 100 : cand === base ? 0 : cand > base ? Infinity : -Infinity;
    case 'pp':
      return (cand - base) * 100;
    default:
      return cand - base;
  }
}

const unitText = (u: ThresholdUnit) => (u === '%' ? '%' : u === 'pp' ? ' pp' : u === 'ms' ? ' ms' : '/s');
const signed = (x: number, digits: number) => (x === Infinity ? '+∞' : x === -Infinity ? '−∞' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`);

/** Checks the candidate (last run) against the baseline (first run) in every aligned phase × class. */
export function evaluateFailOn(cmp: CompareResult, thresholds: Threshold[]): Violation[] {
  const last = cmp.runs.length - 1;
  const out: Violation[] = [];
  for (const t of thresholds) {
    for (const g of cmp.groups) {
      const row = g.rows.find((r) => r.metric === t.metric);
      const ch = row?.changes[last];
      if (!row || !ch) continue;
      const base = row.values[0] as number;
      const cand = row.values[last] as number;
      const c = changeIn(t.unit, base, cand);
      if (c === null) continue;
      const past = t.op === '>' ? c > t.value : c < t.value;
      if (!past || ch.verdict !== 'worse') continue;
      const digits = t.unit === '%' || t.unit === 'pp' ? 1 : 2;
      out.push({
        threshold: t,
        phase: g.phase,
        class: g.class,
        baseline: base,
        candidate: cand,
        change: c,
        message: `${t.text}: phase ${g.phase} class ${g.class === '*' ? 'all' : g.class}: ${t.metric} ${fmtValue(base, row.unit)} → ${fmtValue(cand, row.unit)} (${signed(c, digits)}${unitText(t.unit)}, beyond noise)`,
      });
    }
  }
  return out;
}

function fmtValue(v: number, unit: string): string {
  if (unit === '') return `${(v * 100).toFixed(2)}%`;
  return `${Number(v.toFixed(3))} ${unit}`;
}
