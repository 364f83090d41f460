// scripts/exact-server/build.ts — compiles exact-server.cc (the benches' GC-free exact-schedule server)
// into results/bench/exact-server when the binary is missing or older than its source.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const EXACT_SERVER_SOURCE = join(ROOT, 'scripts/exact-server/exact-server.cc');
export const EXACT_SERVER_BINARY = join(ROOT, 'results/bench/exact-server');

/** Whether `g++` runs (the exact server's only build requirement). */
export function hasGxx(): boolean {
  try {
    execFileSync('g++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The exact server's binary, compiled first when missing or older than exact-server.cc. */
export function exactServerBinary(): string {
  if (existsSync(EXACT_SERVER_BINARY) && statSync(EXACT_SERVER_BINARY).mtimeMs >= statSync(EXACT_SERVER_SOURCE).mtimeMs) return EXACT_SERVER_BINARY;
  mkdirSync(join(ROOT, 'results/bench'), { recursive: true });
  // Built beside and renamed into place: a bench and a test building at once never run a half-written file.
  const tmp = `${EXACT_SERVER_BINARY}.${process.pid}.tmp`;
  try {
    execFileSync('g++', ['-O2', '-std=c++17', '-o', tmp, EXACT_SERVER_SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('the exact bench server needs g++ (a C++17 compiler) on PATH to build scripts/exact-server/exact-server.cc; none was found (or use the Node server)');
    throw new Error(`g++ failed to build ${EXACT_SERVER_SOURCE}:\n${err.stderr?.toString() ?? err.message}`);
  }
  renameSync(tmp, EXACT_SERVER_BINARY);
  return EXACT_SERVER_BINARY;
}
