// Prometheus text exposition → flat samples {name, labels, value}. Tokenising (label escapes,
// comments, timestamps) is done by parse-prometheus-text-format. Its histogram/summary grouping
// merges all label sets of a family into one (engines label every series with model_name, DCGM with
// gpu), so `# TYPE` lines are dropped first and every line comes back as an untyped sample with its
// full label set; histograms are rebuilt from their `_bucket{le}` samples in catalog.ts.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

/**
 * `keep` (optional) selects metric names before parsing: scrapes run on the harness's event loop,
 * and an engine's /metrics is mostly series loadshape does not read.
 */
export function parsePrometheus(text: string, keep?: (name: string) => boolean): Sample[] {
  const untyped = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l) && (keep === undefined || keep(metricName(l))))
    .join('\n') + '\n'; // the parser drops a last line without its newline
  const families = (parsePrometheusTextFormat as unknown as (t: string) => Family[])(untyped);
  const out: Sample[] = [];
  for (const f of families) {
    for (const m of f.metrics) {
      if (m.value === undefined) continue;
      const value = promNumber(m.value);
      if (Number.isNaN(value)) continue;
      out.push({ name: f.name, labels: m.labels ?? {}, value });
    }
  }
  return out;
}

export function promNumber(s: string): number {
  const t = s.trim();
  if (t === '+Inf' || t === 'Inf') return Infinity;
  if (t === '-Inf') return -Infinity;
  return Number(t);
}

function metricName(line: string): string {
  const t = line.trimStart();
  let end = 0;
  while (end < t.length && t[end] !== '{' && t[end] !== ' ' && t[end] !== '\t') end++;
  return t.slice(0, end);
}
