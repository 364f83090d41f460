// The run context: what every measuring command (run, sweep, and the commands built on them) opens
// before it measures, from its typed flags, in one place so the commands cannot drift apart. It owns
// the seeded workload, credentials and headers, labels, tokenizer, client limits and time limits, the
// output paths (checked before anything is sent), the target or the embedded simulator, model
// discovery, the client, the result's metadata and the stop signals. A command adds its own plan and
// its own sinks; closing the context stops what it started.
import { Agent, request } from 'undici';
import type { ClientTimeouts } from '../client/openai.js';
import { DEFAULT_CLIENT_LAG_LIMIT_MS } from '../results/assemble.js';
import type { RunResult } from '../results/format.js';
import { resultFileName } from '../results/io.js';
import { LoadshapeError, parseDurationMs, usageError } from '../util/errors.js';
import { redactUrl } from '../util/redact.js';
import type { LoadedWorkload } from '../workload/load.js';
import type { Workload } from '../workload/schema.js';
import { loadTokenizer, type Tokenizer } from '../workload/tokenizer.js';
import { buildHeaders, checkClientFlags, openClient } from './client-options.js';
import { loadSimSettings, startEmbeddedSimulator, type EmbeddedSim } from './embedded-sim.js';
import { parseTimeoutFlag, STOP_SIGNALS } from './flag-values.js';
import { resultMeta } from './meta.js';
import type { MeasuringFlags } from './options.js';
import { checkOutputPaths, type OutputPath } from './output-paths.js';
import { targetHint } from './target-hint.js';

export interface RunContext {
  readonly flags: MeasuringFlags;
  readonly loaded: LoadedWorkload;
  /** The workload as the command runs it (--seed applied, phases replaced by the command's). */
  readonly workload: Workload;
  readonly headers: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly tokenizer: Tokenizer;
  readonly timeouts: Partial<ClientTimeouts>;
  /** --max-client-lag in ms. */
  readonly lagLimitMs: number;
  /** --drain in ms. */
  readonly drainMs: number;
  /** The target's base URL (…/v1), or the embedded simulator's. */
  readonly baseUrl: string;
  readonly sim: EmbeddedSim | null;
  /** Progress on stderr unless --quiet. */
  log(message: string): void;
  /** --model, else the workload's, else the first model the endpoint lists. */
  model(): Promise<string>;
  /** The measuring client on the run's clock (retries draw their jitter from the workload seed). */
  openClient(now: () => number): ReturnType<typeof openClient>;
  /** The result's metadata as of now, for a result file named `name` started at `startedAt`. */
  meta(o: { name: string; startedAt: Date; now: () => number; model: string; clockStartedAtEpochMs?: number; labels?: Record<string, string>; argv?: string[] }, interrupted: boolean): RunResult['meta'];
  /** Stops the embedded simulator, if one was started. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Every file the command will write (checked before anything is sent). */
  outputs: (workload: Workload) => OutputPath[];
  /** What the command does, for the simulator's hint ("test", "sweep"). */
  verb: string;
}

/** A copy of the loaded workload with --seed applied (the loaded one stays as read, for the result's provenance). */
export function seededWorkload(loaded: LoadedWorkload, seed: number | undefined): Workload {
  const workload = structuredClone(loaded.workload);
  if (seed !== undefined) workload.seed = seed;
  return workload;
}

/** Opens the context: validates every shared flag (exit 4 naming it) before starting anything. */
export async function openRunContext(flags: MeasuringFlags, loaded: LoadedWorkload, workload: Workload, o: OpenOptions): Promise<RunContext> {
  checkClientFlags(flags);
  const headers = await buildHeaders(flags);
  const labels = parseLabels(flags.label);
  const timeouts = clientTimeouts(flags);
  const lagLimitMs = flags.maxClientLag === undefined ? DEFAULT_CLIENT_LAG_LIMIT_MS : parseDurationMs(flags.maxClientLag, '--max-client-lag');
  if (!(lagLimitMs > 0)) throw usageError(`--max-client-lag: give a positive duration such as 10ms, got ${flags.maxClientLag}`);
  const drainMs = parseDurationMs(flags.drain, '--drain');
  const tokenizer = await loadTokenizer(flags.tokenizer);
  // Before anything is sent: a result, records or JUnit file that cannot be written is found now, not after the run.
  await checkOutputPaths(o.outputs(workload));
  const log = (m: string) => {
    if (!flags.quiet) process.stderr.write(`${m}\n`);
  };
  let sim: EmbeddedSim | null = null;
  let baseUrl: string;
  if (flags.target) {
    baseUrl = checkTarget(flags.target);
  } else {
    const simSettings = await loadSimSettings({
      prefix: '--sim-', profile: flags.simProfile, config: flags.simConfig, faults: flags.simFault, ttftMs: flags.simTtft, itlMs: flags.simItl, prefillMsPerToken: flags.simPrefillPerToken,
      settings: { reasoningTokens: flags.simReasoning },
    });
    sim = await startEmbeddedSimulator({ ...simSettings });
    baseUrl = sim.url;
    log(`embedded simulator (${simSettings.profile}) at ${baseUrl} (pass --target URL to ${o.verb} a real endpoint)`);
  }
  let model: Promise<string> | null = null;
  return {
    flags, loaded, workload, headers, labels, tokenizer, timeouts, lagLimitMs, drainMs, baseUrl, sim, log,
    model: () => (model ??= flags.model !== undefined ? Promise.resolve(flags.model) : workload.defaults.model !== undefined ? Promise.resolve(workload.defaults.model) : discoverModel(baseUrl, headers, flags.insecure)),
    openClient: (now) => openClient(flags, { baseUrl, headers, timeouts }, now, workload.seed),
    meta: (m, interrupted) => {
      const context = {
        runId: resultFileName(m.startedAt, m.name).replace(/\.json$/, ''), startedAt: m.startedAt, clockStartedAtEpochMs: m.clockStartedAtEpochMs, now: m.now,
        loaded, workload, baseUrl, simOptions: sim ? sim.options : null, model: m.model, tokenizerName: tokenizer.name, labels: { ...labels, ...m.labels }, argv: m.argv,
      };
      return resultMeta(context, interrupted);
    },
    close: async () => {
      await sim?.close();
    },
  };
}

