// scripts/bench-ab.ts — how far apart `loadshape ab --mode mirrored` sends request i to A and to B:
// the send skew p99 of an open loop at 100 req/s against two local simulators (`loadshape sim`,
// fixed profile), as the pairing file's fairness block reports it. The harness is pinned to core 0
// and both simulators to core 1 when taskset and two cores are there.
//
//   npm run build && npx tsx scripts/bench-ab.ts                  # 3 runs of 2,000 pairs at 100 req/s
//   npx tsx scripts/bench-ab.ts --runs 1 --requests 1000 --rate 200
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli.js');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function canPin(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
}

function node(core: number | null, args: string[]): [string, string[]] {
  return core !== null ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
}

async function startSim(core: number | null): Promise<{ url: string; proc: ChildProcess }> {
  const [cmd, argv] = node(core, [CLI, 'sim', '--port', '0', '--profile', 'fixed', '--ttft', '20', '--itl', '10', '--prefill-per-token', '0']);
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((res, rej) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+\/v1)/.exec(err);
      if (m) res(m[1].replace(/;$/, ''));
    });
    proc.on('exit', (code) => rej(new Error(`simulator exited with ${code}: ${err}`)));
  });
  return { url, proc };
}

function runAb(core: number | null, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, argv] = node(core, [CLI, 'ab', ...args]);
  return new Promise((res) => {
    const child = spawn(cmd, argv, { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const runs = flag('--runs', 3);
  const requests = flag('--requests', 2000);
  const rate = flag('--rate', 100);
  const pinned = canPin();
  const sims = await Promise.all([startSim(pinned ? 1 : null), startSim(pinned ? 1 : null)]);
  const p99s: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const out = mkdtempSync(join(tmpdir(), 'bench-ab-'));
      const args = [join(ROOT, 'test/fixtures/workloads/ab-short.yaml'), '--a', sims[0].url, '--b', sims[1].url, '--rate', String(rate), '--requests', String(requests), '--quiet', '--json', '--out', out];
      const res = await runAb(pinned ? 0 : null, args);
      const ab = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('-ab.json')) as string), 'utf8'));
      const f = ab.fairness;
      p99s.push(f.sendSkewMs.p99);
      process.stdout.write(
        `run ${r + 1}: exit ${res.code} · ${ab.pairs} pairs at ${rate} req/s · send skew p50 ${f.sendSkewMs.p50} ms, p99 ${f.sendSkewMs.p99} ms, max ${f.sendSkewMs.max} ms · saturated A ${f.saturated.a} B ${f.saturated.b} · verdict: ${ab.verdict.headline}\n`,
      );
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    for (const s of sims) s.proc.kill('SIGTERM');
  }
  const sorted = [...p99s].sort((a, b) => a - b);
  process.stdout.write(`send skew p99, median of ${runs} runs: ${sorted[Math.floor(sorted.length / 2)]} ms (${pinned ? 'harness on core 0, simulators on core 1' : 'unpinned'}; ${cpus().length} cores)\n`);
}

await main();
