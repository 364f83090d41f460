// The measuring loop's health in the result: GC pauses, the longest task, timed body builds and the
// first second beside the rest (shape and presence; their values are the bench's to judge).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { startClientSampler } from '../../src/commands/client-health.js';
import type { RequestRecord } from '../../src/client/record.js';
import { LoopHealthSchema, type LoopHealth } from '../../src/results/format.js';
import { mergedLoop, mergeResults } from '../../src/results/merge.js';
import { standardRun } from '../report/fixtures.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import type { LiveView } from '../../src/driver/sink.js';
import { newHistogram, recordMs } from '../../src/metrics/histogram.js';
import { planner } from '../driver/fake.js';
import { fixture, readOnlyResult, runCli, tempDir } from './helpers.js';

const rec = (scheduledAtMs: number, queueMs: number, ttftMs: number | null): RequestRecord =>
  ({ scheduledAtMs, queueMs, ttftMs, status: ttftMs === null ? 'error' : 'ok' }) as RequestRecord;

describe('client sampler: the measuring loop', () => {
  it('counts GC pauses of this process, times each body build and splits the first second from the rest', async () => {
    let nowMs = 0;
    const sampler = startClientSampler(() => nowMs);
    const timed = sampler.timed(planner);
    expect(timed.plan(0, 3)).toEqual(planner.plan(0, 3));
    timed.plan(0, 4);
    sampler.phaseStart?.({} as PhasePlan, 0);
    // Two collections asked for outright (a loop of garbage may be optimised away).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
    await new Promise((r) => setTimeout(r, 20)); // GC entries are delivered asynchronously
    const sink = sampler as Required<typeof sampler>;
    sink.record(rec(100, 0.5, 40), {} as never, {} as never, 200);
    sink.record(rec(900, 2, null), {} as never, {} as never, 950);
    sink.record(rec(1500, 0.25, 30), {} as never, {} as never, 1600);
    nowMs = 2000;
    const loop = sampler.sample().loop!;
    sampler.stop();
    expect(LoopHealthSchema.parse(loop)).toEqual(loop);
    expect(loop.gcPauses.count).toBeGreaterThanOrEqual(2);
    expect(loop.gcPauses.maxMs).toBeGreaterThanOrEqual(loop.gcPauses.p99Ms);
    expect(loop.bodyBuild.count).toBe(2);
    // HDR histograms: three significant digits.
    expect(loop.firstSecond).toMatchObject({ requests: 2, queueP99Ms: 2 });
    expect(loop.firstSecond!.ttftP99Ms).toBeCloseTo(40, 1);
    expect(loop.afterFirstSecond).toMatchObject({ requests: 1, queueP99Ms: 0.25 });
    expect(loop.afterFirstSecond!.ttftP99Ms).toBeCloseTo(30, 1);
  });

  it('counts each late send in the second it was due, and keeps each second\'s largest lag', () => {
    const sampler = startClientSampler(() => 0);
    sampler.phaseStart?.({} as PhasePlan, 0);
    sampler.dispatchLag!(2, 400);
    sampler.dispatchLag!(8, 1003); // due at 995 ms: the first second's, though sent after it
    sampler.tick({ atMs: 1004 } as unknown as LiveView);
    sampler.dispatchLag!(9, 1209); // due at 1200 ms
    sampler.tick({ atMs: 2000 } as unknown as LiveView);
    const s = sampler.sample();
    sampler.stop();
    expect(s.loop!.firstSecond!.dispatchLagP99Ms).toBeCloseTo(8, 1);
    expect(s.loop!.afterFirstSecond!.dispatchLagP99Ms).toBeCloseTo(9, 1);
    expect(s.lagSeconds!.map((x) => [x.tS, x.dispatchLagMaxMs])).toEqual([[0, 8], [1, 9]]);
  });

  it('merged processes add their counts and keep the worst p99s and maxima', () => {
    const one = (n: number, p99: number, first: number | null): LoopHealth => ({
      gcPauses: { count: n, totalMs: n * 2, p99Ms: p99, maxMs: p99 + 1 },
      longestTaskMs: p99 * 3,
      bodyBuild: { count: n * 10, p99Ms: p99 / 10, maxMs: p99 / 5 },
      firstSecond: first === null ? null : { requests: n, dispatchLagP99Ms: first, queueP99Ms: first * 2, ttftP99Ms: null },
      afterFirstSecond: { requests: n * 5, dispatchLagP99Ms: 0.1, queueP99Ms: 0.2, ttftP99Ms: 50 + n },
    });
    const m = mergedLoop([one(3, 2, 4), undefined, one(5, 1, null)]).loop!;
    expect(m.gcPauses).toEqual({ count: 8, totalMs: 16, p99Ms: 2, maxMs: 3 });
    expect(m.longestTaskMs).toBe(6);
    expect(m.bodyBuild).toEqual({ count: 80, p99Ms: 0.2, maxMs: 0.4 });
    expect(m.firstSecond).toEqual({ requests: 3, dispatchLagP99Ms: 4, queueP99Ms: 8, ttftP99Ms: null });
    expect(m.afterFirstSecond).toEqual({ requests: 40, dispatchLagP99Ms: 0.1, queueP99Ms: 0.2, ttftP99Ms: 55 });
    expect(mergedLoop([undefined])).toEqual({});
  });

  it('merged shards keep every loop block and warm start: connections add up, the slowest warm start counts', () => {
    const a = standardRun(1);
    const b = standardRun(2);
    a.meta.warmStart = { connections: 4, keepAlive: true, ms: 3.5 };
    b.meta.warmStart = { connections: 3, keepAlive: true, ms: 7.25 };
    a.client.loop = { gcPauses: { count: 2, totalMs: 3, p99Ms: 2, maxMs: 2 }, longestTaskMs: 4, bodyBuild: { count: 10, p99Ms: 0.5, maxMs: 0.6 }, firstSecond: null, afterFirstSecond: null };
    const m = mergeResults([a, b], ['a.json', 'b.json']);
    expect(m.meta.warmStart).toEqual({ connections: 7, keepAlive: true, ms: 7.25 });
    expect(m.client.loop?.gcPauses.count).toBe(2);
    expect(m.client.loop?.longestTaskMs).toBe(4);
  });
});

describe('loadshape run and report: the loop health block', () => {
  it('the result carries GC pauses, the longest task, body builds and the first second, and report prints them', async () => {
    const out = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), '--sim-ttft', '5', '--sim-itl', '1', '--rate', '20', '--duration', '2s', '--workers', '1', '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    const loop = readOnlyResult(out).client.loop!;
    expect(LoopHealthSchema.parse(loop)).toEqual(loop);
    expect(loop.bodyBuild.count).toBeGreaterThan(0);
    expect(loop.firstSecond!.requests).toBeGreaterThan(0);
    const file = join(out, readdirSync(out).find((f) => f.endsWith('.json'))!);
    const rep = await runCli(['report', file]);
    expect(rep.stdout).toMatch(/client loop: GC pauses \d+ \(p99 [\d.]+ ms, max [\d.]+ ms, [\d.]+ ms in all\); longest task [\d.]+ ms; body builds \d+/);
    expect(rep.stdout).toMatch(/client first second: (dispatch lag p99 [\d.]+ ms, queue p99 [\d.]+ ms, TTFT p99 \S+ ms \(\d+ requests\)|nothing sent); after it: /);
    const html = await runCli(['report', file, '--html', join(out, 'r.html')]);
    expect(html.code).toBe(0);
    expect(readFileSync(join(out, 'r.html'), 'utf8')).toMatch(/client loop: GC pauses \d+/);
  });
});
