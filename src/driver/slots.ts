// Starting a closed-loop phase's slots. Each slot plans (synthesises) its first prompt and sends it
// synchronously as it starts, so starting thousands at once used to hold the event loop for as long
// as that took: Ctrl-C, SIGTERM and timers waited (concurrency 1e9 ignored Ctrl-C for minutes).
import { performance } from 'node:perf_hooks';

/** Longest the loop is held between yields while slots start. Small phases start in one go, unchanged. */
const HOLD_MS = 10;

/**
 * Starts `count` slots and resolves when all have finished. Every HOLD_MS it yields a turn of the
 * event loop (signals, timers, sockets), and it stops starting slots once `stopped()` says so.
 */
export async function startSlots(count: number, slot: () => Promise<void>, stopped: () => boolean): Promise<void> {
  const running: Promise<void>[] = [];
  let heldSince = performance.now();
  for (let i = 0; i < count && !stopped(); i++) {
    running.push(slot());
    if (performance.now() - heldSince >= HOLD_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      heldSince = performance.now();
    }
  }
  await Promise.all(running);
}
