// The live tap: a sink of one measuring process that turns its records and one-second ticks into
// LiveTicks (live/tick.ts) for the live view and the Prometheus endpoint. On the hot path it only adds
// a finished record to a few counters, one bucket per metric and two HDR histograms; everything else
// happens once a second, off the requests' way. The ticks go to `emit`: the parent's LiveModel
// directly in one process, over IPC from a --workers child.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { RequestRecord } from '../client/record.js';
import type { LiveView, PhaseCounts, RunSink } from '../driver/sink.js';
import { recordMs } from '../metrics/histogram.js';
import type { PhasePlan } from '../schedule/phases.js';
import { BUCKETS_S, bucketIndex } from './ladder.js';
import { LIVE_METRICS, liveHistogram, type GroupDelta, type LiveMetric, type LivePhase, type LiveTick, type ServerGauges } from './tick.js';

/** The view's loop-lag monitor wakes every 20 ms (the run's own sampler already watches at 5 ms); its resolution is subtracted. */
const LOOP_RESOLUTION_MS = 20;

export interface LiveTapOptions {
  source?: number;
  emit: (tick: LiveTick) => void;
  /** The engine's latest scraped gauges, when it is scraped. */
  server?: () => ServerGauges | null;
  /** Injectable for tests: CPU time of this process so far (µs) and the loop's delay monitor. */
  cpuUs?: () => number;
  /** Whether close() sends the process's last tick (false for a sweep step: the sweep goes on). Default true. */
  finalOnClose?: boolean;
}

/** A phase's load in a few words, for the view and the endpoint. */
export function describeLoad(plan: PhasePlan): string {
  const l = plan.load;
  if (l.kind === 'closed') return `closed ${l.concurrency}`;
  if (l.arrival === 'trace') return 'open trace replay';
  if (l.ramp) return `open ramp ${l.ramp.fromRps}→${l.ramp.toRps} rps`;
  return `open ${l.rateRps} rps`;
}

function offeredRps(plan: PhasePlan, elapsedMs: number): number | null {
  const l = plan.load;
  if (l.kind !== 'open' || l.arrival === 'trace') return null;
  if (l.rateRps !== null) return l.rateRps;
  if (!l.ramp || plan.durationMs === null || plan.durationMs <= 0) return null;
  const f = Math.min(1, Math.max(0, elapsedMs / plan.durationMs));
  return l.ramp.fromRps + (l.ramp.toRps - l.ramp.fromRps) * f;
}

function emptyGroup(phase: string, className: string): GroupDelta {
  const slots = () => new Array<number>(BUCKETS_S.length + 1).fill(0);
  return {
    phase, className, ok: 0, errors: {}, outputTokens: 0,
    buckets: { ttft: slots(), tpot: slots(), e2e: slots(), queue: slots() },
    sumsS: { ttft: 0, tpot: 0, e2e: 0, queue: 0 },
    ttft: liveHistogram(), tpot: liveHistogram(),
  };
}

export class LiveTap implements RunSink {
  /** phase → class → what finished since the last tick. */
  private readonly groups = new Map<string, Map<string, GroupDelta>>();
  private lastGroup: GroupDelta | null = null;
  private plan: PhasePlan | null = null;
  private phaseStartedAtMs = 0;
  private last = { scheduled: 0, sent: 0 };
  private completed = 0;
  /** The largest dispatch lag since the last tick. */
  private lagMaxMs = 0;
  private readonly loop: IntervalHistogram;
  private cpuAtUs: number;
  private cpuAtMs: number | null = null;
  private cpuPercent = 0;
  private closed = false;

  constructor(private readonly o: LiveTapOptions) {
    this.loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.loop.enable();
    this.cpuAtUs = this.cpuUs();
  }

  private cpuUs(): number {
    if (this.o.cpuUs) return this.o.cpuUs();
    const c = process.cpuUsage();
    return c.user + c.system;
  }

  phaseStart(phase: PhasePlan, atMs: number): void {
    this.plan = phase;
    this.phaseStartedAtMs = atMs;
    this.last = { scheduled: 0, sent: 0 };
  }

