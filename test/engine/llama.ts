// The real engine for the engine suite: llama.cpp's llama-server built by scripts/engine/setup.sh,
// serving the tiny random-weight model on a free loopback port, pinned away from the client.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parsePrometheus } from '../../src/servermetrics/parse.js';
import { CAN_PIN, ROOT } from '../commands/helpers.js';

export interface EngineFiles {
  server: string;
  model: string;
  tokenizer: string;
  llamaCppPythonVersion: string;
}

/** Builds or reuses the engine (seconds once built). Throws with the setup's own words on failure. */
export function ensureEngine(): EngineFiles {
  let out: string;
  try {
    // A first build takes 15-30 min on 2 cores; CI runs setup.sh before the suite, so this is the reuse path.
    out = execFileSync('bash', [join(ROOT, 'scripts/engine/setup.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60 * 60_000 });
  } catch (e) {
    const err = e as { stderr?: string; status?: number };
    throw new Error(`scripts/engine/setup.sh failed (exit ${err.status ?? '?'}): the engine could not be built or the model not generated:\n${err.stderr ?? String(e)}`);
  }
  const kv = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  for (const k of ['LLAMA_SERVER', 'ENGINE_MODEL', 'ENGINE_TOKENIZER']) if (!kv[k]) throw new Error(`scripts/engine/setup.sh printed no ${k}: ${out}`);
  return { server: kv.LLAMA_SERVER, model: kv.ENGINE_MODEL, tokenizer: kv.ENGINE_TOKENIZER, llamaCppPythonVersion: kv.LLAMA_CPP_PYTHON_VERSION ?? '?' };
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface LlamaServer {
  /** Base URL ending in /v1. */
  url: string;
  root: string;
  logFile: string;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

export const MODEL_ALIAS = 'tiny-llama';

export interface LlamaOptions {
  parallel: number;
  /** Total KV context; each of the `parallel` slots gets ctxSize / parallel. */
  ctxSize: number;
  /** Core to pin the server to (one thread on it), when pinning is possible. */
  core?: number;
  logFile: string;
}

export async function startLlamaServer(files: EngineFiles, o: LlamaOptions): Promise<LlamaServer> {
  const port = await freePort();
  const args = [
    '-m', files.model, '--alias', MODEL_ALIAS, '--host', '127.0.0.1', '--port', String(port),
    '--parallel', String(o.parallel), '--ctx-size', String(o.ctxSize), '--metrics',
    // One compute thread: the client has the other core, as a remote engine would not share it.
    '--threads', '1', '--threads-batch', '1', '--no-webui', '--jinja',
  ];
  const [cmd, argv] = o.core !== undefined && CAN_PIN ? ['taskset', ['-c', String(o.core), files.server, ...args]] : [files.server, args];
  const log = createWriteStream(o.logFile);
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = `exit ${code ?? signal}`));
  const root = `http://127.0.0.1:${port}`;
  const readLog = () => {
    try {
      return readFileSync(o.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error(`llama-server ${exited} before it was ready (${cmd} ${argv.join(' ')}):\n${readLog().slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`llama-server did not answer /health with 200 within 120 s:\n${readLog().slice(-3000)}`);
    }
    try {
      const r = await fetch(`${root}/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url: `${root}/v1`,
    root,
    logFile: o.logFile,
    log: readLog,
    stop: () =>
      new Promise<void>((res) => {
        if (exited) return res();
        child.once('exit', () => {
          log.end();
          res();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** One /metrics scrape as name → value (label sets summed). */
export async function scrapeMetrics(root: string): Promise<Map<string, number>> {
  const r = await fetch(`${root}/metrics`);
  if (r.status !== 200) throw new Error(`${root}/metrics answered ${r.status}`);
  const out = new Map<string, number>();
  for (const s of parsePrometheus(await r.text())) out.set(s.name, (out.get(s.name) ?? 0) + s.value);
  return out;
}

export function delta(before: Map<string, number>, after: Map<string, number>, name: string): number | null {
  const a = after.get(name);
  if (a === undefined) return null;
  return a - (before.get(name) ?? 0);
}
