// `loadshape run`: the I/O edge that wires workload → schedule → client → metrics → result file.
// It reads files and flags, starts the embedded simulator when no target is given, prints progress
// to stderr and the summary to stdout. All logic lives in the stages it calls.
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { ClientTimeouts } from '../client/openai.js';
import { Driver, type RunSink } from '../driver/run.js';
import { RunCollector, type DriverResult } from '../metrics/collector.js';
import { Checkpoints, RecordsFile } from '../results/sinks.js';
import { realClock } from '../util/clock.js';
import { AbortWatch } from '../gates/abort.js';
import { ProgressLine } from './progress.js';
import { assembleResult, DEFAULT_CLIENT_LAG_LIMIT_MS, type ClientSample } from '../results/assemble.js';
import type { RunResult } from '../results/format.js';
import { resultFileName, writeResult } from '../results/io.js';
import { renderSummary } from '../report/text.js';
import { phasePlans, phasePlan, tracePhasePlan } from '../schedule/phases.js';
import { LoadshapeError, parseDurationMs, usageError } from '../util/errors.js';
import { loadWorkload, parseWorkload, type LoadedWorkload } from '../workload/load.js';
import { createPlanner } from '../workload/plan.js';
import type { Phase, Workload, WorkloadInput } from '../workload/schema.js';
import { loadTrace, tracePlanner, traceOffsetsMs, type Trace, type TraceRow } from '../workload/trace.js';
import type { PhasePlan } from '../schedule/phases.js';
import { createHash } from 'node:crypto';
import { stringify as stringifyYaml } from 'yaml';
import { loadTokenizer } from '../workload/tokenizer.js';
import { loadSimSettings, startEmbeddedSimulator, type EmbeddedSim } from './embedded-sim.js';
import { startClientSampler } from './client-health.js';
import { resultMeta } from './meta.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { runWithWorkers, checkWorkerFlags, workerFlagsOk } from './run-workers.js';
import { judge, prepareGates, writeGateOutputs, type GateOptions } from './gates.js';
import { EngineSide, type EngineSideFlags } from './engine-side.js';
import { buildHeaders, checkClientFlags, openClient, type ClientFlags } from './client-options.js';
import { startBarrier } from './start-barrier.js';
import { redactUrl } from '../util/redact.js';
import { runEvidence, targetHint } from './target-hint.js';

// Redaction lives in util/redact; these names stay importable from here.
export { redactArgv, redactUrl } from '../util/redact.js';
// Headers are built where every measuring command (and probe) gets them.
export { buildHeaders } from './client-options.js';
import { parseRunDurationMs, parseTimeoutFlag, STOP_SIGNALS } from './flag-values.js';
import { checkOutputPaths, runOutputPaths, saveResult } from './output-paths.js';

export interface RunOptions extends EngineSideFlags, GateOptions, ClientFlags {
  /** A workload file or name; default `mixed`, or with --trace a plain chat workload named after the trace. */
  workload?: string;
  /** Replay this trace (CSV or JSONL) as the run's only phase. */
  trace?: string;
  /** Time scale of the replay: 2 sends the trace twice as fast (default 1). */
  speed?: number;
  target?: string;
  model?: string;
  concurrency?: number;
  rate?: number;
  duration?: string;
  requests?: number;
  seed?: number;
  /** "i/N": send only requests i, i+N, … of each phase (shards merge exactly with `loadshape merge`). */
  shard?: string;
  /** Child processes, each running shard i/N; merged exactly at the end (default 1). */
  workers?: number;
  /** Used when --workers is not given and the run needs nothing that only one process can do. */
  defaultWorkers?: number;
  /** Wall-clock instant (epoch ms) at which to start the clock: workers start together. */
  startAtEpochMs?: number;
  /** A directory shared by the shards of one run: they agree there on one start instant. */
  startBarrier?: string;
  /** How long --start-barrier waits for every shard (default 10m). */
  barrierTimeout?: string;
  out: string;
  records?: string;
  label: string[];
  apiKeyEnv?: string;
  /** A file holding the API key (first line); like --api-key-env, keeps the key out of argv. */
  apiKeyFile?: string;
  header: string[];
  tokenizer?: string;
  quiet: boolean;
  simTtftMs?: number;
  simItlMs?: number;
  simPrefillMsPerToken?: number;
  /** Embedded simulator profile (fixed, continuous-batching, prefix-cache, blocking). */
  simProfile?: string;
  /** Embedded simulator YAML config file. */
  simConfig?: string;
  /** Embedded simulator faults, `type:key=value,...` (repeatable). */
  simFault?: string[];
  timeoutTtfb?: string;
  timeoutIdle?: string;
  timeoutTotal?: string;
  drain?: string;
  /** Write the result so far every interval to <result>.checkpoint.json. */
  checkpoint?: string;
  /** The harness lag past which the run is client-saturated (default 10ms). */
  maxClientLag?: string;
}

