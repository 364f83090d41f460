// CSV for capacity spreadsheets (pure): one row per run × recorded phase × class with stable column
// names (documented in the README), or --long: one metric value per row for pivot tables.
// Values are the result file's numbers unrounded, so a spreadsheet and the JSON agree to the digit.
import { stringify } from 'csv-stringify/sync';
import type { GroupResult, PhaseResult, RunResult } from '../results/format.js';
import type { MetricKey } from '../metrics/accumulator.js';
import { describeLoad } from '../schedule/phases.js';
import { phaseRates, scheduleMet } from '../results/rates.js';
import { costCsvCells, costCsvColumns } from '../cost/csv.js';

export interface CsvInput {
  file: string;
  result: RunResult;
}

/** Latency metrics in CSV order with their column prefix. */
export const CSV_LATENCY: readonly [string, MetricKey][] = [
  ['ttft', 'ttftMs'],
  ['first_chunk', 'firstChunkMs'],
  ['tpot', 'tpotMs'],
  ['inter_chunk', 'interChunkMs'],
  ['e2e', 'e2eMs'],
  ['queue', 'queueMs'],
  ['sched_ttft', 'ttftFromScheduleMs'],
  ['sched_e2e', 'e2eFromScheduleMs'],
];
const CSV_STATS = [
  ['p50', 'p50Ms'],
  ['p90', 'p90Ms'],
  ['p95', 'p95Ms'],
  ['p99', 'p99Ms'],
  ['max', 'maxMs'],
] as const;

type Cell = string | number | null;

/** Identifying columns before the labels. */
export const CSV_ID_COLUMNS = ['run_id', 'started_at', 'file'] as const;
/** Columns after the labels: the run context, then the measured values. */
export const CSV_COLUMNS = [
  'workload',
  'workload_sha256',
  'model',
  'target',
  'phase',
  'phase_index',
  'class',
  'load_model',
  'load_value',
  'load',
  // Whether to trust the row: the harness's health, a cut-short run, the open-loop schedule, the gates'
  // verdict and, for a sweep, the step's role, pass/fail and whether it is the answer.
  'client_saturated',
  'client_reason',
  'interrupted',
  'schedule_met',
  'gate_verdict',
  'sweep_role',
  'sweep_pass',
  'sweep_answer',
  'duration_s',
  'requests',
  'ok',
  'errors',
  'error_rate',
  // Rates as docs/metrics.md defines them; offered and sent are the phase's (the same on each class row).
  'offered_rps',
  'sent_rps',
  'completed_rps',
  'req_per_s',
  'input_tok_per_s',
  'output_tok_per_s',
  ...CSV_LATENCY.flatMap(([name]) => CSV_STATS.map(([stat]) => `${name}_${stat}_ms`)),
  'validity_rate',
  // Goodput (empty without --goodput criteria): good requests per second, the good share of requests, and the valid-good ones.
  'goodput_per_s',
  'good_fraction',
  'valid_goodput_per_s',
  'valid_good_fraction',
  // Upload, images, prefix cache and reasoning (empty where the group has none).
  'request_bytes_total',
  'request_bytes_mean',
  'images',
  'image_bytes',
  'cached_tokens',
  'cached_fraction',
  'intended_shared_fraction',
  'reasoning_tokens',
  'reasoning_tokens_source',
  'answer_tpot_p50_ms',
  'answer_tpot_p99_ms',
] as const;
/** Columns that identify a row in --long output (everything before the measured values). */
const LONG_KEY_LAST = 'duration_s';

/** "concurrency 8", "rate 20", "ramp 8→24": the load model's value as a number (ramps give their end rate). */
function loadValue(p: PhaseResult): number | string {
  const l = p.load;
  if (l.kind === 'closed') return l.concurrency;
  if (l.ramp) return `${l.ramp.fromRps}-${l.ramp.toRps}`;
  return l.rateRps ?? '';
}

