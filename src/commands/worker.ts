// `loadshape worker FILE` (hidden): one process of `run --workers N`. The parent writes this worker's
// typed run options as JSON (commands/run-workers.ts); no argv is rebuilt, so every option the parent
// took reaches the worker as it was parsed.
import { readFile } from 'node:fs/promises';
import { usageError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { runCli, runDefaults } from './options.js';
import { runCommand, type RunOptions } from './run.js';
import type { WorkerEnvelope } from './run-workers.js';

/** Keys a worker's options may have: run's flags, plus what the command adds beside them. */
const KNOWN = new Set([...runCli().options.map((o) => o.attributeName()), 'workload', 'defaultWorkers', 'argv']);

export function readEnvelope(text: string, file: string): RunOptions {
  const envelope = JSON.parse(text) as Partial<WorkerEnvelope>;
  if (envelope.loadshapeVersion !== VERSION) {
    throw usageError(`${file}: written by loadshape ${envelope.loadshapeVersion ?? '(unknown)'}, this is ${VERSION}: a worker must run the parent's version`);
  }
  const options = envelope.options;
  if (typeof options !== 'object' || options === null) throw usageError(`${file}: no options object`);
  const unknown = Object.keys(options).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw usageError(`${file}: unknown option ${unknown.join(', ')} (parent and worker disagree on run's options)`);
  return { ...runDefaults(), ...options };
}

export async function workerCommand(file: string): Promise<number> {
  const text = await readFile(file, 'utf8');
  const options = readEnvelope(text, file);
  const { liveSource } = JSON.parse(text) as Partial<WorkerEnvelope>;
  return (await runCommand(options, { liveSource: typeof liveSource === 'number' ? liveSource : undefined })).exitCode;
}
