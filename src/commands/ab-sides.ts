// The two sides of `ab` measured on one clock: per side a planner (its own model name, the same
// bodies otherwise), a client, a collector, a client sampler, the pairing sink and the schedule's
// hooks, around one Driver each. Mirrored: both Drivers start each phase at one agreed instant.
// Interleaved: they take turns in the balanced order, the --between command switching sides.
import { performance } from 'node:perf_hooks';
import { Pairing, pairKey, type PairingFacts } from '../ab/pairing.js';
import { InterleavedRounds, MirroredStart, SIDES, sharedInstants, type Side, type SideHooks } from '../ab/schedule.js';
import { Driver, type RunSink } from '../driver/run.js';
import { RunCollector } from '../metrics/collector.js';
import { assembleResult } from '../results/assemble.js';
import type { RunResult } from '../results/format.js';
import { RecordsFile } from '../results/sinks.js';
import { realClock, type Clock } from '../util/clock.js';
import { createPlanner, workloadPhaseCache } from '../workload/plan.js';
import { blockPlanner } from '../ab/schedule.js';
import type { AbOptions, AbPlan } from './ab.js';
import { runBetween } from './between.js';
import { startClientSampler, type ClientSampler } from './client-health.js';
import { ProgressLine } from './progress.js';
import { expectedConcurrency, warmStart, type WarmStart } from './warm-start.js';
import { stopOnSignals, type RunContext } from './run-context.js';

export interface SideRun {
  results: Record<Side, RunResult>;
  facts: PairingFacts;
  startedAt: Date;
  /** Interleaved: the side of each round that ran. */
  ran: Side[];
  /** Removes the stop-signal handlers (kept until the files are written). */
  stopSignals: () => void;
}

interface OneSide {
  driver: Driver;
  client: { close(): Promise<void>; readonly inFlightCount: number };
  sender: { abortAll(): void };
  collector: RunCollector;
  sampler: ClientSampler;
  hooks: SideHooks;
  model: string;
}

type Coordinator = { side(s: Side): SideHooks; cancel(): void; readonly ran?: Side[] };

/** Records of both sides in one file, each with its side and pair. */
function taggedRecords(file: RecordsFile, side: Side): RunSink {
  return { record: (r, _o, plan) => file.record(Object.assign({}, r, { side, pair: pairKey(plan) })) };
}

async function openSide(side: Side, ctx: RunContext, plan: AbPlan, opened: ReturnType<RunContext['openClient']>, o: { clock: Clock; coord: Coordinator; pairing: Pairing; records: RecordsFile | null; quiet: boolean }): Promise<OneSide> {
  const model = await ctx.model();
  const sized = createPlanner(plan.workload, { model, tokenizer: ctx.tokenizer, phaseCount: plan.workload.phases.length, phaseCache: workloadPhaseCache(plan.workload) });
  const { client, sender } = opened;
  const collector = new RunCollector({ classNames: plan.workload.classes.map((c) => c.name) });
  const sampler = startClientSampler(o.clock.now);
  const hooks = o.coord.side(side);
  const sinks: RunSink[] = [collector, sampler, o.pairing.sink(side), hooks.sink];
  if (o.records) sinks.push(taggedRecords(o.records, side));
  // One progress line (side A's): two would overwrite each other.
  if (side === 'a' && !o.quiet) sinks.push(new ProgressLine(process.stderr.isTTY === true));
  const planner = plan.blocks ? blockPlanner(sized, plan.blocks) : sized;
  const driver = new Driver({ planner, phases: plan.phases, client: sender, clock: o.clock, seed: plan.workload.seed, sinks, beforePhase: hooks.beforePhase });
  return { driver, client, sender, collector, sampler, hooks, model };
}

/** Interleaved: before a round whose side changes, the --between command, then that side's readiness. */
function switcher(ctxs: Record<Side, RunContext>, plan: AbPlan, opts: AbOptions) {
  return async (side: Side, round: number) => {
    ctxs.a.log(`ab: round ${round + 1}: side ${side.toUpperCase()}${opts.between ? ` (running --between with LOADSHAPE_SIDE=${side})` : ''}`);
    await runBetween({ command: opts.between ?? null, side, baseUrl: ctxs[side].baseUrl, readyLimitMs: plan.readyLimitMs });
  };
}

export async function measureSides(ctxs: Record<Side, RunContext>, plan: AbPlan, opts: AbOptions): Promise<SideRun> {
  // The clients read the run clock, which starts after the warm start.
  let clock: Clock = realClock();
  const opened = { a: ctxs.a.openClient(() => clock.now()), b: ctxs.b.openClient(() => clock.now()) };
  // Mirrored: both sides warmed before the clock (connections opened, receive path compiled), so the
  // first second is measured like the rest on both. Interleaved sides are not: the side not running
  // first may be stopped (one GPU), and --between plus the readiness wait precede its rounds.
  const warm = { a: null as WarmStart | null, b: null as WarmStart | null };
  if (!plan.order && opts.warmStart) for (const s of SIDES) warm[s] = await warmStart(opened[s].client, expectedConcurrency(plan.phases));
  const originMs = performance.now();
  // Mirrored: the sides' waits for one instant are one wait, so request i goes to A and B back to back.
  clock = plan.order ? realClock(originMs) : sharedInstants(realClock(originMs));
  const startedAt = new Date();
  const pairing = new Pairing();
  const coord: Coordinator = plan.order ? new InterleavedRounds(plan.order, switcher(ctxs, plan, opts)) : new MirroredStart(clock);
  const records = opts.records ? await RecordsFile.open(opts.records) : null;
  const sides = {} as Record<Side, OneSide>;
  for (const s of SIDES) sides[s] = await openSide(s, ctxs[s], plan, opened[s], { clock, coord, pairing, records, quiet: opts.quiet });
  const stopSignals = stopOnSignals(ctxs.a, 'the A/B run', () => ({
    isStopped: sides.a.driver.isStopped && sides.b.driver.isStopped,
    stop: () => {
      for (const s of SIDES) sides[s].driver.stop();
      coord.cancel();
    },
    inFlightCount: sides.a.client.inFlightCount + sides.b.client.inFlightCount,
    abortAll: () => SIDES.forEach((s) => sides[s].sender.abortAll()),
  }));
  const settled = await Promise.allSettled(SIDES.map((s) => sides[s].driver.run().finally(() => sides[s].hooks.leave())));
  for (const s of SIDES) {
    sides[s].sampler.stop();
    await sides[s].client.close();
  }
  await records?.close();
  const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) {
    stopSignals();
    throw failed.reason;
  }
  const results = {} as Record<Side, RunResult>;
  SIDES.forEach((s, i) => {
    const d = sides[s].collector.result((settled[i] as PromiseFulfilledResult<Awaited<ReturnType<Driver['run']>>>).value);
    const meta = ctxs[s].meta({ name: `${plan.workload.name}-${s}`, startedAt, now: clock.now, model: sides[s].model, clockStartedAtEpochMs: performance.timeOrigin + originMs, argv: opts.argv }, d.interrupted);
    results[s] = assembleResult(d, warm[s] ? { ...meta, warmStart: warm[s] } : meta, sides[s].sampler.sample(), ctxs[s].lagLimitMs);
  });
  return { results, facts: pairing.facts(), startedAt, ran: coord.ran ?? [], stopSignals };
}
