// `loadshape run`: the I/O edge that wires workload → schedule → client → metrics → result file.
// It reads files and flags, starts the embedded simulator when no target is given, prints progress
// to stderr and the summary to stdout. All logic lives in the stages it calls.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify as stringifyYaml } from 'yaml';
import { Driver, type RunSink } from '../driver/run.js';
import type { LiveView } from '../driver/sink.js';
import { AbortWatch } from '../gates/abort.js';
import { RunCollector, type DriverResult } from '../metrics/collector.js';
import { renderSummary } from '../report/text.js';
import { assembleResult } from '../results/assemble.js';
import type { RunResult } from '../results/format.js';
import { resultFileName } from '../results/io.js';
import { Checkpoints, RecordsFile } from '../results/sinks.js';
import { phasePlan, phasePlans, tracePhasePlan, type PhasePlan } from '../schedule/phases.js';
import { realClock, type Clock } from '../util/clock.js';
import { parseDurationMs, usageError } from '../util/errors.js';
import { loadWorkload, parseWorkload, type LoadedWorkload } from '../workload/load.js';
import { createPlanner, workloadPhaseCache } from '../workload/plan.js';
import type { EncodedImage } from '../workload/images.js';
import { loadImageDir } from './image-dir.js';
import type { Phase, Workload, WorkloadInput } from '../workload/schema.js';
import { loadTrace, tracePlanner, traceOffsetsMs, type Trace, type TraceRow } from '../workload/trace.js';
import { startClientSampler, type ClientSampler } from './client-health.js';
import { EngineSide } from './engine-side.js';
import { EXIT } from './exit.js';
import { parseRunDurationMs } from './flag-values.js';
import { judge, prepareGates, writeGateOutputs, type PreparedGates } from './gates.js';
import { LiveOutputs } from './live.js';
import { LiveTap } from '../live/tap.js';
import type { ServerGauges } from '../live/tick.js';
import { encodeTick } from '../live/wire.js';
import type { RunFlags } from './options.js';
import { runOutputPaths, saveResult } from './output-paths.js';
import { ProgressLine } from './progress.js';
import { redactUrl } from '../util/redact.js';
import { VERSION } from '../version.js';
import { openRunContext, seededWorkload, stopOnSignals, type RunContext } from './run-context.js';
import { checkWorkerFlags, runWithWorkers, workerBlockers } from './run-workers.js';
import { startBarrier } from './start-barrier.js';
import { expectedConcurrency, warmStart } from './warm-start.js';
import { runEvidence, targetHint } from './target-hint.js';

// Redaction lives in util/redact; these names stay importable from here.
export { redactArgv, redactUrl } from '../util/redact.js';
// Headers are built where every measuring command (and probe) gets them.
export { buildHeaders } from './client-options.js';
// Target, labels, time limits and model discovery are the run context's.
export { checkTarget, clientTimeouts, discoverModel, parseLabels } from './run-context.js';

/**
 * What `run` takes: its flags exactly as declared (commands/options.ts), the workload argument, and the
 * worker count used when --workers is not given and the run needs nothing that only one process can do.
 */
export type RunOptions = RunFlags & { workload?: string; defaultWorkers?: number; /** The command line the result records (a worker's is its parent's). */ argv?: string[] };

export interface RunOutcome {
  result: RunResult;
  file: string;
  exitCode: number;
}

/** Exit codes (documented in the README). */
export { EXIT } from './exit.js';

/** What `run` settled from its flags before opening anything: the workload as it runs, its phases, gates and process layout. */
interface RunPlan {
  loaded: LoadedWorkload;
  workload: Workload;
  phases: PhasePlan[];
  replay: { plan: PhasePlan; rows: TraceRow[]; unknownClasses: string[] } | null;
  gates: PreparedGates;
  shard: { index: number; count: number } | undefined;
  workers: number;
  checkpointMs: number | null;
  barrier: { dir: string; timeoutMs: number } | null;
  /** --image-dir: the files, read and checked before anything is sent. */
  imagePool: EncodedImage[] | undefined;
}

/** What a --workers child adds to its run: the live ticks it sends its parent (over IPC), as source `liveSource`. */
export interface RunHooks {
  liveSource?: number;
}

