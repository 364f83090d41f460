// The engine side of a result as text lines for the terminal summary: what was served, readiness,
// the server's own view per phase, and cost per outcome. Pure; empty when the result has none of it.
import { redactUrl } from '../util/redact.js';
import type { RunResult } from '../results/format.js';
import { SIM_ENGINE } from './schema.js';

const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '-' : x.toFixed(d));
/** A histogram quantile that is a bucket edge reads as the bound it is ("<300"), never as a value. */
export const boundedMs = (x: number | null, bound: 'below' | 'above' | undefined) => (x === null ? '-' : `${bound === 'below' ? '<' : bound === 'above' ? '>' : ''}${x.toFixed(bound ? 0 : 1)}`);
const usd = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toPrecision(3)}`);

export function renderEngineSide(r: RunResult): string[] {
  const out: string[] = [];
  const m = r.meta;
  const p = m.provenance;
  if (p) {
    const bits: string[] = [];
    const v = p.versions[0];
    const version = v && typeof v.body.version === 'string' ? ` ${v.body.version}` : '';
    const engine = p.engine === SIM_ENGINE ? `loadshape's simulator${version}, mimicking vLLM` : `${p.engine}${version}`;
    if (p.engine) bits.push(`engine ${engine} (${p.versions.map((x) => x.path).join(', ')})`);
    if (p.serverHeaders.server) bits.push(`server header "${p.serverHeaders.server}"`);
    if (p.models) bits.push(`models ${p.models.map((x) => x.id + (x.maxModelLen ? ` (max_model_len ${x.maxModelLen})` : '')).join(', ')}`);
    if (bits.length > 0) out.push(`served: ${bits.join(' · ')}`);
  }
  if (m.recipe) {
    const x = m.recipe.recipe;
    const par = [x.tensor_parallel ? `TP ${x.tensor_parallel}` : '', x.pipeline_parallel ? `PP ${x.pipeline_parallel}` : ''].filter(Boolean).join(' ');
    out.push(
      `recipe ${m.recipe.file} (sha256 ${m.recipe.sha256.slice(0, 12)}): ${x.engine}${x.version ? ` ${x.version}` : ''} · ${x.model}${x.quantization ? ` ${x.quantization}` : ''} · ${x.gpu.count}× ${x.gpu.model}${par ? ` · ${par}` : ''}${x.cost_per_gpu_hour !== undefined ? ` · $${x.cost_per_gpu_hour}/GPU-h` : ''}`,
    );
  }
  if (m.readiness) out.push(`ready after ${(m.readiness.timeToReadyMs / 1000).toFixed(1)}s (${m.readiness.attempts} polls, answered by ${m.readiness.readyBy ?? '-'}); the "cold" phase holds the first requests after readiness`);
  const sm = r.serverMetrics;
  if (sm) {
    const gpu = sm.phases.some((x) => x.gpuUtilMeanPct !== null || x.gpuPowerMeanW !== null);
    const headers = ['phase', 'running mean/max', 'waiting mean/max', 'KV max', 'prefix hit', 'srv queue p50/p99 ms', ...(gpu ? ['GPU util', 'GPU mem MiB', 'power W', 'J/out tok'] : [])];
    const rows = sm.phases.map((x) => [
      x.phase,
      `${f(x.runningMean)}/${f(x.runningMax, 0)}`,
      `${f(x.waitingMean)}/${f(x.waitingMax, 0)}`,
      x.kvCacheUsageMax === null ? '-' : `${(x.kvCacheUsageMax * 100).toFixed(1)}%`,
      x.prefixCacheHitRate === null ? '-' : `${(x.prefixCacheHitRate * 100).toFixed(1)}%`,
      `${boundedMs(x.queueTimeP50Ms, x.queueTimeP50Bound)}/${boundedMs(x.queueTimeP99Ms, x.queueTimeP99Bound)}`,
      ...(gpu ? [x.gpuUtilMeanPct === null ? '-' : `${x.gpuUtilMeanPct.toFixed(0)}%`, f(x.gpuMemoryMaxMiB, 0), f(x.gpuPowerMeanW, 0), f(x.energyPerOutputTokenJ, 3)] : []),
    ]);
    out.push(`server metrics (${sm.sources.map((s) => `${redactUrl(s.url)}: ${s.scrapes} scrapes${s.failures ? `, ${s.failures} failed` : ''}`).join('; ')}):`);
    out.push(...table(headers, rows).map((l) => `  ${l}`));
  }
  const c = r.cost;
  if (c) {
    out.push(`cost at $${c.costPerHourUsd}/h (${c.source === 'recipe' ? 'recipe $/GPU-h × GPUs' : '--cost-per-hour'}); accepted = ${c.acceptedBy}:`);
    const rows = c.phases.map((x) => [x.phase, usd(x.costUsd), usd(x.usdPer1MOutputTokens), usd(x.usdPer1MInputTokens), usd(x.usdPer1kAccepted), String(x.accepted)]);
    out.push(...table(['phase', 'cost', '$/1M out tok', '$/1M in tok', '$/1k accepted', 'accepted'], rows).map((l) => `  ${l}`));
  }
  if (out.length > 0) out.push('');
  return out;
}

function table(headers: string[], rows: string[][]): string[] {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(headers), ...rows.map(line)];
}
