// One sweep step on a virtual clock, against a fake server with 4 slots of 100 ms (40 req/s): under
// capacity the step is judged steady and stopped early; over it, the queue runs away and the step is
// stopped as saturated, with what is still in flight cancelled after the short drain.
import { describe, expect, it } from 'vitest';
import type { RequestInput, RequestOutcome } from '../../src/client/openai.js';
import { runSweepStep } from '../../src/commands/sweep-step.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import { VirtualClock } from '../../src/util/clock.js';
import { FakeClient, planner } from '../driver/fake.js';

/** A server of `slots` slots, each answering in `serviceMs`; requests beyond them wait in FIFO order. */
class QueueServer extends FakeClient {
  private busy = 0;
  private readonly queue: (() => void)[] = [];
  constructor(
    private readonly vclock: VirtualClock,
    private readonly slots: number,
    serviceMs: number,
  ) {
    super(vclock, serviceMs);
  }
  override async send(input: RequestInput): Promise<RequestOutcome> {
    const sentAtMs = this.vclock.now();
    if (this.busy >= this.slots) await new Promise<void>((r) => this.queue.push(r));
    this.busy++;
    const out = await super.send(input);
    this.busy--;
    this.queue.shift()?.();
    // TTFT includes the wait for a slot, as an engine's queue would make it.
    const ttftMs = this.vclock.now() - sentAtMs - 95;
    return { ...out, record: { ...out.record, sentAtMs, ttftMs, firstChunkMs: ttftMs } };
  }
}

const stepPhase = (rateRps: number): PhasePlan => ({
  index: 0, name: `step-rate-${rateRps}`, record: true, durationMs: 60_000, maxRequests: null,
  load: { kind: 'open', rateRps, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null },
});

function step(rateRps: number) {
  const clock = new VirtualClock();
  const client = new QueueServer(clock, 4, 100);
  const run = runSweepStep({
    planner, client, clock, seed: 3, classNames: ['a', 'b'], goodput: null, phase: stepPhase(rateRps), drainMs: 10_000,
    judge: { minMs: 5000, maxMs: 60_000, windowS: 2, minRequests: 30, offeredRps: rateRps },
  });
  return { clock, client, result: clock.run(run) };
}

describe('a sweep step on a virtual clock', () => {
  it('stops a load under capacity once steady, after its minimum duration', async () => {
    const { client, result } = step(20);
    const r = await result;
    expect(r.verdict.state).toBe('steady');
    expect(r.stopAtMs).not.toBeNull();
    expect(r.stopAtMs!).toBeGreaterThanOrEqual(5000);
    expect(r.stopAtMs!).toBeLessThan(20_000);
    expect(client.aborted).toBe(0); // in-flight requests finished within the drain
    const p = r.result.phases[0];
    // The achieved rate is over the time the step actually scheduled.
    expect(p.achievedRateRps!).toBeGreaterThan(15);
    expect(p.achievedRateRps!).toBeLessThan(25);
  });

  it('stops a runaway queue as saturated and cancels what is left after a short drain', async () => {
    const { client, result } = step(80);
    const r = await result;
    expect(r.verdict.state).toBe('saturated');
    expect(r.verdict.state === 'saturated' && r.verdict.reason).toMatch(/in flight rose .* while .* req\/s completed of 80 offered/);
    expect(r.stopAtMs!).toBeLessThan(15_000);
    expect(client.aborted).toBe(1);
  });

  it('gives the same verdict and the same counts every time (no wall clock involved)', async () => {
    const a = await step(20).result;
    const b = await step(20).result;
    expect(b.stopAtMs).toBe(a.stopAtMs);
    expect(b.result.phases[0].sent).toBe(a.result.phases[0].sent);
    expect(b.result.timeseries).toEqual(a.result.timeseries);
  });
});