export async function runCommand(opts: RunOptions, hooks: RunHooks = {}): Promise<RunOutcome> {
  const plan = await planRun(opts);
  const ctx = await openRunContext(opts, plan.loaded, plan.workload, {
    verb: 'test',
    outputs: (w) => runOutputPaths({ ...opts, workloadName: w.name, checkpoint: plan.checkpointMs !== null }),
  });
  let live: LiveOutputs | null = null;
  try {
    live = await LiveOutputs.open(opts, {
      title: `${plan.workload.name} → ${redactUrl(ctx.baseUrl)}`,
      phases: plan.phases.map((p) => ({ name: p.name, index: p.index, durationMs: p.durationMs, maxRequests: p.maxRequests })),
      sources: plan.workers,
      labels: ctx.labels,
      log: ctx.log,
    });
    let outcome: RunOutcome;
    if (plan.workers > 1) {
      const name = plan.workload.name;
      if (live.active) live.model.info = await runInfo(ctx, name, resultFileName(new Date(), name));
      // The merged result's id is the first worker's, which starts its clock at the shared instant, plus "-merged<N>".
      const model = live.active ? live.model : null;
      const onStartAt = (epochMs: number) => {
        if (model) model.info.run_id = `${resultFileName(new Date(epochMs), name).replace(/\.json$/, '')}-merged${plan.workers}`;
      };
      const w = await runWithWorkers(opts, { workers: plan.workers, workloadName: name, sim: ctx.sim, live, onStartAt });
      if (live.active) live.model.info.run_id = w.result.meta.runId; // what the lingering endpoint shows is the result's
      outcome = { result: w.result, file: w.file, exitCode: verdict(w.result) };
    } else {
      outcome = await measureRun(ctx, plan, opts, live, hooks);
    }
    await live.linger();
    return outcome;
  } finally {
    await live?.close();
    await ctx.close();
  }
}

/** loadshape_run_info's labels: the run id (the result file's name), workload, model, target and version. */
async function runInfo(ctx: RunContext, workload: string, fileName: string): Promise<Record<string, string>> {
  return { run_id: fileName.replace(/\.json$/, ''), workload, model: await ctx.model(), target: redactUrl(ctx.baseUrl), version: VERSION };
}

/** Reads the workload (or trace) and settles phases, gates, shards and workers: every flag error before anything starts. */
async function planRun(opts: RunOptions): Promise<RunPlan> {
  const trace = opts.trace !== undefined ? await loadTrace(opts.trace) : null;
  if (trace === null && opts.speed !== undefined) throw usageError('--speed scales a --trace replay; give --trace FILE');
  const loaded = opts.workload === undefined && trace !== null ? replayWorkload(trace) : await loadWorkload(opts.workload ?? 'mixed');
  const workload = seededWorkload(loaded, opts.seed);
  const replay = trace !== null ? replayPhase(trace, opts, workload) : null;
  const override = replay ? null : cliPhase(opts);
  if (override) workload.phases = [override];
  const phases = replay ? [replay.plan] : phasePlans(workload);
  const gates = await prepareGates(opts, workload, phases.map((p) => p.name));
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const checkpointMs = opts.checkpoint ? parseDurationMs(opts.checkpoint, '--checkpoint') : null;
  if (checkpointMs !== null && checkpointMs < 1000) throw usageError(`--checkpoint: checkpoints are written on the run's one-second tick; give at least 1s, got ${opts.checkpoint}`);
  const imagePool = opts.imageDir !== undefined ? await loadImageDir(opts.imageDir) : undefined;
  return { loaded, workload, phases, replay, gates, shard, workers: workerCount(opts, phases, shard, gates.active), checkpointMs, barrier: startBarrierFlags(opts, shard), imagePool };
}

/** Processes to run: --workers, else one per spare core when nothing needs a single process; never more than a phase's in-flight count. */
function workerCount(opts: RunOptions, phases: PhasePlan[], shard: { count: number } | undefined, gated: boolean): number {
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 1)) throw usageError(`--workers: expected a positive integer, got ${opts.workers}`);
  if ((opts.workers ?? 1) > 1) checkWorkerFlags(opts);
  // Gates judge the whole run, so a run with gates (flags or the workload's slo:) stays one process.
  if ((opts.workers ?? 1) > 1 && gated) throw usageError('--workers N > 1 does not combine with SLOs, goodput or baseline gates yet: run with --workers 1');
  // Shards and workers split every in-flight count (closed-loop concurrency, open-loop max_concurrency);
  // more of them than the smallest count would multiply it, since each holds at least one.
  const inFlightCounts = phases.flatMap((p) => (p.load.kind === 'closed' ? [p.load.concurrency] : p.load.maxConcurrency !== null ? [p.load.maxConcurrency] : []));
  const smallestInFlight = inFlightCounts.length > 0 ? Math.min(...inFlightCounts) : Infinity;
  const split = shard?.count ?? opts.workers ?? 1;
  if (split > smallestInFlight) {
    throw usageError(`${shard ? '--shard' : '--workers'}: ${split} shards would each hold at least one request in flight, more than a phase's concurrency of ${smallestInFlight}; use at most ${smallestInFlight}`);
  }
  if (opts.workers !== undefined) return opts.workers;
  return shard || gated || workerBlockers(opts).length > 0 ? 1 : Math.max(1, Math.min(opts.defaultWorkers ?? 1, smallestInFlight));
}

