// `run --workers N`: all cores, by the same mechanism as many machines. N child processes each run
// shard i/N of the schedule (same seed, same start instant), write a normal result file, and the
// results are merged exactly (src/results/merge.ts). Separate processes, not threads: each gets its
// own event loop, heap and GC, so one busy worker never delays another's timestamps.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readResult, resultFileName } from '../results/io.js';
import { saveResult } from './output-paths.js';
import { mergeResults } from '../results/merge.js';
import { renderSummary } from '../report/text.js';
import { usageError } from '../util/errors.js';
import type { EmbeddedSim } from './embedded-sim.js';
import { STOP_SIGNALS } from './flag-values.js';
import type { RunOptions } from './run.js';
import { VERSION } from '../version.js';
import { decodeTick, isLiveTickMessage } from '../live/wire.js';
import type { LiveOutputs } from './live.js';

/** The flags only one process can honour: gates judge the whole run (only the merged result is), checkpoints and cold starts are per process. */
export function workerBlockers(o: RunOptions): string[] {
  const given: [boolean, string][] = [
    [o.slo.length > 0, '--slo'], [o.baseline !== undefined, '--baseline'], [o.failOn !== undefined, '--fail-on'], [o.junit !== undefined, '--junit'],
    [o.summaryMd !== undefined, '--summary-md'], [o.abortOnFail, '--abort-on-fail'], [o.goodput !== undefined, '--goodput'],
    [o.checkpoint !== undefined, '--checkpoint'], [o.waitReady !== undefined, '--wait-ready'], [o.shard !== undefined, '--shard'],
  ];
  return given.filter(([on]) => on).map(([, flag]) => flag);
}

export function checkWorkerFlags(o: RunOptions): void {
  const bad = workerBlockers(o);
  if (bad.length > 0) {
    throw usageError(`--workers N > 1 does not combine with ${bad.join(', ')} yet: run with --workers 1, or run shards with --shard i/N and merge them`);
  }
}

/** What a worker runs: the user's options, as one shard of N in its own directory, started at the shared instant, quietly. */
export function workerOptions(o: RunOptions, index: number, count: number, dir: string, startAtEpochMs: number, target: string | null, records: string | null): RunOptions {
  return {
    ...o,
    shard: `${index}/${count}`, out: dir, quiet: true, workers: 1, startAt: startAtEpochMs, checkpoint: undefined,
    // The parent serves the live view and the endpoint, fed by every worker's ticks (over IPC).
    live: false, metricsListen: undefined, linger: undefined,
    records: records ?? undefined,
    // The parent's simulator serves every worker.
    ...(target !== null ? { target } : {}),
    // The result records the command the user typed, not the worker's.
    argv: o.argv ?? process.argv.slice(2),
  };
}

export interface WorkerRunOptions {
  workers: number;
  workloadName: string;
  /** The embedded simulator, started once by the parent and shared by every worker. */
  sim: EmbeddedSim | null;
  /** The parent's live view and endpoint: each worker sends its one-second ticks to it. */
  live?: LiveOutputs;
  /** Told the wall-clock instant every worker starts its clock at (epoch ms). */
  onStartAt?: (epochMs: number) => void;
}

/** The file a worker reads its options from (`loadshape worker FILE`): JSON, tagged with the version that wrote it. */
export interface WorkerEnvelope {
  loadshapeVersion: string;
  options: RunOptions;
  /** Send live ticks to the parent over IPC, as this source (the worker's index). */
  liveSource?: number;
}

export async function runWithWorkers(run: RunOptions, opts: WorkerRunOptions): Promise<{ file: string; exitCode: number; result: Awaited<ReturnType<typeof mergeResults>> }> {
  checkWorkerFlags(run);
  const base = await mkdtemp(join(tmpdir(), 'loadshape-workers-'));
  // Every worker starts its clock at the same wall-clock instant, after all have loaded.
  const startAtEpochMs = Date.now() + 1500 + 100 * opts.workers;
  opts.onStartAt?.(startAtEpochMs);
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const parts: string[] = [];
  const cli = process.argv[1];
  const exits = Array.from({ length: opts.workers }, (_, i) => {
    const dir = join(base, `w${i}`);
    dirs.push(dir);
    const part = run.records ? join(base, `records-${i}.jsonl`) : null;
    if (part) parts.push(part);
    const optionsFile = join(base, `w${i}.options.json`);
    const live = opts.live?.active === true ? opts.live : null;
    const envelope: WorkerEnvelope = {
      loadshapeVersion: VERSION,
      options: workerOptions(run, i, opts.workers, dir, startAtEpochMs, opts.sim?.url ?? null, part),
      ...(live ? { liveSource: i } : {}),
    };
    writeFileSync(optionsFile, JSON.stringify(envelope));
    const child = spawn(process.execPath, ['--v8-pool-size=1', cli, 'worker', optionsFile], {
      stdio: live ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'ignore', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the parent, which forwards it once, so a
      // worker drains (a second signal would cancel in-flight requests at once).
      detached: true,
    });
    children.push(child);
    if (live) child.on('message', (m) => isLiveTickMessage(m) && live.apply(decodeTick(m)));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 8192) stderr = stderr.slice(-8192);
    });
    return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  });
  // Ctrl-C: each worker drains and writes its own result; the parent then merges what they wrote.
  const forward = (signal: NodeJS.Signals) => {
    for (const c of children) if (c.exitCode === null) c.kill(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, forward);
  // Detached workers would outlive a parent that dies: take them along.
  const killAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  const progress = run.quiet || opts.live?.viewing
    ? null
    : setInterval(() => process.stderr.write(`[workers] ${children.filter((c) => c.exitCode === null).length}/${opts.workers} running\n`), 5000);
  progress?.unref();
  let results;
  try {
    const done = await Promise.all(exits);
    opts.live?.stopView(); // the screen back before the summary is printed on it
    results = await Promise.all(
      dirs.map(async (dir, i) => {
        const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json') && !f.endsWith('.checkpoint.json'));
        if (files.length !== 1) {
          throw usageError(`worker ${i} wrote no result (exit ${done[i].code}): ${done[i].stderr.trim().split('\n').slice(-3).join(' | ')}`);
        }
        return readResult(join(dir, files[0]));
      }),
    );
  } finally {
    if (progress) clearInterval(progress);
    for (const signal of STOP_SIGNALS) process.off(signal, forward);
    process.off('exit', killAll);
  }
  const merged = mergeResults(results, results.map((_, i) => `worker ${i}/${opts.workers}`));
  delete merged.meta.shard;
  const file = join(run.out, resultFileName(new Date(merged.meta.startedAt), opts.workloadName));
  process.stdout.write(`${renderSummary(merged)}\n`); // first: a failing disk still leaves the numbers on screen
  const saved = await saveResult(file, merged); // falls back to the temp dir, saying so
  if (run.records) {
    const sink = createWriteStream(run.records);
    for (const p of parts) await pipeline(createReadStream(p), sink, { end: false });
    await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  await rm(base, { recursive: true, force: true });
  process.stdout.write(`result: ${saved} (merged from ${opts.workers} workers)\n`);
  return { file: saved, exitCode: 0, result: merged };
}
