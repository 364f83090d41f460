// Server metrics during a run: every `intervalMs` each source (the engine's /metrics, a DCGM
// exporter, …) is fetched once, in parallel, and boiled down to canonical values; a scrape still in
// flight when the next tick comes is not doubled. Times are ms from run start, the clock of the
// client time series. The HTTP function and the clock are injected.
import type { HttpFn } from '../probe/http.js';
import { bodyText } from '../probe/http.js';
import { digest, KNOWN_METRICS, wantedNames, type Digest } from './catalog.js';
import { parsePrometheus } from './parse.js';

export interface Scrape {
  tMs: number;
  values: Partial<Record<string, number>>;
  queueTimeBuckets: Map<number, number> | null;
}

export interface SourceStats {
  url: string;
  scrapes: number;
  failures: number;
  lastError: string | null;
}

/** Fetches one source once; null (with the reason) when it does not answer Prometheus text. */
export async function scrapeOnce(http: HttpFn, url: string, extraNames: readonly string[], timeoutMs: number): Promise<{ digest: Digest; samples: number } | { error: string }> {
  const r = await http({ method: 'GET', url, timeoutMs, headers: { accept: 'text/plain' } });
  if (r.kind === 'error') return { error: `${r.code}: ${r.message}` };
  if (r.status !== 200) return { error: `HTTP ${r.status}` };
  const text = bodyText(r);
  const samples = parsePrometheus(text, wantedNames(extraNames));
  if (samples.length === 0 && parsePrometheus(text.slice(0, 65_536)).length === 0) return { error: 'no Prometheus samples in the body' };
  return { digest: digest(samples, extraNames), samples: samples.length };
}

export class ServerMetricsScraper {
  readonly scrapes: Scrape[] = [];
  readonly sources: SourceStats[];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly http: HttpFn,
    urls: string[],
    private readonly extraNames: readonly string[],
    private readonly now: () => number,
    readonly intervalMs = 1000,
  ) {
    this.sources = urls.map((url) => ({ url, scrapes: 0, failures: 0, lastError: null }));
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and takes one last scrape, so the end of the last phase is covered. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
    await this.tick();
  }

  tick(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const tMs = this.now();
    this.inFlight = Promise.all(this.sources.map((s) => scrapeOnce(this.http, s.url, this.extraNames, Math.max(200, this.intervalMs - 100))))
      .then((results) => {
        const parts: Digest[] = [];
        results.forEach((r, i) => {
          const s = this.sources[i];
          if ('error' in r) {
            s.failures++;
            s.lastError = r.error;
          } else {
            s.scrapes++;
            parts.push(r.digest);
          }
        });
        if (parts.length > 0) this.scrapes.push({ tMs: Math.round(tMs), ...mergeDigests(parts) });
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}

const COMBINE = new Map(KNOWN_METRICS.map((m) => [m.key as string, m.combine]));

/** Several sources in one scrape: each canonical value combined as across label sets. */
export function mergeDigests(parts: Digest[]): Omit<Scrape, 'tMs'> {
  const values: Partial<Record<string, number>> = {};
  const counts = new Map<string, number>();
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.values)) {
      if (v === undefined) continue;
      const how = COMBINE.get(k) ?? 'sum';
      const prev = values[k];
      counts.set(k, (counts.get(k) ?? 0) + 1);
      values[k] = prev === undefined ? v : how === 'max' ? Math.max(prev, v) : prev + v;
    }
  }
  for (const [k, n] of counts) if (COMBINE.get(k) === 'mean' && n > 1) values[k] = (values[k] as number) / n;
  let buckets: Map<number, number> | null = null;
  for (const p of parts) {
    if (!p.queueTimeBuckets) continue;
    buckets ??= new Map();
    for (const [le, c] of p.queueTimeBuckets) buckets.set(le, (buckets.get(le) ?? 0) + c);
  }
  return { values, queueTimeBuckets: buckets };
}