/** One process's run: engine side, planner, clock, client and the run's sinks around one Driver. */
async function measureRun(ctx: RunContext, plan: RunPlan, opts: RunOptions, live: LiveOutputs, hooks: RunHooks): Promise<RunOutcome> {
  let engine: EngineSide | null = null;
  try {
    engine = await EngineSide.prepare(opts, ctx.baseUrl, ctx.headers, ctx.log);
    const model = await ctx.model();
    const sized = createPlanner(plan.workload, {
      model,
      tokenizer: ctx.tokenizer,
      phaseCount: plan.phases.length,
      imagePool: plan.imagePool,
      phaseCache: plan.replay ? [] : workloadPhaseCache(plan.workload),
    });
    const planner = plan.replay ? tracePlanner(sized, 0, plan.replay.rows) : sized;
    if (plan.replay && plan.replay.unknownClasses.length > 0) {
      ctx.log(`trace: class ${plan.replay.unknownClasses.map((c) => `"${c}"`).join(', ')} not in workload ${plan.workload.name}: those rows take a class from the workload's mix`);
    }
    // The client reads the run clock, which starts only after the warm start and the shards' barrier.
    let clock = realClock();
    const { client, sender } = ctx.openClient(() => clock.now());
    const withCold = engine.withCold(plan.phases, planner);
    // Shards and workers start their clocks at one instant: given (--start-at), or agreed (--start-barrier).
    const startAtEpochMs = plan.barrier ? await startBarrier(plan.barrier.dir, plan.shard!, { timeoutMs: plan.barrier.timeoutMs }) : opts.startAt;
    // Warmed after the barrier, in its margin: connections opened long before the start could meet the
    // server's keep-alive timeout (uvicorn's is 5 s) while a shard waits for the others.
    const warm = opts.warmStart ? await warmStart(client, expectedConcurrency(withCold.phases, plan.shard?.count)) : null;
    if (startAtEpochMs !== undefined) await waitForEpoch(startAtEpochMs);
    const originMs = performance.now();
    clock = realClock(originMs);
    const startedAt = new Date();
    const file = join(opts.out, resultFileName(startedAt, plan.workload.name));
    const metaAt = (interrupted: boolean): RunResult['meta'] => ({
      ...ctx.meta({ name: plan.workload.name, startedAt, now: clock.now, model, clockStartedAtEpochMs: performance.timeOrigin + originMs, argv: opts.argv }, interrupted),
      ...(plan.shard ? { shard: plan.shard } : {}),
      ...(warm ? { warmStart: warm } : {}),
    });
    if (live.active) live.model.info = await runInfo(ctx, plan.workload.name, basename(file));
    const gauges = () => engine?.serverGauges() ?? null;
    const run = await runSinks(ctx, plan, opts, { clock, sender, file, metaAt, live: liveSinks(live, hooks, gauges) });
    // Without the warm start an open phase still builds its first body before its clock starts.
    const driver = new Driver({ planner: run.sampler.timed(withCold.planner), phases: withCold.phases, client: sender, clock, seed: plan.workload.seed, shard: plan.shard, sinks: run.sinks, ...(warm ? {} : { prefill: 1 }) });
    run.bind(driver);
    await engine.start(clock.now, ctx.log);
    const stopSignals = stopOnSignals(ctx, 'the run', () => ({ isStopped: driver.isStopped, stop: () => driver.stop(), inFlightCount: client.inFlightCount, abortAll: () => sender.abortAll() }));
    let d: DriverResult;
    try {
      d = run.collector.result(await driver.run());
    } finally {
      await engine.stop();
      run.sampler.stop();
      await client.close();
      live.stopView(); // the screen back before the summary is printed on it
    }
    const result = engine.decorate(assembleResult(d, metaAt(d.interrupted), run.sampler.sample(), ctx.lagLimitMs));
    if (plan.gates.active) result.gates = judge(result, file, plan.gates, plan.workload, run.abort?.lost ?? null);
    return await finishRun(result, file, opts, plan.checkpointMs !== null, stopSignals);
  } finally {
    await engine?.close();
  }
}

