// The launcher (src/cli.ts) and signals from outside (issue 17, items 5 and 6): a closed terminal
// (SIGHUP) drains and writes like SIGTERM, and the README's CI recipe gives the documented exit code
// when the job is cancelled with SIGINT or SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readResult } from '../src/results/io.js';
import { startSimulator, type SimServer } from '../src/sim/server.js';
import { CLI, ROOT, fixture, runCli, tempDir } from './commands/helpers.js';

interface Running {
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function watch(proc: ChildProcess): Running {
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout?.resume();
  const kill = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  const exited = new Promise<number | null>((resolve) =>
    proc.on('close', (code) => {
      clearTimeout(kill);
      resolve(code);
    }),
  );
  return { proc, stderr: () => err, exited };
}

async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
const results = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.checkpoint.json')) : []);

describe('signals', () => {
  let sim: SimServer;
  let requests = 0;
  beforeAll(async () => {
    // ≈ 0.5 s per request (32 tokens × 15 ms): a stop always finds requests in flight.
    sim = await startSimulator({ profile: 'fixed', ttftMs: 5, itlMs: 15, prefillMsPerToken: 0, onRequest: () => requests++ });
  });
  afterAll(() => sim.close());

  it('SIGHUP (terminal or SSH session closed) drains in-flight requests, writes the result marked interrupted and exits 0', async () => {
    const out = tempDir();
    const records = join(out, 'records.jsonl');
    // Through the launcher, as a terminal runs it: the measuring child never sees the hangup itself.
    const run = watch(spawn(process.execPath, [CLI, 'run', fixture('timing.yaml'), '--target', sim.url, '--model', 'loadshape-sim', '--server-metrics', 'none',
      '--concurrency', '4', '--duration', '60s', '--records', records, '--out', out, '--quiet', '--drain', '10s'], { cwd: ROOT }));
    await until(() => lines(records) >= 4, 'the first completed requests');
    run.proc.kill('SIGHUP');
    expect(await run.exited, run.stderr()).toBe(0);
    const [file] = results(out);
    const result = await readResult(join(out, file));
    expect(result.meta.interrupted).toBe(true);
    const all = result.phases[0].groups.find((g) => g.class === '*')!;
    expect(all.errors).toBe(0); // drained, not cancelled
    expect(all.requests).toBe(result.phases[0].sent);
    expect(all.requests).toBe(lines(records));
  });

  describe("the README's CI recipe", () => {
    let project: string;
    let script: string;
    beforeAll(async () => {
      // The step exactly as the README writes it, the staging URL pointed at the loopback simulator.
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('Load gate against staging'));
      expect(block).toBeDefined();
      const job = parseYaml(block!) as { jobs: { loadshape: { steps: { name?: string; run?: string }[] } } };
      const step = job.jobs.loadshape.steps.find((s) => s.name === 'Load gate against staging');
      expect(step?.run).toMatch(/https:\/\/staging\.example\.com\/v1/);
      // A project that installed loadshape: node_modules/.bin/loadshape links to the package's bin, made executable as npm does.
      project = tempDir('loadshape-ci-');
      mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
      symlinkSync(ROOT, join(project, 'node_modules', 'loadshape'));
      symlinkSync('../loadshape/dist/cli.js', join(project, 'node_modules', '.bin', 'loadshape'));
      chmodSync(CLI, 0o755);
      script = join(project, 'step.sh');
      writeFileSync(script, `${step!.run!.replaceAll('https://staging.example.com/v1', sim.url)}\n`);
      // The committed baseline the recipe gates on: any result of ci-smoke.
      const base = join(project, 'base');
      const r = await runCli(['run', 'ci-smoke', '--target', sim.url, '--server-metrics', 'none', '--concurrency', '1', '--requests', '2', '--out', base, '--quiet']);
      // ci-smoke carries SLOs, so a busy machine may judge this short run invalid (3): any result will do.
      expect(results(base), r.stderr).toHaveLength(1);
      mkdirSync(join(project, 'perf'));
      writeFileSync(join(project, 'perf', 'ci-smoke-baseline.json'), readFileSync(join(base, results(base)[0])));
    }, 60_000);

    // Ctrl-C reaches the whole foreground process group; a runner cancelling a job signals the step's shell.
    it.each([
      ['SIGINT', 'to the process group', (pid: number): true => process.kill(-pid, 'SIGINT')],
      ['SIGTERM', 'to the step process', (pid: number): true => process.kill(pid, 'SIGTERM')],
    ] as const)('%s %s: exit 3 (interrupted), with the result and JUnit file written before the step ends', async (_signal, _to, send) => {
      const out = join(project, 'results');
      rmSync(out, { recursive: true, force: true });
      rmSync(join(project, 'loadshape-junit.xml'), { force: true });
      const seen = requests;
      // GitHub Actions runs a step's `run:` as `bash --noprofile --norc -eo pipefail <file>`.
      const step = watch(spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
        cwd: project,
        env: { ...process.env, STAGING_API_KEY: 'sk-test-ci' },
        detached: true, // its own process group, like a terminal's foreground job
      }));
      await until(() => requests >= seen + 4, 'requests from the step');
      send(step.proc.pid!);
      expect(await step.exited, step.stderr()).toBe(3);
      // Written before the step ended: nothing was left to an orphan.
      const files = results(out);
      expect(files).toHaveLength(1);
      const result = await readResult(join(out, files[0]));
      expect(result.meta.interrupted).toBe(true);
      expect(readFileSync(join(project, 'loadshape-junit.xml'), 'utf8')).toMatch(/<testsuites/);
      const before = requests;
      await new Promise((r) => setTimeout(r, 300));
      expect(requests).toBe(before); // no orphan still sending
    });
  });
});

// Issue 18, item 13: `npm start` used to spend 15–26 s in a full `tsc` every time although `npm install`
// had built dist/. It builds with `tsc -b`, which skips the compile when dist/ is current.
describe('npm start', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const tscBuild = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', ...args, 'tsconfig.json'], { cwd: ROOT });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`tsc -b exited ${code}: ${out}`))));
    });

  it('builds incrementally (install, build, start and test all use tsc -b, so the check below never rebuilds under running tests) and finds dist/ current after a build', async () => {
    for (const script of ['prepare', 'build', 'start', 'test']) expect(pkg.scripts[script]).toMatch(/^tsc -b tsconfig\.json( &&|$)/);
    expect(pkg.scripts.start).toBe('tsc -b tsconfig.json && node dist/cli.js run workloads/mixed.yaml');
    await tscBuild([]); // a no-op when npm install (prepare) built dist/ and no source changed since
    expect(await tscBuild(['--verbose', '--dry'])).toMatch(/Project '.*tsconfig\.json' is up to date/);
  }, 120_000);
});
