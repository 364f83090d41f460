// Precise waits for the pacer. setTimeout alone fires up to a millisecond or more late (libuv rounds
// its poll timeout to whole milliseconds), which would show up as queueMs that the harness itself
// caused; so sleep coarsely, then check the clock from setImmediate callbacks (which let socket I/O
// run between checks) until the deadline. Keeping the thread busy for that last stretch also avoids
// the OS wake-up latency of a sleeping thread on a loaded machine, which was ~2 ms at p99 on two
// cores (a timer thread posting the wake-up measured worse for that reason).
// The checks are plain callbacks, not awaited promises: a promise per check made ~300 MB/s of
// garbage at 200 req/s, and the GC pauses it caused were the pacer's worst lateness.
const SPIN_WINDOW_MS = 1.5;

export function waitUntil(targetMs: number, now: () => number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (timer) clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const check = () => {
      if (signal?.aborted) return;
      if (now() >= targetMs) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      } else {
        setImmediate(check);
      }
    };
    const remaining = targetMs - now();
    if (remaining > SPIN_WINDOW_MS + 1) timer = setTimeout(check, remaining - SPIN_WINDOW_MS);
    else check();
  });
}
