// The warm start (I/O edge): before a run's clock starts, open the connections its first requests will
// use and rehearse the send and receive paths on a server in this process, so the first second is
// measured like the rest. The first bodies are built by the
// Driver before each open phase's clock starts (its look-ahead).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { syntheticStream, type OpenAIClient } from '../client/openai.js';
import { encodeHistogram, newHistogram, recordMs } from '../metrics/histogram.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { RequestPlan } from '../workload/plan.js';

/**
 * Connections opened ahead at most. A closed loop of 1,024 opened 960 connections at its first sends
 * when this was 64, and the connects made those sends late; beyond this a process is past what one
 * core measures well anyway (use --workers).
 */
export const MAX_WARM_CONNECTIONS = 1024;

/** Rounds of unmeasured GETs over the warmed connections (at most 8 at a time after the first). */
export const WARM_ROUNDS = 8;

/** Streaming requests rehearsed against a local server: enough for V8 to compile the send path and undici's. */
export const REHEARSALS = 256;
const REHEARSAL_CONCURRENCY = 16;
const REHEARSAL_CHUNKS = 16;

export interface WarmStart {
  connections: number;
  keepAlive: boolean;
  /** Streaming requests sent through the client's code to a server in this process (never to the target). */
  rehearsed?: number;
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

/** Opens up to `connections` connections (capped), rehearses the hot paths locally, then collects garbage. */
export async function warmStart(client: OpenAIClient, connections: number): Promise<WarmStart> {
  const t0 = performance.now();
  const { opened, keepAlive } = await client.preconnect(Math.min(MAX_WARM_CONNECTIONS, connections), 5_000, WARM_ROUNDS);
  const rehearsed = await rehearse(client);
  // The rehearsal ran the receive path through undici too; without it, at least the client's part.
  if (rehearsed === 0) client.warmHotPath();
  // The time series encodes each second's TTFT histogram at the one-second tick: zlib's first use and
  // the encoder made the first tick ~1 ms slower; done once here instead.
  const h = newHistogram(2);
  recordMs(h, 1);
  encodeHistogram(h);
  // A full collection now, before the clock, rather than a long scavenge of start-up garbage (22 ms
  // seen) or an old-space collection in the run's first second. `gc` is exposed to the measuring
  // child process (cli.ts); elsewhere (LOADSHAPE_GC=default) it is skipped.
  (globalThis as { gc?: () => void }).gc?.();
  return { connections: opened, keepAlive, rehearsed, ms: Math.round((performance.now() - t0) * 1000) / 1000 };
}

/**
 * Sends REHEARSALS streaming requests through a sibling of `client` (same code, limits and TLS
 * settings) to a loopback server of this process, so a run's first requests find undici's dispatch,
 * body write, chunked parsing and the SSE path compiled rather than interpreted. Nothing reaches the
 * target; nothing is recorded. Returns how many completed (0 when the local server could not listen).
 */
async function rehearse(client: OpenAIClient): Promise<number> {
  const events = syntheticStream(REHEARSAL_CHUNKS);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // One write per event, as engines flush them: the client reads them one by one.
      for (const e of events) res.write(e);
      res.end();
    });
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '127.0.0.1', () => resolve(true));
  });
  if (!listening) return 0;
  const local = client.sibling(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
  const body = JSON.stringify({ model: 'rehearsal', stream: true, max_tokens: REHEARSAL_CHUNKS, messages: [{ role: 'user', content: ' the'.repeat(256) }] });
  let next = 0;
  let ok = 0;
  const slot = async () => {
    while (next < REHEARSALS) {
      const requestIndex = next++;
      const plan: RequestPlan = { phaseIndex: -1, requestIndex, className: 'warm-start', kind: 'chat', path: '/chat/completions', body, promptTokens: 256, maxTokens: REHEARSAL_CHUNKS };
      const { record } = await local.send({ plan, phase: 'warm-start', scheduledAtMs: local.now() });
      if (record.status === 'ok') ok++;
    }
  };
  try {
    await Promise.all(Array.from({ length: REHEARSAL_CONCURRENCY }, slot));
  } finally {
    await local.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return ok;
}