/** The sinks of one process's run: collector, client sampler, records, checkpoints, --abort-on-fail and progress. */
async function runSinks(
  ctx: RunContext,
  plan: RunPlan,
  opts: RunOptions,
  o: { clock: Clock; sender: { abortAll(): void }; file: string; metaAt: (interrupted: boolean) => RunResult['meta']; live: { sinks: RunSink[]; viewing: boolean } },
): Promise<{ sinks: RunSink[]; collector: RunCollector; sampler: ClientSampler; abort: AbortWatch | null; bind(driver: Driver): void }> {
  const collector = new RunCollector({ classNames: plan.workload.classes.map((c) => c.name), goodput: plan.gates.goodput });
  const sampler = startClientSampler(o.clock.now);
  const sinks: RunSink[] = [collector, sampler];
  if (opts.records) sinks.push(await RecordsFile.open(opts.records));
  if (plan.checkpointMs !== null) {
    const assemble = (view: LiveView) => assembleResult(collector.snapshot(view), { ...o.metaAt(view.stopped), checkpoint: true }, sampler.sample(), ctx.lagLimitMs);
    sinks.push(new Checkpoints(checkpointFile(o.file), plan.checkpointMs, assemble));
  }
  let driver: Driver | null = null;
  // --abort-on-fail: an SLO on errors already lost stops scheduling; in-flight requests get the drain period.
  const abort = opts.abortOnFail
    ? new AbortWatch(plan.gates.slos, plan.shard, (msg) => {
        process.stderr.write(`loadshape: --abort-on-fail: ${msg}; stopping the run\n`);
        driver?.stop();
        o.clock.at(o.clock.now() + ctx.drainMs, () => o.sender.abortAll());
      })
    : null;
  if (abort) sinks.push(abort);
  sinks.push(...o.live.sinks);
  if (!opts.quiet && !o.live.viewing) sinks.push(new ProgressLine(process.stderr.isTTY === true));
  return { sinks, collector, sampler, abort, bind: (d) => (driver = d) };
}

/** The live tap of this process: into this process's view and endpoint, or to the parent of a --workers child. */
function liveSinks(live: LiveOutputs, hooks: RunHooks, gauges: () => ServerGauges | null): { sinks: RunSink[]; viewing: boolean } {
  if (hooks.liveSource !== undefined && process.send) {
    const send = process.send.bind(process);
    return { sinks: [new LiveTap({ source: hooks.liveSource, server: gauges, emit: (t) => void send(encodeTick(t)) })], viewing: false };
  }
  const tap = live.tap(gauges);
  return { sinks: tap ? [tap] : [], viewing: live.viewing };
}

/** Summary, result file (checkpoint removed once it is safely in), gate outputs and the exit code. */
async function finishRun(result: RunResult, file: string, opts: RunOptions, checkpointed: boolean, stopSignals: () => void): Promise<RunOutcome> {
  // The summary first: a disk that fails the write below still leaves the numbers on screen.
  process.stdout.write(`${renderSummary(result)}\n`);
  let saved: string;
  try {
    // Signal handlers stay installed until the result is written: a further Ctrl-C must not kill the write.
    saved = await saveResult(file, result); // falls back to the temp dir, saying so
    // The final result supersedes the checkpoint: remove it only once the result is safely renamed in.
    if (checkpointed && saved === file) await rm(checkpointFile(file), { force: true });
  } finally {
    stopSignals();
  }
  process.stdout.write(`result: ${saved}\n`);
  const code = verdict(result);
  if (!result.gates) return { result, file: saved, exitCode: code };
  await writeGateOutputs(opts, result, result.gates, saved);
  if (result.gates.exitCode !== EXIT.ok && result.gates.exitCode !== EXIT.unreachable) process.stderr.write(`loadshape: ${result.gates.reason}\n`);
  return { result, file: saved, exitCode: result.gates.exitCode };
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
export function cliPhase(opts: Pick<RunOptions, 'concurrency' | 'rate' | 'duration' | 'requests'>): Phase | null {
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

/** `--start-barrier DIR` (with `--shard i/N`) and `--barrier-timeout`: checked before anything starts. */
function startBarrierFlags(opts: RunOptions, shard: { index: number; count: number } | undefined): { dir: string; timeoutMs: number } | null {
  if (opts.startBarrier === undefined) {
    if (opts.barrierTimeout !== undefined) throw usageError('--barrier-timeout goes with --start-barrier DIR');
    return null;
  }
  if (!shard) throw usageError('--start-barrier: give --shard i/N too (the barrier waits for the N shards of one run)');
  if (opts.startAt !== undefined) throw usageError('--start-barrier agrees on the start instant itself: drop --start-at');
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
