// Simulator, timing side: one deadline scheduler shared by every stream the server holds.
// Each stream is a task with one pending deadline in a binary min-heap. The scheduler sleeps on a
// single setTimeout until about a millisecond before the earliest deadline, then polls with
// setImmediate (which lets socket I/O run between polls) and runs every task that is due.
// Why not one setTimeout per token: Node timers have millisecond resolution and fire late under
// load, and chaining them from the previous token accumulates that lateness as drift. Here a
// task's deadlines are computed from its own start, so a late wake-up delays one token, not the rest.

/** Something the scheduler runs at (or just after) a monotonic deadline. */
export interface ScheduledTask {
  /** performance.now() milliseconds at which the task wants to run next. */
  dueAtMs: number;
  /** Position in the heap, -1 when not scheduled; maintained by the scheduler only. */
  heapIndex: number;
  /** Runs the task; returns its next deadline, or null when it is finished. */
  run(nowMs: number): number | null;
}

/** Binary min-heap on dueAtMs whose entries know their index, so removal is O(log n). */
export class DeadlineHeap<T extends ScheduledTask> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(task: T): void {
    if (task.heapIndex !== -1) throw new Error('task is already scheduled');
    task.heapIndex = this.items.length;
    this.items.push(task);
    this.up(task.heapIndex);
  }

  /** Removes `task` wherever it is; a task not in the heap is ignored. */
  remove(task: T): void {
    const i = task.heapIndex;
    if (i < 0 || this.items[i] !== task) return;
    const last = this.items.pop()!;
    task.heapIndex = -1;
    if (last === task) return;
    this.items[i] = last;
    last.heapIndex = i;
    this.down(i);
    this.up(last.heapIndex);
  }

  /** Restores heap order after `task.dueAtMs` changed. */
  update(task: T): void {
    const i = task.heapIndex;
    if (i < 0 || this.items[i] !== task) throw new Error('task is not in this heap');
    this.down(i);
    this.up(task.heapIndex);
  }

  clear(): void {
    for (const t of this.items) t.heapIndex = -1;
    this.items.length = 0;
  }

  private up(i: number): void {
    const items = this.items;
    const task = items[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p];
      if (parent.dueAtMs <= task.dueAtMs) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = task;
    task.heapIndex = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const task = items[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && items[r].dueAtMs < items[l].dueAtMs ? r : l;
      const child = items[c];
      if (child.dueAtMs >= task.dueAtMs) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = task;
    task.heapIndex = i;
  }
}

export interface SchedulerOptions {
  /** Monotonic clock in milliseconds. */
  now?: () => number;
  /** Deadlines closer than this are awaited by polling instead of a timer. */
  spinWindowMs?: number;
  /** Longest run of back-to-back tasks before yielding to I/O, so overload cannot starve new requests. */
  maxBatchMs?: number;
}

export class DeadlineScheduler {
  private readonly heap = new DeadlineHeap<ScheduledTask>();
  private readonly now: () => number;
  private readonly spinWindowMs: number;
  private readonly maxBatchMs: number;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** When the pending timer will fire (Infinity when none). */
  private wakeAtMs = Infinity;
  private running = false;
  private stopped = false;

  constructor(opts: SchedulerOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.spinWindowMs = opts.spinWindowMs ?? 1;
    this.maxBatchMs = opts.maxBatchMs ?? 2;
  }

  /** Tasks waiting for a deadline. */
  get size(): number {
    return this.heap.size;
  }

  /** Whether a timer or poll is pending: false whenever the scheduler has nothing to do. */
  get armed(): boolean {
    return this.timer !== undefined || this.immediate !== undefined;
  }

  add(task: ScheduledTask): void {
    if (this.stopped) throw new Error('scheduler is stopped');
    this.heap.push(task);
    // Inside a batch the batch re-arms on exit; a poll already pending re-checks by itself.
    if (this.running || this.immediate !== undefined) return;
    if (this.heap.peek() === task && task.dueAtMs - this.spinWindowMs < this.wakeAtMs) {
      this.disarm();
      this.arm(this.now());
    }
  }

  remove(task: ScheduledTask): void {
    this.heap.remove(task);
    if (this.heap.size === 0 && !this.running) this.disarm();
  }

  /**
   * Runs whatever is already due, right now. Node runs every ready I/O callback of a loop turn
   * before any timer or immediate, so a burst of arriving requests (1,000 connections at once) would
   * hold every deadline back until the whole burst is parsed; calling poll() from the server's own
   * callbacks bounds that delay to one callback. Costs one clock read when nothing is due.
   */
  poll(): void {
    if (this.running || this.stopped) return;
    const task = this.heap.peek();
    if (task === undefined || task.dueAtMs > this.now()) return;
    this.disarm();
    this.tick();
  }

  /** Drops every task and pending wake-up; the scheduler accepts no more tasks. */
  stop(): void {
    this.stopped = true;
    this.heap.clear();
    this.disarm();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.wakeAtMs = Infinity;
    this.running = true;
    const start = this.now();
    let now = start;
    try {
      for (;;) {
        const task = this.heap.peek();
        if (task === undefined || task.dueAtMs > now) break;
        const next = task.run(now);
        // run() may have removed the task (its connection closed while writing).
        if (task.heapIndex !== -1) {
          if (next === null) this.heap.remove(task);
          else {
            task.dueAtMs = next;
            this.heap.update(task);
          }
        }
        now = this.now();
        if (now - start > this.maxBatchMs) break;
      }
    } finally {
      this.running = false;
      if (!this.stopped) this.arm(now);
    }
  };

  private arm(now: number): void {
    const task = this.heap.peek();
    if (task === undefined) return;
    const waitMs = task.dueAtMs - now;
    if (waitMs <= this.spinWindowMs + 1) {
      this.immediate = setImmediate(this.tick);
      return;
    }
    // Timers fire on whole milliseconds and sometimes late; wake early and poll the rest.
    const timerMs = Math.floor(waitMs - this.spinWindowMs);
    this.wakeAtMs = now + timerMs;
    this.timer = setTimeout(this.tick, timerMs);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.wakeAtMs = Infinity;
  }
}