export interface RunOutcome {
  result: RunResult;
  file: string;
  exitCode: number;
}

/** Exit codes (documented in the README). */
export { EXIT } from './exit.js';
import { EXIT } from './exit.js';

export async function runCommand(opts: RunOptions): Promise<RunOutcome> {
  const trace = opts.trace !== undefined ? await loadTrace(opts.trace) : null;
  if (trace === null && opts.speed !== undefined) throw usageError('--speed scales a --trace replay; give --trace FILE');
  const loaded = opts.workload === undefined && trace !== null ? replayWorkload(trace) : await loadWorkload(opts.workload ?? 'mixed');
  const workload = structuredClone(loaded.workload);
  if (opts.seed !== undefined) workload.seed = opts.seed;
  const replay = trace !== null ? replayPhase(trace, opts, workload) : null;
  const override = replay ? null : cliPhase(opts);
  if (override) workload.phases = [override];
  const phases = replay ? [replay.plan] : phasePlans(workload);
  const gates = await prepareGates(opts, workload, phases.map((p) => p.name));

  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 1)) throw usageError(`--workers: expected a positive integer, got ${opts.workers}`);
  if ((opts.workers ?? 1) > 1) checkWorkerFlags(process.argv.slice(3));
  // Gates judge the whole run, so a run with gates (flags or the workload's slo:) stays one process.
  if ((opts.workers ?? 1) > 1 && gates.active) throw usageError('--workers N > 1 does not combine with SLOs, goodput or baseline gates yet: run with --workers 1');
  // Shards and workers split every in-flight count (closed-loop concurrency, open-loop max_concurrency);
  // more of them than the smallest count would multiply it, since each holds at least one.
  const inFlightCounts = phases.flatMap((p) => (p.load.kind === 'closed' ? [p.load.concurrency] : p.load.maxConcurrency !== null ? [p.load.maxConcurrency] : []));
  const smallestInFlight = inFlightCounts.length > 0 ? Math.min(...inFlightCounts) : Infinity;
  const split = shard?.count ?? opts.workers ?? 1;
  if (split > smallestInFlight) {
    throw usageError(
      `${shard ? '--shard' : '--workers'}: ${split} shards would each hold at least one request in flight, more than a phase's concurrency of ${smallestInFlight}; use at most ${smallestInFlight}`,
    );
  }
  const workers =
    opts.workers ?? (shard || gates.active || !workerFlagsOk(process.argv.slice(3)) ? 1 : Math.max(1, Math.min(opts.defaultWorkers ?? 1, smallestInFlight)));
  const headers = await buildHeaders(opts);
  checkClientFlags(opts);
  const checkpointMs = opts.checkpoint ? parseDurationMs(opts.checkpoint, '--checkpoint') : null;
  if (checkpointMs !== null && checkpointMs < 1000) throw usageError(`--checkpoint: checkpoints are written on the run's one-second tick; give at least 1s, got ${opts.checkpoint}`);
  const lagLimitMs = opts.maxClientLag === undefined ? DEFAULT_CLIENT_LAG_LIMIT_MS : parseDurationMs(opts.maxClientLag, '--max-client-lag');
  if (!(lagLimitMs > 0)) throw usageError(`--max-client-lag: give a positive duration such as 10ms, got ${opts.maxClientLag}`);
  const barrier = startBarrierFlags(opts, shard);
  const labels = parseLabels(opts.label);
  const tokenizer = await loadTokenizer(opts.tokenizer);
  const timeouts = clientTimeouts(opts);
  // Before anything is sent: a result, records or JUnit file that cannot be written is found now, not after the run.
  await checkOutputPaths(runOutputPaths({ ...opts, workloadName: workload.name, checkpoint: checkpointMs !== null }));

  let sim: EmbeddedSim | null = null;
  let baseUrl: string;
  if (opts.target) {
    baseUrl = checkTarget(opts.target);
  } else {
    const simSettings = await loadSimSettings({
      prefix: '--sim-',
      profile: opts.simProfile,
      config: opts.simConfig,
      faults: opts.simFault,
      ttftMs: opts.simTtftMs,
      itlMs: opts.simItlMs,
      prefillMsPerToken: opts.simPrefillMsPerToken,
    });
    sim = await startEmbeddedSimulator({ ...simSettings });
    baseUrl = sim.url;
    log(opts, `embedded simulator (${simSettings.profile}) at ${baseUrl} (pass --target URL to test a real endpoint)`);
  }

  if (workers > 1) {
    try {
      const w = await runWithWorkers(process.argv.slice(3), {
        workers,
        out: opts.out,
        records: opts.records,
        quiet: opts.quiet,
        workloadName: workload.name,
        sim,
      });
      return { result: w.result, file: w.file, exitCode: verdict(w.result) };
    } finally {
      await sim?.close();
    }
  }

  let engine: EngineSide | null = null;
  try {
    engine = await EngineSide.prepare(opts, baseUrl, headers, (m) => log(opts, m));
    const model = opts.model ?? workload.defaults.model ?? (await discoverModel(baseUrl, headers, opts.insecure));
    const sized = createPlanner(workload, { model, tokenizer, phaseCount: phases.length });
    const planner = replay ? tracePlanner(sized, 0, replay.rows) : sized;
    if (replay && replay.unknownClasses.length > 0) {
      log(opts, `trace: class ${replay.unknownClasses.map((c) => `"${c}"`).join(', ')} not in workload ${workload.name}: those rows take a class from the workload's mix`);
    }
    // Shards and workers start their clocks at one instant: given (--start-at), or agreed (--start-barrier).
    const startAtEpochMs = barrier ? await startBarrier(barrier.dir, shard!, { timeoutMs: barrier.timeoutMs }) : opts.startAtEpochMs;
    if (startAtEpochMs !== undefined) await waitForEpoch(startAtEpochMs);
    const originMs = performance.now();
    const clock = realClock(originMs);
    const now = clock.now;
    const { client, sender } = openClient(opts, { baseUrl, headers, timeouts }, now, workload.seed);
    const records = opts.records ? await RecordsFile.open(opts.records) : null;
    const withCold = engine.withCold(phases, planner);
    const drainMs = opts.drain ? parseDurationMs(opts.drain, '--drain') : 10_000;

    const startedAt = new Date();
    const file = join(opts.out, resultFileName(startedAt, workload.name));
    const sampler = startClientSampler(now);
    const sample = (): ClientSample => sampler.sample();
    const metaContext = {
      runId: resultFileName(startedAt, workload.name).replace(/\.json$/, ''),
      startedAt, clockStartedAtEpochMs: performance.timeOrigin + originMs, now, loaded, workload, baseUrl, simOptions: sim ? sim.options : null, model, tokenizerName: tokenizer.name, labels,
    };
    const metaAt = (interrupted: boolean): RunResult['meta'] => ({ ...resultMeta(metaContext, interrupted), ...(shard ? { shard } : {}) });

    // The run's sinks: what consumes its records and its one-second tick.
    const collector = new RunCollector({ classNames: workload.classes.map((c) => c.name), goodput: gates.goodput });
    const sinks: RunSink[] = [collector, sampler];
    if (records) sinks.push(records);
    if (checkpointMs !== null) {
      sinks.push(new Checkpoints(checkpointFile(file), checkpointMs, (view) => assembleResult(collector.snapshot(view), { ...metaAt(view.stopped), checkpoint: true }, sample(), lagLimitMs)));
    }
    let driver: Driver | null = null;
    // --abort-on-fail: an SLO on errors already lost stops scheduling; in-flight requests get the drain period.
    const abort = opts.abortOnFail
      ? new AbortWatch(gates.slos, shard, (msg) => {
          process.stderr.write(`loadshape: --abort-on-fail: ${msg}; stopping the run\n`);
          driver?.stop();
          clock.at(now() + drainMs, () => sender.abortAll());
        })
      : null;
    if (abort) sinks.push(abort);
    if (!opts.quiet) sinks.push(new ProgressLine(process.stderr.isTTY === true));
    driver = new Driver({ planner: withCold.planner, phases: withCold.phases, client: sender, clock, seed: workload.seed, shard, sinks });

    await engine.start(now, (m) => log(opts, m));
    const stopSignals = onInterrupt(opts, driver, sender, drainMs);
    let d: DriverResult;
    try {
      d = collector.result(await driver.run());
    } finally {
      await engine.stop();
      sampler.stop();
      await client.close();
    }
    const result = engine.decorate(assembleResult(d, metaAt(d.interrupted), sample(), lagLimitMs));
    if (gates.active) result.gates = judge(result, file, gates, workload, abort?.lost ?? null);
    // The summary first: a disk that fails the write below still leaves the numbers on screen.
    process.stdout.write(`${renderSummary(result)}\n`);
    let saved: string;
    try {
      // Signal handlers stay installed until the result is written: a further Ctrl-C must not kill the write.
      saved = await saveResult(file, result); // falls back to the temp dir, saying so
      // The final result supersedes the checkpoint: remove it only once the result is safely renamed in.
      if (checkpointMs !== null && saved === file) await rm(checkpointFile(file), { force: true });
    } finally {
      stopSignals();
    }
    process.stdout.write(`result: ${saved}\n`);
    const code = verdict(result);
    if (!result.gates) return { result, file: saved, exitCode: code };
    await writeGateOutputs(opts, result, result.gates, saved);
    if (result.gates.exitCode !== EXIT.ok && result.gates.exitCode !== EXIT.unreachable) process.stderr.write(`loadshape: ${result.gates.reason}\n`);
    return { result, file: saved, exitCode: result.gates.exitCode };
  } finally {
    await engine?.close();
    await sim?.close();
  }
}

