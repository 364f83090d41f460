// A/B schedules on a virtual clock: two Drivers, two fake endpoints, one clock; every send instant exact.
import { describe, expect, it } from 'vitest';
import { Pairing } from '../../src/ab/pairing.js';
import { balancedOrder, blockPhases, blockPlanner, blockSizes, InterleavedRounds, MirroredStart, sharedInstants, type Side } from '../../src/ab/schedule.js';
import { Driver } from '../../src/driver/run.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import { VirtualClock } from '../../src/util/clock.js';
import { FakeClient, closed, open, planner } from '../driver/fake.js';

const phase = (p: Partial<PhasePlan> & Pick<PhasePlan, 'load'>): PhasePlan => ({ index: 0, name: 'cli', record: true, durationMs: null, maxRequests: null, ...p });

describe('balanced order', () => {
  it('alternates rounds A B B A A B so each side runs first as often as second', () => {
    expect(balancedOrder(6).join('')).toBe('abbaab');
    expect(blockSizes(10, 3)).toEqual([4, 3, 3]);
  });
});

describe('interleaved rounds on a virtual clock', () => {
  it('gives each side the same requests in 4 balanced rounds that never overlap, switching before each change of side', async () => {
    const clock = new VirtualClock();
    const clients = { a: new FakeClient(clock, 10), b: new FakeClient(clock, 20) };
    const switches: { side: Side; round: number; atMs: number }[] = [];
    // The switch itself takes 100 ms of clock time (the engine restarting).
    const rounds = new InterleavedRounds(balancedOrder(4), async (side, round) => {
      switches.push({ side, round, atMs: clock.now() });
      await clock.sleep(100);
    });
    const sizes = blockSizes(24, 2);
    const phases = blockPhases(phase({ load: closed(3) }), sizes);
    const pairing = new Pairing();
    const spans: { side: Side; block: string; fromMs: number; toMs: number }[] = [];
    const run = (side: Side) => {
      const hooks = rounds.side(side);
      const span = { phaseStart: (p: PhasePlan, atMs: number) => spans.push({ side, block: p.name, fromMs: atMs, toMs: NaN }), phaseEnd: () => (spans[spans.length - 1].toMs = clock.now()) };
      const d = new Driver({ planner: blockPlanner(planner, sizes), phases, client: clients[side], clock, seed: 1, sinks: [span, pairing.sink(side), hooks.sink], beforePhase: hooks.beforePhase });
      return d.run().finally(() => hooks.leave());
    };
    await clock.run(Promise.all([run('a'), run('b')]));

    expect(rounds.ran).toEqual(['a', 'b', 'b', 'a']);
    expect(spans.map((s) => `${s.side}:${s.block}`)).toEqual(['a:block1', 'b:block1', 'b:block2', 'a:block2']);
    // One side at a time: each round starts after the one before has ended.
    for (let i = 1; i < spans.length; i++) expect(spans[i].fromMs).toBeGreaterThanOrEqual(spans[i - 1].toMs);
    // The switch ran only where the side changed (B B shares one), before that round.
    expect(switches.map((s) => `${s.side}@${s.round}`)).toEqual(['a@0', 'b@1', 'a@3']);
    expect(spans[1].fromMs).toBe(switches[1].atMs + 100);
    // Same requests on both sides: request indices 0..23 each once, same bodies, all paired.
    const indices = (c: FakeClient) => c.sent.map((s) => s.plan.requestIndex).sort((x, y) => x - y);
    expect(indices(clients.a)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(indices(clients.b)).toEqual(indices(clients.a));
    const facts = pairing.facts();
    expect(facts.pairs).toHaveLength(24);
    expect(facts.bodyMismatches).toBe(0);
    expect(facts.unpaired).toEqual({ a: 0, b: 0 });
  });
});

describe('mirrored start on a virtual clock', () => {
  it('sends request i of both sides at the same instant in an open loop, phase after phase', async () => {
    const clock = new VirtualClock();
    const clients = { a: new FakeClient(clock, 15), b: new FakeClient(clock, 45) };
    const start = new MirroredStart(clock, 10);
    const phases = [phase({ index: 0, name: 'one', maxRequests: 20, load: open({ rateRps: 100, arrival: 'poisson' }) }), phase({ index: 1, name: 'two', maxRequests: 10, load: open({ rateRps: 50 }) })];
    const pairing = new Pairing();
    const run = (side: Side) => {
      const hooks = start.side(side);
      const d = new Driver({ planner, phases, client: clients[side], clock, seed: 7, sinks: [pairing.sink(side), hooks.sink], beforePhase: hooks.beforePhase });
      return d.run().finally(() => hooks.leave());
    };
    await clock.run(Promise.all([run('a'), run('b')]));
    const facts = pairing.facts();
    expect(facts.pairs).toHaveLength(30);
    expect(Math.max(...facts.skewsMs)).toBe(0);
    // The second phase starts for both once the slower side (B) has drained the first.
    const sentAt = (c: FakeClient) => c.sent.map((s) => s.scheduledAtMs);
    expect(sentAt(clients.a)).toEqual(sentAt(clients.b));
    const lastOfOneB = clients.b.sent[19].scheduledAtMs + 45;
    expect(clients.a.sent[20].scheduledAtMs).toBe(lastOfOneB + 10);
  });
});

describe('shared instants', () => {
  it('gives waits for one instant one underlying timer, alternating who resumes first, and lets a stopped side go alone', async () => {
    const clock = new VirtualClock();
    const shared = sharedInstants(clock);
    const order: string[] = [];
    const stop = new AbortController();
    const wait = (name: string, atMs: number, signal?: AbortSignal) => shared.waitUntil(atMs, signal).then(() => order.push(`${name}@${clock.now()}`));
    const all = [wait('a', 50, new AbortController().signal), wait('b', 50, stop.signal), wait('a', 80), wait('b', 80), wait('a', 90), wait('b', 90)];
    expect(clock.pending).toBe(3);
    stop.abort();
    await clock.run(Promise.all(all));
    expect(order).toEqual(['b@0', 'a@50', 'b@80', 'a@80', 'a@90', 'b@90']);
  });
});