  record(r: RequestRecord): void {
    // The last record's group first: no key string is built per record.
    let g = this.lastGroup;
    if (g === null || g.phase !== r.phase || g.className !== r.class) {
      let byClass = this.groups.get(r.phase);
      if (byClass === undefined) this.groups.set(r.phase, (byClass = new Map()));
      g = byClass.get(r.class) ?? null;
      if (g === null) byClass.set(r.class, (g = emptyGroup(r.phase, r.class)));
      this.lastGroup = g;
    }
    this.completed++;
    add(g, 'queue', r.queueMs);
    if (r.status === 'error') {
      const ec = r.errorClass ?? 'unknown';
      g.errors[ec] = (g.errors[ec] ?? 0) + 1;
      return;
    }
    g.ok++;
    g.outputTokens += r.outputTokens ?? 0;
    if (r.ttftMs !== null) {
      add(g, 'ttft', r.ttftMs);
      recordMs(g.ttft, r.ttftMs);
    }
    if (r.tpotMs !== null) {
      add(g, 'tpot', r.tpotMs);
      recordMs(g.tpot, r.tpotMs);
    }
    if (r.e2eMs !== null) add(g, 'e2e', r.e2eMs);
  }

  dispatchLag(lagMs: number): void {
    if (lagMs > this.lagMaxMs) this.lagMaxMs = lagMs;
  }

  tick(view: LiveView): void {
    this.flush(view, { scheduled: view.scheduled, sent: view.sent }, false, false);
  }

  phaseEnd(counts: PhaseCounts): void {
    // The phase's own final counts: what happened between its last tick and its end is not lost.
    const view = { atMs: counts.endedAtMs, inFlight: 0, stopped: false };
    this.flush(view, { scheduled: counts.scheduled, sent: counts.requestsSent ?? counts.sent }, true, false);
    this.plan = null;
  }

  close(view: LiveView): void {
    if (this.closed) return;
    this.closed = true;
    this.flush(view, { scheduled: this.last.scheduled, sent: this.last.sent }, false, this.o.finalOnClose !== false);
    this.loop.disable();
  }

  private flush(view: Pick<LiveView, 'atMs' | 'inFlight' | 'stopped'>, now: { scheduled: number; sent: number }, phaseEnded: boolean, final: boolean): void {
    const plan = this.plan;
    // CPU over at least half a second: a phase end just after a tick would read a meaningless share.
    const cpuUs = this.cpuUs();
    if (this.cpuAtMs === null || view.atMs - this.cpuAtMs >= 500) {
      if (this.cpuAtMs !== null) this.cpuPercent = ((cpuUs - this.cpuAtUs) / 1000 / (view.atMs - this.cpuAtMs)) * 100;
      this.cpuAtUs = cpuUs;
      this.cpuAtMs = view.atMs;
    }
    const cpuPercent = this.cpuPercent;
    const tick: LiveTick = {
      source: this.o.source ?? 0,
      atMs: view.atMs,
      phase: plan === null ? null : {
        name: plan.name, index: plan.index, startedAtMs: this.phaseStartedAtMs, durationMs: plan.durationMs, maxRequests: plan.maxRequests,
        load: describeLoad(plan), offeredRps: offeredRps(plan, view.atMs - this.phaseStartedAtMs),
      },
      arrivals: plan === null ? 0 : Math.max(0, now.scheduled - this.last.scheduled),
      sent: plan === null ? 0 : Math.max(0, now.sent - this.last.sent),
      completed: this.completed,
      inFlight: view.inFlight,
      dispatchLagMaxMs: this.lagMaxMs,
      loopDelayMaxMs: Number.isFinite(this.loop.max) ? Math.max(0, this.loop.max / 1e6 - LOOP_RESOLUTION_MS) : 0,
      cpuPercent: Math.round(cpuPercent * 10) / 10,
      server: this.o.server?.() ?? null,
      groups: [...this.groups.values()].flatMap((byClass) => [...byClass.values()]).filter((g) => g.ok > 0 || Object.keys(g.errors).length > 0),
      phaseEnded,
      stopped: view.stopped,
      final,
    };
    this.last = now;
    this.completed = 0;
    this.lagMaxMs = 0;
    this.loop.reset();
    this.o.emit(tick);
    // The receiver has copied what it keeps (or encoded it): the deltas start again from nothing.
    for (const g of tick.groups) reset(g);
  }
}

function add(g: GroupDelta, metric: LiveMetric, ms: number): void {
  const s = ms > 0 ? ms / 1000 : 0;
  g.buckets[metric][bucketIndex(s)]++;
  g.sumsS[metric] += s;
}

function reset(g: GroupDelta): void {
  g.ok = 0;
  g.errors = {};
  g.outputTokens = 0;
  for (const m of LIVE_METRICS) {
    g.buckets[m].fill(0);
    g.sumsS[m] = 0;
  }
  g.ttft.reset();
  g.tpot.reset();
}
