// Between two sides of a shared GPU (`ab --mode interleaved --between`, a campaign's `between`): run the
// user's command that stops one engine and starts the other, check its exit status, then wait until the
// side about to run answers, as --wait-ready does. One mechanism for both commands.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createHttp, type HttpFn } from '../probe/http.js';
import { waitReady, type Readiness } from '../provenance/ready.js';
import { usageError, LoadshapeError } from '../util/errors.js';

export interface BetweenStep {
  /** Shell command line (run with `sh -c`); null: only wait for readiness. */
  command: string | null;
  /** The side (or campaign target) about to run: given to the command as LOADSHAPE_SIDE. */
  side: string;
  /** Base URL (…/v1) of that side, polled until it answers. */
  baseUrl: string;
  /** Longest wait for readiness after the command. */
  readyLimitMs: number;
  /** Extra environment for the command (LOADSHAPE_SIDE is always set). */
  env?: Record<string, string>;
  /** Kill the command past this (default: no limit). */
  commandTimeoutMs?: number;
}

export interface BetweenOutcome {
  side: string;
  command: string | null;
  exitCode: number | null;
  commandMs: number;
  readiness: Readiness;
}

export interface BetweenDeps {
  http?: HttpFn;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Where the command's output goes (default: inherit stderr for both streams, stdout stays the report's). */
  stdio?: 'inherit-stderr' | 'ignore';
}

/** Runs one between-step; throws a typed error (exit 5) when the command fails or the side never gets ready. */
export async function runBetween(step: BetweenStep, deps: BetweenDeps = {}): Promise<BetweenOutcome> {
  const now = deps.now ?? (() => performance.now());
  const t0 = now();
  let exitCode: number | null = null;
  if (step.command !== null) {
    exitCode = await runShell(step.command, { ...process.env, ...step.env, LOADSHAPE_SIDE: step.side }, deps.stdio ?? 'inherit-stderr', step.commandTimeoutMs);
    if (exitCode !== 0) {
      throw new LoadshapeError('unreachable', `between command for side ${step.side} failed (exit ${exitCode}): ${step.command}; fix the command (it gets the side in $LOADSHAPE_SIDE) or run it by hand to see why`);
    }
  }
  const commandMs = now() - t0;
  const own = deps.http ? null : createHttp();
  try {
    const readiness = await waitReady({ http: deps.http ?? own!.http, baseUrl: step.baseUrl, limitMs: step.readyLimitMs, now, sleep: deps.sleep });
    if (!readiness.ready) {
      throw new LoadshapeError('unreachable', `side ${step.side} (${step.baseUrl}) was not ready ${Math.round(step.readyLimitMs / 1000)}s after the between command (last: ${readiness.lastNotReady ?? 'no answer'}); raise the readiness wait or check the engine's start-up`);
    }
    return { side: step.side, command: step.command, exitCode, commandMs, readiness };
  } finally {
    await own?.close();
  }
}

function runShell(command: string, env: NodeJS.ProcessEnv, stdio: 'inherit-stderr' | 'ignore', timeoutMs?: number): Promise<number> {
  if (command.trim() === '') throw usageError('between: the command is empty; give a shell command line, e.g. --between "./switch.sh"');
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { env, stdio: stdio === 'ignore' ? 'ignore' : ['ignore', process.stderr, process.stderr] });
    const timer = timeoutMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => resolve(127));
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}
