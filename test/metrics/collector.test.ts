// The run collector as a sink of a Driver on a virtual clock: its snapshot (what checkpoints write)
// holds the finished phases and the running one so far, and never disturbs the run.
import { describe, expect, it } from 'vitest';
import { Driver, type LiveView } from '../../src/driver/run.js';
import { RunCollector, type DriverResult } from '../../src/metrics/collector.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import { VirtualClock } from '../../src/util/clock.js';
import { FakeClient, planner } from '../driver/fake.js';

describe('RunCollector.snapshot', () => {
  it('holds the finished phases and the running one so far, and does not disturb the run', async () => {
    const clock = new VirtualClock();
    const phases: PhasePlan[] = [
      { index: 0, name: 'one', record: true, durationMs: null, maxRequests: 6, load: { kind: 'closed', concurrency: 2 } },
      { index: 1, name: 'two', record: true, durationMs: null, maxRequests: 60, load: { kind: 'closed', concurrency: 2 } },
    ];
    const collector = new RunCollector({ classNames: ['a', 'b'], samplesPerClass: 100 });
    let s: DriverResult | null = null;
    let liveRequests = -1;
    // Taken at the first tick (1 s): phase one (3 rounds × 300 ms) is done, two is under way.
    // The histograms and counters in a snapshot are the live ones (checkpoints encode them at once): read them now.
    const snapper = {
      tick: (v: LiveView) => {
        if (s) return;
        s = collector.snapshot(v);
        liveRequests = s.phases[1].stats!.all.counters.requests;
      },
    };
    const client = new FakeClient(clock, 300, (n) => n % 3 === 0);
    const driver = new Driver({ planner, phases, client, clock, seed: 1, sinks: [collector, snapper] });
    const final = collector.result(await clock.run(driver.run()));
    const snap = s as unknown as DriverResult;
    expect(snap.phases.map((p) => p.plan.name)).toEqual(['one', 'two']);
    expect(snap.phases[0].stats!.all.counters).toMatchObject({ requests: 6, ok: 4, errors: 2 }); // final: phase one is over
    // At 1000 ms, phase two started at 900 ms: nothing of it has finished, 2 requests are in flight.
    const live = snap.phases[1];
    expect(liveRequests).toBe(0);
    expect(live.sent).toBe(2);
    expect([live.startedAtMs, live.endedAtMs]).toEqual([900, 1000]);
    expect(snap.errorSamples.http_5xx).toEqual(['HTTP 500: boom', 'HTTP 500: boom']);
    expect(snap.interrupted).toBe(false);
    expect(final.phases.map((p) => p.stats!.all.counters.requests)).toEqual([6, 60]);
    // the snapshot's sample lists were copies: the run went on adding to its own
    expect(final.errorSamples.http_5xx).toHaveLength(22); // 2 + 20
    expect(snap.errorSamples.http_5xx).toHaveLength(2);
  });
});
