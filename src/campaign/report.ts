// The campaign's report (pure): one table of target × workload × point (key percentiles, offered and
// completed rates, errors, validity, cost per 1M output tokens and per 1k accepted requests, gate
// verdict, sweep answer), the long-form CSV for capacity sheets (report/csv.ts's columns, trust
// columns included, after the campaign's own: one row per point × class), and one HTML page
// comparing the targets point by point for each workload.
import { stringify } from 'csv-stringify/sync';
import { csvColumns, csvRows, type CsvInput } from '../report/csv.js';
import type { GroupResult, PhaseResult, RunResult } from '../results/format.js';
import { phaseRates } from '../results/rates.js';
import { fmt } from './budget.js';
import type { Manifest, PointRecord } from './manifest.js';

export interface LoadedPoint {
  record: PointRecord;
  /** Result file as the manifest names it (relative to the campaign folder). */
  file: string | null;
  result: RunResult | null;
}

export interface CampaignView {
  manifest: Manifest;
  points: LoadedPoint[];
}

/** The phase a point is judged on: a run's measured phase, a sweep's answer (else its last step). */
export function keyPhase(r: RunResult): PhaseResult | null {
  const recorded = r.phases.filter((p) => p.record);
  if (r.sweep) return recorded.find((p) => p.name === r.sweep!.bestPhase) ?? recorded[recorded.length - 1] ?? null;
  return recorded.find((p) => p.name !== 'cold') ?? null;
}

type Cell = string | number | null;

/** One summary row per point: what the table and the HTML page show. */
export function pointSummary(x: LoadedPoint): Record<string, Cell> {
  const rec = x.record;
  const base: Record<string, Cell> = { target: rec.target, workload: rec.workload, point: rec.id.split('/')[2], repeat: rec.repeat, state: rec.state + (rec.fingerprintChanged ? ' (changed)' : '') };
  const phase = x.result ? keyPhase(x.result) : null;
  const all: GroupResult | undefined = phase?.groups.find((g) => g.class === '*');
  if (!x.result || !phase || !all) return base;
  const rates = phaseRates(phase);
  const cost = x.result.cost?.phases.find((c) => c.phase === phase.name);
  const ms = (m: { count: number; p50Ms: number; p95Ms: number }, k: 'p50Ms' | 'p95Ms') => (m.count > 0 ? round(m[k]) : null);
  return {
    ...base,
    requests: all.requests,
    errors: `${round(all.errorRate * 100)}%`,
    ttft_p50: ms(all.metrics.ttftMs, 'p50Ms'),
    ttft_p95: ms(all.metrics.ttftMs, 'p95Ms'),
    tpot_p95: ms(all.metrics.tpotMs, 'p95Ms'),
    e2e_p95: ms(all.metrics.e2eMs, 'p95Ms'),
    offered_rps: rates.offeredRps === null ? null : round(rates.offeredRps),
    completed_rps: rates.completedRps === null ? null : round(rates.completedRps),
    valid: all.validityRate === null ? null : `${round(all.validityRate * 100)}%`,
    usd_per_1m_out: cost?.usdPer1MOutputTokens ?? null,
    usd_per_1k_accepted: cost?.usdPer1kAccepted ?? null,
    gates: x.result.gates?.verdict ?? null,
    sweep: x.result.sweep ? x.result.sweep.sentence : null,
    trusted: x.result.clientSaturated || x.result.meta.interrupted ? 'no' : 'yes',
  };
}

const TABLE_COLUMNS = ['target', 'workload', 'point', 'repeat', 'state', 'requests', 'errors', 'ttft_p50', 'ttft_p95', 'tpot_p95', 'e2e_p95', 'offered_rps', 'completed_rps', 'valid', 'usd_per_1m_out', 'usd_per_1k_accepted', 'gates', 'trusted', 'sweep'];

/** The text table (latencies in ms), with the campaign's state and spend on top. */
export function renderCampaignTable(v: CampaignView): string {
  const rows = v.points.map(pointSummary);
  const cols = TABLE_COLUMNS.filter((c) => c === 'target' || rows.some((r) => r[c] !== null && r[c] !== undefined));
  const cells = [cols, ...rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))))];
  const widths = cols.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const lines = cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
  const m = v.manifest;
  const done = m.points.filter((p) => p.state === 'done').length;
  const head = `campaign ${m.name}: ${done}/${m.points.length} points done · $${fmt(m.costUsd)} spent${m.stopped ? ` · stopped: ${m.stopped}` : ''}`;
  return [head, ...lines].join('\n');
}

/** Campaign columns, then report/csv.ts's (trust columns included): one row per point × class of its key phase. */
export function campaignCsv(v: CampaignView): string {
  const inputs = v.points.filter((x): x is LoadedPoint & { result: RunResult; file: string } => x.result !== null && x.file !== null);
  const keyed: { x: LoadedPoint; input: CsvInput }[] = inputs.map((x) => {
    const key = keyPhase(x.result);
    return { x, input: { file: x.file!, result: { ...x.result!, phases: x.result!.phases.filter((p) => p === key) } } };
  });
  const head = ['campaign', 'campaign_target', 'campaign_point', 'campaign_repeat', 'point_state', 'fingerprint_changed'];
  const columns = [...head, ...csvColumns(keyed.map((k) => k.input))];
  const rows: Cell[][] = [];
  for (const { x, input } of keyed) {
    for (const r of csvRows([input])) {
      const own: Record<string, Cell> = { campaign: v.manifest.name, campaign_target: x.record.target, campaign_point: x.record.id, campaign_repeat: x.record.repeat, point_state: x.record.state, fingerprint_changed: String(x.record.fingerprintChanged) };
      rows.push(columns.map((c) => own[c] ?? r[c] ?? ''));
    }
  }
  return stringify(rows, { header: true, columns, record_delimiter: 'windows', cast: { number: (n: number) => String(n) } });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
