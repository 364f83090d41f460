import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { BUCKETS_S } from '../../src/live/ladder.js';
import { LiveModel } from '../../src/live/model.js';
import { constantLabels, exposition, SERVED_SERIES } from '../../src/live/prometheus.js';
import { LiveTap } from '../../src/live/tap.js';
import { parsePrometheus } from '../../src/servermetrics/parse.js';
import { record } from '../metrics/accumulator.test.js';
import { phasePlan, view } from './helpers.js';

interface Family {
  name: string;
  type: string;
}

function fed(): LiveModel {
  const model = new LiveModel({ title: 't' });
  model.info = { run_id: '20261205T070000Z-mixed', workload: 'mixed', model: 'm "quoted"', target: 'http://127.0.0.1:1/v1', version: '0.1.0' };
  const tap = new LiveTap({ cpuUs: () => 0, emit: (t) => model.apply(t) });
  const plan = phasePlan({ name: 'steady', load: { kind: 'open', rateRps: 4, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null } });
  tap.phaseStart(plan, 0);
  tap.record(record({ class: 'chat', ttftMs: 0.5, tpotMs: 12, e2eMs: 250, queueMs: 0.2, outputTokens: 20 }));
  tap.record(record({ class: 'chat', ttftMs: 1500, tpotMs: 30, e2eMs: 4000, queueMs: 1, outputTokens: 100 }));
  tap.record(record({ class: 'rag', status: 'error', errorClass: 'http_5xx', ttftMs: null, tpotMs: null, e2eMs: null, queueMs: 2 }));
  tap.record(record({ class: 'rag', ttftMs: 900_000, tpotMs: null, e2eMs: 900_000 })); // past the ladder: +Inf only
  tap.tick(view({ atMs: 1000, phase: plan, scheduled: 4, sent: 4, inFlight: 2 }));
  tap.close(view({ atMs: 1200, phase: plan, scheduled: 4, sent: 4 }));
  return model;
}

describe('the Prometheus exposition', () => {
  const text = exposition(fed(), constantLabels({ team: 'infra', 'gpu-type': 'h100', phase: 'x' }));

  it('parses back with the text-format parser: every served family, with its type', () => {
    const families = (parsePrometheusTextFormat as unknown as (t: string) => Family[])(text);
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toEqual({
      loadshape_run_info: 'GAUGE', loadshape_requests_total: 'COUNTER', loadshape_output_tokens_total: 'COUNTER',
      loadshape_ttft_seconds: 'HISTOGRAM', loadshape_tpot_seconds: 'HISTOGRAM', loadshape_e2e_seconds: 'HISTOGRAM', loadshape_queue_seconds: 'HISTOGRAM',
      loadshape_in_flight: 'GAUGE', loadshape_offered_rps: 'GAUGE', loadshape_dispatch_lag_seconds: 'GAUGE',
    });
    expect(Object.keys(types).sort()).toEqual([...SERVED_SERIES].sort());
  });

  it('counts requests by phase, class, status and error class, with the run labels as constant labels', () => {
    const s = parsePrometheus(text);
    const req = s.filter((x) => x.name === 'loadshape_requests_total');
    expect(req.map((x) => [x.labels.class, x.labels.status, x.labels.error_class, x.value]).sort()).toEqual([
      ['chat', 'ok', 'none', 2],
      ['rag', 'error', 'http_5xx', 1],
      ['rag', 'ok', 'none', 1],
    ]);
    for (const x of s) expect(x.labels).toMatchObject({ team: 'infra', gpu_type: 'h100', label_phase: 'x' });
    expect(s.find((x) => x.name === 'loadshape_output_tokens_total' && x.labels.class === 'chat')?.value).toBe(120);
    const info = s.find((x) => x.name === 'loadshape_run_info');
    expect(info?.labels).toMatchObject({ run_id: '20261205T070000Z-mixed', workload: 'mixed', model: 'm "quoted"', version: '0.1.0' });
    expect(info?.value).toBe(1);
    expect(s.find((x) => x.name === 'loadshape_offered_rps')?.labels.phase).toBe('steady');
  });

  it('writes classic histograms on the fixed ladder: cumulative buckets, +Inf equal to _count, _sum in seconds', () => {
    const s = parsePrometheus(text);
    for (const metric of ['ttft', 'tpot', 'e2e', 'queue']) {
      for (const cls of ['chat', 'rag']) {
        const buckets = s.filter((x) => x.name === `loadshape_${metric}_seconds_bucket` && x.labels.class === cls);
        expect(buckets.map((b) => b.labels.le)).toEqual([...BUCKETS_S.map(String), '+Inf']);
        for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
        const count = s.find((x) => x.name === `loadshape_${metric}_seconds_count` && x.labels.class === cls)!.value;
        expect(buckets[buckets.length - 1].value).toBe(count);
      }
    }
    const chatTtft = (le: string) => s.find((x) => x.name === 'loadshape_ttft_seconds_bucket' && x.labels.class === 'chat' && x.labels.le === le)!.value;
    expect(chatTtft('0.001')).toBe(1); // 0.5 ms
    expect(chatTtft('1')).toBe(1);
    expect(chatTtft('1.5')).toBe(2); // 1500 ms sits on the edge: le is inclusive
    expect(s.find((x) => x.name === 'loadshape_ttft_seconds_sum' && x.labels.class === 'chat')!.value).toBeCloseTo(1.5005, 6);
    const ragTtft = s.filter((x) => x.name === 'loadshape_ttft_seconds_bucket' && x.labels.class === 'rag');
    expect(ragTtft.find((b) => b.labels.le === '600')!.value).toBe(0);
    expect(ragTtft.find((b) => b.labels.le === '+Inf')!.value).toBe(1);
    // Queue time counts every request, errors included (as the result's histograms do).
    expect(s.find((x) => x.name === 'loadshape_queue_seconds_count' && x.labels.class === 'rag')!.value).toBe(2);
  });

  it('turns --label keys into valid label names and keeps reserved names apart', () => {
    expect(constantLabels({ 'gpu-type': 'a', '9x': 'b', class: 'c', le: 'd', ok_name: 'e' })).toEqual({ gpu_type: 'a', label_9x: 'b', label_class: 'c', label_le: 'd', ok_name: 'e' });
  });
});
