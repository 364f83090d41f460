import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { Driver, type RequestSender } from '../../src/driver/run.js';
import type { RequestInput, RequestOutcome } from '../../src/client/openai.js';
import type { Planner, RequestPlan } from '../../src/workload/plan.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import { percentileMs } from '../../src/metrics/histogram.js';

/** A client that answers after a fixed service time, tracking the most requests ever in flight. */
class FakeClient implements RequestSender {
  inFlightCount = 0;
  maxInFlight = 0;
  sent: RequestInput[] = [];
  constructor(private readonly now: () => number, private readonly serviceMs: number) {}
  async send(input: RequestInput): Promise<RequestOutcome> {
    const sentAtMs = this.now();
    this.sent.push(input);
    this.inFlightCount++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlightCount);
    await new Promise((r) => setTimeout(r, this.serviceMs));
    input.onGap?.(1);
    this.inFlightCount--;
    return {
      record: {
        phase: input.phase, class: input.plan.className, scheduledAtMs: input.scheduledAtMs, sentAtMs,
        queueMs: sentAtMs - input.scheduledAtMs, ttftMs: 5, firstChunkMs: 5, tpotMs: 1, e2eMs: this.serviceMs,
        promptTokens: 10, outputTokens: 4, outputTokensSource: 'usage', chunks: 4, finishReason: 'length', status: 'ok',
        errorClass: null, httpStatus: 200, validity: null, toolCalls: null,
      },
      errorMessage: null, text: null, validityDetail: null,
    };
  }
}

const planner: Planner = {
  workload: {} as Planner['workload'],
  plan: (phaseIndex, requestIndex): RequestPlan => ({
    phaseIndex, requestIndex, className: requestIndex % 2 ? 'b' : 'a', kind: 'chat', path: '/chat/completions',
    body: '{}', promptTokens: 10, maxTokens: 4,
  }),
};

function setup(phases: PhasePlan[], serviceMs: number, shard?: { index: number; count: number }) {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const client = new FakeClient(now, serviceMs);
  const driver = new Driver({ planner, phases, client, now, seed: 1, classNames: ['a', 'b'], shard });
  return { client, driver };
}

const open = (o: Partial<Extract<PhasePlan['load'], { kind: 'open' }>>): PhasePlan['load'] => ({
  kind: 'open', rateRps: 100, ramp: null, arrival: 'constant', burstiness: 1, maxConcurrency: null, ...o,
});

