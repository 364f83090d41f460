// The driver: runs phases in order, pulling plans from the planner, pacing them (open loop) or
// keeping N in flight (closed loop), sending them through the client, and feeding each record to
// the accumulator, the time series and the optional records stream. It owns no I/O of its own.
import { setMaxListeners } from 'node:events';
import type { RequestRecord } from '../client/record.js';
import type { RequestInput, RequestOutcome } from '../client/openai.js';
import { PhaseStats } from '../metrics/accumulator.js';
import { newHistogram, recordMs, percentileMs, type Histogram } from '../metrics/histogram.js';
import { Timeseries, type TimeseriesPoint } from '../metrics/timeseries.js';
import { arrivalOffsetsMs } from '../schedule/arrivals.js';
import type { PhasePlan } from '../schedule/phases.js';
import { waitUntil } from '../schedule/timer.js';
import { startSlots } from './slots.js';
import { rngFor } from '../util/rng.js';
import type { Planner, RequestPlan } from '../workload/plan.js';
import type { GoodputCriteria } from '../gates/goodput.js';

/** What the driver needs from a client: the OpenAI client, or a fake in tests. */
export interface RequestSender {
  send(input: RequestInput): Promise<RequestOutcome>;
  readonly inFlightCount: number;
}

export interface DriverOptions {
  planner: Planner;
  phases: PhasePlan[];
  client: RequestSender;
  /** Monotonic ms since run start. */
  now: () => number;
  seed: number;
  classNames: readonly string[];
  /** Every finished request, in completion order (records.jsonl). */
  onRecord?: (record: RequestRecord, outcome: RequestOutcome) => void;
  /** Errors/validity samples kept per class. */
  samplesPerClass?: number;
  /** Which slice of each phase's schedule this process sends: request i goes to shard i mod count. */
  shard?: { index: number; count: number };
  /** Per-request goodput criteria: the accumulator counts the requests that meet them. */
  goodput?: GoodputCriteria | null;
}

export interface PhaseRun {
  plan: PhasePlan;
  /** null for warm-up phases (record: false). */
  stats: PhaseStats | null;
  startedAtMs: number;
  endedAtMs: number;
  /** Arrivals: requests, or conversations for conversation classes (each counts once). */
  scheduled: number;
  sent: number;
  dropped: number;
  achievedRateRps: number | null;
  /** Requests sent, every turn of a conversation included. */
  requestsSent?: number;
}

export interface DriverResult {
  phases: PhaseRun[];
  timeseries: TimeseriesPoint[];
  errorSamples: Record<string, string[]>;
  validitySamples: Record<string, string[]>;
  /** Lateness of the pacer for requests that had a free slot: the harness's own delay. */
  dispatchLag: Histogram;
  interrupted: boolean;
}

export interface Progress {
  phase: string;
  phaseElapsedS: number;
  sent: number;
  done: number;
  errors: number;
  inFlight: number;
  /** TTFT p50 of requests finished since the last progress read. */
  recentTtftP50Ms: number | null;
  recentDone: number;
}

export class Driver {
  private stopped = false;
  /** Wakes the pacer's wait at once on stop (a low-rate phase may otherwise sleep a whole gap). */
  private readonly stopSignal = new AbortController();
  private readonly timeseries: Timeseries;
  private readonly errorSamples: Record<string, string[]> = {};
  private readonly validitySamples: Record<string, string[]> = {};
  private readonly dispatchLag = newHistogram();
  private readonly recentTtft = newHistogram();
  private recentDone = 0;
  /** The running phase: `started` counts arrivals (conversations), `sent`/`done`/`errors` requests. */
  private current = { phase: '', startedAtMs: 0, scheduled: 0, started: 0, sent: 0, done: 0, errors: 0 };
  /** Finished phases, and the one running now (for snapshots). */
  private readonly completed: PhaseRun[] = [];
  private live: { plan: PhasePlan; stats: PhaseStats | null; startedAtMs: number } | null = null;
  private wakeStop: (() => void) | null = null;

  constructor(private readonly opts: DriverOptions) {
    this.timeseries = new Timeseries(1000, () => opts.client.inFlightCount);
    // Every conversation in its think time waits on this signal: no listener limit applies.
    setMaxListeners(0, this.stopSignal.signal);
  }

