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

export function parsePrometheus(text: string): Sample[] {
  const untyped = text
    .split('\n')
    .filter((l) => !/^\s*#\s*(TYPE|HELP|UNIT|EOF)\b/.test(l))
    .join('\n');
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
