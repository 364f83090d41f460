// The live model: LiveTicks in (live/tick.ts, from one process or many), the run's state so far out,
// for the terminal view (live/frame.ts) and the Prometheus endpoint (live/prometheus.ts). Counts and
// bucket counts add up exactly across processes; TTFT/TPOT percentiles come from HDR histograms since
// the start and over the last 10 s (one histogram per second, merged when asked).
import { percentileMs, type Histogram } from '../metrics/histogram.js';
import { BUCKETS_S } from './ladder.js';
import { LIVE_METRICS, liveHistogram, type GroupDelta, type LiveMetric, type LivePhase, type LiveTick, type ServerGauges } from './tick.js';

export const ALL = '*';
/** Seconds of the view's "recent" percentiles and rates. */
export const WINDOW_S = 10;
const RATE_WINDOW_S = 5;

export interface Quantiles {
  p50Ms: number | null;
  p99Ms: number | null;
}

export class GroupState {
  ok = 0;
  readonly errors = new Map<string, number>();
  outputTokens = 0;
  readonly buckets: Record<LiveMetric, number[]>;
  readonly sumsS: Record<LiveMetric, number> = { ttft: 0, tpot: 0, e2e: 0, queue: 0 };
  readonly ttft = liveHistogram();
  readonly tpot = liveHistogram();
  /** Second of the run → that second's TTFT and TPOT (the last WINDOW_S kept)... */
  readonly recent = new Map<number, { ttft: Histogram; tpot: Histogram }>();
  /** ...and their sum, kept as seconds come and go, so a frame reads the window without merging ten histograms. */
  private readonly recentSum = { ttft: liveHistogram(), tpot: liveHistogram() };
  private readonly spare: { ttft: Histogram; tpot: Histogram }[] = [];

  constructor(
    readonly phase: string,
    readonly className: string,
  ) {
    const slots = () => new Array<number>(BUCKETS_S.length + 1).fill(0);
    this.buckets = { ttft: slots(), tpot: slots(), e2e: slots(), queue: slots() };
  }

