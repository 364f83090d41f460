// The open loop's look-ahead: bounded, in order, and on the virtual clock every body is built before
// its due time, in the slack between sends, never within the guard before one.
import { describe, expect, it } from 'vitest';
import { Driver } from '../../src/driver/run.js';
import { Lookahead, MAX_HELD_BODY_CHARS } from '../../src/driver/lookahead.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import { VirtualClock } from '../../src/util/clock.js';
import type { Planner } from '../../src/workload/plan.js';
import { FakeClient, open, planner } from './fake.js';

const phase = (p: Partial<PhasePlan> & Pick<PhasePlan, 'load'>): PhasePlan => ({ index: 0, name: 'p', record: true, durationMs: null, maxRequests: null, ...p });

/** Offsets 0, 10, 20, … and a count of how many the source has handed out. */
function counted(n: number) {
  const state = { read: 0 };
  function* offsets() {
    for (let i = 0; i < n; i++) {
      state.read++;
      yield i * 10;
    }
  }
  return { state, offsets: offsets() };
}

describe('Lookahead', () => {
  it('reads at most its capacity ahead and hands arrivals out in order, bodies with them once built', () => {
    const { state, offsets } = counted(100);
    const built: number[] = [];
    const ahead = new Lookahead(offsets, () => true, (i) => (built.push(i), planner.plan(0, i)), 8);
    expect(ahead.prefill(3)).toBe(3);
    expect(state.read).toBe(8); // numbers only past the built ones
    expect(built).toEqual([0, 1, 2]);
    const got: { index: number; offsetMs: number; built: boolean }[] = [];
    for (let a = ahead.shift(); a !== null; a = ahead.shift()) {
      got.push({ index: a.index, offsetMs: a.offsetMs, built: a.plan !== null });
      expect(state.read - a.index).toBeLessThanOrEqual(9); // never more than the capacity held
      expect(ahead.size).toBeLessThanOrEqual(8);
    }
    expect(got.map((x) => x.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(got.map((x) => x.offsetMs)).toEqual(Array.from({ length: 100 }, (_, i) => i * 10));
    expect(got.filter((x) => x.built).map((x) => x.index)).toEqual([0, 1, 2]);
    expect(ahead.exhausted).toBe(true);
    expect(ahead.read).toBe(100);
  });

  it('stops building once the bodies it holds pass MAX_HELD_BODY_CHARS, and resumes as they are handed out', () => {
    const big = 'x'.repeat(Math.ceil(MAX_HELD_BODY_CHARS / 3) + 1);
    const ahead = new Lookahead(counted(20).offsets, () => true, (i) => ({ ...planner.plan(0, i), body: big }), 16);
    expect(ahead.prefill()).toBe(3);
    expect(ahead.pending).toBe(false);
    ahead.shift();
    expect(ahead.buildOne()).toBe(true);
    expect(ahead.buildOne()).toBe(false);
  });

  it('prefills only within its time budget', () => {
    let t = 0;
    const ahead = new Lookahead(counted(20).offsets, () => true, (i) => ((t += 30), planner.plan(0, i)), 16);
    expect(ahead.prefill(16, () => t, 100)).toBe(4); // builds at 0, 30, 60, 90 ms started; the fifth would start at 120
  });

  it("skips other shards' arrivals and builds only its own, counting every arrival read", () => {
    const { offsets } = counted(10);
    const built: number[] = [];
    const ahead = new Lookahead(offsets, (i) => i % 3 === 1, (i) => (built.push(i), planner.plan(0, i)), 2);
    ahead.prefill();
    const order: number[] = [];
    for (let a = ahead.shift(); a !== null; a = ahead.shift()) {
      order.push(a.index);
      while (ahead.buildOne());
    }
    expect(order).toEqual([1, 4, 7]);
    expect(built).toEqual([1, 4, 7]);
    expect(ahead.read).toBe(10);
  });
});

describe('Driver with the look-ahead, on the virtual clock', () => {
  it('builds every body before its due time, outside the guard before the next send, at most the look-ahead ahead, in order', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient(clock, 30);
    const builtAtMs = new Map<number, number>();
    let sentSoFar = 0;
    let mostAhead = 0;
    const timing: Planner = {
      ...planner,
      plan: (ph, i) => {
        builtAtMs.set(i, clock.now());
        mostAhead = Math.max(mostAhead, i - sentSoFar);
        return planner.plan(ph, i);
      },
    };
    const counting = { send: (x: Parameters<FakeClient['send']>[0]) => (sentSoFar++, client.send(x)), get inFlightCount() { return client.inFlightCount; } };
    // Constant 100 req/s: due at 0, 10, 20, … ms.
    const driver = new Driver({ planner: timing, phases: [phase({ maxRequests: 50, load: open({ rateRps: 100 }) })], client: counting, clock, seed: 1, lookahead: 4 });
    const r = await clock.run(driver.run());
    expect(r.phases[0].sent).toBe(50);
    expect(r.dispatchLag.maxValue).toBe(0);
    expect(client.sent.map((s) => s.plan.requestIndex)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const [i, atMs] of builtAtMs) {
      const dueAtMs = i * 10;
      expect(atMs).toBeLessThanOrEqual(dueAtMs);
      // Built in the slack: either before the clock started (the first bodies) or well before the send after it.
      if (atMs > 0) expect(10 - (atMs % 10)).toBeGreaterThan(2);
    }
    expect(builtAtMs.size).toBe(50); // each body built once
    expect(mostAhead).toBeLessThanOrEqual(4);
    expect(mostAhead).toBeGreaterThan(1); // it did read ahead
  });

  it('with no prefill (the warm start off) still sends on time, building the first body at its due time', async () => {
    const clock = new VirtualClock();
    const client = new FakeClient(clock, 5);
    const driver = new Driver({ planner, phases: [phase({ maxRequests: 5, load: open({ rateRps: 100 }) })], client, clock, seed: 1, prefill: 0 });
    const r = await clock.run(driver.run());
    expect(r.phases[0].sent).toBe(5);
    expect(client.sent.map((s) => s.scheduledAtMs)).toEqual([0, 10, 20, 30, 40]);
  });
});
