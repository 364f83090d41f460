// The terminal summary: per phase, one row per class plus the all-classes row. Pure: result in, text out.
import { describeRates, phaseRates } from '../results/rates.js';
import { adviceFor, describeLagWhen, describeLoopHealth } from '../results/client-verdict.js';
import type { GroupResult, PhaseResult, RunResult, TurnResult } from '../results/format.js';
import { describeLoad } from '../schedule/phases.js';
import { renderGatesText } from '../gates/render.js';
import { renderEngineSide } from '../provenance/render.js';
import { MEDIA_HEADERS, mediaRows } from './media.js';

export interface Column {
  header: string;
  value: (g: GroupResult, p: PhaseResult) => string;
}

const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)}s` : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const num = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
/** A latency percentile, blank ("-") when nothing was measured: a run whose every request failed has no TTFT, not a TTFT of 0. */
const lat = (m: { count: number; p50Ms: number; p95Ms: number; p99Ms: number }, stat: 'p50Ms' | 'p95Ms' | 'p99Ms') => (m.count > 0 ? ms(m[stat]) : '-');

export const SUMMARY_COLUMNS: Column[] = [
  { header: 'class', value: (g, p) => (g.class !== '*' ? g.class : soleClass(p) !== null ? `all = ${soleClass(p)}` : 'all') },
  { header: 'reqs', value: (g) => String(g.requests) },
  { header: 'err', value: (g) => (g.errors === 0 ? '0' : `${g.errors} (${pct(g.errorRate)})`) },
  { header: 'completed rps', value: (g) => num(g.throughput.requestsPerS) },
  { header: 'out tok/s', value: (g) => num(g.throughput.outputTokensPerS) },
  { header: 'TTFT p50', value: (g) => lat(g.metrics.ttftMs, 'p50Ms') },
  { header: 'TTFT p99', value: (g) => lat(g.metrics.ttftMs, 'p99Ms') },
  { header: 'TPOT p50', value: (g) => lat(g.metrics.tpotMs, 'p50Ms') },
  { header: 'TPOT p99', value: (g) => lat(g.metrics.tpotMs, 'p99Ms') },
  { header: 'gap p99', value: (g) => lat(g.metrics.interChunkMs, 'p99Ms') },
  { header: 'E2E p50', value: (g) => lat(g.metrics.e2eMs, 'p50Ms') },
  { header: 'E2E p99', value: (g) => lat(g.metrics.e2eMs, 'p99Ms') },
  { header: 'queue p99', value: (g) => lat(g.metrics.queueMs, 'p99Ms') },
  { header: 'sched TTFT p99', value: (g) => lat(g.metrics.ttftFromScheduleMs, 'p99Ms') },
  { header: 'valid', value: (g) => (g.validityRate === null ? '-' : pct(g.validityRate)) },
];

/** Shown when the run had goodput criteria (--goodput): good requests per second, and their share. */
export const GOODPUT_COLUMNS: Column[] = [
  { header: 'goodput/s', value: (g) => (g.goodput ? num(g.goodput.goodRps) : '-') },
  { header: 'good', value: (g) => (g.goodput ? pct(g.goodput.goodFraction) : '-') },
  { header: 'valid good/s', value: (g) => (g.goodput ? num(g.goodput.validGoodRps) : '-') },
];

/** The class of a phase that has only one: its row would repeat the all-classes row number for number. */
export function soleClass(p: PhaseResult): string | null {
  const named = p.groups.filter((g) => g.class !== '*');
  return p.groups.length === 2 && p.groups[0].class === '*' && named.length === 1 && named[0].requests === p.groups[0].requests ? named[0].class : null;
}

/** The groups a summary shows: a single-class phase once (as `all = <class>`), not twice. */
export function shownGroups(p: PhaseResult): GroupResult[] {
  return soleClass(p) !== null ? p.groups.filter((g) => g.class === '*') : p.groups;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function phaseHeading(p: PhaseResult): string {
  const bits = [`phase ${p.name}`, describeLoad(p.load), `${p.durationS.toFixed(1)}s`];
  const rates = describeRates(phaseRates(p));
  if (rates) bits.push(rates);
  if (p.dropped > 0) bits.push(`${p.dropped} dropped (never sent)`);
  if (!p.record) bits.push('warm-up, not recorded');
  return bits.join(' · ');
}

/** Columns of a conversation class's by-turn table (text and HTML). */
export const TURN_HEADERS = ['turn', 'reqs', 'prompt tok', 'TTFT p50', 'TTFT p95', 'TTFT p99'];

/** One conversation position as table cells, in TURN_HEADERS order. */
export function turnCells(t: TurnResult): string[] {
  return [
    t.toolFollowUp ? `${t.turn} + tool results` : String(t.turn),
    String(t.requests),
    t.ok > 0 ? (t.promptTokens / t.ok).toFixed(0) : '-',
    lat(t.ttftMs, 'p50Ms'),
    lat(t.ttftMs, 'p95Ms'),
    lat(t.ttftMs, 'p99Ms'),
  ];
}

/** Conversation classes: TTFT by position in the conversation, one table per class. */
function turnTables(p: PhaseResult): string[] {
  const out: string[] = [];
  for (const g of p.groups) {
    if (g.class === '*' || g.turns === undefined || g.turns.length === 0) continue;
    out.push(`  ${g.class} by conversation turn (prompt = the conversation so far):`);
    const lines = table(TURN_HEADERS, g.turns.map(turnCells)).split('\n');
    out.push(...lines.map((l) => `  ${l}`), '');
  }
  return out;
}

export function renderSummary(r: RunResult): string {
  const out: string[] = [];
  const m = r.meta;
  out.push(
    `loadshape ${m.loadshapeVersion} · workload ${m.workload.name} (seed ${m.workload.seed}, sha256 ${m.workload.sha256.slice(0, 12)})`,
    `target ${m.target.url}${m.target.simulated ? ' (embedded simulator)' : ''} · model ${m.model} · ${m.durationS.toFixed(1)}s${m.interrupted ? ' · INTERRUPTED' : ''}${m.checkpoint ? ' · CHECKPOINT (the run had not finished; its last phase is partial)' : ''}`,
    'latencies in ms unless marked; TTFT/TPOT/E2E from the actual send, "sched" from the intended send time',
    '',
  );
  for (const p of r.phases) {
    out.push(phaseHeading(p));
    if (p.groups.length === 0) {
      out.push(`  ${p.requestsSent ?? p.sent} requests sent`, '');
      continue;
    }
    const columns = p.groups.some((g) => g.goodput) ? [...SUMMARY_COLUMNS, ...GOODPUT_COLUMNS] : SUMMARY_COLUMNS;
    const rows = shownGroups(p).map((g) => columns.map((c) => c.value(g, p)));
    out.push(table(columns.map((c) => c.header), rows), '');
    out.push(...turnTables(p));
    const media = mediaRows(p);
    if (media !== null) {
      out.push('  images, prefix cache, reasoning (TTFT is the first answer token; first chunk is any kind, reasoning included):');
      out.push(...table(MEDIA_HEADERS, media).split('\n').map((l) => `  ${l}`), '');
    }
    const all = p.groups[0];
    const notes: string[] = [];
    const errs = Object.entries(all.errorsByClass).filter(([, n]) => (n ?? 0) > 0);
    if (errs.length > 0) notes.push(`errors: ${errs.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (all.retries && all.retries.attempts > 0) {
      notes.push(`retried attempts (not in the counts above): ${Object.entries(all.retries.byStatus).map(([k, n]) => `HTTP ${k} ${n}`).join(', ')}`);
    }
    if (all.outputTokensFromChunks > 0) {
      notes.push(`${all.outputTokensFromChunks} responses had no usage: their output tokens are counted chunks (a chunk may hold several tokens)`);
    }
    if ((all.usageInvalid ?? 0) > 0) notes.push(`${all.usageInvalid} responses had invalid usage (negative, fractional, huge or not a number): ignored, their tokens counted from the stream`);
    if ((all.usageMismatch ?? 0) > 0) notes.push(`${all.usageMismatch} responses had usage more than 2x off the streamed chunk count (engines may batch tokens per chunk)`);
    for (const [k, n] of Object.entries(all.errorDetails ?? {})) notes.push(`stream errors ${k}: ${n}`);
    if (all.endedEarly > 0) notes.push(`${all.endedEarly} responses ended before their max_tokens`);
    for (const n of notes) out.push(`  ${n}`);
    if (notes.length > 0) out.push('');
  }
  const samples = Object.entries(r.errorSamples);
  if (samples.length > 0) {
    out.push('error samples:');
    for (const [cls, msgs] of samples) for (const msg of msgs ?? []) out.push(`  ${cls}: ${msg}`);
    out.push('');
  }
  out.push(...renderEngineSide(r));
  const c = r.client;
  if (r.clientSaturated) {
    out.push(
      '!!! CLIENT SATURATED: the harness itself lagged; latencies above include its own delay and are not to be trusted.',
      ...c.reasons.map((x) => `!!!   ${x}`),
      ...(c.reasonDetail ? [`!!! ${c.reason}: ${c.reasonDetail}`] : []),
      `!!! ${c.advice ?? adviceFor('overloaded')}`,
      '',
    );
  }
  const when = c.lagWhen ? describeLagWhen(c.lagWhen, c.lagSeconds?.length ?? 0) : null;
  if (when) out.push(`client ${when}`);
  out.push(
    `client: event-loop delay p99 ${c.eventLoopDelayP99Ms.toFixed(2)} ms, dispatch lag p99 ${c.dispatchLagP99Ms.toFixed(2)} ms, loop busy ${(c.eventLoopUtilization * 100).toFixed(0)}%, process CPU ${c.cpuPercent.toFixed(0)}% of a core, peak RSS ${c.peakRssMb.toFixed(0)} MB`,
  );
  if (c.loop) out.push(...describeLoopHealth(c.loop));
  if (r.gates) out.push('', renderGatesText(r.gates));
  return out.join('\n');
}