describe('Driver', () => {
  it('keeps exactly N in flight in a closed loop and stops at the request count', async () => {
    const { client, driver } = setup([{ index: 0, name: 'c', record: true, durationMs: null, maxRequests: 40, load: { kind: 'closed', concurrency: 4 } }], 10);
    const r = await driver.run();
    expect(client.maxInFlight).toBe(4);
    expect(r.phases[0].sent).toBe(40);
    expect(r.phases[0].stats?.all.counters.requests).toBe(40);
    expect(r.phases[0].stats?.group('a').counters.requests).toBe(20);
  });

  // Retries: the bound is on this process's own timer lateness, which another process can steal on 2 cores.
  it('sends open-loop arrivals on time, whatever the service time', { retry: 2 }, async () => {
    const { client, driver } = setup([{ index: 0, name: 'o', record: true, durationMs: 500, maxRequests: null, load: open({ rateRps: 100 }) }], 50);
    const r = await driver.run();
    expect(r.phases[0].sent).toBe(50);
    expect(client.maxInFlight).toBeGreaterThanOrEqual(5); // 100 rps × 50 ms
    expect(percentileMs(r.dispatchLag, 99)).toBeLessThan(5);
  });

  it('makes arrivals over the concurrency cap wait, and shows the wait as queueMs', async () => {
    const { client, driver } = setup(
      [{ index: 0, name: 'o', record: true, durationMs: null, maxRequests: 20, load: open({ rateRps: 200, maxConcurrency: 2 }) }],
      40,
    );
    const r = await driver.run();
    expect(client.maxInFlight).toBe(2);
    const queue = r.phases[0].stats!.all.hist.queueMs;
    // 20 requests, 2 at a time, 40 ms each: the last one waits ~ 9×40 − 19×5 ms ≈ 265 ms
    expect(percentileMs(queue, 100)).toBeGreaterThan(200);
  });

  it('drops arrivals still waiting for a slot when a timed phase ends, and counts them', async () => {
    const { driver } = setup([{ index: 0, name: 'o', record: true, durationMs: 300, maxRequests: null, load: open({ rateRps: 100, maxConcurrency: 1 }) }], 100);
    const r = await driver.run();
    const p = r.phases[0];
    expect(p.scheduled).toBe(30);
    expect(p.dropped).toBeGreaterThan(20);
    expect(p.sent + p.dropped).toBe(30);
  });

  it('runs warm-up phases without recording them', async () => {
    const { driver } = setup(
      [
        { index: 0, name: 'warm', record: false, durationMs: null, maxRequests: 4, load: { kind: 'closed', concurrency: 2 } },
        { index: 1, name: 'main', record: true, durationMs: null, maxRequests: 4, load: { kind: 'closed', concurrency: 2 } },
      ],
      5,
    );
    const r = await driver.run();
    expect(r.phases[0].stats).toBeNull();
    expect(r.phases[0].sent).toBe(4);
    expect(r.phases[1].stats?.all.counters.requests).toBe(4);
  });

  it('sends only its shard of the schedule: shards together send each request exactly once', async () => {
    const phases: PhasePlan[] = [{ index: 0, name: 'o', record: true, durationMs: null, maxRequests: 30, load: open({ rateRps: 500 }) }];
    const seen: number[] = [];
    for (let s = 0; s < 3; s++) {
      const { client, driver } = setup(phases, 1, { index: s, count: 3 });
      await driver.run();
      seen.push(...client.sent.map((x) => x.plan.requestIndex));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('stops scheduling when stopped and reports the run as interrupted', async () => {
    const { driver } = setup([{ index: 0, name: 'o', record: true, durationMs: 10_000, maxRequests: null, load: open({ rateRps: 50 }) }], 5);
    setTimeout(() => driver.stop(), 200);
    const t = performance.now();
    const r = await driver.run();
    expect(performance.now() - t).toBeLessThan(2000);
    expect(r.interrupted).toBe(true);
    expect(r.phases[0].sent).toBeGreaterThan(5);
    expect(r.phases[0].sent).toBeLessThan(20);
  });
});

describe('Driver edge cases', () => {
  it('ends an open phase that reached its request count before its duration, with the achieved rate of its sends', async () => {
    const { driver } = setup([{ index: 0, name: 'o', record: true, durationMs: 5000, maxRequests: 5, load: open({ rateRps: 100 }) }], 1);
    const t = performance.now();
    const r = await driver.run();
    expect(performance.now() - t).toBeLessThan(1000);
    expect(r.phases[0].sent).toBe(5);
    expect(r.phases[0].achievedRateRps).toBeGreaterThan(80);
  });

  it('wakes a pacer waiting for a distant arrival as soon as it is stopped', async () => {
    const { driver } = setup([{ index: 0, name: 'slow', record: true, durationMs: 60_000, maxRequests: null, load: open({ rateRps: 0.2 }) }], 1);
    setTimeout(() => driver.stop(), 300);
    const t = performance.now();
    await driver.run();
    expect(performance.now() - t).toBeLessThan(1500);
  });

  it('splits an open-loop in-flight cap across shards so they hold the asked total together', async () => {
    const phases: PhasePlan[] = [{ index: 0, name: 'o', record: true, durationMs: null, maxRequests: 40, load: open({ rateRps: 1000, maxConcurrency: 4 }) }];
    const peaks: number[] = [];
    for (let s = 0; s < 2; s++) {
      const { client, driver } = setup(phases, 30, { index: s, count: 2 });
      await driver.run();
      peaks.push(client.maxInFlight);
    }
    expect(peaks).toEqual([2, 2]);
  });
});

describe('Driver with conversations', () => {
  /** Every arrival is a conversation of `turns` requests with `thinkMs` between them. */
  const conversing = (turns: number, thinkMs: number): Planner => ({
    workload: {} as Planner['workload'],
    plan: (phaseIndex, requestIndex): RequestPlan => ({
      phaseIndex, requestIndex, className: 'a', kind: 'chat', path: '/chat/completions', body: '{}', promptTokens: 10, maxTokens: 4,
      conversation: { turn: 1, turns, toolFollowUp: false, messages: [] },
    }),
    followUp: (prev) => {
      const c = prev.conversation!;
      return c.turn >= c.turns ? null : { plan: { ...prev, conversation: { ...c, turn: c.turn + 1 } }, thinkMs };
    },
  });

  function run(p: Planner, phase: PhasePlan, serviceMs: number) {
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const client = new FakeClient(now, serviceMs);
    return { client, result: new Driver({ planner: p, phases: [phase], client, now, seed: 1, classNames: ['a'] }).run() };
  }

  it('holds a closed-loop slot through every turn and think time of its conversation', async () => {
    const { client, result } = run(conversing(3, 20), { index: 0, name: 'c', record: true, durationMs: null, maxRequests: 4, load: { kind: 'closed', concurrency: 2 } }, 10);
    const r = await result;
    expect(client.maxInFlight).toBe(2);
    expect(r.phases[0].sent).toBe(4); // conversations
    expect(r.phases[0].requestsSent).toBe(12);
    expect(r.phases[0].stats?.all.counters.requests).toBe(12); // requests
    // Each follow-up is due its think time after the previous reply.
    const byConv = new Map<number, RequestInput[]>();
    for (const s of client.sent) byConv.set(s.plan.requestIndex, [...(byConv.get(s.plan.requestIndex) ?? []), s]);
    for (const turns of byConv.values()) {
      expect(turns.map((t) => t.plan.conversation?.turn)).toEqual([1, 2, 3]);
      // 10 ms of service (a timer may fire a millisecond early) then 20 ms of think time.
      for (let k = 1; k < 3; k++) expect(turns[k].scheduledAtMs - turns[k - 1].scheduledAtMs).toBeGreaterThanOrEqual(28);
    }
  });

  it('ends a closed-loop slot whose conversation reached the phase end, rather than firing first turns back to back', async () => {
    // 250 ms, 3 turns 100 ms apart: each slot runs one whole conversation and the first turn of a second,
    // whose next turn would fall past the end.
    const { client, result } = run(conversing(3, 100), { index: 0, name: 'c', record: true, durationMs: 250, maxRequests: null, load: { kind: 'closed', concurrency: 3 } }, 10);
    const r = await result;
    expect(r.phases[0].sent).toBe(6);
    const firstTurns = client.sent.filter((s) => s.plan.conversation?.turn === 1);
    expect(firstTurns).toHaveLength(6);
    expect(client.sent).toHaveLength(12);
  });

  it('starts no new turn after an open-loop phase has run its duration', async () => {
    // 10 conversations/s for 300 ms, each 5 turns 100 ms apart: turns due after 300 ms are not sent.
    const { client, result } = run(conversing(5, 100), { index: 0, name: 'o', record: true, durationMs: 300, maxRequests: null, load: open({ rateRps: 10 }) }, 5);
    const r = await result;
    expect(r.phases[0].sent).toBe(3);
    expect(client.sent.every((s) => s.scheduledAtMs < 300)).toBe(true);
    expect(client.sent.length).toBeGreaterThan(3);
    expect(client.sent.length).toBeLessThan(15);
  });
});