  get failed(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  add(d: GroupDelta, second: number): void {
    this.ok += d.ok;
    for (const [k, v] of Object.entries(d.errors)) this.errors.set(k, (this.errors.get(k) ?? 0) + v);
    this.outputTokens += d.outputTokens;
    for (const m of LIVE_METRICS) {
      const into = this.buckets[m];
      const from = d.buckets[m];
      for (let i = 0; i < into.length; i++) into[i] += from[i] ?? 0;
      this.sumsS[m] += d.sumsS[m];
    }
    if (d.ttft.totalCount === 0 && d.tpot.totalCount === 0) return;
    this.ttft.add(d.ttft);
    this.tpot.add(d.tpot);
    let s = this.recent.get(second);
    if (s === undefined) {
      this.evict(second - WINDOW_S);
      // An evicted second's histograms are reused: no 2 × 70 KB allocation per group each second.
      s = this.spare.pop() ?? { ttft: liveHistogram(), tpot: liveHistogram() };
      this.recent.set(second, s);
    }
    s.ttft.add(d.ttft);
    s.tpot.add(d.tpot);
    this.recentSum.ttft.add(d.ttft);
    this.recentSum.tpot.add(d.tpot);
  }

  /** Drops the seconds up to `second` from the window. */
  private evict(second: number): void {
    for (const [k, s] of this.recent) {
      if (k > second) continue;
      this.recentSum.ttft.subtract(s.ttft);
      this.recentSum.tpot.subtract(s.tpot);
      this.recent.delete(k);
      s.ttft.reset();
      s.tpot.reset();
      this.spare.push(s);
    }
  }

  /** p50/p99 since the start, or over the seconds after `sinceSecond` (the recent window; seconds up to it are dropped, so it only moves forward). */
  quantiles(metric: 'ttft' | 'tpot', sinceSecond?: number): Quantiles {
    let h: Histogram;
    if (sinceSecond === undefined) h = this[metric];
    else {
      this.evict(sinceSecond);
      h = this.recentSum[metric];
    }
    if (h.totalCount === 0) return { p50Ms: null, p99Ms: null };
    return { p50Ms: percentileMs(h, 50), p99Ms: percentileMs(h, 99) };
  }
}

export interface PhaseState {
  info: LivePhase;
  endedAtMs: number | null;
  arrivals: number;
  sent: number;
  completed: number;
  /** Second of the run → arrivals, sends and completions in it (all processes). */
  perSecond: Map<number, { arrivals: number; sent: number; completed: number }>;
}

export interface SourceState {
  atMs: number;
  inFlight: number;
  dispatchLagMaxMs: number;
  loopDelayMaxMs: number;
  cpuPercent: number;
  stopped: boolean;
  final: boolean;
}

export interface UpcomingPhase {
  name: string;
  index: number;
  durationMs: number | null;
  maxRequests: number | null;
}

export interface LiveModelOptions {
  /** First line of the view: what runs (workload, target). */
  title: string;
  /** Every phase the run will have, in order (for the remaining time); empty when unknown (sweep). */
  phases?: UpcomingPhase[];
  /** Processes feeding the model (--workers). */
  sources?: number;
}

export class LiveModel {
  readonly phases = new Map<string, PhaseState>();
  readonly groups = new Map<string, GroupState>();
  readonly sources = new Map<number, SourceState>();
  server: ServerGauges | null = null;
  atMs = 0;
  current: string | null = null;
  /** A line the command sets (the sweep's current step). */
  note = '';
  /** Run-level facts for loadshape_run_info (run id, workload, model, target, version). */
  info: Record<string, string> = {};
  private ended = false;
  /** Lines the run logged while the view held the screen (newest last). */
  readonly log: string[] = [];

  constructor(readonly options: LiveModelOptions) {}

  apply(t: LiveTick): void {
    this.atMs = Math.max(this.atMs, t.atMs);
    this.sources.set(t.source, { atMs: t.atMs, inFlight: t.inFlight, dispatchLagMaxMs: t.dispatchLagMaxMs, loopDelayMaxMs: t.loopDelayMaxMs, cpuPercent: t.cpuPercent, stopped: t.stopped, final: t.final });
    if (t.server) this.server = t.server;
    const second = Math.floor(t.atMs / 1000);
    if (t.phase) this.applyPhase(t, t.phase, second);
    for (const g of t.groups) {
      this.group(g.phase, g.className).add(g, second);
      this.group(g.phase, ALL).add(g, second);
    }
  }

  private applyPhase(t: LiveTick, info: LivePhase, second: number): void {
    let p = this.phases.get(info.name);
    if (p === undefined) {
      p = { info, endedAtMs: null, arrivals: 0, sent: 0, completed: 0, perSecond: new Map() };
      this.phases.set(info.name, p);
    }
    // Every process starts a phase at nearly the same instant: the earliest start stands.
    p.info = { ...info, startedAtMs: Math.min(p.info.startedAtMs, info.startedAtMs) };
    p.arrivals += t.arrivals;
    p.sent += t.sent;
    p.completed += t.completed;
    const s = p.perSecond.get(second) ?? { arrivals: 0, sent: 0, completed: 0 };
    s.arrivals += t.arrivals;
    s.sent += t.sent;
    s.completed += t.completed;
    p.perSecond.set(second, s);
    for (const k of p.perSecond.keys()) if (k <= second - RATE_WINDOW_S - 1) p.perSecond.delete(k);
    if (t.phaseEnded) p.endedAtMs = Math.max(p.endedAtMs ?? 0, t.atMs);
    else if (p.endedAtMs === null) this.current = info.name;
  }

