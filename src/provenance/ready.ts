// --wait-ready: poll /health (server root) and /v1/models until the engine answers 200, so a model
// load is part of the recorded serving story (time to ready). Clock and sleep are injected.
import { serverRoot, type HttpFn } from '../probe/http.js';
import type { Readiness } from './schema.js';

export type { Readiness } from './schema.js';



export interface WaitReadyOptions {
  http: HttpFn;
  baseUrl: string;
  limitMs: number;
  intervalMs?: number;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export async function waitReady(o: WaitReadyOptions): Promise<Readiness> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = o.intervalMs ?? 500;
  const base = o.baseUrl.replace(/\/+$/, '');
  const urls = [`${serverRoot(base)}/health`, `${base}/models`];
  const t0 = o.now();
  let attempts = 0;
  let last: string | null = null;
  for (;;) {
    attempts++;
    const results = await Promise.all(urls.map((url) => o.http({ method: 'GET', url, timeoutMs: Math.max(200, Math.min(2000, interval * 2)) })));
    const i = results.findIndex((r) => r.kind === 'response' && r.status === 200);
    if (i >= 0) return { ready: true, timeToReadyMs: round(o.now() - t0), attempts, readyBy: urls[i], lastNotReady: last };
    last = results.map((r, k) => `${urls[k].replace(/^https?:\/\/[^/]+/, '')}: ${r.kind === 'response' ? `HTTP ${r.status}` : r.code}`).join(', ');
    if (o.now() - t0 + interval > o.limitMs) return { ready: false, timeToReadyMs: round(o.now() - t0), attempts, readyBy: null, lastNotReady: last };
    await sleep(interval);
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
