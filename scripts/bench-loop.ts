// scripts/bench-loop.ts — issue 16's targets, measured on a whole `loadshape run` process (start-up,
// planning, warm start, records included), client pinned to core 0 and an exact-schedule server writing
// every request's arrival and chunk send stamps to a truth file to core 1: scripts/exact-server (C++, no
// GC pauses of its own in the truth; the default when g++ is there) or scripts/bench-server.ts (--server node).
// A request's TTFT error is loadshape's TTFT minus the server's truth (first chunk sent − request
// arrived), records joined to truth rows in send order.
//
//   npm run build && npx tsx scripts/bench-loop.ts                 # full lengths (~2 min of runs, plus 1M requests)
//   npx tsx scripts/bench-loop.ts --quick                          # short versions (~1 min)
//   npx tsx scripts/bench-loop.ts --only open100,cold --cli /work/main/dist/cli.js   # another build, same rig
//   npx tsx scripts/bench-loop.ts --extra=--no-warm-start          # the same without the warm start
//   npx tsx scripts/bench-loop.ts --server node                    # against the Node server (its GC and stalls in the truth)
//
// Scenarios: open100 (TTFT error at open-loop 100 req/s, TTFT 50 ms, 20 ms per token, 150 tokens:
// ~300 live streams), open200 (queueMs p99 at 200 req/s of `short`, server TTFT 5 ms / 1 ms per token,
// first second included, and the CLIENT SATURATED flag), cold (one request in a fresh process, N times),
// streams1024 (1,024 streams × 100 chunks/s: TTFT error p99), memory (peak RSS at 10k vs 100k or 1M
// requests). Prints a table and writes results/bench/loop-<timestamp>.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBenchServer, type BenchServerKind } from './bench-process.js';
import { hasGxx } from './exact-server/build.js';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const argOf = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const CLI = argOf('--cli', 'dist/cli.js');
const ONLY = new Set(argOf('--only', 'open100,open200,cold,streams1024,memory').split(','));
const EXTRA = args.filter((a) => a.startsWith('--extra=')).map((a) => a.slice('--extra='.length));
const COLD_RUNS = Number(argOf('--cold-runs', QUICK ? '5' : '10'));
const MEMORY_TOP = Number(argOf('--memory-top', QUICK ? '100000' : '1000000'));
const SERVER = argOf('--server', hasGxx() ? 'exact' : 'node') as BenchServerKind;
if (SERVER !== 'exact' && SERVER !== 'node') throw new Error(`--server ${String(SERVER)}: expected exact or node`);

const pinned = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
})();

interface RunOut {
  result: {
    meta: { clockStartedAtEpochMs?: number; warmStart?: unknown };
    client: { peakRssMb: number; saturated: boolean; reasons: string[]; dispatchLagP99Ms: number; loop?: Record<string, unknown> };
    phases: { groups: { class: string; queueMs?: { p99Ms: number }; ttftMs?: { p99Ms: number } }[] }[];
  };
  records: { sentAtMs: number; ttftMs: number | null; queueMs: number; status: string }[];
  truth: { a: number; s: number[] }[];
  command: string;
}

const WORKLOAD = `name: bench-loop
seed: 1
classes:
  - name: chat
    prompt_tokens: {type: fixed, value: 128}
    output_tokens: {type: fixed, value: 150}
phases:
  - name: main
    rate: 100
    duration: 15s
`;

/**
 * One pinned `loadshape run` against a fresh bench server started with `server` options. `readBack`
 * false (the memory runs: a million requests) keeps --records on but reads neither it nor a truth file back.
 */
