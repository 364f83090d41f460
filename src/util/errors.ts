import { formatBound, MAX_DURATION_MS, tooLarge } from './limits.js';

// Typed errors for failed runs (a failed *request* is data on its record, not an exception).
// Each code maps to one process exit code in the CLI.

export type ErrorCode = 'usage' | 'workload' | 'result_file' | 'unreachable' | 'io';

export class LoadshapeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LoadshapeError';
  }
}

/** Bad command-line values or combinations. */
export function usageError(message: string): LoadshapeError {
  return new LoadshapeError('usage', message);
}

/** A workload file that does not validate; the message names the file, the field path and the fix. */
export function workloadError(message: string): LoadshapeError {
  return new LoadshapeError('workload', message);
}

/** Parses "30s", "500ms", "2m", "1h" or a bare number of seconds into milliseconds. */
export function parseDurationMs(value: string | number, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw usageError(`${what}: expected a non-negative duration, got ${value}`);
    return withinBound(value * 1000, what, value);
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw usageError(`${what}: "${value}" is not a duration; write e.g. "500ms", "30s", "2m" or "1h"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return withinBound(n * factor, what, value);
}

function withinBound(ms: number, what: string, value: string | number): number {
  if (ms > MAX_DURATION_MS) throw usageError(tooLarge(what, `${MAX_DURATION_MS / 3_600_000}h`, value));
  return ms;
}

/** At most the first `max` characters of a user's value, JSON-quoted, with the length when cut: an
 * error quoting a file never fills the terminal (a binary file given as a workload was quoted whole). */
export function excerpt(text: string, max = 40): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${formatBound(text.length)} characters)`;
}

/** File-system error codes in words, for one-line messages that name the path and the reason. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'files cannot be created there',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'over the file size limit (ulimit -f)',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  ENAMETOOLONG: 'the name is too long',
};

/** "ENOSPC: no space left on the device"; the message itself for errors without a code. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined ? `${code}: ${FS_REASONS[code] ?? (err as Error).message}` : (err as Error).message;
}
