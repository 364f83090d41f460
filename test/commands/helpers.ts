// Runs the built CLI as a child process, as a user would (npm test builds dist/ first).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunResult } from '../../src/results/format.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Whether processes can be pinned to one core each (taskset on a machine with 2+ cores). */
export const CAN_PIN = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return availableParallelism() >= 2;
  } catch {
    return false;
  }
})();

/** The command to start node on `core` when pinning is possible (timing tests keep harness and server apart, as benchmarks do). */
function nodeCommand(core: number | undefined, args: string[]): [string, string[]] {
  return core !== undefined && CAN_PIN ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
}

export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; core?: number } = {}): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npx tsc -p ." (npm test builds it first)`);
  return new Promise((resolvePromise, reject) => {
    const [cmd, argv] = nodeCommand(opts.core, [CLI, ...args]);
    const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** `loadshape sim` in its own process (pinned to `core` when possible); resolves once it listens. */
export async function startSimProcess(args: string[], core?: number): Promise<{ url: string; stop(): Promise<void> }> {
  const [cmd, argv] = nodeCommand(core, [CLI, 'sim', '--port', '0', ...args]);
  const child: ChildProcess = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+\/v1)/.exec(err);
      if (m) resolveUrl(m[1].replace(/;$/, ''));
    });
    child.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${err}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((res) => {
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

export function tempDir(prefix = 'loadshape-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The single result file a run wrote into `dir`. */
export function readOnlyResult(dir: string): RunResult {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (files.length !== 1) throw new Error(`expected one result in ${dir}, found ${files.join(', ') || 'none'}`);
  return JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as RunResult;
}

export function fixture(name: string): string {
  return join(ROOT, 'test/fixtures/workloads', name);
}

/** A loopback port with nothing listening on it (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
