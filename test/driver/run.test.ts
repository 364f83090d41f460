// The Driver on a virtual clock: every send time, wait and drain is exact and the same on any machine.
import { describe, expect, it } from 'vitest';
import { Driver, type LiveView, type RunSink } from '../../src/driver/run.js';
import { runCollected } from '../../src/driver/collect.js';
import type { RequestInput } from '../../src/client/openai.js';
import { percentileMs } from '../../src/metrics/histogram.js';
import { RunCollector } from '../../src/metrics/collector.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import { VirtualClock } from '../../src/util/clock.js';
import type { Planner } from '../../src/workload/plan.js';
import { FakeClient, closed, conversing, open, planner } from './fake.js';

function setup(phases: PhasePlan[], serviceMs: number | ((i: RequestInput) => number), o: { shard?: { index: number; count: number }; planner?: Planner; maxWaiting?: number; sinks?: RunSink[] } = {}) {
  const clock = new VirtualClock();
  const client = new FakeClient(clock, serviceMs);
  const run = () => clock.run(runCollected({ planner: o.planner ?? planner, phases, client, clock, seed: 1, classNames: ['a', 'b'], shard: o.shard, maxWaiting: o.maxWaiting, sinks: o.sinks }));
  return { clock, client, run };
}

const phase = (p: Partial<PhasePlan> & Pick<PhasePlan, 'load'>): PhasePlan => ({ index: 0, name: 'p', record: true, durationMs: null, maxRequests: null, ...p });

