// How the drain at a phase's end scales with the requests in flight: the Driver (counter + one resolver)
// on a virtual clock, against the race over every pending promise it replaced
// (`while (pending.size) await Promise.race(pending)`, quadratic). CPU time of the whole phase, n in flight.
//   npx tsx scripts/bench-drain.ts
import { performance } from 'node:perf_hooks';
import type { RequestInput, RequestOutcome } from '../src/client/openai.js';
import { Driver, type RequestSender } from '../src/driver/run.js';
import { VirtualClock } from '../src/util/clock.js';
import type { Planner, RequestPlan } from '../src/workload/plan.js';

const planner: Planner = {
  workload: {} as Planner['workload'],
  plan: (phaseIndex, requestIndex): RequestPlan => ({ phaseIndex, requestIndex, className: 'a', kind: 'chat', path: '/chat/completions', body: '{}', promptTokens: 1, maxTokens: 1 }),
};

class Client implements RequestSender {
  inFlightCount = 0;
  constructor(private readonly clock: VirtualClock) {}
  async send(input: RequestInput): Promise<RequestOutcome> {
    const sentAtMs = this.clock.now();
    await this.clock.sleep(1000 + (input.plan.requestIndex % 97));
    return {
      record: {
        phase: input.phase, class: 'a', scheduledAtMs: input.scheduledAtMs, sentAtMs, queueMs: 0, ttftMs: 1, firstChunkMs: 1, tpotMs: null, e2eMs: 1,
        promptTokens: 1, outputTokens: 1, outputTokensSource: 'usage', chunks: 1, finishReason: 'stop', status: 'ok', errorClass: null, httpStatus: 200, validity: null, toolCalls: null,
      },
      errorMessage: null, text: null, validityDetail: null,
    };
  }
}

async function driverPhase(n: number): Promise<number> {
  const clock = new VirtualClock();
  const driver = new Driver({
    planner, client: new Client(clock), clock, seed: 1,
    phases: [{ index: 0, name: 'p', record: true, durationMs: null, maxRequests: n, load: { kind: 'open', rateRps: 1e6, ramp: null, arrival: 'constant', burstiness: 1, maxConcurrency: null } }],
  });
  const cpu0 = process.cpuUsage();
  await clock.run(driver.run());
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}

/** The replaced drain: n promises settling one per macrotask, awaited by racing all that remain. */
async function raceDrain(n: number): Promise<number> {
  const pending = new Set<Promise<void>>();
  for (let i = 0; i < n; i++) {
    const p: Promise<void> = new Promise<void>((r) => setTimeout(r, 1 + (i % 97))).then(() => void pending.delete(p));
    pending.add(p);
  }
  const cpu0 = process.cpuUsage();
  while (pending.size > 0) await Promise.race(pending);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}

const t0 = performance.now();
console.log('in flight | Driver phase, CPU ms | per request, µs | old race drain alone, CPU ms');
for (const n of [2000, 4000, 8000, 16000]) {
  await driverPhase(n); // warm the JIT
  const d = await driverPhase(n);
  // The quadratic race takes minutes past 8,000: measured up to there.
  const r = n <= 8000 ? (await raceDrain(n)).toFixed(0) : '(skipped)';
  console.log(`${String(n).padStart(9)} | ${d.toFixed(0).padStart(20)} | ${((d * 1000) / n).toFixed(1).padStart(15)} | ${r.padStart(27)}`);
}
console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
