// Time as a parameter. The pacer, the Driver, conversations' think times, the sweep's step logic and
// the checkpoint/abort sinks read time and wait through a Clock, never through performance.now() or
// setTimeout directly, so their tests run on a VirtualClock: deterministic, instant, and immune to a
// busy machine. Wall-clock accuracy is the benchmarks' job (scripts/bench-harness.ts).
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Monotonic milliseconds since the clock's origin (the run's start). */
  now(): number;
  /** Resolves at `atMs` or soon after (at once when past, or when `signal` aborts). */
  waitUntil(atMs: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once at `atMs` or soon after; the returned function cancels it. On the real clock such a
   * timer never keeps the process alive by itself (ticks, drain deadlines): waitUntil() does.
   */
  at(atMs: number, fn: () => void): () => void;
  /**
   * Lets one turn of the event loop pass (sockets, stamps, timers due now) before resuming: the pause
   * between two slices of background work (the look-ahead's body builds). On a VirtualClock it is a
   * timer at the current time, so it runs before any later timer.
   */
  turn(): Promise<void>;
}

// Precise waits for the real clock. setTimeout alone fires up to a millisecond or more late (libuv
// rounds its poll timeout to whole milliseconds), which would show up as queueMs that the harness
// itself caused; so sleep coarsely, then check the clock from setImmediate callbacks (which let socket
// I/O run between checks) until the deadline. Keeping the thread busy for that last stretch also avoids
// the OS wake-up latency of a sleeping thread on a loaded machine (~2 ms at p99 on two cores).
// The checks are plain callbacks, not awaited promises: a promise per check made ~300 MB/s of garbage
// at 200 req/s, and the GC pauses it caused were the pacer's worst lateness.
const SPIN_WINDOW_MS = 1.5;

/** The process's monotonic clock, with its origin at `originMs` of performance.now() (default: now). */
export function realClock(originMs: number = performance.now()): Clock {
  const now = () => performance.now() - originMs;
  return {
    now,
    waitUntil(targetMs, signal) {
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
    },
    at(atMs, fn) {
      const t = setTimeout(fn, Math.max(0, atMs - now()));
      t.unref();
      return () => clearTimeout(t);
    },
    turn: () => new Promise<void>((resolve) => setImmediate(resolve)),
  };
}

interface Timer {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `run(promise)` settles a promise by firing timers in time
 * order, letting every callback and promise chain they start settle before the next one: a run of
 * minutes takes milliseconds, and the same inputs always give the same timings. Code under test must
 * not wait on real I/O (fake clients sleep on this clock instead).
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly heap: Timer[] = [];

  now = (): number => this.t;

  waitUntil(atMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || atMs <= this.t) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.at(atMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        cancel();
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  turn(): Promise<void> {
    return new Promise((resolve) => this.at(this.t, resolve));
  }

  /** Resolves `ms` of virtual time from now. */
  sleep(ms: number): Promise<void> {
    return this.waitUntil(this.t + ms);
  }

  at(atMs: number, fn: () => void): () => void {
    const timer: Timer = { atMs: Math.max(atMs, this.t), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers still due (not cancelled). */
  get pending(): number {
    return this.heap.filter((x) => !x.cancelled).length;
  }

  /** Fires every timer due by `atMs`, in order, then sets the time to `atMs`. */
  async advanceTo(atMs: number): Promise<void> {
    for (;;) {
      await settle();
      const next = this.peek();
      if (!next || next.atMs > atMs) break;
      this.fire();
    }
    this.t = Math.max(this.t, atMs);
    await settle();
  }

  /**
   * Moves time forward, timer by timer, until `p` settles; returns its value. Throws when `p` waits on
   * nothing this clock will ever fire (a deadlock in the code under test), or past `limitMs`.
   */
  async run<T>(p: Promise<T>, limitMs = 24 * 3600_000): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    for (;;) {
      await settle();
      if (done) return p;
      if (!this.peek()) throw new Error(`VirtualClock.run: stuck at ${this.t} ms: the awaited work waits on no timer of this clock`);
      if (this.peek()!.atMs > limitMs) throw new Error(`VirtualClock.run: still running at ${limitMs} ms`);
      this.fire();
    }
  }

  private peek(): Timer | undefined {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
    return this.heap[0];
  }

  private fire(): void {
    const timer = this.pop();
    this.t = Math.max(this.t, timer.atMs);
    timer.fn();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  private push(x: Timer): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): Timer {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Lets every pending callback and promise chain run (one turn of the event loop). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