/** Exit code of a finished run: 5 when nothing succeeded, else 0 (gates add 1–3). */
export function verdict(result: RunResult): number {
  const recorded = result.phases.flatMap((p) => p.groups.filter((g) => g.class === '*'));
  const total = recorded.reduce((s, g) => s + g.requests, 0);
  const ok = recorded.reduce((s, g) => s + g.ok, 0);
  if (total > 0 && ok === 0) {
    const classes = new Map<string, number>();
    for (const g of recorded) for (const [k, n] of Object.entries(g.errorsByClass)) classes.set(k, (classes.get(k) ?? 0) + (n ?? 0));
    const what = [...classes].map(([k, n]) => `${k} ${n}`).join(', ');
    const hint = targetHint(result.meta.target.url, runEvidence(Object.fromEntries(classes), result.errorSamples)) ?? 'check --target and that the server is up';
    process.stderr.write(`loadshape: every request to ${result.meta.target.url} failed (${what}); ${hint}\n`);
    return EXIT.unreachable;
  }
  return EXIT.ok;
}

/** --concurrency/--rate with --duration/--requests replace the workload's phases with one phase. */
function cliPhase(opts: RunOptions): Phase | null {
  if (opts.concurrency === undefined && opts.rate === undefined) {
    if (opts.duration !== undefined || opts.requests !== undefined) {
      throw usageError('--duration/--requests override the workload phases only together with --concurrency N or --rate R');
    }
    return null;
  }
  if (opts.concurrency !== undefined && opts.rate !== undefined) throw usageError('give --concurrency (closed loop) or --rate (open loop), not both');
  if (opts.duration === undefined && opts.requests === undefined) throw usageError('--concurrency/--rate need --duration or --requests to know when to stop');
  if (opts.concurrency !== undefined && (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)) {
    throw usageError(`--concurrency: expected a positive integer, got ${opts.concurrency}`);
  }
  if (opts.rate !== undefined && !(opts.rate > 0)) throw usageError(`--rate: expected a positive number of requests per second, got ${opts.rate}`);
  if (opts.requests !== undefined && (!Number.isInteger(opts.requests) || opts.requests < 1)) {
    throw usageError(`--requests: expected a positive integer, got ${opts.requests}`);
  }
  const phase: Phase = {
    name: 'cli',
    arrival: 'poisson',
    burstiness: 1,
    record: true,
    ...(opts.duration !== undefined ? { duration: `${parseRunDurationMs(opts.duration) / 1000}s` } : {}),
    ...(opts.requests !== undefined ? { requests: opts.requests } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : { rate: opts.rate }),
  };
  phasePlan(phase, 0); // validates durations
  return phase;
}

