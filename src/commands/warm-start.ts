// The warm start (I/O edge): before a run's clock starts, open the connections its first requests will
// use and run the receive path on synthetic streams, so the first second is measured like the rest.
// The first bodies are built by the Driver before each open phase's clock starts (its look-ahead).
import { performance } from 'node:perf_hooks';
import type { OpenAIClient } from '../client/openai.js';
import type { PhasePlan } from '../schedule/phases.js';

/**
 * Connections opened ahead at most. A closed loop of 1,024 opened 960 connections at its first sends
 * when this was 64, and the connects made those sends late; beyond this a process is past what one
 * core measures well anyway (use --workers).
 */
export const MAX_WARM_CONNECTIONS = 1024;

/** Rounds of unmeasured GETs over the warmed connections (at most 8 at a time after the first). */
export const WARM_ROUNDS = 8;

export interface WarmStart {
  connections: number;
  keepAlive: boolean;
  ms: number;
}

/**
 * Requests in flight this process expects at first: a closed loop's concurrency, an open loop's rate
 * over one second of request life (its max_concurrency if lower), split over `shards`; capped.
 */
export function expectedConcurrency(phases: readonly PhasePlan[], shards = 1): number {
  const first = phases[0];
  if (!first) return 0;
  const l = first.load;
  const firstSecond = first.arrivals?.kind === 'trace' ? first.arrivals.offsetsMs.filter((ms) => ms < 1000).length : Math.ceil(Math.max(l.kind === 'open' ? (l.rateRps ?? l.ramp?.fromRps ?? 0) : 0, 1));
  const total = l.kind === 'closed' ? l.concurrency : Math.min(l.maxConcurrency ?? Infinity, firstSecond);
  return Math.min(MAX_WARM_CONNECTIONS, Math.max(1, Math.ceil(total / shards)));
}

/** Opens up to `connections` connections (capped) and runs the receive path on synthetic streams. */
export async function warmStart(client: OpenAIClient, connections: number): Promise<WarmStart> {
  const t0 = performance.now();
  const { opened, keepAlive } = await client.preconnect(Math.min(MAX_WARM_CONNECTIONS, connections), 5_000, WARM_ROUNDS);
  client.warmHotPath();
  // A full collection now, before the clock, rather than a long scavenge of start-up garbage (22 ms
  // seen) or an old-space collection in the run's first second. `gc` is exposed to the measuring
  // child process (cli.ts); elsewhere (LOADSHAPE_GC=default) it is skipped.
  (globalThis as { gc?: () => void }).gc?.();
  return { connections: opened, keepAlive, ms: Math.round((performance.now() - t0) * 1000) / 1000 };
}