async function loadshapeRun(server: string[], run: string[], readBack = true): Promise<RunOut> {
  const dir = mkdtempSync(join(tmpdir(), 'loadshape-bench-loop-'));
  const truthFile = join(dir, 'truth.jsonl');
  const { url, proc } = await startBenchServer(pinned, readBack ? [...server, '--truth', truthFile] : server, SERVER);
  try {
    writeFileSync(join(dir, 'bench-loop.yaml'), WORKLOAD);
    const records = join(dir, 'records.jsonl');
    const argv = [CLI, 'run', ...run.map((a) => (a === '@workload' ? join(dir, 'bench-loop.yaml') : a)), '--target', url, '--model', 'bench', '--records', records,
      '--server-metrics', 'none', '--workers', '1', '--out', dir, '--quiet', ...EXTRA];
    const cmd = pinned ? ['taskset', '-c', '0', process.execPath, ...argv] : [process.execPath, ...argv];
    const r = spawnSync(cmd[0], cmd.slice(1), { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    const file = readdirSync(dir).find((f) => /^\d.*\.json$/.test(f) || (f.endsWith('.json') && f !== 'truth.jsonl'));
    if (!file) throw new Error(`no result (exit ${r.status}): ${r.stderr.slice(-500)}`);
    const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);
    return {
      result: JSON.parse(readFileSync(join(dir, file), 'utf8')) as RunOut['result'],
      records: readBack ? (lines(records).filter((x) => x.sentAtMs !== undefined) as RunOut['records']) : [],
      truth: readBack ? (lines(truthFile) as RunOut['truth']) : [],
      command: `${pinned ? 'taskset -c 0 ' : ''}node ${argv.join(' ').replace(dir, '$TMP')}`,
    };
  } finally {
    proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per request: loadshape's TTFT − the server's truth, joined in send order; with the send offset (ms from the run start). */
function ttftErrors(o: RunOut): { atMs: number; errMs: number }[] {
  const recs = o.records.filter((r) => r.status === 'ok' && r.ttftMs !== null).sort((a, b) => a.sentAtMs - b.sentAtMs);
  const truth = [...o.truth].sort((a, b) => a.a - b.a);
  const n = Math.min(recs.length, truth.length);
  if (recs.length !== truth.length) process.stderr.write(`warning: ${recs.length} ok records, ${truth.length} truth rows: joined the first ${n}\n`);
  return Array.from({ length: n }, (_, i) => ({ atMs: recs[i].sentAtMs, errMs: recs[i].ttftMs! - (truth[i].s[0] - truth[i].a) }));
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const rows: string[] = [];
const json: Record<string, unknown> = { startedAt: new Date().toISOString(), cli: CLI, server: SERVER, extra: EXTRA, quick: QUICK, pinned, cores: cpus().length, loadavg: (await import('node:os')).loadavg() };
const row = (s: string) => {
  rows.push(s);
  process.stderr.write(`${s}\n`);
};

function errorFigures(errs: { atMs: number; errMs: number }[]) {
  const all = errs.map((e) => e.errMs);
  const first = errs.filter((e) => e.atMs < 1000).map((e) => e.errMs);
  return { n: all.length, p50Ms: pct(all, 50), p90Ms: pct(all, 90), p99Ms: pct(all, 99), p999Ms: pct(all, 99.9), maxMs: pct(all, 100), firstSecondP99Ms: pct(first, 99) };
}

async function main(): Promise<void> {
  if (!existsSync(resolve(ROOT, CLI))) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  process.stderr.write(`bench-loop against the ${SERVER} server\n`);
  if (ONLY.has('open100')) {
    const o = await loadshapeRun(['--ttft-ms', '50', '--itl-ms', '20'], ['@workload', '--rate', '100', '--duration', QUICK ? '6s' : '15s']);
    const e = errorFigures(ttftErrors(o));
    row(`open100 · TTFT error p50 ${f(e.p50Ms)} · p90 ${f(e.p90Ms)} · p99 ${f(e.p99Ms)} · p99.9 ${f(e.p999Ms)} · max ${f(e.maxMs)} ms · first second p99 ${f(e.firstSecondP99Ms)} ms · ${e.n} requests · saturated ${o.result.client.saturated}`);
    json.open100 = { ...e, loop: o.result.client.loop, command: o.command };
  }
  if (ONLY.has('open200')) {
    const o = await loadshapeRun(['--ttft-ms', '5', '--itl-ms', '1'], ['short', '--rate', '200', '--duration', QUICK ? '5s' : '10s']);
    const q = o.records.map((r) => r.queueMs);
    const firstQ = o.records.filter((r) => r.sentAtMs - r.queueMs < 1000).map((r) => r.queueMs);
    row(`open200 · queueMs p99 ${f(pct(q, 99), 3)} ms (first second ${f(pct(firstQ, 99), 3)} ms, max ${f(pct(q, 100), 3)} ms) · dispatch lag p99 ${f(o.result.client.dispatchLagP99Ms, 3)} ms · saturated ${o.result.client.saturated}${o.result.client.saturated ? ` (${o.result.client.reasons.join('; ')})` : ''}`);
    json.open200 = { queueP99Ms: pct(q, 99), firstSecondQueueP99Ms: pct(firstQ, 99), queueMaxMs: pct(q, 100), saturated: o.result.client.saturated, reasons: o.result.client.reasons, loop: o.result.client.loop, command: o.command };
  }
  if (ONLY.has('cold')) {
    const errs: number[] = [];
    let command = '';
    for (let i = 0; i < COLD_RUNS; i++) {
      const o = await loadshapeRun(['--ttft-ms', '50', '--itl-ms', '20'], ['@workload', '--rate', '1', '--requests', '1']);
      errs.push(...ttftErrors(o).map((e) => e.errMs));
      command = o.command;
    }
    row(`cold · one request in a fresh process, ${errs.length} runs · TTFT error median ${f(pct(errs, 50))} · max ${f(pct(errs, 100))} ms`);
    json.cold = { runs: errs.length, medianMs: pct(errs, 50), maxMs: pct(errs, 100), errorsMs: errs, command };
  }
  if (ONLY.has('streams1024')) {
    // 100 chunks/s per stream: 10 ms between tokens; 100 tokens each, two rounds of 1,024.
    const o = await loadshapeRun(['--ttft-ms', '50', '--itl-ms', '10'], ['@workload', '--concurrency', '1024', '--requests', QUICK ? '1024' : '2048']);
    const e = errorFigures(ttftErrors(o));
    row(`streams1024 · TTFT error p50 ${f(e.p50Ms)} · p99 ${f(e.p99Ms)} · max ${f(e.maxMs)} ms · ${e.n} requests`);
    json.streams1024 = { ...e, command: o.command };
  }
  if (ONLY.has('memory')) {
    const out: Record<string, number> = {};
    for (const n of [10_000, MEMORY_TOP]) {
      const o = await loadshapeRun(['--ttft-ms', '0', '--itl-ms', '0'], ['short', '--concurrency', '256', '--requests', String(n)], false);
      out[`peakRssMbAt${n}`] = o.result.client.peakRssMb;
    }
    const v = Object.values(out);
    row(`memory · peak RSS ${Object.entries(out).map(([k, x]) => `${k.replace('peakRssMbAt', '@')} ${x} MB`).join(', ')} · growth ${Math.max(...v) - Math.min(...v)} MB`);
    json.memory = out;
  }
  const dir = join(ROOT, 'results/bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `loop-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(file, `${JSON.stringify(json, null, 1)}\n`);
  process.stdout.write(`\nloadshape measuring-loop benchmark (${SERVER} server, ${cpus().length} cores${pinned ? ', client on core 0, server on core 1' : ', unpinned'}; load average ${(json.loadavg as number[]).map((x) => x.toFixed(1)).join(' ')})\n`);
  for (const r of rows) process.stdout.write(`${r}\n`);
  process.stdout.write(`written ${file}\n`);
}

await main();
