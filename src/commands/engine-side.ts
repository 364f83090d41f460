// The run's engine-side edge: --wait-ready (and the `cold` phase after it), provenance, --recipe,
// --server-metrics scraping and cost. run.ts calls it at four points; the logic lives in
// src/provenance, src/servermetrics and src/cost.
import { computeCost } from '../cost/cost.js';
import { createHttp, serverRoot, type UndiciHttp } from '../probe/http.js';
import { collectProvenance } from '../provenance/collect.js';
import { loadRecipe, recipeCostPerHour, type EmbeddedRecipe } from '../provenance/recipe.js';
import { waitReady } from '../provenance/ready.js';
import type { Provenance, Readiness } from '../provenance/schema.js';
import type { RunResult } from '../results/format.js';
import type { PhasePlan } from '../schedule/phases.js';
import { scrapeOnce, ServerMetricsScraper } from '../servermetrics/scrape.js';
import { buildServerMetrics } from '../servermetrics/summary.js';
import { LoadshapeError, parseDurationMs, usageError } from '../util/errors.js';
import { redactUrl, Scrubber, scrubDeep, secretsOf, secretsOfUrl } from '../util/redact.js';
import type { Planner } from '../workload/plan.js';
import type { ServerGauges } from '../live/tick.js';

export interface EngineSideFlags {
  waitReady?: string;
  coldRequests?: number;
  recipe?: string;
  serverMetrics?: string[];
  serverMetric?: string[];
  costPerHour?: number;
}

/** Cold requests draw their prompts far from any phase's request indices, so no phase repeats them. */
const COLD_REQUEST_OFFSET = 1_000_000_000;

export class EngineSide {
  private scraper: ServerMetricsScraper | null = null;
  private provenance: Provenance | null = null;
  private coldIndex: number | null = null;

  private constructor(
    private readonly flags: EngineSideFlags,
    private readonly transport: UndiciHttp,
    private readonly baseUrl: string,
    private readonly recipe: EmbeddedRecipe | null,
    private readonly readiness: Readiness | null,
    /** What the engine says about itself is server text: it may echo a key (headers, version bodies). */
    private readonly scrubber: Scrubber,
  ) {}

  /** Before anything is sent: reads --recipe, and with --wait-ready polls until the engine answers. */
  static async prepare(flags: EngineSideFlags, baseUrl: string, headers: Record<string, string>, log: (m: string) => void): Promise<EngineSide> {
    if (flags.costPerHour !== undefined && !(flags.costPerHour >= 0)) throw usageError(`--cost-per-hour: expected a number >= 0, got ${flags.costPerHour}`);
    for (const u of (flags.serverMetrics ?? []).filter((x) => x !== 'none')) {
      try {
        new URL(u);
      } catch {
        throw usageError(`--server-metrics: "${redactUrl(u)}" is not a URL; write e.g. http://127.0.0.1:8000/metrics`);
      }
    }
    const recipe = flags.recipe ? await loadRecipe(flags.recipe) : null;
    const scrubber = new Scrubber([...secretsOf(headers), ...secretsOfUrl(baseUrl), ...(flags.serverMetrics ?? []).flatMap(secretsOfUrl)]);
    const transport = createHttp({ headers });
    let readiness: Readiness | null = null;
    if (flags.waitReady) {
      const limitMs = parseDurationMs(flags.waitReady, '--wait-ready');
      log(`waiting up to ${flags.waitReady} for ${serverRoot(baseUrl)} to be ready (/health or /v1/models)`);
      const t0 = performance.now();
      readiness = scrubDeep(await waitReady({ http: transport.http, baseUrl, limitMs, now: () => performance.now() - t0 }), scrubber);
      if (!readiness.ready) {
        await transport.close();
        throw new LoadshapeError('unreachable', `--wait-ready: not ready after ${(readiness.timeToReadyMs / 1000).toFixed(1)}s (${readiness.attempts} polls; last: ${readiness.lastNotReady})`);
      }
      log(`ready after ${(readiness.timeToReadyMs / 1000).toFixed(1)}s (${readiness.readyBy})`);
    }
    return new EngineSide(flags, transport, baseUrl, recipe, readiness, scrubber);
  }