/** What a stop signal acts on: scheduling stops, in-flight requests drain, then are cancelled. */
export interface Stoppable {
  readonly isStopped: boolean;
  stop(): void;
  readonly inFlightCount: number;
  abortAll(): void;
}

/**
 * Ctrl-C / SIGTERM / SIGHUP: stop scheduling, let in-flight requests drain for --drain, then cancel
 * them; a second signal cancels at once. Returns the function that removes the handlers (keep them
 * until the result is written: a further Ctrl-C must not kill the write).
 */
export function stopOnSignals(ctx: Pick<RunContext, 'log' | 'drainMs'>, what: string, target: () => Stoppable): () => void {
  let drainTimer: NodeJS.Timeout | null = null;
  const handler = (signal: NodeJS.Signals) => {
    const t = target();
    if (t.isStopped) {
      ctx.log(`\n${signal} again: cancelling ${t.inFlightCount} in-flight requests`);
      t.abortAll();
      return;
    }
    ctx.log(`\n${signal}: stopping ${what}; draining ${t.inFlightCount} in-flight requests for up to ${ctx.drainMs / 1000}s (again to cancel now)`);
    t.stop();
    drainTimer = setTimeout(() => t.abortAll(), ctx.drainMs);
    drainTimer.unref();
  };
  // SIGHUP (the terminal or SSH session closed) is a stop like any other: drain, write, mark interrupted.
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
    if (drainTimer) clearTimeout(drainTimer);
  };
}

export function checkTarget(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw usageError(`--target: "${redactUrl(target)}" is not a URL; write e.g. http://127.0.0.1:8000/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--target: use http:// or https://, got ${url.protocol}`);
  return url.toString().replace(/\/+$/, '');
}

/** --timeout-ttfb/-idle/-total in ms, 0 for `off` (unset ones take the client's defaults). */
export function clientTimeouts(opts: { timeoutTtfb?: string; timeoutIdle?: string; timeoutTotal?: string }): Partial<ClientTimeouts> {
  return {
    ttfbMs: opts.timeoutTtfb ? parseTimeoutFlag(opts.timeoutTtfb, '--timeout-ttfb') : undefined,
    idleMs: opts.timeoutIdle ? parseTimeoutFlag(opts.timeoutIdle, '--timeout-idle') : undefined,
    totalMs: opts.timeoutTotal ? parseTimeoutFlag(opts.timeoutTotal, '--timeout-total') : undefined,
  };
}

export function parseLabels(labels: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const i = l.indexOf('=');
    if (i <= 0) throw usageError(`--label: expected key=value, got '${l}'`);
    out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

/** The first model the server lists, when neither --model nor the workload names one. */
export async function discoverModel(baseUrl: string, headers: Record<string, string>, insecure = false): Promise<string> {
  // --insecure reaches /models too: a self-signed staging endpoint is discovered like any other.
  const dispatcher = insecure ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  try {
    const res = await request(`${baseUrl}/models`, { headers, headersTimeout: 10_000, bodyTimeout: 10_000, dispatcher });
    // The status first: a 404 page need not be JSON, and its status is what names the fix.
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode });
    }
    const body = (await res.body.json()) as { data?: { id?: string }[] };
    const id = body.data?.[0]?.id;
    if (id) return id;
    throw new Error('HTTP 200 with no model in data[]');
  } catch (err) {
    const e = err as { code?: string; status?: number };
    const hint = targetHint(baseUrl, { notFound: e.status === 404, codes: e.code ? [e.code] : [] });
    throw new LoadshapeError(
      'unreachable',
      `${redactUrl(baseUrl)}/models: could not discover the model (${e.code ?? (err as Error).message}); ${hint ?? 'pass --model NAME, or check --target'}`,
    );
  } finally {
    await dispatcher?.close();
  }
}

