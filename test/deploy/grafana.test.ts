// deploy/grafana/loadshape.json: a dashboard Grafana can import, whose every query names a series the
// live endpoint serves (src/live/prometheus.ts) or one of vLLM's documented metrics.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVED_SERIES } from '../../src/live/prometheus.js';
import { ROOT } from '../commands/helpers.js';

/** From vLLM's metrics documentation (docs.vllm.ai, "Production Metrics" and docs/design/metrics.md). */
const VLLM_DOCUMENTED = ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:time_to_first_token_seconds'];
const HISTOGRAMS = ['loadshape_ttft_seconds', 'loadshape_tpot_seconds', 'loadshape_e2e_seconds', 'loadshape_queue_seconds', 'vllm:time_to_first_token_seconds'];
const KNOWN = new Set([...SERVED_SERIES, ...VLLM_DOCUMENTED, ...HISTOGRAMS.flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`])]);
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** The metric names a PromQL expression (or a label_values() query) selects. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // grouping labels
    .replace(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*\w+\s*\)/g, '$1');
  const names: string[] = [];
  const re = /([a-zA-Z_:][\w:]*)\s*(\()?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(bare)) !== null) {
    if (m[2] || PROMQL_WORDS.has(m[1]) || /^\d/.test(m[1])) continue; // functions, keywords
    names.push(m[1]);
  }
  return names;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets: { refId: string; expr: string }[];
}

const dashboard = JSON.parse(readFileSync(`${ROOT}/deploy/grafana/loadshape.json`, 'utf8')) as {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
};

describe('the Grafana dashboard', () => {
  it('is dashboard JSON Grafana imports: title, uid, schema version, panels with ids, positions and targets', () => {
    expect(dashboard.title).toMatch(/loadshape/);
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(['timeseries', 'table', 'stat']).toContain(p.type);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.targets.length).toBeGreaterThan(0);
      const refs = p.targets.map((t) => t.refId);
      expect(new Set(refs).size, p.title).toBe(refs.length);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'engine_job']);
  });

  it('queries only series the endpoint serves or vLLM documents, and shows client and engine side by side', () => {
    const queries = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => (typeof v.query === 'string' ? v.query : v.query.query)),
    ];
    const used = new Set(queries.flatMap(metricNames));
    expect([...used].filter((n) => !KNOWN.has(n))).toEqual([]);
    for (const n of ['vllm:num_requests_running', 'vllm:kv_cache_usage_perc', 'vllm:time_to_first_token_seconds_bucket', 'loadshape_requests_total', 'loadshape_ttft_seconds_bucket', 'loadshape_in_flight']) {
      expect(used, n).toContain(n);
    }
  });

  it('reads metric names out of PromQL (the check above relies on it)', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, class) (rate(loadshape_ttft_seconds_bucket{job=~"$job",x="a b"}[$__rate_interval])))')).toEqual(['loadshape_ttft_seconds_bucket']);
    expect(metricNames('sum(vllm:num_requests_running) + no_such_series')).toEqual(['vllm:num_requests_running', 'no_such_series']);
    expect(metricNames('label_values(loadshape_run_info, job)')).toEqual(['loadshape_run_info']);
  });
});
