// scripts/bench-process.ts — what a user pays: whole-process CPU per streamed token of a real
// `loadshape run` (start-up, planning, prompt synthesis, the re-exec, records and result writing
// included), client pinned to core 0, scripts/bench-server.ts pinned to core 1
// (LOADSHAPE_BENCH_SERVER=exact: scripts/exact-server/exact-server.cc instead, the same server in C++).
// The CPU is user + sys of `node dist/cli.js run …` and every process it starts, as the shell's
// `times` reports for its waited-for children; tokens are the output chunks the records say arrived.
//
//   npm run build && npx tsx scripts/bench-process.ts             # 3 runs, median
//   npx tsx scripts/bench-process.ts --runs 1 --requests 2048     # quicker
//   npx tsx scripts/bench-process.ts --cli /elsewhere/dist/cli.js  # another build, same server
//
// Defaults are issue 15's measurement: 8,192 requests of the `short` workload (~150 output tokens
// each), 256 streams, 8 SSE events per server write, --records on. Also imported by bench-harness.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exactServerBinary } from './exact-server/build.js';

const ROOT = resolve(import.meta.dirname, '..');

export interface ProcessBenchOptions {
  /** The CLI to run (default dist/cli.js of this checkout; another build's, to compare). */
  cli?: string;
  workload: string;
  requests: number;
  concurrency: number;
  eventsPerWrite: number;
  runs: number;
}

export interface ProcessRun {
  cpuS: number;
  wallS: number;
  tokens: number;
  requests: number;
  errors: number;
  cpuUsPerToken: number;
  /** Tokens per CPU-second of the client: what one harness core can take when the server is not the limit. */
  tokensPerCoreS: number;
  tokensPerWallS: number;
}

export interface ProcessBench {
  runs: ProcessRun[];
  median: ProcessRun;
  pinned: boolean;
  command: string;
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
}

export type BenchServerKind = 'node' | 'exact';

/** The server kind when a caller names none: LOADSHAPE_BENCH_SERVER=exact|node, else node. */
export function benchServerKindFromEnv(): BenchServerKind {
  const v = process.env.LOADSHAPE_BENCH_SERVER;
  if (v === undefined || v === '' || v === 'node') return 'node';
  if (v === 'exact') return 'exact';
  throw new Error(`LOADSHAPE_BENCH_SERVER=${v}: expected exact or node`);
}

/**
 * The exact-schedule bench server on a free port (on core 1 when `pinned`), with its extra options;
 * resolves once it listens. `kind` node is scripts/bench-server.ts; exact is the same protocol and
 * truth file from scripts/exact-server/exact-server.cc (no GC pauses; built with g++ on first use).
 */
