#!/usr/bin/env node
// Entry point. The measuring commands (run, sweep, ab, campaign) run in a child process started with one V8
// platform thread (--v8-pool-size=1) instead of four: on a 2-core machine the extra GC and compiler
// helper threads compete with the event loop and the target for the cores, and took open-loop send
// lateness (queueMs p99 at 200 req/s) from ~0.7–1.2 ms to ~1.5–2.2 ms. (V8's fully single-threaded
// GC paced even better but moved TTFT p50 by +0.4 ms.) Everything else runs here directly.
// It may also collect garbage on purpose (--expose-gc: the warm start ends with a full collection, so
// start-up garbage is not collected in the run's first second). LOADSHAPE_GC=default turns this off.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const GC_FLAG = '--v8-pool-size=1';
const command = process.argv[2];
const measuring = command === 'run' || command === 'sweep' || command === 'ab' || (command === 'campaign' && process.argv[3] !== 'report');

/** The signals a run drains on: Ctrl-C, a service manager's stop, a closed terminal or SSH session. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// A closed terminal (EIO) or a closed pipe (EPIPE, `| head`) must not kill a run with its numbers
// unwritten: output that cannot be shown is dropped, the result file is still written.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
// A file size limit (ulimit -f) then fails the write with EFBIG, handled like a full disk, instead of
// killing the process before it can say so.
if (process.platform !== 'win32') process.on('SIGXFSZ', () => {}); // (Windows has no such signal)

if (measuring && !process.execArgv.some((a) => a.startsWith('--v8-pool-size')) && process.env.LOADSHAPE_GC !== 'default') {
  // Its own process group, so a terminal's Ctrl-C reaches only this process, which forwards it once
  // (a second signal means "cancel now" to a run). This process stays until the child has written
  // its result and exits with the child's code, so whoever waits on it (a shell, a CI runner) sees
  // the documented exit code, not a signal's.
  const child = spawn(process.execPath, [GC_FLAG, '--expose-gc', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null) child.kill(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, forward);
  // The child has no controlling terminal (its own session): a resize reaches only this process, and
  // the live view (--live) redraws on the forwarded signal.
  if (process.platform !== 'win32') process.on('SIGWINCH', () => forward('SIGWINCH'));
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
} else {
  if (process.send) {
    // Launched by the entry above: if it dies (kill -9), die with it rather than run on unseen.
    process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
    process.channel?.unref();
  }
  await import('./cli-main.js');
}
