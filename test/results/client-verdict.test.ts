// Overloaded vs starved harness: the judgement (pure), the sampler with an injected scheduler reader
// (a starved process and a truly busy one), and how the summary says it.
import { describe, expect, it } from 'vitest';
import { startClientSampler, type SchedReader } from '../../src/commands/client-health.js';
import { clientHealth, type ClientSample } from '../../src/results/assemble.js';
import { lagWhen, mergeLagSeconds, saturationCause } from '../../src/results/client-verdict.js';
import { renderSummary } from '../../src/report/text.js';
import { renderRunHtml } from '../../src/report/html.js';
import { mergeResults } from '../../src/results/merge.js';
import { standardRun } from '../report/fixtures.js';

const base: ClientSample = { eventLoopDelayP50Ms: 0, eventLoopDelayP99Ms: 1, eventLoopDelayMaxMs: 2, eventLoopUtilization: 0.06, cpuPercent: 7, peakRssMb: 80 };

describe('saturation cause', () => {
  it('a harness that lagged on 7% of a core while queueing for a CPU is starved, with advice about the machine', () => {
    const c = saturationCause({ wallMs: 10_000, threadCpuMs: 700, runQueueWaitMs: 900 });
    expect(c.reason).toBe('starved');
    expect(c.detail).toContain("the harness's main thread got 7% of a core while it needed 16%");
    expect(c.advice).toMatch(/quiet machine.*nice.*taskset/);
    expect(c.advice).not.toMatch(/--workers/);
  });

  it('a harness busy on its own work is overloaded, with advice to spread the load', () => {
    const c = saturationCause({ wallMs: 10_000, threadCpuMs: 9_500, runQueueWaitMs: 300 });
    expect(c.reason).toBe('overloaded');
    expect(c.advice).toMatch(/--workers/);
    // Little CPU but no queueing either: nothing says another process took the CPU.
    expect(saturationCause({ wallMs: 10_000, threadCpuMs: 700, runQueueWaitMs: 20 }).reason).toBe('overloaded');
    expect(saturationCause(null).reason).toBe('overloaded');
  });

  it('clientHealth names the reason only for a saturated client; both invalidate the run', () => {
    const sched = { wallMs: 10_000, threadCpuMs: 700, runQueueWaitMs: 900 };
    const lagged = clientHealth({ ...base, sched }, 56.3);
    expect([lagged.saturated, lagged.reason]).toEqual([true, 'starved']);
    const fine = clientHealth({ ...base, sched }, 2);
    expect([fine.saturated, fine.reason, fine.advice]).toEqual([false, undefined, undefined]);
  });
});

describe('first and worst seconds of lag', () => {
  it('tells a cold start from a whole-run lag', () => {
    const seconds = [0, 1, 2, 3, 4].map((tS) => ({ tS, loopDelayMaxMs: tS === 0 ? 40 : 1, dispatchLagMaxMs: tS === 3 ? 56.3 : 0 }));
    expect(lagWhen(seconds, 10)).toEqual({ secondsOver: 2, firstS: 0, firstMs: 40, worstS: 3, worstMs: 56.3 });
    expect(lagWhen(seconds.slice(1, 3), 10)).toMatchObject({ secondsOver: 0, firstS: null });
    // Two processes on one clock: the worst of each second.
    expect(mergeLagSeconds([seconds.slice(0, 2), [{ tS: 1, loopDelayMaxMs: 30, dispatchLagMaxMs: 0 }]])[1].loopDelayMaxMs).toBe(30);
  });

  it('the summary prints the reason, its advice and when the lag happened', () => {
    const r = standardRun(1);
    r.client = clientHealth({ ...base, sched: { wallMs: 5000, threadCpuMs: 350, runQueueWaitMs: 600 }, lagSeconds: [{ tS: 0, loopDelayMaxMs: 1, dispatchLagMaxMs: 3 }, { tS: 1, loopDelayMaxMs: 2, dispatchLagMaxMs: 56.3 }] }, 56.3);
    r.clientSaturated = r.client.saturated;
    const text = renderSummary(r);
    expect(text).toContain("!!! starved: the machine is busy: the harness's main thread got 7% of a core");
    expect(text).toContain('taskset');
    expect(text).toContain('client lag first at 1 s (56.3 ms), worst at 1 s (56.3 ms); 1 of 2 s over the limit');
    const html = renderRunHtml('r.json', r);
    expect(html).toContain('Client saturated (starved)');
    expect(html).toContain('nice -n -5');
    expect(html).toContain('lag first at 1 s (56.3 ms)');
  });
});

describe('client sampler with an injected scheduler reader', () => {
  const clock = () => {
    const t0 = performance.now();
    return () => performance.now() - t0;
  };
  const cpuNs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  };

  it('a starved process: the loop stalls without using CPU while the scheduler reports run-queue wait', async () => {
    let waitedNs = 0;
    const reader: SchedReader = () => ({ cpuNs: cpuNs(), waitNs: waitedNs });
    const sampler = startClientSampler(clock(), reader);
    await new Promise((r) => setTimeout(r, 30));
    // Blocked off-CPU for 150 ms, as a thread waiting on a run queue is (Atomics.wait sleeps the thread).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
    waitedNs += 150e6;
    await new Promise((r) => setTimeout(r, 30));
    const health = clientHealth(sampler.sample(), 0);
    sampler.stop();
    expect(health.eventLoopDelayMaxMs).toBeGreaterThan(100);
    expect([health.saturated, health.reason]).toEqual([true, 'starved']);
  });

  it('a truly overloaded process: the loop stalls on its own CPU work with no run-queue wait', async () => {
    const reader: SchedReader = () => ({ cpuNs: cpuNs(), waitNs: 0 });
    const sampler = startClientSampler(clock(), reader);
    await new Promise((r) => setTimeout(r, 30));
    const until = cpuNs() + 150e6; // 150 ms of CPU, however long the shared machine takes to give it
    while (cpuNs() < until);
    await new Promise((r) => setTimeout(r, 30));
    const health = clientHealth(sampler.sample(), 0);
    sampler.stop();
    expect([health.saturated, health.reason]).toEqual([true, 'overloaded']);
    expect(health.sched!.threadCpuMs).toBeGreaterThanOrEqual(150);
  });
});

describe('merged processes', () => {
  it('one starved shard makes the merged run starved, and the lag seconds are the worst of each second', () => {
    const starved = standardRun(1);
    starved.client = clientHealth({ ...base, sched: { wallMs: 5000, threadCpuMs: 300, runQueueWaitMs: 900 }, lagSeconds: [{ tS: 0, loopDelayMaxMs: 2, dispatchLagMaxMs: 40 }, { tS: 1, loopDelayMaxMs: 1, dispatchLagMaxMs: 1 }] }, 40);
    starved.clientSaturated = true;
    const fine = standardRun(1);
    fine.client = clientHealth({ ...base, lagSeconds: [{ tS: 0, loopDelayMaxMs: 1, dispatchLagMaxMs: 1 }, { tS: 1, loopDelayMaxMs: 25, dispatchLagMaxMs: 0 }] }, 1);
    const m = mergeResults([fine, starved], ['fine.json', 'starved.json']);
    expect([m.clientSaturated, m.client.reason]).toEqual([true, 'starved']);
    expect(m.client.lagSeconds!.map((x) => [x.loopDelayMaxMs, x.dispatchLagMaxMs])).toEqual([[2, 40], [25, 1]]);
    expect(m.client.lagWhen).toMatchObject({ secondsOver: 2, firstS: 0, worstS: 0, worstMs: 40 });
  });
});