describe('Driver', () => {
  it('keeps exactly N in flight in a closed loop and stops at the request count', async () => {
    const { client, clock, run } = setup([phase({ maxRequests: 40, load: closed(4) })], 10);
    const r = await run();
    expect(client.maxInFlight).toBe(4);
    expect(r.phases[0].sent).toBe(40);
    expect(r.phases[0].stats?.all.counters.requests).toBe(40);
    expect(r.phases[0].stats?.group('a').counters.requests).toBe(20);
    expect(clock.now()).toBe(100); // 10 rounds of 10 ms
    // A closed-loop request is due when its slot frees: never late.
    expect(client.sent.every((s, i) => s.scheduledAtMs === Math.floor(i / 4) * 10)).toBe(true);
  });


  it('has all N slots in flight at once when a closed phase has exactly N requests (no slot keeps one back)', async () => {
    const { client, run } = setup([phase({ maxRequests: 64, load: closed(64) })], 10);
    const r = await run();
    expect(client.maxInFlight).toBe(64);
    expect(r.phases[0].sent).toBe(64);
    expect(r.phases[0].endedAtMs).toBe(10); // one round, not two
  });

  it('gives free slots the last requests of a closed phase in order, none held by a busy slot', async () => {
    // Slot 0's requests take 100 ms, the others 10 ms: the tail must go to the free slots.
    const { client, clock, run } = setup([phase({ maxRequests: 12, load: closed(3) })], (i) => (i.plan.requestIndex === 0 ? 100 : 10));
    await run();
    expect(client.sent.map((s) => s.plan.requestIndex)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(clock.now()).toBe(100); // requests 1..11 on two free slots: 6 rounds of 10 ms end by 60 ms
  });
  it('sends open-loop arrivals exactly on time, whatever the service time', async () => {
    const { client, run } = setup([phase({ durationMs: 500, load: open({ rateRps: 100 }) })], 50);
    const r = await run();
    expect(r.phases[0].sent).toBe(50);
    expect(r.phases[0].achievedRateRps).toBe(100);
    expect(client.maxInFlight).toBe(5); // 100 req/s × 50 ms
    expect(client.sent.map((s) => s.scheduledAtMs)).toEqual(Array.from({ length: 50 }, (_, i) => i * 10));
    expect(percentileMs(r.dispatchLag, 100)).toBe(0);
    expect(r.phases[0].endedAtMs).toBe(540); // the last arrival at 490 ms, answered 50 ms later
  });

  it('makes arrivals over the concurrency cap wait, and shows the wait as queueMs', async () => {
    const { client, run } = setup([phase({ maxRequests: 20, load: open({ rateRps: 200, maxConcurrency: 2 }) })], 40);
    const r = await run();
    expect(client.maxInFlight).toBe(2);
    // 20 requests due every 5 ms, 2 at a time, 40 ms each: request i is sent at 40·⌊i/2⌋, so the last
    // pair (due at 90 and 95 ms) goes at 360 ms.
    expect(client.sent.map((s) => s.scheduledAtMs)).toEqual(Array.from({ length: 20 }, (_, i) => i * 5));
    const queue = r.phases[0].stats!.all.hist.queueMs;
    expect(percentileMs(queue, 100)).toBeCloseTo(270, -1); // request 18: due at 90 ms, sent at 360 ms (HDR keeps 3 digits)
    expect(r.phases[0].dropped).toBe(0);
  });

  it('drops arrivals still waiting for a slot when a timed phase ends, and counts them', async () => {
    const { run } = setup([phase({ durationMs: 300, load: open({ rateRps: 100, maxConcurrency: 1 }) })], 110);
    const p = (await run()).phases[0];
    expect(p.scheduled).toBe(30);
    expect(p.sent).toBe(3); // at 0, 110 and 220 ms; the phase ends at 300 ms with the other 27 still waiting
    expect(p.dropped).toBe(27);
  });

  it('counts arrivals beyond the waiting cap as dropped instead of queueing them', async () => {
    const { client, run } = setup([phase({ maxRequests: 50, load: open({ rateRps: 1000, maxConcurrency: 1 }) })], 1000, { maxWaiting: 10 });
    const p = (await run()).phases[0];
    expect(p.scheduled).toBe(50);
    // 1 in flight, 10 waiting, the other 39 dropped at arrival; the 10 waiting are then sent one by one.
    expect(p.dropped).toBe(39);
    expect(p.sent).toBe(11);
    expect(client.sent.map((s) => s.plan.requestIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('builds no request body for an arrival until it gets a slot', async () => {
    const planned: number[] = [];
    const counting: Planner = { ...planner, plan: (ph, i) => (planned.push(i), planner.plan(ph, i)) };
    const { run } = setup([phase({ maxRequests: 6, load: open({ rateRps: 1000, maxConcurrency: 1 }) })], 100, { planner: counting });
    await run();
    // Request 0 is planned ahead of its due time; 1–5 arrive while the slot is busy and are planned when it frees.
    expect(planned).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('runs warm-up phases without recording them', async () => {
    const { run } = setup([phase({ name: 'warm', record: false, maxRequests: 4, load: closed(2) }), phase({ index: 1, name: 'main', maxRequests: 4, load: closed(2) })], 5);
    const r = await run();
    expect(r.phases[0].stats).toBeNull();
    expect(r.phases[0].sent).toBe(4);
    expect(r.phases[1].stats?.all.counters.requests).toBe(4);
  });

  it('sends only its shard of the schedule: shards together send each request exactly once', async () => {
    const seen: number[] = [];
    for (let s = 0; s < 3; s++) {
      const { client, run } = setup([phase({ maxRequests: 30, load: open({ rateRps: 500 }) })], 1, { shard: { index: s, count: 3 } });
      await run();
      seen.push(...client.sent.map((x) => x.plan.requestIndex));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('splits an open-loop in-flight cap across shards so they hold the asked total together', async () => {
    const peaks: number[] = [];
    for (let s = 0; s < 2; s++) {
      const { client, run } = setup([phase({ maxRequests: 40, load: open({ rateRps: 1000, maxConcurrency: 4 }) })], 30, { shard: { index: s, count: 2 } });
      await run();
      peaks.push(client.maxInFlight);
    }
    expect(peaks).toEqual([2, 2]);
  });
});

describe('Driver stops', () => {
  it('stops scheduling when stopped, lets in-flight requests finish, and reports the run as interrupted', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient(clock, 5);
    const collector = new RunCollector({ classNames: ['a', 'b'] });
    const driver = new Driver({ planner, phases: [phase({ durationMs: 10_000, load: open({ rateRps: 50 }) })], client, clock, seed: 1, sinks: [collector] });
    clock.at(200, () => driver.stop());
    const r = await clock.run(driver.run());
    expect(r.interrupted).toBe(true);
    expect(r.phases[0].sent).toBe(10); // due at 0, 20, …, 180 ms: the stop at 200 ms wakes the wait for the next one
    expect(clock.now()).toBeLessThan(300);
  });

  it('gives a stopped phase its sent rate over the time it sent, not over the window it did not run', async () => {
    const clock = new VirtualClock();
    const driver = new Driver({ planner, phases: [phase({ durationMs: 10_000, load: open({ rateRps: 50 }) })], client: new FakeClient(clock, 5), clock, seed: 1 });
    clock.at(200, () => driver.stop());
    const r = await clock.run(driver.run());
    // 10 sends over the 180 ms from the first to the last; over the planned 10 s it would read 1 rps.
    expect(r.phases[0].achievedRateRps).toBeCloseTo(55.6, 1);
  });

  it('wakes a pacer waiting for a distant arrival as soon as it is stopped', async () => {
    const clock = new VirtualClock();
    const driver = new Driver({ planner, phases: [phase({ durationMs: 60_000, load: open({ rateRps: 0.2 }) })], client: new FakeClient(clock, 1), clock, seed: 1 });
    clock.at(300, () => driver.stop());
    await clock.run(driver.run());
    expect(clock.now()).toBe(300);
  });

  it('ends an open phase that reached its request count before its duration, with the achieved rate of its sends', async () => {
    const { clock, run } = setup([phase({ durationMs: 5000, maxRequests: 5, load: open({ rateRps: 100 }) })], 1);
    const r = await run();
    expect(clock.now()).toBe(41);
    expect(r.phases[0].sent).toBe(5);
    expect(r.phases[0].achievedRateRps).toBe(125); // 5 sends over the 40 ms from the first to the last
  });

  it('drains 8,000 requests in flight and ends the phase when the last one answers', async () => {
    const { client, clock, run } = setup([phase({ maxRequests: 8000, load: open({ rateRps: 1_000_000 }) })], (i) => 1000 + (i.plan.requestIndex % 7));
    const r = await run();
    expect(client.maxInFlight).toBe(8000);
    expect(r.phases[0].stats?.all.counters.requests).toBe(8000);
    expect(r.phases[0].endedAtMs).toBe(clock.now());
    const lastAnswerMs = Math.max(...Array.from({ length: 8000 }, (_, i) => i * 0.001 + 1000 + (i % 7)));
    expect(clock.now()).toBeCloseTo(lastAnswerMs, 6);
  });
});

describe('Driver ticks and sinks', () => {
  it('stores one time-series point per second, idle seconds included, each with that second\'s in-flight count', async () => {
    // Arrivals at 0 and 6250 ms, each answered 1200 ms later; no progress display asks for anything.
    const { run } = setup([phase({ maxRequests: 2, load: open({ rateRps: 0.16 }) })], 1200);
    const r = await run();
    expect(r.timeseries.map((p) => [p.tS, p.inFlight, p.completed])).toEqual([
      [0, 1, 0],
      [1, 0, 1],
      [2, 0, 0],
      [3, 0, 0],
      [4, 0, 0],
      [5, 0, 0],
      [6, 1, 0],
      [7, 0, 1],
    ]);
  });

  it('ticks its sinks once per second of run time with the live counts, then closes them', async () => {
    const seen: string[] = [];
    const sink: RunSink = {
      phaseStart: (p, at) => seen.push(`start ${p.name} @${at}`),
      tick: (v: LiveView) => seen.push(`tick @${v.atMs} sent ${v.sent} done ${v.done} inFlight ${v.inFlight}`),
      phaseEnd: (c) => seen.push(`end ${c.plan.name} @${c.endedAtMs}`),
      close: (v) => void seen.push(`close @${v.atMs}`),
    };
    const { run } = setup([phase({ maxRequests: 3, load: closed(1) })], 900, { sinks: [sink] });
    await run();
    expect(seen).toEqual(['start p @0', 'tick @1000 sent 2 done 1 inFlight 1', 'tick @2000 sent 3 done 2 inFlight 1', 'end p @2700', 'close @2700']);
  });
});

describe('Driver with conversations', () => {
  it('holds a closed-loop slot through every turn and think time of its conversation', async () => {
    const { client, run } = setup([phase({ maxRequests: 4, load: closed(2) })], 10, { planner: conversing(3, 20) });
    const r = await run();
    expect(client.maxInFlight).toBe(2);
    expect(r.phases[0].sent).toBe(4); // conversations
    expect(r.phases[0].requestsSent).toBe(12);
    expect(r.phases[0].stats?.all.counters.requests).toBe(12); // requests
    // Each follow-up is due its think time after the previous reply: 10 ms of service, then 20 ms.
    const byConv = new Map<number, RequestInput[]>();
    for (const s of client.sent) byConv.set(s.plan.requestIndex, [...(byConv.get(s.plan.requestIndex) ?? []), s]);
    for (const turns of byConv.values()) {
      expect(turns.map((t) => t.plan.conversation?.turn)).toEqual([1, 2, 3]);
      expect(turns[1].scheduledAtMs - turns[0].scheduledAtMs).toBe(30);
      expect(turns[2].scheduledAtMs - turns[1].scheduledAtMs).toBe(30);
    }
  });

  it('ends a closed-loop slot whose conversation reached the phase end, rather than firing first turns back to back', async () => {
    // 250 ms, 3 turns 100 ms apart (10 ms service + 90 ms think): each slot runs one whole conversation
    // and the first turn of a second, whose next turn would fall past the end.
    const { client, run } = setup([phase({ durationMs: 250, load: closed(3) })], 10, { planner: conversing(3, 90) });
    const r = await run();
    expect(r.phases[0].sent).toBe(6);
    expect(client.sent.filter((s) => s.plan.conversation?.turn === 1)).toHaveLength(6);
    expect(client.sent).toHaveLength(12);
  });

  it('starts no new turn after an open-loop phase has run its duration', async () => {
    // 10 conversations/s for 300 ms (at 0, 100, 200 ms), each 5 turns 100 ms apart: turns due at or after 300 ms are not sent.
    const { client, run } = setup([phase({ durationMs: 300, load: open({ rateRps: 10 }) })], 5, { planner: conversing(5, 95) });
    const r = await run();
    expect(r.phases[0].sent).toBe(3);
    expect(client.sent.map((s) => s.scheduledAtMs)).toEqual([0, 100, 100, 200, 200, 200]);
  });
});