/**
 * `--trace`: one open-loop phase whose arrivals are the trace's rows, time-scaled by --speed.
 * --requests keeps the first N rows, --duration the rows that arrive before it (scaled time).
 */
function replayPhase(trace: Trace, opts: RunOptions, workload: Workload): { plan: PhasePlan; rows: TraceRow[]; unknownClasses: string[] } {
  if (opts.concurrency !== undefined || opts.rate !== undefined) throw usageError('--trace replays the trace\'s own arrivals: drop --concurrency/--rate');
  const speed = opts.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw usageError(`--speed: expected a positive number, got ${opts.speed}`);
  if (opts.requests !== undefined && (!Number.isInteger(opts.requests) || opts.requests < 1)) throw usageError(`--requests: expected a positive integer, got ${opts.requests}`);
  const untilMs = opts.duration !== undefined ? parseRunDurationMs(opts.duration) : Infinity;
  const offsets = traceOffsetsMs(trace, speed);
  let n = Math.min(trace.rows.length, opts.requests ?? Infinity);
  while (n > 0 && !(offsets[n - 1] < untilMs)) n--;
  if (n === 0) throw usageError(`--duration ${opts.duration}: no trace row arrives that early`);
  const rows = trace.rows.slice(0, n);
  const known = new Set(workload.classes.map((c) => c.name));
  const unknownClasses = [...new Set(rows.map((r) => r.className).filter((c): c is string => c !== null && !known.has(c)))];
  const plan = tracePhasePlan(0, 'replay', { file: trace.file, sha256: trace.sha256, rows: n, speed }, offsets.slice(0, n));
  return { plan, rows, unknownClasses };
}