  /** After readiness: a `cold` phase of the first requests (one at a time), before any warm-up. */
  withCold(phases: PhasePlan[], planner: Planner): { phases: PhasePlan[]; planner: Planner } {
    if (!this.readiness || this.flags.coldRequests === 0) return { phases, planner };
    const coldIndex = phases.length;
    this.coldIndex = coldIndex;
    const cold: PhasePlan = { index: coldIndex, name: 'cold', record: true, durationMs: null, maxRequests: this.flags.coldRequests ?? 3, load: { kind: 'closed', concurrency: 1 } };
    return {
      phases: [cold, ...phases],
      planner: {
        workload: planner.workload,
        plan: (phaseIndex, requestIndex) => (phaseIndex === coldIndex ? planner.plan(0, COLD_REQUEST_OFFSET + requestIndex) : planner.plan(phaseIndex, requestIndex)),
        // Conversations go on as the wrapped planner says (a follow-up is built from its own plan).
        followUp: planner.followUp?.bind(planner),
      },
    };
  }

  /** At run start (`now` is the run clock): provenance, and scraping of every metrics source that applies. */
  async start(now: () => number, log: (m: string) => void): Promise<void> {
    // `--server-metrics none` turns the default scrape of <target>/metrics off.
    const off = (this.flags.serverMetrics ?? []).includes('none');
    const explicit = (this.flags.serverMetrics ?? []).filter((u) => u !== 'none');
    const extra = this.flags.serverMetric ?? [];
    const fallback = `${serverRoot(this.baseUrl)}/metrics`;
    const [provenance, fallbackOk] = await Promise.all([
      collectProvenance(this.transport.http, this.baseUrl),
      explicit.length === 0 && !off ? scrapeOnce(this.transport.http, fallback, extra, 1000).then((r) => !('error' in r)) : Promise.resolve(false),
    ]);
    this.provenance = scrubDeep(provenance, this.scrubber);
    const urls = explicit.length > 0 ? explicit : fallbackOk ? [fallback] : [];
    if (urls.length > 0) {
      log(`scraping server metrics every 1s: ${urls.map(redactUrl).join(', ')}`);
      this.scraper = new ServerMetricsScraper(this.transport.http, urls, extra, now, 1000);
      this.scraper.start();
    }
  }

  /** The engine's running/waiting/KV gauges of the latest scrape, for the live view; null when not scraped. */
  serverGauges(): ServerGauges | null {
    const last = this.scraper?.scrapes[this.scraper.scrapes.length - 1];
    if (!last) return null;
    const v = (k: string) => last.values[k] ?? null;
    return { running: v('running'), waiting: v('waiting'), kvCacheUsage: v('kvCacheUsage') };
  }

  /** After the driver: the last scrape. */
  async stop(): Promise<void> {
    await this.scraper?.stop();
  }

  /** The result with the engine side added (every field optional in the format). */
  decorate(result: RunResult): RunResult {
    const meta = { ...result.meta };
    if (this.provenance) meta.provenance = this.provenance;
    if (this.recipe) meta.recipe = this.recipe;
    if (this.readiness) meta.readiness = this.readiness;
    const out: RunResult = { ...result, meta };
    if (this.scraper) {
      const windows = result.phases.map((p) => ({
        name: p.name,
        startedAtMs: p.startedAtMs,
        endedAtMs: p.endedAtMs,
        outputTokens: p.groups.find((g) => g.class === '*')?.outputTokens ?? null,
      }));
      const sources = this.scraper.sources.map((s) => ({ ...s, lastError: s.lastError === null ? null : this.scrubber.scrub(s.lastError) }));
      out.serverMetrics = buildServerMetrics(this.scraper.scrapes, sources, windows, this.scraper.intervalMs, this.flags.serverMetric ?? []);
    }
    const fromRecipe = this.recipe ? recipeCostPerHour(this.recipe.recipe) : null;
    if (this.flags.costPerHour !== undefined) out.cost = computeCost(result.phases, this.flags.costPerHour, 'flag');
    else if (fromRecipe !== null) out.cost = computeCost(result.phases, fromRecipe, 'recipe');
    return out;
  }

  get coldPhaseIndex(): number | null {
    return this.coldIndex;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
