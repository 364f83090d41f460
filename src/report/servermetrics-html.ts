// Server metrics in the HTML report's time series: engine running/waiting requests, KV-cache usage
// and GPU power/utilisation per scrape, on the same x axis (seconds since run start). Pure markup.
import type { RunResult } from '../results/format.js';
import { lineChart, type Series } from './svg.js';

export function serverMetricsCharts(runs: { id: string; result: RunResult }[], palette: readonly string[], markers: { x: number; label: string }[]): string[] {
  const multi = runs.length > 1;
  const name = (id: string, what: string) => (multi ? `${id} ${what}` : what);
  const series = (key: string, what: string, i: number, x: { id: string; result: RunResult }, dashed = false, scale = 1): Series | null => {
    const sm = x.result.serverMetrics;
    const ys = sm?.series[key];
    if (!sm || !ys || ys.every((v) => v === null)) return null;
    return { name: name(x.id, what), color: palette[i % palette.length], dashed, points: sm.tMs.map((t, k): [number, number | null] => [t / 1000, ys[k] === null ? null : (ys[k] as number) * scale]) };
  };
  const pick = (f: (x: { id: string; result: RunResult }, i: number) => (Series | null)[]) => runs.flatMap(f).filter((s): s is Series => s !== null);
  const queue = pick((x, i) => [series('running', 'running', i, x), series('waiting', 'waiting', i, x, true)]);
  const kv = pick((x, i) => [series('kvCacheUsage', 'KV cache %', i, x, false, 100)]);
  const gpu = pick((x, i) => [series('gpuUtilPct', 'GPU util %', i, x), series('gpuPowerW', 'power W', i, x, true)]);
  const xLabel = 'seconds since start';
  return [
    queue.length ? lineChart({ title: 'Engine requests (running solid, waiting dashed)', xLabel, yLabel: 'requests', series: queue, markers }) : '',
    kv.length ? lineChart({ title: 'Engine KV-cache usage', xLabel, yLabel: '%', series: kv, markers }) : '',
    gpu.length ? lineChart({ title: 'GPU utilisation (solid) and power (dashed)', xLabel, yLabel: '% / W', series: gpu, markers }) : '',
  ].filter(Boolean);
}
