// A/B schedules: how the two sides' Drivers take turns or keep step. Mirrored: each phase of A and B
// starts at one agreed instant (a barrier), so an open loop sends request i to both at the same
// scheduled time. Interleaved: the planned requests are cut into blocks; each block runs on one side
// then the other, in the balanced order A B B A A B … (so a drift over time cancels), and the side
// about to run is switched in first (the user's --between command). Pure coordination on a Clock:
// tests drive it on a virtual one.
import type { RunSink } from '../driver/sink.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { Clock } from '../util/clock.js';
import type { Planner } from '../workload/plan.js';

export type Side = 'a' | 'b';
export const SIDES: readonly Side[] = ['a', 'b'];

/** Round r's side: A B B A, repeated (ABBA blocks: every side is first as often as second). */
export function balancedOrder(rounds: number): Side[] {
  return Array.from({ length: rounds }, (_, i): Side => (i % 4 === 0 || i % 4 === 3 ? 'a' : 'b'));
}

/** `total` requests cut into `blocks` consecutive blocks, sizes differing by at most one. */
export function blockSizes(total: number, blocks: number): number[] {
  return Array.from({ length: blocks }, (_, k) => Math.floor(total / blocks) + (k < total % blocks ? 1 : 0));
}

/**
 * The phases of an interleaved experiment: one per block (`block1`, `block2`, …), each the given
 * phase with its block's request count; both sides run the same list.
 */
export function blockPhases(base: PhasePlan, sizes: number[]): PhasePlan[] {
  return sizes.map((n, k) => ({ ...base, index: k, name: `block${k + 1}`, maxRequests: n, durationMs: null }));
}

/** Request i of block k is request offset(k) + i of the base phase: both sides build the same bodies. */
export function blockPlanner(base: Planner, sizes: number[]): Planner {
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((s, n) => s + n, 0));
  const planner: Planner = {
    workload: base.workload,
    plan: (phaseIndex, requestIndex) => base.plan(0, offsets[phaseIndex] + requestIndex),
  };
  if (base.followUp) planner.followUp = base.followUp.bind(base);
  return planner;
}

/** What the command gives each side's Driver: a gate before each phase and a sink that reports its end. */
export interface SideHooks {
  beforePhase(phase: PhasePlan): Promise<number | null>;
  sink: RunSink;
  /** The side's Driver returned (or failed): never wait for it again. */
  leave(): void;
}

/**
 * Mirrored: a two-party barrier per phase. When both sides reach phase k, both get the instant
 * `now + marginMs` (time to plan their first request), so their schedules count from one origin.
 */
export class MirroredStart {
  private waiting = new Map<Side, (atMs: number) => void>();
  private gone = new Set<Side>();

  constructor(
    private readonly clock: Clock,
    private readonly marginMs = 10,
  ) {}

  side(side: Side): SideHooks {
    return {
      beforePhase: () =>
        new Promise<number | null>((resolve) => {
          this.waiting.set(side, resolve);
          this.release();
        }),
      sink: {},
      leave: () => {
        this.gone.add(side);
        this.release();
      },
    };
  }

  /** A stop: every waiting side goes on at once (its Driver, stopped, then ends). */
  cancel(): void {
    for (const s of SIDES) this.gone.add(s);
    const wake = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of wake) w(this.clock.now());
  }

  private release(): void {
    if (!SIDES.every((s) => this.waiting.has(s) || this.gone.has(s)) || this.waiting.size === 0) return;
    const atMs = this.clock.now() + this.marginMs;
    const wake = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of wake) w(atMs);
  }
}

/**
 * Mirrored open loops: the two Drivers' waits for one instant share one underlying wait, so both
 * resume in the same turn of the event loop, one right after the other (with separate waits, each
 * would poll the clock on its own and a busy loop could put milliseconds between the two sends).
 * Who resumes first alternates from one instant to the next: the second sender's few microseconds of
 * extra queue delay fall on A and B alike instead of always on B.
 */
export function sharedInstants(clock: Clock): Clock {
  const pending = new Map<number, (() => void)[]>();
  let flip = false;
  const fire = (atMs: number) => {
    const waiters = pending.get(atMs) ?? [];
    pending.delete(atMs);
    flip = !flip;
    for (const wake of flip ? waiters : waiters.reverse()) wake();
  };
  return {
    now: clock.now,
    at: (atMs, fn) => clock.at(atMs, fn),
    waitUntil(atMs, signal) {
      if (signal?.aborted || atMs <= clock.now()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        let waiters = pending.get(atMs);
        if (!waiters) {
          waiters = [];
          pending.set(atMs, waiters);
          // Not tied to either side's stop signal: the other side may still be waiting for this instant.
          void clock.waitUntil(atMs).then(() => fire(atMs));
        }
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    },
  };
}

/** Called before a round whose side differs from the previous round's (the first round included). */
export type SwitchTo = (side: Side, round: number) => Promise<void>;

/**
 * Interleaved: rounds in `order`; a side's phase may start only in its round, after `switchTo` when
 * the side changes. A failed switch fails both sides' waits (their Drivers then end with it).
 */
export class InterleavedRounds {
  private round = 0;
  private running = false;
  private failure: unknown = null;
  private waiting = new Map<Side, { resolve: (atMs: number | null) => void; reject: (err: unknown) => void }>();
  private gone = new Set<Side>();
  private lastSide: Side | null = null;
  /** Which side ran each round, in order (for the pairing file). */
  readonly ran: Side[] = [];

  constructor(
    private readonly order: readonly Side[],
    private readonly switchTo: SwitchTo,
  ) {}

  side(side: Side): SideHooks {
    return {
      beforePhase: () =>
        new Promise<number | null>((resolve, reject) => {
          if (this.failure !== null) return reject(this.failure);
          this.waiting.set(side, { resolve, reject });
          void this.pump();
        }),
      sink: {
        phaseEnd: () => {
          this.running = false;
          this.round++;
          void this.pump();
        },
      },
      leave: () => {
        this.gone.add(side);
        void this.pump();
      },
    };
  }

  /** A stop: every waiting side goes on (its Driver, stopped, then ends); no further round starts. */
  cancel(): void {
    this.round = this.order.length;
    for (const w of this.waiting.values()) w.resolve(null);
    this.waiting.clear();
  }

  private async pump(): Promise<void> {
    // Rounds of a side whose Driver is gone (stopped, finished early) are skipped.
    while (this.round < this.order.length && this.gone.has(this.order[this.round])) this.round++;
    if (this.running || this.round >= this.order.length) return;
    const side = this.order[this.round];
    const waiter = this.waiting.get(side);
    if (!waiter) return;
    this.waiting.delete(side);
    this.running = true;
    try {
      if (side !== this.lastSide) await this.switchTo(side, this.round);
      this.lastSide = side;
      this.ran.push(side);
      waiter.resolve(null);
    } catch (err) {
      this.failure = err;
      waiter.reject(err);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    }
  }
}
