// `run --workers N`: all cores, by the same mechanism as many machines. N child processes each run
// shard i/N of the schedule (same seed, same start instant), write a normal result file, and the
// results are merged exactly (src/results/merge.ts). Separate processes, not threads: each gets its
// own event loop, heap and GC, so one busy worker never delays another's timestamps.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
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

/** Flags whose value is rewritten per worker (or that only the parent can honour). */
const PARENT_ONLY_WITH_VALUE = new Set(['--workers', '--out', '--records', '--checkpoint', '--shard', '--start-at']);
const PARENT_ONLY_FLAGS = new Set(['-q', '--quiet']);
/** Gates judge the whole run, which only the merged result is; checkpoints and cold starts are per process. */
const UNSUPPORTED = ['--slo', '--baseline', '--fail-on', '--junit', '--summary-md', '--abort-on-fail', '--goodput', '--checkpoint', '--wait-ready', '--shard'];

export interface WorkerRunOptions {
  workers: number;
  out: string;
  records?: string;
  quiet: boolean;
  workloadName: string;
  /** The embedded simulator, started once by the parent and shared by every worker. */
  sim: EmbeddedSim | null;
}

/** The worker's argv: the user's run arguments with the parent-only ones replaced. */
export function workerArgv(argv: string[], index: number, count: number, dir: string, startAtEpochMs: number, target: string | null, records: string | null): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (PARENT_ONLY_FLAGS.has(name)) continue;
    if (PARENT_ONLY_WITH_VALUE.has(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    if (name.startsWith('--sim-') && target) {
      // The parent's simulator serves every worker; its flags are spent.
      if (!a.includes('=') && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) i++;
      continue;
    }
    out.push(a);
  }
  out.push('--shard', `${index}/${count}`, '--out', dir, '--quiet', '--workers', '1', '--start-at', String(startAtEpochMs));
  if (target && !out.includes('--target')) out.push('--target', target);
  if (records) out.push('--records', records);
  return out;
}

export function workerFlagsOk(argv: string[]): boolean {
  return !argv.some((a) => UNSUPPORTED.includes(a.split('=')[0]));
}

export function checkWorkerFlags(argv: string[]): void {
  const bad = argv.filter((a) => UNSUPPORTED.includes(a.split('=')[0]));
  if (bad.length > 0) {
    throw usageError(`--workers N > 1 does not combine with ${[...new Set(bad)].join(', ')} yet: run with --workers 1, or run shards with --shard i/N and merge them`);
  }
}

export async function runWithWorkers(argv: string[], opts: WorkerRunOptions): Promise<{ file: string; exitCode: number; result: Awaited<ReturnType<typeof mergeResults>> }> {
  checkWorkerFlags(argv);
  const base = await mkdtemp(join(tmpdir(), 'loadshape-workers-'));
  // Every worker starts its clock at the same wall-clock instant, after all have loaded.
  const startAtEpochMs = Date.now() + 1500 + 100 * opts.workers;
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const parts: string[] = [];
  const cli = process.argv[1];
  const exits = Array.from({ length: opts.workers }, (_, i) => {
    const dir = join(base, `w${i}`);
    dirs.push(dir);
    const part = opts.records ? join(base, `records-${i}.jsonl`) : null;
    if (part) parts.push(part);
    const child = spawn(process.execPath, ['--v8-pool-size=1', cli, 'run', ...workerArgv(argv, i, opts.workers, dir, startAtEpochMs, opts.sim?.url ?? null, part)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the parent, which forwards it once, so a
      // worker drains (a second signal would cancel in-flight requests at once).
      detached: true,
    });
    children.push(child);
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
  const progress = opts.quiet
    ? null
    : setInterval(() => process.stderr.write(`[workers] ${children.filter((c) => c.exitCode === null).length}/${opts.workers} running\n`), 5000);
  progress?.unref();
  let results;
  try {
    const done = await Promise.all(exits);
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
  merged.meta.argv = merged.meta.argv.filter((a, i, all) => !(a === '--shard' || all[i - 1] === '--shard'));
  const file = join(opts.out, resultFileName(new Date(merged.meta.startedAt), opts.workloadName));
  process.stdout.write(`${renderSummary(merged)}\n`); // first: a failing disk still leaves the numbers on screen
  const saved = await saveResult(file, merged); // falls back to the temp dir, saying so
  if (opts.records) {
    const sink = createWriteStream(opts.records);
    for (const p of parts) await pipeline(createReadStream(p), sink, { end: false });
    await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  await rm(base, { recursive: true, force: true });
  process.stdout.write(`result: ${saved} (merged from ${opts.workers} workers)\n`);
  return { file: saved, exitCode: 0, result: merged };
}
