// Issue 17, item 11: a closed-loop phase at the concurrency bound starts its slots without holding the
// event loop, so a stop (Ctrl-C's handler runs as a macrotask just like this timer) is heard at once.
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Driver, type RequestSender } from '../../src/driver/run.js';
import { realClock } from '../../src/util/clock.js';
import type { RequestInput, RequestOutcome } from '../../src/client/openai.js';
import type { Planner, RequestPlan } from '../../src/workload/plan.js';
import { MAX_CONCURRENCY } from '../../src/util/limits.js';

/** Holds every request until released: a server that never answers. */
class HoldingClient implements RequestSender {
  inFlightCount = 0;
  sent = 0;
  private readonly waiting: (() => void)[] = [];
  async send(input: RequestInput): Promise<RequestOutcome> {
    this.sent++;
    this.inFlightCount++;
    await new Promise<void>((r) => this.waiting.push(r));
    this.inFlightCount--;
    return {
      record: {
        phase: input.phase, class: input.plan.className, scheduledAtMs: input.scheduledAtMs, sentAtMs: input.scheduledAtMs,
        queueMs: 0, ttftMs: null, firstChunkMs: null, tpotMs: null, e2eMs: 1, promptTokens: 10, outputTokens: 0, outputTokensSource: 'usage',
        chunks: 0, finishReason: null, status: 'error', errorClass: 'cancelled', httpStatus: null, validity: null, toolCalls: null,
      },
      errorMessage: 'cancelled by the user', text: null, validityDetail: null,
    };
  }
  releaseAll(): void {
    for (const r of this.waiting.splice(0)) r();
  }
}

describe('starting a closed-loop phase', () => {
  it(`at the concurrency bound (${MAX_CONCURRENCY}) with slow prompt synthesis, a stop is heard within a second and ends the start`, async () => {
    // 0.2 ms of synthesis per prompt: 100,000 slots are 20 s of work if started in one go.
    const planner: Planner = {
      workload: {} as Planner['workload'],
      plan: (phaseIndex, requestIndex): RequestPlan => {
        const until = performance.now() + 0.2;
        while (performance.now() < until);
        return { phaseIndex, requestIndex, className: 'a', kind: 'chat', path: '/chat/completions', body: '{}', promptTokens: 10, maxTokens: 4 };
      },
    };
    // The real clock: what is under test is how long the event loop is held, which only real time shows.
    const client = new HoldingClient();
    const driver = new Driver({
      planner, client, clock: realClock(), seed: 1,
      phases: [{ index: 0, name: 'big', record: true, durationMs: null, maxRequests: null, load: { kind: 'closed', concurrency: MAX_CONCURRENCY } }],
    });
    const dueAt = performance.now() + 200;
    let lateMs = Infinity;
    setTimeout(() => {
      lateMs = performance.now() - dueAt;
      driver.stop();
      client.releaseAll(); // what the drain's cancel does
    }, 200);
    const run = driver.run();
    // Requests that started after the release are released by the next sweep.
    const sweeper = setInterval(() => client.releaseAll(), 50);
    const r = await run;
    clearInterval(sweeper);
    expect(lateMs).toBeLessThan(1000);
    expect(r.interrupted).toBe(true);
    expect(client.sent).toBeLessThan(MAX_CONCURRENCY / 4); // the start stopped with the stop
  });
});
