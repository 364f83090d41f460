import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { toCsv, toLongCsv, CSV_COLUMNS } from '../../src/report/csv.js';
import { describeLoad } from '../../src/schedule/phases.js';
import { standardRun } from './fixtures.js';
import { sweepResult } from './sweep-fixture.js';
import { newHistogram, recordMs } from '../../src/metrics/histogram.js';
import { turnResults } from '../../src/results/build.js';
import type { TurnStats } from '../../src/metrics/accumulator.js';

const runs = [
  { file: 'results/a.json', result: standardRun(1, 1, { labels: { engine: 'vllm', note: 'tp=2, "fp8"\nnightly' } }) },
  { file: 'results/b.json', result: standardRun(2, 1.2, { labels: { engine: 'sglang', gpu: 'H100' } }) },
];

const LATENCY: [string, string][] = [
  ['ttft', 'ttftMs'], ['first_chunk', 'firstChunkMs'], ['tpot', 'tpotMs'], ['inter_chunk', 'interChunkMs'],
  ['e2e', 'e2eMs'], ['queue', 'queueMs'], ['sched_ttft', 'ttftFromScheduleMs'], ['sched_e2e', 'e2eFromScheduleMs'],
];

describe('export csv', () => {
  const text = toCsv(runs);
  const rows = parse(text, { columns: true, relax_column_count: false }) as Record<string, string>[];

  it('has one row per run × recorded phase × class with the documented header', () => {
    const header = text.split('\r\n')[0].split(',');
    expect(header).toEqual(['run_id', 'started_at', 'file', 'label_engine', 'label_gpu', 'label_note', ...CSV_COLUMNS]);
    const expected = runs.flatMap((x) => x.result.phases.filter((p) => p.record).flatMap((p) => p.groups.map((g) => `${x.result.meta.runId}/${p.name}/${g.class === '*' ? 'all' : g.class}`)));
    expect(rows.map((r) => `${r.run_id}/${r.phase}/${r.class}`)).toEqual(expected);
    expect(expected).toHaveLength(10);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(12); // header + 10 rows + the final empty string
  });

  it('round-trips through a CSV parser with the values of the result files', () => {
    for (const r of rows) {
      const x = runs.find((y) => y.result.meta.runId === r.run_id)!;
      const p = x.result.phases.find((q) => q.name === r.phase)!;
      const g = p.groups.find((q) => (q.class === '*' ? 'all' : q.class) === r.class)!;
      expect(r.file).toBe(x.file);
      expect(r.started_at).toBe(x.result.meta.startedAt);
      expect(r.label_engine).toBe(x.result.meta.labels.engine);
      expect(r.label_note).toBe(x.result.meta.labels.note ?? '');
      expect(r.label_gpu).toBe(x.result.meta.labels.gpu ?? '');
      expect(r.workload).toBe('synthetic');
      expect(r.load).toBe(describeLoad(p.load));
      expect(r.load_model).toBe(p.load.kind);
      expect(Number(r.load_value)).toBe(p.load.kind === 'closed' ? p.load.concurrency : NaN);
      expect(Number(r.duration_s)).toBe(p.durationS);
      expect(Number(r.requests)).toBe(g.requests);
      expect(Number(r.errors)).toBe(g.errors);
      expect(Number(r.error_rate)).toBe(g.errorRate);
      expect(Number(r.req_per_s)).toBe(g.throughput.requestsPerS);
      expect(Number(r.input_tok_per_s)).toBe(g.throughput.inputTokensPerS);
      expect(Number(r.output_tok_per_s)).toBe(g.throughput.outputTokensPerS);
      for (const [name, key] of LATENCY) {
        const m = g.metrics[key as keyof typeof g.metrics];
        for (const [stat, field] of [['p50', 'p50Ms'], ['p90', 'p90Ms'], ['p95', 'p95Ms'], ['p99', 'p99Ms'], ['max', 'maxMs']] as const) {
          expect(Number(r[`${name}_${stat}_ms`]), `${name}_${stat}_ms`).toBe(m[field]);
        }
      }
      expect(r.validity_rate).toBe(g.validityRate === null ? '' : String(g.validityRate));
    }
    // The label with a comma, quotes and a newline survived RFC 4180 quoting.
    expect(rows[0].label_note).toBe('tp=2, "fp8"\nnightly');
    expect(text).toContain('"tp=2, ""fp8""\nnightly"');
  });

  it('--long gives one metric value per row, keyed by the identifying columns', () => {
    const long = parse(toLongCsv(runs), { columns: true }) as Record<string, string>[];
    expect(Object.keys(long[0])).toEqual(['run_id', 'started_at', 'file', 'label_engine', 'label_gpu', 'label_note', 'workload', 'workload_sha256', 'model', 'target', 'phase', 'phase_index', 'class', 'load_model', 'load_value', 'load', 'client_saturated', 'client_reason', 'interrupted', 'schedule_met', 'gate_verdict', 'sweep_role', 'sweep_pass', 'sweep_answer', 'duration_s', 'metric', 'value']);
    // Pivot back: every non-empty wide cell appears once in the long form with the same value.
    const wide = parse(toCsv(runs), { columns: true }) as Record<string, string>[];
    let cells = 0;
    for (const w of wide) {
      for (const c of CSV_COLUMNS.slice(CSV_COLUMNS.indexOf('requests'))) {
        const hits = long.filter((l) => l.run_id === w.run_id && l.phase === w.phase && l.class === w.class && l.metric === c);
        if (w[c] === '') expect(hits).toHaveLength(0);
        else {
          expect(hits.map((h) => h.value)).toEqual([w[c]]);
          cells++;
        }
      }
    }
    expect(long).toHaveLength(cells);
  });

  it('--long carries TTFT by conversation turn for conversation classes, and the wide format leaves it out', () => {
    const result = standardRun(3, 1);
    const turns = new Map<string, TurnStats>();
    for (const [key, turn, toolFollowUp, ttfts] of [['1', 1, false, [20, 30, 40]], ['1+tool', 1, true, [15]], ['2', 2, false, [25, 35]]] as const) {
      const h = newHistogram();
      for (const v of ttfts) recordMs(h, v);
      turns.set(key, { turn, toolFollowUp, requests: ttfts.length, ok: ttfts.length, promptTokens: 100 * turn * ttfts.length, ttftMs: h });
    }
    const group = result.phases.find((p) => p.record)!.groups[1];
    group.turns = turnResults(turns);
    const input = [{ file: 'c.json', result }];
    const long = parse(toLongCsv(input), { columns: true }) as Record<string, string>[];
    const value = (metric: string) => long.filter((l) => l.class === group.class && l.metric === metric).map((l) => l.value);
    expect(value('turn_1_requests')).toEqual(['3']);
    expect(Number(value('turn_1_ttft_p50_ms')[0])).toBeCloseTo(30, 1); // HDR: 3 significant digits
    expect(Number(value('turn_1_tool_ttft_max_ms')[0])).toBeCloseTo(15, 1);
    expect(value('turn_2_prompt_tokens_mean')).toEqual(['200']);
    expect(long.filter((l) => l.metric.startsWith('turn_') && l.class !== group.class)).toEqual([]);
    expect(toCsv(input).split('\r\n')[0]).not.toContain('turn_');
  });
});

