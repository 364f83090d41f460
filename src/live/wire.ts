// LiveTicks over IPC (a --workers child to its parent): JSON with the HDR deltas as compressed
// base64, the encoding result files use, so the parent adds exactly what the worker recorded.
import { decodeHistogram, encodeHistogram } from '../metrics/histogram.js';
import { liveHistogram, type GroupDelta, type LiveTick } from './tick.js';

export const LIVE_TICK_MESSAGE = 'loadshape.liveTick';

export interface WireGroup extends Omit<GroupDelta, 'ttft' | 'tpot'> {
  ttft: string | null;
  tpot: string | null;
}

export interface LiveTickMessage {
  type: typeof LIVE_TICK_MESSAGE;
  tick: Omit<LiveTick, 'groups'> & { groups: WireGroup[] };
}

export function encodeTick(tick: LiveTick): LiveTickMessage {
  const groups = tick.groups.map((g) => ({
    ...g,
    buckets: { ttft: [...g.buckets.ttft], tpot: [...g.buckets.tpot], e2e: [...g.buckets.e2e], queue: [...g.buckets.queue] },
    errors: { ...g.errors },
    sumsS: { ...g.sumsS },
    ttft: g.ttft.totalCount > 0 ? encodeHistogram(g.ttft) : null,
    tpot: g.tpot.totalCount > 0 ? encodeHistogram(g.tpot) : null,
  }));
  return { type: LIVE_TICK_MESSAGE, tick: { ...tick, groups } };
}

export function isLiveTickMessage(m: unknown): m is LiveTickMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === LIVE_TICK_MESSAGE;
}

export function decodeTick(m: LiveTickMessage): LiveTick {
  return {
    ...m.tick,
    groups: m.tick.groups.map((g) => ({ ...g, ttft: g.ttft ? decodeHistogram(g.ttft) : liveHistogram(), tpot: g.tpot ? decodeHistogram(g.tpot) : liveHistogram() })),
  };
}

