// The result's metadata block, built the same way by every measuring command (run, sweep).
import { cpus, totalmem } from 'node:os';
import type { LoadedWorkload } from '../workload/load.js';
import type { Workload } from '../workload/schema.js';
import type { RunResult } from '../results/format.js';
import { VERSION } from '../version.js';
import { redactArgv, redactUrl } from '../util/redact.js';

/** The machine the harness ran on. */
export function hostInfo(): RunResult['meta']['host'] {
  return {
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memoryGb: Math.round(totalmem() / 1e8) / 10,
  };
}

export interface MetaContext {
  runId: string;
  startedAt: Date;
  /** When the run clock started, epoch ms to a fraction of a millisecond (shards' starts are compared on it). */
  clockStartedAtEpochMs?: number;
  /** Run clock, ms since its start. */
  now: () => number;
  loaded: LoadedWorkload;
  workload: Workload;
  baseUrl: string;
  simOptions: Record<string, unknown> | null;
  model: string;
  tokenizerName: string;
  labels: Record<string, string>;
  /** The command line to record (default: this process's). */
  argv?: string[];
}

/** Metadata as of now: secrets redacted from the URL and the command line. */
export function resultMeta(c: MetaContext, interrupted: boolean): RunResult['meta'] {
  return {
    runId: c.runId,
    loadshapeVersion: VERSION,
    startedAt: c.startedAt.toISOString(),
    ...(c.clockStartedAtEpochMs === undefined ? {} : { clockStartedAtEpochMs: Math.round(c.clockStartedAtEpochMs * 1000) / 1000 }),
    endedAt: new Date().toISOString(),
    durationS: Math.round(c.now()) / 1000,
    workload: { name: c.workload.name, file: c.loaded.file, sha256: c.loaded.sha256, text: c.loaded.text, seed: c.workload.seed },
    target: { url: redactUrl(c.baseUrl), simulated: c.simOptions !== null, simulator: c.simOptions },
    model: c.model,
    tokenizer: c.tokenizerName,
    labels: c.labels,
    argv: redactArgv(c.argv ?? process.argv.slice(2)),
    node: process.version,
    host: hostInfo(),
    interrupted,
  };
}