export async function startBenchServer(
  pinned: boolean,
  extraArgs: string[] = [],
  kind: BenchServerKind = benchServerKindFromEnv(),
): Promise<{ url: string; proc: ChildProcess }> {
  const [cmd, ...serverArgs] =
    kind === 'exact' ? [exactServerBinary(), '0', ...extraArgs] : [process.execPath, '--import', 'tsx', join(ROOT, 'scripts/bench-server.ts'), '0', ...extraArgs];
  const proc = pinned
    ? spawn('taskset', ['-c', '1', cmd, ...serverArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(cmd, serverArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    proc.stdout!.on('data', (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) res(Number(m[1]));
    });
    proc.on('exit', (code) => rej(new Error(`bench server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/v1`, proc };
}

/** bash's `times`: the shell's own user/sys, then its children's (all waited-for descendants). */
function childrenCpuS(timesOutput: string): number {
  const lines = timesOutput.trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1]);
  if (!m) throw new Error(`cannot read CPU times from: ${timesOutput}`);
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

function runOnce(url: string, o: ProcessBenchOptions, pinned: boolean): { run: ProcessRun; command: string } {
  const dir = mkdtempSync(join(tmpdir(), 'loadshape-bench-process-'));
  try {
    const records = join(dir, 'records.jsonl');
    const cli = [
      'node', o.cli ?? 'dist/cli.js', 'run', o.workload, '--target', url, '--model', 'bench', '--concurrency', String(o.concurrency),
      '--requests', String(o.requests), '--records', records, '--server-metrics', 'none', '--workers', '1', '--out', dir, '--quiet',
    ];
    const command = `${pinned ? 'taskset -c 0 ' : ''}${cli.join(' ')}`;
    const t0 = process.hrtime.bigint();
    // The exit status is not checked here: gates may exit 3 when the pinned harness is saturated,
    // which is this benchmark's point; errors are counted from the records instead.
    const out = execFileSync('bash', ['-c', `${command} >/dev/null 2>&1; times`], { cwd: ROOT, encoding: 'utf8' });
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuS = childrenCpuS(out);
    let tokens = 0;
    let requests = 0;
    let errors = 0;
    if (existsSync(records)) {
      for (const line of readFileSync(records, 'utf8').split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line) as { chunks?: number; status?: string };
        if (r.chunks === undefined) continue; // not a request record
        requests++;
        tokens += r.chunks;
        if (r.status !== 'ok') errors++;
      }
    }
    if (tokens === 0) throw new Error(`no tokens streamed; command: ${command}`);
    return {
      command,
      run: { cpuS, wallS, tokens, requests, errors, cpuUsPerToken: (cpuS / tokens) * 1e6, tokensPerCoreS: tokens / cpuS, tokensPerWallS: tokens / wallS },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchProcess(o: ProcessBenchOptions): Promise<ProcessBench> {
  if (!existsSync(resolve(ROOT, o.cli ?? 'dist/cli.js'))) throw new Error(`${o.cli ?? 'dist/cli.js'} is missing: run \`npm run build\` first`);
  const pinned = hasTaskset();
  const { url, proc } = await startBenchServer(pinned, ['--ttft-ms', '0', '--itl-ms', '0', '--events-per-write', String(o.eventsPerWrite)]);
  const runs: ProcessRun[] = [];
  let command = '';
  try {
    for (let i = 0; i < o.runs; i++) {
      const r = runOnce(url, o, pinned);
      runs.push(r.run);
      command = r.command;
      process.stderr.write(`process run ${i + 1}/${o.runs}: ${r.run.cpuUsPerToken.toFixed(2)} µs CPU/token, ${r.run.tokens} tokens, ${r.run.errors} errors, ${r.run.cpuS.toFixed(2)} s CPU, ${r.run.wallS.toFixed(2)} s wall\n`);
    }
  } finally {
    proc.kill('SIGTERM');
  }
  const sorted = [...runs].sort((a, b) => a.cpuUsPerToken - b.cpuUsPerToken);
  return { runs, median: sorted[Math.floor((sorted.length - 1) / 2)], pinned, command };
}

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const o: ProcessBenchOptions = {
    cli: arg(args, '--cli', 'dist/cli.js'),
    workload: arg(args, '--workload', 'short'),
    requests: Number(arg(args, '--requests', '8192')),
    concurrency: Number(arg(args, '--concurrency', '256')),
    eventsPerWrite: Number(arg(args, '--events-per-write', '8')),
    runs: Number(arg(args, '--runs', '3')),
  };
  const b = await benchProcess(o);
  const m = b.median;
  process.stdout.write(
    `whole process (${b.pinned ? 'client on core 0, server on core 1' : 'unpinned'}), median of ${b.runs.length}: ` +
      `${m.cpuUsPerToken.toFixed(2)} µs CPU per streamed token, ${Math.round(m.tokensPerCoreS)} tokens per harness CPU-second, ` +
      `${Math.round(m.tokensPerWallS)} tokens/s wall, ${m.tokens} tokens, ${m.errors} errors\n` +
      `runs (µs CPU/token): ${b.runs.map((r) => r.cpuUsPerToken.toFixed(2)).join(', ')}\ncommand: ${b.command}\n`,
  );
}
