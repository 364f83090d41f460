// Goodput criteria (pure): what makes one request "good", as DistServe and vLLM's `--goodput` define
// it: `ttft<=500ms,tpot<=50ms` — a successful request that met every per-request limit. The
// accumulator judges each record as it arrives and counts the good ones; nothing per request is kept.
// "Valid goodput" also requires valid structured output (a request that was not judged — no schema,
// no tool call — counts as valid).
import type { RequestRecord } from '../client/record.js';
import { SloSyntaxError } from './grammar.js';

export type GoodputField = 'ttft' | 'tpot' | 'e2e' | 'sched_ttft' | 'sched_e2e' | 'first_chunk';

export interface GoodputLimit {
  field: GoodputField;
  op: '<' | '<=';
  ms: number;
}

export interface GoodputCriteria {
  /** Canonical text, stored in the result ("ttft<=500ms,tpot<=50ms"). */
  text: string;
  limits: GoodputLimit[];
}

const FIELDS: readonly GoodputField[] = ['ttft', 'tpot', 'e2e', 'sched_ttft', 'sched_e2e', 'first_chunk'];

/** Parses `ttft<=500ms,tpot<=50ms`; throws SloSyntaxError pointing at the bad clause. */
export function parseGoodput(spec: string): GoodputCriteria {
  if (spec.trim() === '') throw new SloSyntaxError("empty; write e.g. 'ttft<=500ms,tpot<=50ms'", 0, 1);
  const limits: GoodputLimit[] = [];
  let offset = 0;
  for (const raw of spec.split(',')) {
    const at = offset + (raw.length - raw.trimStart().length);
    const text = raw.trim();
    offset += raw.length + 1;
    if (text === '') throw new SloSyntaxError('empty clause (two commas, or a trailing comma)', at, 1);
    const m = /^([a-z_][a-z0-9_]*)\s*(<=|<|>=|>|=)?\s*(.*)$/i.exec(text);
    const name = m ? m[1].toLowerCase() : text;
    if (!m || !FIELDS.includes(name as GoodputField)) {
      throw new SloSyntaxError(`unknown per-request metric "${m ? m[1] : text}" (use ${FIELDS.join(', ')})`, at, m ? m[1].length : text.length);
    }
    const opAt = at + m[1].length + (text.slice(m[1].length).length - text.slice(m[1].length).trimStart().length);
    const op = m[2];
    if (op !== '<' && op !== '<=') {
      throw new SloSyntaxError(`a good request is bounded from above: write ${name}<=N or ${name}<N`, opAt, Math.max(1, op?.length ?? 1));
    }
    const valueAt = at + text.length - m[3].length;
    const vm = /^(\d+(?:\.\d+)?)(ms|s)$/i.exec(m[3]);
    if (!vm) throw new SloSyntaxError(`expected a duration with a unit, e.g. 500ms or 2s`, valueAt, Math.max(1, m[3].length));
    const ms = Number(vm[1]) * (vm[2].toLowerCase() === 's' ? 1000 : 1);
    if (limits.some((l) => l.field === name)) throw new SloSyntaxError(`${name} given twice`, at, text.length);
    limits.push({ field: name as GoodputField, op, ms });
  }
  return { text: limits.map((l) => `${l.field}${l.op}${l.ms}ms`).join(','), limits };
}

function value(r: RequestRecord, f: GoodputField): number | null {
  switch (f) {
    case 'ttft':
      return r.ttftMs;
    case 'tpot':
      return r.tpotMs;
    case 'e2e':
      return r.e2eMs;
    case 'first_chunk':
      return r.firstChunkMs;
    case 'sched_ttft':
      return r.ttftMs === null ? null : r.ttftMs + r.queueMs;
    case 'sched_e2e':
      return r.e2eMs === null ? null : r.e2eMs + r.queueMs;
  }
}

/**
 * A successful request that meets every limit. A missing value fails its limit, except TPOT: a
 * response of one token has no decode pace to judge (vLLM's goodput does the same).
 */
export function isGood(r: RequestRecord, c: GoodputCriteria): boolean {
  if (r.status !== 'ok') return false;
  for (const l of c.limits) {
    const v = value(r, l.field);
    if (v === null) {
      if (l.field === 'tpot') continue;
      return false;
    }
    if (l.op === '<' ? !(v < l.ms) : !(v <= l.ms)) return false;
  }
  return true;
}

/** Good, and its output valid or not judged. */
export function isValidGood(r: RequestRecord, c: GoodputCriteria): boolean {
  return isGood(r, c) && (r.validity === null || r.validity === 'valid');
}