  /** Stops scheduling new requests; in-flight ones finish (or are aborted by the caller). */
  stop(): void {
    this.stopped = true;
    this.stopSignal.abort();
    this.wakeStop?.();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  progress(): Progress {
    const p: Progress = {
      phase: this.current.phase,
      phaseElapsedS: (this.opts.now() - this.current.startedAtMs) / 1000,
      sent: this.current.sent,
      done: this.current.done,
      errors: this.current.errors,
      inFlight: this.opts.client.inFlightCount,
      recentTtftP50Ms: this.recentTtft.totalCount > 0 ? percentileMs(this.recentTtft, 50) : null,
      recentDone: this.recentDone,
    };
    this.recentTtft.reset();
    this.recentDone = 0;
    this.timeseries.tick(this.opts.now(), this.current.phase);
    return p;
  }

  /**
   * The run so far, shaped like run()'s result (for checkpoints): the finished phases, then the
   * running one with the requests that have completed (in-flight ones are not in it yet), its
   * wall time up to now and no drops counted. Time series: whole intervals only. The histograms are
   * the live ones, so encode the snapshot (assembleResult) before the next request completes.
   */
  snapshot(): DriverResult {
    const phases = [...this.completed];
    const live = this.live;
    if (live) {
      const endedAtMs = this.opts.now();
      const elapsedMs = endedAtMs - live.startedAtMs;
      const sent = this.current.started;
      phases.push({
        plan: live.plan,
        stats: live.stats,
        startedAtMs: live.startedAtMs,
        endedAtMs,
        scheduled: Math.max(this.current.scheduled, sent),
        sent,
        dropped: 0,
        achievedRateRps: live.plan.load.kind === 'open' && elapsedMs > 0 ? Math.round((sent / (elapsedMs / 1000)) * 1000) / 1000 : null,
        requestsSent: this.current.sent,
      });
    }
    return {
      phases,
      timeseries: [...this.timeseries.points],
      errorSamples: structuredClone(this.errorSamples),
      validitySamples: structuredClone(this.validitySamples),
      dispatchLag: this.dispatchLag,
      interrupted: this.stopped,
    };
  }

  async run(): Promise<DriverResult> {
    const runs = this.completed;
    for (const phase of this.opts.phases) {
      if (this.stopped) break;
      runs.push(await this.runPhase(phase));
    }
    this.live = null;
    return {
      phases: runs,
      timeseries: this.timeseries.finish(),
      errorSamples: this.errorSamples,
      validitySamples: this.validitySamples,
      dispatchLag: this.dispatchLag,
      interrupted: this.stopped,
    };
  }

  private async runPhase(phase: PhasePlan): Promise<PhaseRun> {
    const now = this.opts.now;
    const stats = phase.record ? new PhaseStats(this.opts.classNames, this.opts.goodput ?? null) : null;
    // An open phase plans its first request before its clock starts (start() stamps it), so the
    // first prompt's synthesis (on a cold JIT, milliseconds) never makes the first arrival late.
    let startedAtMs = 0;
    const start = (): number => {
      startedAtMs = now();
      this.current = { phase: phase.name, startedAtMs, scheduled: 0, started: 0, sent: 0, done: 0, errors: 0 };
      this.live = { plan: phase, stats, startedAtMs };
      return startedAtMs;
    };
    const counts =
      phase.load.kind === 'closed'
        ? await this.runClosed(phase, phase.load.concurrency, stats, start())
        : await this.runOpen(phase, stats, start);
    const endedAtMs = now();
    return { plan: phase, stats, startedAtMs, endedAtMs, ...counts, requestsSent: this.current.sent };
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

  private async runOpen(
    phase: PhasePlan,
    stats: PhaseStats | null,
    start: () => number,
  ): Promise<Omit<PhaseRun, 'plan' | 'stats' | 'startedAtMs' | 'endedAtMs'>> {
    const load = phase.load as Extract<PhasePlan['load'], { kind: 'open' }>;
    const now = this.opts.now;
    const cap = load.maxConcurrency === null ? Infinity : this.share(load.maxConcurrency);
    // Arrival times come from their own seeded stream, identical in every shard and worker.
    // A trace phase brings its own offsets (the replayed arrivals); the others draw them.
    const arrivals = phase.offsetsMs ?? arrivalOffsetsMs(load, phase.durationMs, phase.maxRequests, rngFor(this.opts.seed, phase.index, 0x41a7));
    const waiting: { plan: RequestPlan; dueAtMs: number }[] = [];
    let waitHead = 0;
    let inFlight = 0;
    let scheduled = 0;
    let sent = 0;
    let lastSentAtMs = 0;
    const pending = new Set<Promise<void>>();

    const launch = (plan: RequestPlan, dueAtMs: number) => {
      inFlight++;
      sent++;
      this.current.started++;
      lastSentAtMs = now();
      const p: Promise<void> = this.converse(plan, dueAtMs, phase, stats, phaseEndAtMs).then(() => {
        inFlight--;
        pending.delete(p);
        if (waitHead < waiting.length && !this.stopped) {
          const next = waiting[waitHead];
          waiting[waitHead++] = undefined as never;
          launch(next.plan, next.dueAtMs);
        }
      });
      pending.add(p);
    };

    let i = 0;
    let startedAtMs = Number.NaN;
    // A conversation starts no new turn after its phase's duration (the phase's end waits for it).
    let phaseEndAtMs = Infinity;
    for (const offsetMs of arrivals) {
      if (this.stopped) break;
      const index = i++;
      if (!this.mine(index)) continue;
      // Plan before the due time, so prompt synthesis never delays the send.
      const plan = this.opts.planner.plan(phase.index, index);
      if (Number.isNaN(startedAtMs)) {
        startedAtMs = lastSentAtMs = start();
        if (phase.durationMs !== null) phaseEndAtMs = startedAtMs + phase.durationMs;
      }
      const dueAtMs = startedAtMs + offsetMs;
      await waitUntil(dueAtMs, now, this.stopSignal.signal);
      if (this.stopped) break;
      scheduled++;
      this.current.scheduled++;
      if (inFlight < cap) {
        recordMs(this.dispatchLag, now() - dueAtMs);
        launch(plan, dueAtMs);
      } else {
        waiting.push({ plan, dueAtMs });
      }
    }
    if (Number.isNaN(startedAtMs)) startedAtMs = lastSentAtMs = start(); // nothing of this phase was this process's to send
    // A timed phase ends at its duration: arrivals still waiting for a slot then are dropped (counted,
    // never hidden). A phase that reached its request count first ends with its last arrival.
    const countReached = phase.maxRequests !== null && i >= phase.maxRequests;
    let dropped = 0;
    if (phase.durationMs !== null && !countReached && !this.stopped) await this.sleepUntil(startedAtMs + phase.durationMs);
    if ((phase.durationMs !== null && !countReached) || this.stopped) {
      dropped = waiting.length - waitHead;
      waitHead = waiting.length;
    }
    while (pending.size > 0) await Promise.race(pending);
    // Arrivals still queued when a stop let the in-flight ones finish were never sent either.
    dropped += waiting.length - waitHead;
    waitHead = waiting.length;
    const windowMs = phase.durationMs !== null && !countReached ? phase.durationMs : lastSentAtMs - startedAtMs;
    return {
      scheduled,
      sent,
      dropped,
      achievedRateRps: windowMs > 0 ? Math.round((sent / (windowMs / 1000)) * 1000) / 1000 : null,
    };
  }

  private async runClosed(
    phase: PhasePlan,
    concurrency: number,
    stats: PhaseStats | null,
    startedAtMs: number,
  ): Promise<Omit<PhaseRun, 'plan' | 'stats' | 'startedAtMs' | 'endedAtMs'>> {
    const now = this.opts.now;
    const endAtMs = phase.durationMs === null ? Infinity : startedAtMs + phase.durationMs;
    const maxRequests = phase.maxRequests ?? Infinity;
    let next = 0;
    let sent = 0;
    const take = (): RequestPlan | null => {
      while (next < maxRequests) {
        const index = next++;
        if (this.mine(index)) return this.opts.planner.plan(phase.index, index);
      }
      return null;
    };
    const loop = async () => {
      let plan = take();
      // The intended send time of a closed-loop request is the moment its slot freed.
      let freedAtMs = now();
      while (plan && !this.stopped && now() < endAtMs) {
        sent++;
        this.current.started++;
        // A conversation holds its slot through every turn and think time: a slot is one user.
        const inFlight = this.converse(plan, freedAtMs, phase, stats, endAtMs);
        plan = take(); // synthesise the next prompt while this one streams
        // A conversation whose next turn fell past the phase's end leaves its user thinking: the slot
        // is done, rather than firing new conversations' first turns back to back until the end.
        if ((await inFlight) === 'phase_end') break;
        freedAtMs = now();
      }
    };
    // Shards split the in-flight count too, so N shards together keep `concurrency` in flight.
    await startSlots(this.share(concurrency), loop, () => this.stopped); // yields while a big phase starts
    return { scheduled: sent, sent, dropped: 0, achievedRateRps: null };
  }

  /**
   * Sends a request and, for a conversation class, each follow-up in turn: the next user turn after
   * its think time, or the tool results right away. A turn's intended send time is the end of the
   * reply plus the think time (planning the next turn happens inside it), so a late send shows as
   * queueMs and in the dispatch lag. Ends on an error, a stop, or when the next turn would start
   * after `endAtMs` ('phase_end').
   */
  private async converse(plan: RequestPlan, dueAtMs: number, phase: PhasePlan, stats: PhaseStats | null, endAtMs: number): Promise<'done' | 'phase_end'> {
    const now = this.opts.now;
    let current = plan;
    let scheduledAtMs = dueAtMs;
    for (;;) {
      const outcome = await this.sendOne(current, scheduledAtMs, phase, stats);
      const followUp = this.opts.planner.followUp;
      if (current.conversation === undefined || followUp === undefined || this.stopped || outcome.record.status !== 'ok') return 'done';
      const replyEndedAtMs = now();
      const next = followUp.call(this.opts.planner, current, { text: outcome.text, toolCalls: outcome.toolCalls ?? null, finishReason: outcome.record.finishReason });
      if (next === null) return 'done';
      scheduledAtMs = replyEndedAtMs + next.thinkMs;
      if (scheduledAtMs >= endAtMs) return 'phase_end';
      await waitUntil(scheduledAtMs, now, this.stopSignal.signal);
      if (this.stopped) return 'done';
      recordMs(this.dispatchLag, now() - scheduledAtMs);
      current = next.plan;
    }
  }

  private async sendOne(plan: RequestPlan, scheduledAtMs: number, phase: PhasePlan, stats: PhaseStats | null): Promise<RequestOutcome> {
    this.current.sent++;
    const outcome = await this.opts.client.send({
      plan,
      phase: phase.name,
      scheduledAtMs,
      onGap: stats ? stats.gapSink(plan.className) : undefined,
    });
    const r = outcome.record;
    this.current.done++;
    if (r.status === 'error') this.current.errors++;
    else if (r.ttftMs !== null) recordMs(this.recentTtft, r.ttftMs);
    this.recentDone++;
    stats?.add(r, plan.maxTokens);
    if (outcome.retries) stats?.addRetries(r.class, outcome.retries);
    this.timeseries.add(r, this.opts.now(), phase.name);
    const limit = this.opts.samplesPerClass ?? 5;
    if (r.errorClass && outcome.errorMessage) addSample(this.errorSamples, r.errorClass, outcome.errorMessage, limit);
    if (r.validity && r.validity !== 'valid') {
      addSample(this.validitySamples, r.class, `${r.validity}: ${outcome.validityDetail ?? ''}`.trim(), limit);
    }
    this.opts.onRecord?.(r, outcome);
    return outcome;
  }

  private sleepUntil(atMs: number): Promise<void> {
    const ms = atMs - this.opts.now();
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeStop = done;
    });
  }
}

function addSample(into: Record<string, string[]>, key: string, message: string, limit: number): void {
  const list = (into[key] ??= []);
  if (list.length < limit) list.push(message);
}
