// Per-class figures of image, prefix-cache and reasoning workloads (pure), shared by the text and HTML
// reports: the upload each request cost, the cached fraction the server reported beside the sharing
// the workload intended, and for reasoning classes the time to the first answer token (TTFT) beside
// the first chunk of any kind, reasoning tokens and the answer-only TPOT.
import type { GroupResult, MetricResult, PhaseResult } from '../results/format.js';

export const MEDIA_HEADERS = [
  'class',
  'req bytes mean',
  'images',
  'image MB',
  'cached (server)',
  'shared (intended)',
  'reasoning tok mean',
  'reasoning from',
  'first chunk p50',
  'first answer tok p50',
  'answer TPOT p50',
  'answer TPOT p99',
];

const ms = (m: MetricResult | undefined, stat: 'p50Ms' | 'p99Ms') => (m === undefined || m.count === 0 ? '-' : m[stat] >= 100 ? m[stat].toFixed(0) : m[stat].toFixed(2));
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);

function hasMedia(g: GroupResult): boolean {
  return g.images !== undefined || g.cache !== undefined || g.reasoning !== undefined;
}

/** One row per group of a phase that has images, cache figures or reasoning; null when none has. */
export function mediaRows(p: PhaseResult): string[][] | null {
  if (!p.groups.some(hasMedia)) return null;
  return p.groups.map((g) => {
    const rs = g.reasoning;
    return [
      g.class === '*' ? 'all' : g.class,
      g.requestBytes !== undefined && g.requests > 0 ? String(Math.round(g.requestBytes / g.requests)) : '-',
      g.images ? String(g.images.images) : '-',
      g.images ? (g.images.imageBytes / 1e6).toFixed(2) : '-',
      g.cache && g.cache.reported > 0 ? pct(g.cache.cachedFraction) : '-',
      pct(g.cache?.intendedSharedFraction),
      rs && rs.requests > 0 ? (rs.reasoningTokens / rs.requests).toFixed(0) : '-',
      rs ? (rs.fromChunks === 0 ? 'usage' : rs.fromUsage === 0 ? 'chunks' : 'mixed') : '-',
      rs ? ms(g.metrics.firstChunkMs, 'p50Ms') : '-',
      rs ? ms(g.metrics.ttftMs, 'p50Ms') : '-',
      ms(rs?.answerTpotMs, 'p50Ms'),
      ms(rs?.answerTpotMs, 'p99Ms'),
    ];
  });
}
