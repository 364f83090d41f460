// Starts the embedded simulator in a worker thread and hands back its URL (the I/O edge of `run`
// without --target), and resolves simulator settings from a profile name, a YAML config file and
// flags (shared with the `sim` command). The core never imports src/sim; only command-side files
// name it, and this one loads only the pure settings module into the harness's thread.
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { parse as parseYaml } from 'yaml';
import { parseConfig, parseFaultFlag, PROFILES, resolveSettings, usesEngine, type ProfileName, type SimSettings } from '../sim/config.js';
import { usageError } from '../util/errors.js';

export interface EmbeddedSim {
  url: string;
  options: Record<string, unknown>;
  close(): Promise<void>;
}

/** Simulator choices as flags give them; `prefix` names the flags in messages (`--sim-` for run, `--` for sim). */
export interface SimFlags {
  profile?: string;
  config?: string;
  faults?: string[];
  ttftMs?: number;
  itlMs?: number;
  prefillMsPerToken?: number;
  settings?: Partial<SimSettings>;
  prefix: string;
}

/**
 * Profile defaults ← config file ← flags. With no profile named anywhere, fixed-profile timings
 * (TTFT, ITL, prefill per token) imply `fixed`, so timing-accuracy runs keep the exact schedule;
 * otherwise the default is continuous-batching.
 */
export async function loadSimSettings(flags: SimFlags): Promise<SimSettings> {
  const p = flags.prefix;
  if (flags.profile !== undefined && !(PROFILES as readonly string[]).includes(flags.profile)) {
    throw usageError(`${p}profile: unknown profile "${flags.profile}"; expected one of ${PROFILES.join(', ')}`);
  }
  let file: Partial<SimSettings> = {};
  if (flags.config !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.config, 'utf8');
    } catch (err) {
      throw usageError(`${p}config: cannot read ${flags.config} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      file = parseConfig(parseYaml(text), flags.config);
    } catch (err) {
      throw usageError(`${p}config: ${(err as Error).message}`);
    }
  }
  let faults: SimSettings['faults'] | undefined;
  try {
    faults = flags.faults?.map(parseFaultFlag);
  } catch (err) {
    throw usageError((err as Error).message.replace(/^--fault/, `${p}fault`));
  }
  const fixedTimings = flags.ttftMs !== undefined || flags.itlMs !== undefined || flags.prefillMsPerToken !== undefined;
  const named = (flags.profile ?? file.profile) as ProfileName | undefined;
  if (named !== undefined && usesEngine(named) && (flags.ttftMs !== undefined || flags.itlMs !== undefined)) {
    throw usageError(
      `${p}ttft/${p}itl set the fixed profile's schedule; the ${named} profile times tokens by its engine model (set ${p}config or its flags instead)`,
    );
  }
  try {
    return resolveSettings({
      file,
      flags: {
        ...flags.settings,
        profile: flags.profile as ProfileName | undefined,
        ttftMs: flags.ttftMs,
        itlMs: flags.itlMs,
        prefillMsPerToken: flags.prefillMsPerToken,
        faults,
      },
      implicitProfile: fixedTimings ? 'fixed' : undefined,
    });
  } catch (err) {
    throw usageError(`simulator settings: ${(err as Error).message}`);
  }
}

/** Settings written inline (a campaign plan's `sim:` target), in a --sim-config file's shape; `source` names the field in errors. */
export function simSettingsFromValue(value: unknown, source: string): SimSettings {
  try {
    const file = parseConfig(value, source);
    return resolveSettings({ file, implicitProfile: file.ttftMs !== undefined || file.itlMs !== undefined ? 'fixed' : undefined });
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

export async function startEmbeddedSimulator(options: Record<string, unknown>): Promise<EmbeddedSim> {
  const worker = new Worker(new URL('../sim/worker.js', import.meta.url), { workerData: options });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { type: string; url: string }) => (m.type === 'ready' ? resolve(m.url) : reject(new Error(`simulator: ${m.type}`))));
  });
  return {
    url,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => void worker.terminate().then(() => resolve()), 2000);
        worker.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        worker.postMessage({ type: 'close' });
      }),
  };
}