function labelColumn(key: string): string {
  return `label_${key.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function row(x: CsvInput, p: PhaseResult, g: GroupResult, labelKeys: string[]): Record<string, Cell> {
  const m = x.result.meta;
  const rates = phaseRates(p);
  const r: Record<string, Cell> = { run_id: m.runId, started_at: m.startedAt, file: x.file };
  for (const k of labelKeys) r[labelColumn(k)] = m.labels[k] ?? '';
  Object.assign(r, {
    workload: m.workload.name,
    workload_sha256: m.workload.sha256,
    model: m.model,
    target: m.target.url,
    phase: p.name,
    phase_index: p.index,
    class: g.class === '*' ? 'all' : g.class,
    load_model: p.load.kind,
    load_value: loadValue(p),
    load: describeLoad(p.load),
    ...trustCells(x.result, p),
    duration_s: p.durationS,
    requests: g.requests,
    ok: g.ok,
    errors: g.errors,
    error_rate: g.errorRate,
    offered_rps: rates.offeredRps,
    sent_rps: rates.sentRps,
    completed_rps: g.throughput.requestsPerS,
    req_per_s: g.throughput.requestsPerS,
    input_tok_per_s: g.throughput.inputTokensPerS,
    output_tok_per_s: g.throughput.outputTokensPerS,
  });
  for (const [name, key] of CSV_LATENCY) {
    const metric = g.metrics[key];
    for (const [stat, field] of CSV_STATS) r[`${name}_${stat}_ms`] = metric.count > 0 ? metric[field] : null;
  }
  r.validity_rate = g.validityRate;
  r.goodput_per_s = g.goodput ? g.goodput.goodRps : null;
  r.good_fraction = g.goodput ? g.goodput.goodFraction : null;
  r.valid_goodput_per_s = g.goodput ? g.goodput.validGoodRps : null;
  r.valid_good_fraction = g.goodput ? g.goodput.validGoodFraction : null;
  Object.assign(r, mediaCells(g));
  Object.assign(r, costCsvCells(x.result, p, g));
  Object.assign(r, turnCells(g));
  return r;
}

/** Upload, images, cache and reasoning: the group's figures, blank where it has none. */
function mediaCells(g: GroupResult): Record<string, Cell> {
  const bytes = g.requestBytes ?? null;
  const rs = g.reasoning;
  const at = rs !== undefined && rs.answerTpotMs.count > 0 ? rs.answerTpotMs : null;
  return {
    request_bytes_total: bytes,
    request_bytes_mean: bytes !== null && g.requests > 0 ? Math.round(bytes / g.requests) : null,
    images: g.images?.images ?? null,
    image_bytes: g.images?.imageBytes ?? null,
    cached_tokens: g.cache && g.cache.reported > 0 ? g.cache.cachedTokens : null,
    cached_fraction: g.cache?.cachedFraction ?? null,
    intended_shared_fraction: g.cache?.intendedSharedFraction ?? null,
    reasoning_tokens: rs?.reasoningTokens ?? null,
    reasoning_tokens_source: rs === undefined ? null : rs.fromChunks === 0 ? 'usage' : rs.fromUsage === 0 ? 'chunks' : 'mixed',
    answer_tpot_p50_ms: at?.p50Ms ?? null,
    answer_tpot_p99_ms: at?.p99Ms ?? null,
  };
}

/** Booleans as true/false, missing values blank (not "false": a closed loop has no schedule to meet). */
function trustCells(res: RunResult, p: PhaseResult): Record<string, Cell> {
  const b = (x: boolean | null | undefined): Cell => (x === null || x === undefined ? null : String(x));
  const step = res.sweep?.steps.find((s) => s.phase === p.name);
  return {
    client_saturated: b(res.clientSaturated),
    client_reason: res.clientSaturated ? (res.client.reason ?? null) : null,
    interrupted: b(res.meta.interrupted),
    schedule_met: b(scheduleMet(p)),
    gate_verdict: res.gates?.verdict ?? null,
    sweep_role: step?.role ?? null,
    sweep_pass: b(step?.pass),
    sweep_answer: res.sweep ? b(res.sweep.bestPhase === p.name) : null,
  };
}

/** Prefix of the conversation-position values, which only --long output carries (their number varies by run). */
const TURN_PREFIX = 'turn_';

/** Conversation classes: per position, e.g. turn_2_ttft_p95_ms or turn_1_tool_requests. */
function turnCells(g: GroupResult): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  for (const t of g.turns ?? []) {
    const name = `${TURN_PREFIX}${t.turn}${t.toolFollowUp ? '_tool' : ''}`;
    out[`${name}_requests`] = t.requests;
    out[`${name}_prompt_tokens_mean`] = t.ok > 0 ? Math.round((t.promptTokens / t.ok) * 10) / 10 : null;
    for (const [stat, field] of CSV_STATS) out[`${name}_ttft_${stat}_ms`] = t.ttftMs.count > 0 ? t.ttftMs[field] : null;
  }
  return out;
}

export function csvColumns(inputs: CsvInput[]): string[] {
  const labelKeys = [...new Set(inputs.flatMap((x) => Object.keys(x.result.meta.labels)))].sort();
  return [...CSV_ID_COLUMNS, ...labelKeys.map(labelColumn), ...CSV_COLUMNS, ...costCsvColumns(inputs.map((x) => x.result))];
}

export function csvRows(inputs: CsvInput[]): Record<string, Cell>[] {
  const labelKeys = [...new Set(inputs.flatMap((x) => Object.keys(x.result.meta.labels)))].sort();
  const rows: Record<string, Cell>[] = [];
  for (const x of inputs) {
    for (const p of x.result.phases) {
      if (!p.record) continue;
      for (const g of p.groups) rows.push(row(x, p, g, labelKeys));
    }
  }
  return rows;
}

const stringifyOpts = { header: true, record_delimiter: 'windows', cast: { number: (n: number) => String(n) } } as const;

/** Wide CSV: one row per run × phase × class. RFC 4180: CRLF, fields with commas, quotes or newlines quoted. */
export function toCsv(inputs: CsvInput[]): string {
  const columns = csvColumns(inputs);
  const rows = csvRows(inputs).map((r) => columns.map((c) => r[c] ?? ''));
  return stringify(rows, { ...stringifyOpts, columns });
}

/** Long (tidy) CSV: the identifying columns, then metric and value; one measured value a row (empty values left out). */
export function toLongCsv(inputs: CsvInput[]): string {
  const columns = csvColumns(inputs);
  const keyCols = columns.slice(0, columns.indexOf(LONG_KEY_LAST) + 1);
  const valueCols = columns.slice(columns.indexOf(LONG_KEY_LAST) + 1);
  const out: Cell[][] = [];
  for (const r of csvRows(inputs)) {
    for (const c of [...valueCols, ...Object.keys(r).filter((k) => k.startsWith(TURN_PREFIX))]) {
      const v = r[c];
      if (v === null || v === undefined || v === '') continue;
      out.push([...keyCols.map((k) => r[k] ?? ''), c, v]);
    }
  }
  return stringify(out, { ...stringifyOpts, columns: [...keyCols, 'metric', 'value'] });
}