  group(phase: string, className: string): GroupState {
    const key = `${phase}\u0000${className}`;
    let g = this.groups.get(key);
    if (g === undefined) {
      g = new GroupState(phase, className);
      this.groups.set(key, g);
    }
    return g;
  }

  /** The groups of one phase: its classes by name, then all classes. */
  phaseGroups(phase: string): GroupState[] {
    const out = [...this.groups.values()].filter((g) => g.phase === phase && g.className !== ALL).sort((a, b) => a.className.localeCompare(b.className));
    const all = this.groups.get(`${phase}\u0000${ALL}`);
    return all ? [...out, all] : out;
  }

  /** Arrivals offered, requests sent and completed per second over the last few seconds (the whole phase once it ended). */
  rates(name: string): { offeredRps: number; sentRps: number; completedRps: number } {
    const p = this.phases.get(name);
    if (!p) return { offeredRps: 0, sentRps: 0, completedRps: 0 };
    if (p.endedAtMs !== null) {
      const s = Math.max(0.001, (p.endedAtMs - p.info.startedAtMs) / 1000);
      return { offeredRps: p.arrivals / s, sentRps: p.sent / s, completedRps: p.completed / s };
    }
    const now = Math.floor(this.atMs / 1000);
    const span = Math.max(1, Math.min(RATE_WINDOW_S, (this.atMs - p.info.startedAtMs) / 1000));
    let a = 0, se = 0, c = 0;
    for (const [k, v] of p.perSecond) {
      if (k > now - RATE_WINDOW_S) {
        a += v.arrivals;
        se += v.sent;
        c += v.completed;
      }
    }
    return { offeredRps: a / span, sentRps: se / span, completedRps: c / span };
  }

  /** Requests in flight now, over every process. */
  get inFlight(): number {
    let n = 0;
    if (this.ended) return 0;
    for (const s of this.sources.values()) if (!s.final) n += s.inFlight;
    return n;
  }

  /** The harness's own health: the worst loop delay and dispatch lag of any process in its last second, CPU summed over processes. */
  get harness(): { loopDelayMaxMs: number; dispatchLagMaxMs: number; cpuPercent: number; processes: number } {
    let loop = 0, lag = 0, cpu = 0;
    for (const s of this.sources.values()) {
      loop = Math.max(loop, s.loopDelayMaxMs);
      lag = Math.max(lag, s.dispatchLagMaxMs);
      cpu += s.cpuPercent; // each process's last second (a final tick keeps the second before it)
    }
    return { loopDelayMaxMs: loop, dispatchLagMaxMs: lag, cpuPercent: cpu, processes: this.sources.size };
  }

  /** The command says the run is over (a sweep's steps send no last tick of their own). */
  end(): void {
    this.ended = true;
  }

  /** Every process has sent its last tick, or the command ended the run. */
  get finished(): boolean {
    if (this.ended) return true;
    return this.sources.size >= (this.options.sources ?? 1) && [...this.sources.values()].every((s) => s.final);
  }

  /** Time left: the running phase's rest (by its duration, else by its completion rate) plus the phases after it; null when unknown. */
  remainingMs(): number | null {
    if (this.finished) return 0;
    const p = this.current ? this.phases.get(this.current) : undefined;
    if (!p) return null;
    let rest: number;
    if (p.info.durationMs !== null) rest = Math.max(0, p.info.startedAtMs + p.info.durationMs - this.atMs);
    else if (p.info.maxRequests !== null) {
      const r = this.rates(p.info.name).completedRps;
      const left = p.info.maxRequests - p.completed;
      if (!(r > 0)) return null;
      rest = Math.max(0, (left / r) * 1000);
    } else return null;
    for (const u of this.options.phases ?? []) {
      if (u.index <= p.info.index) continue;
      if (u.durationMs === null) return null;
      rest += u.durationMs;
    }
    return rest;
  }

  /** A line the run printed: kept for the view (the screen is the view's while it runs). */
  addLog(line: string): void {
    this.log.push(line);
    if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
  }
}