/**
 * The workload of a replay given without one: plain chat classes whose lengths come from the rows,
 * generating to max_tokens (ignore_eos) so output lengths follow the trace.
 */
function replayWorkload(trace: Trace): LoadedWorkload {
  const ONE = { type: 'fixed' as const, value: 1 };
  const named = [...new Set(trace.rows.map((r) => r.className).filter((c): c is string => c !== null && /^[A-Za-z0-9_.-]+$/.test(c)))];
  const anonymous = trace.rows.some((r) => r.className === null);
  const input: WorkloadInput = {
    name: `replay-${basename(trace.file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_')}`,
    seed: 1,
    defaults: { extra_body: { ignore_eos: true } },
    // One plain class per class the trace names (so the result breaks down by them), and `trace` for rows that name none.
    classes: [
      ...named.map((name) => ({ name, weight: anonymous ? 0 : 1, prompt_tokens: ONE, output_tokens: ONE })),
      ...(anonymous || named.length === 0 ? [{ name: 'trace', prompt_tokens: ONE, output_tokens: ONE }] : []),
    ],
    phases: [{ name: 'replay', rate: 1, requests: trace.rows.length }],
  };
  const text = `# loadshape run --trace ${trace.file} (trace sha256 ${trace.sha256})\n${stringifyYaml(input)}`;
  return { workload: parseWorkload(text, `<replay of ${trace.file}>`), file: trace.file, text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** "2/8" → shard 2 of 8 (0-based index). */
export function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw usageError(`--shard: expected i/N with 0 <= i < N (e.g. 0/4), got "${value}"`);
  }
  return { index, count };
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

/** `--start-barrier DIR` (with `--shard i/N`) and `--barrier-timeout`: checked before anything starts. */
function startBarrierFlags(opts: RunOptions, shard: { index: number; count: number } | undefined): { dir: string; timeoutMs: number } | null {
  if (opts.startBarrier === undefined) {
    if (opts.barrierTimeout !== undefined) throw usageError('--barrier-timeout goes with --start-barrier DIR');
    return null;
  }
  if (!shard) throw usageError('--start-barrier: give --shard i/N too (the barrier waits for the N shards of one run)');
  if (opts.startAtEpochMs !== undefined) throw usageError('--start-barrier agrees on the start instant itself: drop --start-at');
  const timeoutMs = opts.barrierTimeout === undefined ? 600_000 : parseDurationMs(opts.barrierTimeout, '--barrier-timeout');
  if (!(timeoutMs > 0)) throw usageError(`--barrier-timeout: give a positive duration such as 10m, got ${opts.barrierTimeout}`);
  return { dir: opts.startBarrier, timeoutMs };
}

/** Waits until the wall-clock instant `epochMs`, to within a fraction of a millisecond (the clock's precise wait). */
async function waitForEpoch(epochMs: number): Promise<void> {
  const targetMs = performance.now() + (epochMs - Date.now());
  await realClock(0).waitUntil(targetMs);
}

/** Where `--checkpoint` writes: beside the result, `<result>.checkpoint.json`. */
export function checkpointFile(resultFile: string): string {
  return resultFile.replace(/\.json$/, '.checkpoint.json');
}

/** --timeout-ttfb/-idle/-total in ms, 0 for `off` (unset ones take the client's defaults). */
export function clientTimeouts(opts: Pick<RunOptions, 'timeoutTtfb' | 'timeoutIdle' | 'timeoutTotal'>): Partial<ClientTimeouts> {
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

function log(opts: RunOptions, msg: string): void {
  if (!opts.quiet) process.stderr.write(`${msg}\n`);
}

/** Ctrl-C / SIGTERM / SIGHUP: stop scheduling, drain in-flight for a grace period, then cancel them; a second Ctrl-C cancels at once. */
function onInterrupt(opts: RunOptions, driver: Driver, client: { readonly inFlightCount: number; abortAll(): void }, drainMs: number): () => void {
  let drainTimer: NodeJS.Timeout | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (driver.isStopped) {
      log(opts, `\n${signal} again: cancelling ${client.inFlightCount} in-flight requests`);
      client.abortAll();
      return;
    }
    log(opts, `\n${signal}: stopping; draining ${client.inFlightCount} in-flight requests for up to ${drainMs / 1000}s (again to cancel now)`);
    driver.stop();
    drainTimer = setTimeout(() => client.abortAll(), drainMs);
    drainTimer.unref();
  };
  // SIGHUP (the terminal or SSH session closed) is a stop like any other: drain, write, mark interrupted.
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
    if (drainTimer) clearTimeout(drainTimer);
  };
}
