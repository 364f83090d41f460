// `--start-barrier DIR`: shards started by a scheduler (a Kubernetes Indexed Job, several machines)
// arrive seconds apart, so their open-loop rates would not add up at first and the merged time series
// would mix instants. Each shard announces itself with a file in DIR (a volume they share); once all N
// are there, every shard computes the same start instant from the files (the last arrival plus a
// margin for the others to see it) and starts its clock then. No extra service is needed. A shard that
// never comes fails the others, naming it, after the timeout.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fsReason, LoadshapeError, usageError } from '../util/errors.js';

export interface BarrierOptions {
  /** How long to wait for every shard (default 10 minutes). */
  timeoutMs?: number;
  /** Time after the last arrival for every shard to see it (a shared volume may cache directory listings). */
  marginMs?: number;
  /** How often DIR is listed while waiting. */
  pollMs?: number;
}

interface Arrival {
  index: number;
  count: number;
  readyAtEpochMs: number;
  host: string;
  pid: number;
}

const fileName = (index: number, count: number) => `shard-${index}-of-${count}.json`;

/**
 * Announces shard `index` of `count` in `dir`, waits for the others, and returns the common start
 * instant (epoch ms). Throws (exit 4) when DIR cannot be written, when a file there was written for
 * another shard count, or when a shard has not arrived within the timeout.
 */
export async function startBarrier(dir: string, shard: { index: number; count: number }, o: BarrierOptions = {}): Promise<number> {
  const timeoutMs = o.timeoutMs ?? 600_000;
  const marginMs = o.marginMs ?? 2000;
  const pollMs = o.pollMs ?? 50;
  const mine: Arrival = { index: shard.index, count: shard.count, readyAtEpochMs: Date.now(), host: hostname(), pid: process.pid };
  try {
    await mkdir(dir, { recursive: true });
    // Written whole, then renamed in: a shard listing DIR never reads half a file.
    const tmp = join(dir, `.${fileName(shard.index, shard.count)}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(mine));
    await rename(tmp, join(dir, fileName(shard.index, shard.count)));
  } catch (err) {
    throw usageError(`--start-barrier: cannot write ${dir} (${fsReason(err)}); give a directory every shard can write (a shared volume)`);
  }
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const arrivals = await readArrivals(dir, shard.count);
    // Shards of one run arrive within the timeout of each other: an older file is an earlier run's.
    const stale = [...arrivals.values()].find((a) => a.readyAtEpochMs < mine.readyAtEpochMs - timeoutMs);
    if (stale) throw usageError(`--start-barrier: ${join(dir, fileName(stale.index, stale.count))} is from an earlier run (${new Date(stale.readyAtEpochMs).toISOString()}); use a new directory per run`);
    if (arrivals.size === shard.count) return Math.max(...[...arrivals.values()].map((a) => a.readyAtEpochMs)) + marginMs;
    if (Date.now() >= giveUpAt) {
      const missing = Array.from({ length: shard.count }, (_, i) => i).filter((i) => !arrivals.has(i));
      throw new LoadshapeError(
        'usage',
        `--start-barrier: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${shard.count} did not arrive in ${dir} within ${timeoutMs / 1000}s; ` +
          'this shard stops without sending anything (start all shards together: a Job\'s parallelism must equal its completions; use a new directory per run)',
      );
    }
    await sleep(pollMs);
  }
}

/** The shards of this count that have arrived, by index; a file for another count is an error (a reused directory). */
async function readArrivals(dir: string, count: number): Promise<Map<number, Arrival>> {
  const out = new Map<number, Arrival>();
  for (const name of await readdir(dir)) {
    const m = /^shard-(\d+)-of-(\d+)\.json$/.exec(name);
    if (!m) continue;
    if (Number(m[2]) !== count) {
      throw usageError(`--start-barrier: ${join(dir, name)} was written by a run of ${m[2]} shards, this one has ${count}; use a new directory per run`);
    }
    try {
      const a = JSON.parse(await readFile(join(dir, name), 'utf8')) as Arrival;
      if (typeof a.readyAtEpochMs === 'number') out.set(Number(m[1]), a);
    } catch {
      // Being replaced by its shard right now: read it on the next pass.
    }
  }
  return out;
}
