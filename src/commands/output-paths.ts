// Every file a run writes, checked before the first request and written so that nothing gathered is
// lost. An impossible --out (/etc/passwd/x, a read-only mount, a full disk) used to be found only
// after every request was sent, ending in a stack trace with no result and no summary.
//  - checkOutputPaths: before the run, each path's directory must be (or be creatable as) a writable
//    directory: a probe file is written there and removed. Exit 4 names the flag, the path and why.
//  - saveResult: the result, atomically; when that fails at the end anyway, the system temp directory.
import { constants } from 'node:fs';
import { access, mkdir, open, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { RunResult } from '../results/format.js';
import { resultFileName, writeResult } from '../results/io.js';
import { fsReason as reason, LoadshapeError, usageError } from '../util/errors.js';

/** One path a run will write: the flag that named it, and whether it is a file or a directory. */
export interface OutputPath {
  flag: string;
  path: string;
  kind: 'file' | 'dir';
}

/** The paths of `run`/`sweep`: the --out directory and the result (and checkpoint) file in it, then the optional files. */
export function runOutputPaths(o: { out: string; workloadName: string; checkpoint?: boolean; records?: string; junit?: string; summaryMd?: string }): OutputPath[] {
  // The result's name has the start time in it; any name in the directory checks the same things.
  const resultFile = join(o.out, resultFileName(new Date(), o.workloadName));
  const paths: OutputPath[] = [
    { flag: '--out', path: o.out, kind: 'dir' },
    { flag: '--out', path: resultFile, kind: 'file' },
  ];
  if (o.checkpoint) paths.push({ flag: '--checkpoint', path: resultFile.replace(/\.json$/, '.checkpoint.json'), kind: 'file' });
  if (o.records) paths.push({ flag: '--records', path: o.records, kind: 'file' });
  if (o.junit) paths.push({ flag: '--junit', path: o.junit, kind: 'file' });
  if (o.summaryMd) paths.push({ flag: '--summary-md', path: o.summaryMd, kind: 'file' });
  return paths;
}

/** Throws a usage error (exit 4) for the first path that cannot be written; creates nothing that stays. */
export async function checkOutputPaths(paths: OutputPath[]): Promise<void> {
  for (const p of paths) {
    const problem = await whyNotWritable(p);
    if (problem === null) continue;
    // With a bad --junit no JUnit file can say so: the CI job sees only this message and exit 4.
    const junit = p.flag === '--junit' ? '; no JUnit file can be written there, so this message is the only report' : '';
    throw usageError(`${p.flag}: cannot write ${p.path} (${problem})${junit}; give a writable path`);
  }
}

async function whyNotWritable(p: OutputPath): Promise<string | null> {
  try {
    return await checkPath(p);
  } catch (err) {
    return reason(err); // e.g. EACCES on a directory we may not even look into
  }
}

async function checkPath(p: OutputPath): Promise<string | null> {
  const target = resolve(p.path);
  const existing = await statOrNull(target);
  if (existing !== null) {
    if (p.kind === 'dir' && !existing.isDirectory()) return 'it is a file, not a directory';
    if (p.kind === 'file' && existing.isDirectory()) return 'it is a directory; give a file name';
    if (p.kind === 'file') {
      // An existing file is overwritten: records in place, the others by rename in its directory.
      try {
        await access(target, constants.W_OK);
      } catch (err) {
        return reason(err);
      }
    }
  }
  // The nearest directory that exists must be a directory we can create files in (mkdir -p at write time).
  let dir = p.kind === 'dir' && existing !== null ? target : dirname(target);
  for (;;) {
    const s = await statOrNull(dir);
    if (s !== null) {
      if (!s.isDirectory()) return `${dir} is a file, not a directory`;
      break;
    }
    const up = dirname(dir);
    if (up === dir) return `${dir} does not exist`;
    dir = up;
  }
  return probe(dir);
}

/** Writes a byte to a hidden file in `dir` and removes it: catches read-only mounts, missing permissions and a full disk. */
async function probe(dir: string): Promise<string | null> {
  const file = join(dir, `.loadshape-probe-${process.pid}-${Date.now()}`);
  let created = false;
  try {
    const handle = await open(file, 'wx');
    created = true;
    try {
      await handle.write('x');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return null;
  } catch (err) {
    return `${dir}: ${reason(err)}`;
  } finally {
    if (created) await unlink(file).catch(() => {});
  }
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return null; // a parent is a file: found by the walk up
    throw err;
  }
}

/**
 * Writes the final result to `file`; if that fails (the disk filled during the run, the directory
 * went away), says why on stderr and writes it to the system temp directory instead. Returns the
 * path written. Throws (exit 4) only when both fail; the caller has printed the summary by then.
 */
export async function saveResult(file: string, result: RunResult): Promise<string> {
  try {
    await writeResult(file, result);
    return file;
  } catch (err) {
    const fallback = join(tmpdir(), basename(file));
    process.stderr.write(`loadshape: cannot write the result to ${file} (${reason(err)}); writing it to ${fallback} instead\n`);
    try {
      await writeResult(fallback, result);
      return fallback;
    } catch (err2) {
      throw new LoadshapeError('io', `the result was not written: ${file} (${reason(err)}) and ${fallback} (${reason(err2)}) both failed; free some space or fix --out, and rerun (the summary above is all that is left)`);
    }
  }
}
