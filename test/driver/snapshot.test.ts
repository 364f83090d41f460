import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { Driver, type RequestSender } from '../../src/driver/run.js';
import type { RequestInput, RequestOutcome } from '../../src/client/openai.js';
import type { Planner, RequestPlan } from '../../src/workload/plan.js';
import type { PhasePlan } from '../../src/schedule/phases.js';

/** Answers after `serviceMs`; every third request fails with http_5xx. */
class Fake implements RequestSender {
  inFlightCount = 0;
  private n = 0;
  constructor(private readonly now: () => number, private readonly serviceMs: number) {}
  async send(input: RequestInput): Promise<RequestOutcome> {
    const sentAtMs = this.now();
    const fail = ++this.n % 3 === 0;
    this.inFlightCount++;
    await new Promise((r) => setTimeout(r, this.serviceMs));
    this.inFlightCount--;
    return {
      record: {
        phase: input.phase, class: input.plan.className, scheduledAtMs: input.scheduledAtMs, sentAtMs, queueMs: 0,
        ttftMs: fail ? null : 3, firstChunkMs: fail ? null : 3, tpotMs: null, e2eMs: fail ? null : this.serviceMs, promptTokens: 1,
        outputTokens: fail ? null : 1, outputTokensSource: fail ? null : 'usage', chunks: fail ? 0 : 1, finishReason: fail ? null : 'stop',
        status: fail ? 'error' : 'ok', errorClass: fail ? 'http_5xx' : null, httpStatus: fail ? 500 : 200, validity: null, toolCalls: null,
      },
      errorMessage: fail ? 'HTTP 500: boom' : null, text: null, validityDetail: null,
    };
  }
}

const planner: Planner = {
  workload: {} as Planner['workload'],
  plan: (phaseIndex, requestIndex): RequestPlan => ({
    phaseIndex, requestIndex, className: 'a', kind: 'chat', path: '/chat/completions', body: '{}', promptTokens: 1, maxTokens: 1,
  }),
};

describe('Driver.snapshot', () => {
  it('holds the finished phases and the running one so far, and does not disturb the run', async () => {
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const phases: PhasePlan[] = [
      { index: 0, name: 'one', record: true, durationMs: null, maxRequests: 6, load: { kind: 'closed', concurrency: 2 } },
      { index: 1, name: 'two', record: true, durationMs: null, maxRequests: 60, load: { kind: 'closed', concurrency: 2 } },
    ];
    const driver = new Driver({ planner, phases, client: new Fake(now, 10), now, seed: 1, classNames: ['a'], samplesPerClass: 100 });
    expect(driver.snapshot().phases).toEqual([]); // nothing started yet
    const running = driver.run();
    await new Promise((r) => setTimeout(r, 80)); // phase one (3 rounds × 10 ms) is done, two is under way
    const s = driver.snapshot();
    expect(s.phases.map((p) => p.plan.name)).toEqual(['one', 'two']);
    expect(s.phases[0].stats!.all.counters).toMatchObject({ requests: 6, ok: 4, errors: 2 });
    const live = s.phases[1];
    const done = live.stats!.all.counters.requests;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(60);
    expect(live.sent).toBeGreaterThanOrEqual(done); // sent includes the in-flight ones
    expect(live.endedAtMs).toBeGreaterThan(live.startedAtMs);
    expect(s.errorSamples.http_5xx?.[0]).toBe('HTTP 500: boom');
    expect(s.interrupted).toBe(false);
    const samplesThen = s.errorSamples.http_5xx!.length;
    const final = await running;
    expect(final.phases.map((p) => p.stats!.all.counters.requests)).toEqual([6, 60]);
    // the snapshot's sample lists were copies: the run went on adding to its own
    expect(final.errorSamples.http_5xx).toHaveLength(22); // 2 + 20
    expect(s.errorSamples.http_5xx).toHaveLength(samplesThen);
    expect(samplesThen).toBeLessThan(22);
    expect(driver.snapshot().phases).toHaveLength(2);
  });
});
