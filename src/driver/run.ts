// The driver: runs phases in order, pulling plans from the planner, pacing them (open loop) or keeping
// N in flight (closed loop), sending them through the client, and emitting each finished request and
// a one-second tick to its sinks (driver/sink.ts). It reads time only through its Clock and keeps O(1)
// state per phase: arrivals that wait for a slot are indices, not request bodies.
import { setMaxListeners } from 'node:events';
import type { RequestInput, RequestOutcome } from '../client/openai.js';
import { newHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import { phaseArrivalsMs } from '../schedule/arrivals.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { Clock } from '../util/clock.js';
import { DEFAULT_LOOKAHEAD, Lookahead } from './lookahead.js';
import { startSlots } from './slots.js';
import type { Planner, RequestPlan } from '../workload/plan.js';
import type { LiveView, PhaseCounts, RunSink } from './sink.js';

export type { LiveView, PhaseCounts, RunSink } from './sink.js';

/** What the driver needs from a client: the OpenAI client, or a fake in tests. */
export interface RequestSender {
  send(input: RequestInput): Promise<RequestOutcome>;
  readonly inFlightCount: number;
}

/** Arrivals over an open phase's max_concurrency that may wait for a slot; later ones are dropped. */
export const DEFAULT_MAX_WAITING = 10_000;

export interface DriverOptions {
  planner: Planner;
  phases: PhasePlan[];
  client: RequestSender;
  clock: Clock;
  seed: number;
  sinks?: RunSink[];
  /** Which slice of each phase's schedule this process sends: request i goes to shard i mod count. */
  shard?: { index: number; count: number };
  /** Most arrivals waiting for a slot at once (open loop with max_concurrency); default DEFAULT_MAX_WAITING. */
  maxWaiting?: number;
  /** Tick period of the sinks (default 1000 ms). */
  tickMs?: number;
  /** Open loop: arrivals (and bodies) read ahead of the pacer; default DEFAULT_LOOKAHEAD. */
  lookahead?: number;
  /** Open loop: bodies built before a phase's clock starts (default: the whole look-ahead, within 200 ms; `run --no-warm-start` passes 1, as before the warm start). */
  prefill?: number;
  /**
   * Awaited before each phase starts: another Driver's turn (A/B interleaved rounds) or a start
   * agreed with it (A/B mirrored). A number is the phase's start instant on the clock: the phase waits
   * for it and its schedule counts from it, so two Drivers given the same instant send together.
   */
  beforePhase?: (phase: PhasePlan) => Promise<number | null>;
}

/** No body build starts this close to the next send's due time: it would make that send late. */
const BUILD_GUARD_MS = 2;

/** Closed loop: plans built ahead of the slots that will send them (at most this many, shared). */
const CLOSED_PREPLANNED = 16;

/** Time a phase may spend building its first bodies before its clock starts (the rest are built in its slack). */
const PREFILL_BUDGET_MS = 200;

export interface DriverRun {
  phases: PhaseCounts[];
  /** Lateness of the pacer for requests that had a free slot: the harness's own delay. */
  dispatchLag: Histogram;
  interrupted: boolean;
}

type Counts = Omit<PhaseCounts, 'plan' | 'startedAtMs' | 'endedAtMs' | 'requestsSent'>;

/** The live state the sinks see; one object, updated in place. */
class LiveState implements LiveView {
  atMs = 0;
  phase: PhasePlan | null = null;
  phaseStartedAtMs = 0;
  scheduled = 0;
  started = 0;
  sent = 0;
  done = 0;
  errors = 0;
  finished: PhaseCounts[] = [];
  dispatchLag = newHistogram();
  stopped = false;
  get inFlight(): number {
    return this.sent - this.done;
  }
}

export class Driver {
  /** Wakes every wait (pacer, think times, phase end) at once on stop. */
  private readonly stopSignal = new AbortController();
  private readonly live = new LiveState();
  private readonly sinks: RunSink[];
  private readonly lagSinks: RunSink[];

  constructor(private readonly opts: DriverOptions) {
    this.sinks = opts.sinks ?? [];
    this.lagSinks = this.sinks.filter((s) => s.dispatchLag !== undefined);
    // Every conversation in its think time waits on this signal: no listener limit applies.
    setMaxListeners(0, this.stopSignal.signal);
  }

  /** Stops scheduling new requests; in-flight ones finish (or are aborted by the caller). */
  stop(): void {
    if (this.live.stopped) return;
    this.live.stopped = true;
    this.stopSignal.abort();
  }

  get isStopped(): boolean {
    return this.live.stopped;
  }

  async run(): Promise<DriverRun> {
    const clock = this.opts.clock;
    const tickMs = this.opts.tickMs ?? 1000;
    let cancelTick = () => {};
    const tick = () => {
      this.live.atMs = clock.now();
      for (const s of this.sinks) s.tick?.(this.live);
      cancelTick = clock.at((Math.floor(this.live.atMs / tickMs) + 1) * tickMs, tick);
    };
    cancelTick = clock.at((Math.floor(clock.now() / tickMs) + 1) * tickMs, tick);
    try {
      for (const phase of this.opts.phases) {
        if (this.live.stopped) break;
        const agreedAtMs = this.opts.beforePhase ? await this.opts.beforePhase(phase) : null;
        if (this.live.stopped) break;
        this.live.finished.push(await this.runPhase(phase, agreedAtMs));
        for (const s of this.sinks) s.phaseEnd?.(this.live.finished[this.live.finished.length - 1]);
      }
    } finally {
      cancelTick();
      this.live.atMs = clock.now();
      for (const s of this.sinks) await s.close?.(this.live);
    }
    return { phases: this.live.finished, dispatchLag: this.live.dispatchLag, interrupted: this.live.stopped };
  }

  private async runPhase(phase: PhasePlan, agreedAtMs: number | null): Promise<PhaseCounts> {
    // An open phase builds its first bodies before its clock starts (start() stamps it), so the
    // first prompts' synthesis (on a cold JIT, milliseconds) never makes the first arrivals late.
    let startedAtMs = 0;
    // A closed loop starts its slots at the agreed instant; an open one counts its arrivals from it.
    if (agreedAtMs !== null && phase.load.kind === 'closed') await this.opts.clock.waitUntil(agreedAtMs, this.stopSignal.signal);
    const start = (): number => {
      startedAtMs = agreedAtMs ?? this.opts.clock.now();
      Object.assign(this.live, { phase, phaseStartedAtMs: startedAtMs, scheduled: 0, started: 0, sent: 0, done: 0, errors: 0 });
      for (const s of this.sinks) s.phaseStart?.(phase, startedAtMs);
      return startedAtMs;
    };
    const counts = phase.load.kind === 'closed' ? await this.runClosed(phase, phase.load.concurrency, start()) : await this.runOpen(phase, start, agreedAtMs);
    return { plan: phase, startedAtMs, endedAtMs: this.opts.clock.now(), ...counts, requestsSent: this.live.sent };
  }

  /** This shard's part of an in-flight count, so N shards together hold `total` (at least 1 each). */
  private share(total: number): number {
    const s = this.opts.shard;
    return s ? Math.max(1, Math.floor(total / s.count) + (s.index < total % s.count ? 1 : 0)) : total;
  }

  /** Is request i of a phase this process's to send? */
  private mine(i: number): boolean {
    const s = this.opts.shard;
    return !s || i % s.count === s.index;
  }

  private async runOpen(phase: PhasePlan, start: () => number, agreedAtMs: number | null): Promise<Counts> {
    const load = phase.load as Extract<PhasePlan['load'], { kind: 'open' }>;
    const clock = this.opts.clock;
    const live = this.live;
    const cap = load.maxConcurrency === null ? Infinity : this.share(load.maxConcurrency);
    // Arrival times: a trace's rows, or the load model's process drawn from its own seeded stream
    // (identical in every shard and worker).
    const arrivals = phaseArrivalsMs(phase, this.opts.seed);
    const waiting = new IndexQueue(this.opts.maxWaiting ?? DEFAULT_MAX_WAITING);
    const inFlight = new Counter();
    let scheduled = 0;
    let sent = 0;
    let dropped = 0;
    let lastSentAtMs = 0;

    const launch = (plan: RequestPlan, dueAtMs: number) => {
      inFlight.up();
      sent++;
      live.started++;
      lastSentAtMs = clock.now();
      void this.converse(plan, dueAtMs, phase, phaseEndAtMs).then(() => {
        // The slot is free: the longest-waiting arrival takes it, its body built only now.
        if (waiting.size > 0 && !live.stopped) {
          const index = waiting.peekIndex();
          const due = waiting.peekDue();
          waiting.shift();
          launch(this.opts.planner.plan(phase.index, index), due);
        }
        inFlight.down();
      });
    };

    // Arrivals are read ahead (indices and offsets) and their bodies built in the slack before they
    // are due (driver/lookahead.ts); the first ones before the phase's clock starts.
    const ahead = new Lookahead(arrivals, (k) => this.mine(k), (k) => this.opts.planner.plan(phase.index, k), this.opts.lookahead ?? DEFAULT_LOOKAHEAD);
    // Bodies are built ahead only for arrivals likely to find a free slot: one that will wait holds no
    // body (it is built when its slot frees), so a saturated phase builds nothing twice.
    const room = () => cap - inFlight.value;
    // A start agreed with another Driver (ab) is not pushed back: the prefill ends before it.
    const prefillMs = agreedAtMs === null ? PREFILL_BUDGET_MS : Math.min(PREFILL_BUDGET_MS, agreedAtMs - clock.now() - BUILD_GUARD_MS);
    ahead.prefill(Math.min(this.opts.prefill ?? ahead.capacity, room()), clock.now, prefillMs);
    let startedAtMs = Number.NaN;
    // A conversation starts no new turn after its phase's duration (the phase's end waits for it).
    let phaseEndAtMs = Infinity;
    for (;;) {
      if (live.stopped) break;
      const arrival = ahead.shift();
      if (arrival === null) break;
      if (Number.isNaN(startedAtMs)) {
        startedAtMs = lastSentAtMs = start();
        if (phase.durationMs !== null) phaseEndAtMs = startedAtMs + phase.durationMs;
      }
      const dueAtMs = startedAtMs + arrival.offsetMs;
      await this.waitBuilding(ahead, dueAtMs, room);
      if (live.stopped) break;
      scheduled++;
      live.scheduled++;
      if (inFlight.value < cap) {
        this.lagged(dueAtMs);
        launch(arrival.plan ?? this.opts.planner.plan(phase.index, arrival.index), dueAtMs);
        // Let another Driver due at the same instant (ab's mirrored side) send before this one plans its next request.
        await Promise.resolve();
      } else if (!waiting.push(arrival.index, dueAtMs)) {
        dropped++; // over the waiting cap: counted, never queued without bound
      }
      // A waiting arrival holds no body: it is built again when a slot frees.
    }
    const i = ahead.read;
    if (Number.isNaN(startedAtMs)) startedAtMs = lastSentAtMs = start(); // nothing of this phase was this process's to send
    // A timed phase ends at its duration: arrivals still waiting for a slot then are dropped (counted,
    // never hidden). A phase that reached its request count first ends with its last arrival.
    const countReached = phase.maxRequests !== null && i >= phase.maxRequests;
    if (phase.durationMs !== null && !countReached && !live.stopped) await clock.waitUntil(startedAtMs + phase.durationMs, this.stopSignal.signal);
    if ((phase.durationMs !== null && !countReached) || live.stopped) dropped += waiting.clear();
    await inFlight.zero();
    // Arrivals still queued when a stop let the in-flight ones finish were never sent either.
    dropped += waiting.clear();
    // A stopped phase sent only until it was stopped: its rate is over that time, not the planned window.
    const windowMs = phase.durationMs !== null && !countReached && !live.stopped ? phase.durationMs : lastSentAtMs - startedAtMs;
    return { scheduled, sent, dropped, achievedRateRps: windowMs > 0 ? Math.round((sent / (windowMs / 1000)) * 1000) / 1000 : null };
  }

  private async runClosed(phase: PhasePlan, concurrency: number, startedAtMs: number): Promise<Counts> {
    const clock = this.opts.clock;
    const endAtMs = phase.durationMs === null ? Infinity : startedAtMs + phase.durationMs;
    const maxRequests = phase.maxRequests ?? Infinity;
    let next = 0;
    let sent = 0;
    const planNext = (): RequestPlan | null => {
      while (next < maxRequests) {
        const index = next++;
        if (this.mine(index)) return this.opts.planner.plan(phase.index, index);
      }
      return null;
    };
    // Plans built while requests stream, shared by every slot: the next slot to free takes the oldest.
    // A slot never keeps a plan of its own for later, which held half of a `--requests` phase back
    // (c=1024 with 1,024 requests had 512 in flight) and kept free slots idle at the end.
    const ready: RequestPlan[] = [];
    const readyMax = Math.min(CLOSED_PREPLANNED, this.share(concurrency));
    const take = (): RequestPlan | null => ready.shift() ?? planNext();
    const loop = async () => {
      let plan = take();
      // The intended send time of a closed-loop request is the moment its slot freed: for a slot's
      // first request, the phase's start (a slot started late shows as queue time).
      let freedAtMs = startedAtMs;
      while (plan && !this.live.stopped && clock.now() < endAtMs) {
        sent++;
        this.live.started++;
        // A conversation holds its slot through every turn and think time: a slot is one user.
        const inFlight = this.converse(plan, freedAtMs, phase, endAtMs);
        if (ready.length < readyMax) {
          const ahead = planNext(); // synthesise a prompt while this one streams
          if (ahead) ready.push(ahead);
        }
        // A conversation whose next turn fell past the phase's end leaves its user thinking: the slot
        // is done, rather than firing new conversations' first turns back to back until the end.
        if ((await inFlight) === 'phase_end') break;
        freedAtMs = clock.now();
        plan = take();
      }
    };
    // Shards split the in-flight count too, so N shards together keep `concurrency` in flight.
    await startSlots(this.share(concurrency), loop, () => this.live.stopped); // yields while a big phase starts
    return { scheduled: sent, sent, dropped: 0, achievedRateRps: null };
  }

  /**
   * Waits until `dueAtMs`, building the look-ahead's next bodies one at a time while the slack allows
   * (and only as many as there are free slots, `room()`):
   * each build is followed by a turn of the event loop (sockets, stamps, timers), and none starts
   * within BUILD_GUARD_MS (or twice the last build's time) of the due time.
   */
  private async waitBuilding(ahead: Lookahead, dueAtMs: number, room: () => number): Promise<void> {
    const clock = this.opts.clock;
    let lastBuildMs = 0;
    while (!this.live.stopped && ahead.pending && ahead.built < room() && dueAtMs - clock.now() > Math.max(BUILD_GUARD_MS, 2 * lastBuildMs)) {
      const t = clock.now();
      ahead.buildOne();
      lastBuildMs = clock.now() - t;
      await clock.turn();
    }
    await clock.waitUntil(dueAtMs, this.stopSignal.signal);
  }

  /**
   * Sends a request and, for a conversation class, each follow-up in turn: the next user turn after
   * its think time, or the tool results right away. A turn's intended send time is the end of the
   * reply plus the think time (planning the next turn happens inside it), so a late send shows as
   * queueMs and in the dispatch lag. Ends on an error, a stop, or when the next turn would start
   * after `endAtMs` ('phase_end').
   */
  private async converse(plan: RequestPlan, dueAtMs: number, phase: PhasePlan, endAtMs: number): Promise<'done' | 'phase_end'> {
    const clock = this.opts.clock;
    let current = plan;
    let scheduledAtMs = dueAtMs;
    for (;;) {
      const outcome = await this.sendOne(current, scheduledAtMs, phase);
      const followUp = this.opts.planner.followUp;
      if (current.conversation === undefined || followUp === undefined || this.live.stopped || outcome.record.status !== 'ok') return 'done';
      const replyEndedAtMs = clock.now();
      const next = followUp.call(this.opts.planner, current, { text: outcome.text, toolCalls: outcome.toolCalls ?? null, finishReason: outcome.record.finishReason });
      if (next === null) return 'done';
      scheduledAtMs = replyEndedAtMs + next.thinkMs;
      if (scheduledAtMs >= endAtMs) return 'phase_end';
      await clock.waitUntil(scheduledAtMs, this.stopSignal.signal);
      if (this.live.stopped) return 'done';
      this.lagged(scheduledAtMs);
      current = next.plan;
    }
  }

  /** A send going out now, due at `dueAtMs`: its lateness into the run's histogram and to each sink that follows it as it happens. */
  private lagged(dueAtMs: number): void {
    const atMs = this.opts.clock.now();
    const lagMs = atMs - dueAtMs;
    recordMs(this.live.dispatchLag, lagMs);
    for (const s of this.lagSinks) s.dispatchLag!(lagMs, atMs);
  }

  private async sendOne(plan: RequestPlan, scheduledAtMs: number, phase: PhasePlan): Promise<RequestOutcome> {
    const live = this.live;
    let onGap: ((gapMs: number) => void) | undefined;
    for (const s of this.sinks) onGap ??= s.gapListener?.(phase, plan.className);
    live.sent++;
    const outcome = await this.opts.client.send({ plan, phase: phase.name, scheduledAtMs, onGap });
    live.done++;
    if (outcome.record.status === 'error') live.errors++;
    const atMs = this.opts.clock.now();
    for (const s of this.sinks) s.record?.(outcome.record, outcome, plan, atMs);
    return outcome;
  }
}

/** In-flight count with one waiter for zero: the drain costs O(1) per completion, not a race over all. */
class Counter {
  value = 0;
  private onZero: (() => void) | null = null;
  up(): void {
    this.value++;
  }
  down(): void {
    if (--this.value === 0 && this.onZero) {
      const wake = this.onZero;
      this.onZero = null;
      wake();
    }
  }
  zero(): Promise<void> {
    if (this.value === 0) return Promise.resolve();
    return new Promise((resolve) => (this.onZero = resolve));
  }
}

/** A bounded FIFO of waiting arrivals (index, due time) in a ring of typed arrays. */
class IndexQueue {
  private index = new Float64Array(16);
  private due = new Float64Array(16);
  private head = 0;
  size = 0;
  constructor(private readonly max: number) {}

  /** false when full (the arrival is dropped). */
  push(index: number, dueAtMs: number): boolean {
    if (this.size >= this.max) return false;
    if (this.size === this.index.length) this.grow();
    const at = (this.head + this.size) % this.index.length;
    this.index[at] = index;
    this.due[at] = dueAtMs;
    this.size++;
    return true;
  }
  peekIndex(): number {
    return this.index[this.head];
  }
  peekDue(): number {
    return this.due[this.head];
  }
  shift(): void {
    this.head = (this.head + 1) % this.index.length;
    this.size--;
  }
  /** Empties the queue; returns how many were in it. */
  clear(): number {
    const n = this.size;
    this.head = 0;
    this.size = 0;
    return n;
  }
  private grow(): void {
    const n = this.index.length;
    const index = new Float64Array(n * 2);
    const due = new Float64Array(n * 2);
    for (let k = 0; k < this.size; k++) {
      index[k] = this.index[(this.head + k) % n];
      due[k] = this.due[(this.head + k) % n];
    }
    this.index = index;
    this.due = due;
    this.head = 0;
  }
}