describe('export csv: whether a row can be trusted', () => {
  it('says saturated (and why), interrupted, schedule met, gate verdict, and the three rates', () => {
    const r = standardRun(4);
    r.client = { ...r.client, saturated: true, reasons: ['dispatch lag p99 56.3 ms > 10 ms'], reason: 'starved' };
    r.clientSaturated = true;
    r.meta.interrupted = true;
    const p = r.phases.find((x) => x.record)!;
    p.load = { kind: 'open', rateRps: 6, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null };
    p.scheduled = 100;
    p.sent = 90; // under 95 % of the schedule: not met
    p.achievedRateRps = 5.4;
    r.gates = { verdict: 'invalid_run', exitCode: 3 } as unknown as NonNullable<typeof r.gates>;
    const rows = parse(toCsv([{ file: 'x.json', result: r }]), { columns: true }) as Record<string, string>[];
    const all = rows.find((x) => x.phase === p.name && x.class === 'all')!;
    expect([all.client_saturated, all.client_reason, all.interrupted, all.schedule_met, all.gate_verdict]).toEqual(['true', 'starved', 'true', 'false', 'invalid_run']);
    expect([all.offered_rps, all.sent_rps, all.completed_rps]).toEqual(['6', '5.4', String(p.groups[0].throughput.requestsPerS)]);
    expect([all.sweep_role, all.sweep_pass, all.sweep_answer]).toEqual(['', '', '']); // not a sweep: blank, not false
  });

  it("a sweep's rows carry each step's role and pass/fail, and flag the answer step", () => {
    const r = sweepResult();
    const rows = parse(toCsv([{ file: 's.json', result: r }]), { columns: true }) as Record<string, string>[];
    const all = rows.filter((x) => x.class === 'all');
    for (const step of r.sweep!.steps) {
      const row = all.find((x) => x.phase === step.phase)!;
      expect([row.sweep_role, row.sweep_pass]).toEqual([step.role, String(step.pass)]);
      expect(row.sweep_answer).toBe(String(step.phase === r.sweep!.bestPhase));
    }
    expect(all.filter((x) => x.sweep_answer === 'true')).toHaveLength(r.sweep!.bestPhase ? 1 : 0);
    expect(r.sweep!.bestPhase).not.toBeNull();
  });
});
