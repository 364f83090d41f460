// Precise waits for the pacer. setTimeout alone fires a millisecond or more late, which would show up
// as queueMs that the harness itself caused; so sleep coarsely, then yield to I/O with setImmediate
// until the deadline. The spin costs CPU only in the last ~2 ms before each due time.
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';

const SPIN_WINDOW_MS = 2;

export async function waitUntil(targetMs: number, now: () => number, signal?: AbortSignal): Promise<void> {
  let remaining = targetMs - now();
  if (remaining > SPIN_WINDOW_MS + 1) {
    try {
      await sleep(remaining - SPIN_WINDOW_MS, undefined, { signal });
    } catch {
      return; // aborted
    }
  }
  remaining = targetMs - now();
  while (remaining > 0 && !signal?.aborted) {
    await immediate();
    remaining = targetMs - now();
  }
}
