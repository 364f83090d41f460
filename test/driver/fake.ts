// Fakes for Driver tests on a VirtualClock: a client whose service time passes on that clock, and
// planners of plain and conversation requests.
import type { RequestInput, RequestOutcome } from '../../src/client/openai.js';
import type { RequestSender } from '../../src/driver/run.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import type { VirtualClock } from '../../src/util/clock.js';
import type { Planner, RequestPlan } from '../../src/workload/plan.js';

/** A client that answers after `serviceMs` of clock time, tracking the most requests ever in flight; `fail(n)` makes the n-th (1-based) an http_5xx. */
export class FakeClient implements RequestSender {
  inFlightCount = 0;
  maxInFlight = 0;
  sent: RequestInput[] = [];
  aborted = 0;
  private n = 0;
  constructor(
    private readonly clock: VirtualClock,
    private readonly serviceMs: number | ((input: RequestInput) => number),
    private readonly fail: (n: number) => boolean = () => false,
  ) {}

  async send(input: RequestInput): Promise<RequestOutcome> {
    const sentAtMs = this.clock.now();
    const failed = this.fail(++this.n);
    this.sent.push(input);
    this.inFlightCount++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlightCount);
    const serviceMs = typeof this.serviceMs === 'number' ? this.serviceMs : this.serviceMs(input);
    await this.clock.sleep(serviceMs);
    if (!failed) input.onGap?.(1);
    this.inFlightCount--;
    return {
      record: {
        phase: input.phase, class: input.plan.className, scheduledAtMs: input.scheduledAtMs, sentAtMs,
        queueMs: sentAtMs - input.scheduledAtMs, ttftMs: failed ? null : 5, firstChunkMs: failed ? null : 5, tpotMs: failed ? null : 1, e2eMs: failed ? null : serviceMs,
        promptTokens: 10, outputTokens: failed ? null : 4, outputTokensSource: failed ? null : 'usage', chunks: failed ? 0 : 4, finishReason: failed ? null : 'length',
        status: failed ? 'error' : 'ok', errorClass: failed ? 'http_5xx' : null, httpStatus: failed ? 500 : 200, validity: null, toolCalls: null,
      },
      errorMessage: failed ? 'HTTP 500: boom' : null, text: null, validityDetail: null,
    };
  }

  abortAll(): void {
    this.aborted++;
  }
}

/** Plain requests; odd indices are class b, even ones class a. */
export const planner: Planner = {
  workload: {} as Planner['workload'],
  plan: (phaseIndex, requestIndex): RequestPlan => ({
    phaseIndex, requestIndex, className: requestIndex % 2 ? 'b' : 'a', kind: 'chat', path: '/chat/completions',
    body: '{}', promptTokens: 10, maxTokens: 4,
  }),
};

/** Every arrival is a conversation of `turns` requests with `thinkMs` between them. */
export const conversing = (turns: number, thinkMs: number): Planner => ({
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

export const open = (o: Partial<Extract<PhasePlan['load'], { kind: 'open' }>>): PhasePlan['load'] => ({
  kind: 'open', rateRps: 100, ramp: null, arrival: 'constant', burstiness: 1, maxConcurrency: null, ...o,
});

export const closed = (concurrency: number): PhasePlan['load'] => ({ kind: 'closed', concurrency });
