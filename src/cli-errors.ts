// What the CLI prints for an error that reached it, and with which exit code. A user error is one line
// naming the file or flag and the fix (exit 4, or 5 for an unreachable target), never a stack trace:
// typed LoadshapeErrors carry their message, and the file-system errors a user causes (a path under a
// file, a read-only mount, a full disk) are said in one line as a safety net for any place that has
// no message of its own. Anything else is a bug: exit 70, the stack, and where to report it.
import { readFileSync } from 'node:fs';
import { LoadshapeError } from './util/errors.js';
import { VERSION } from './version.js';

export const EXIT_INTERNAL = 70;

/** Errors of the user's files, disks and limits, in their words: a user can fix each. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'is a directory; give a file name',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file size limit (ulimit -f)',
  EMFILE: 'too many open files (raise ulimit -n)',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
  EEXIST: 'already exists',
  EBUSY: 'resource busy',
  EADDRINUSE: 'address already in use; pick another port',
  EADDRNOTAVAIL: 'address not available on this machine',
};

export interface Failure {
  message: string;
  exitCode: number;
}

/** `loadshapeExit`: the exit code of a LoadshapeError (cli-main maps its code). */
export function describeFailure(err: unknown, loadshapeExit: number): Failure {
  if (err instanceof LoadshapeError) return { message: `loadshape: ${err.message}`, exitCode: loadshapeExit };
  const sys = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof sys.code === 'string' && Object.hasOwn(SYSTEM_ERRORS, sys.code)) {
    const what = sys.path !== undefined ? `${sys.syscall ?? 'open'} ${sys.path}` : (sys.syscall ?? 'a system call');
    return { message: `loadshape: cannot ${what} (${sys.code}: ${SYSTEM_ERRORS[sys.code]}); fix the path, its permissions or free space, and rerun`, exitCode: 4 };
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return {
    message: `loadshape: internal error (a bug in loadshape ${VERSION}, not in your input): ${stack}\nPlease report it at ${reportAt()} with the command line and this output.`,
    exitCode: EXIT_INTERNAL,
  };
}

/** package.json's `bugs` (url or string), else the generic place. */
function reportAt(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { bugs?: string | { url?: string } };
    const bugs = typeof pkg.bugs === 'string' ? pkg.bugs : pkg.bugs?.url;
    if (bugs) return bugs;
  } catch {
    // fall through: the generic place
  }
  return 'the loadshape issue tracker';
}
