import { describe, expect, it } from 'vitest';
import { renderFrame } from '../../src/live/frame.js';
import { LiveModel } from '../../src/live/model.js';
import { exposition } from '../../src/live/prometheus.js';
import { LiveTap } from '../../src/live/tap.js';
import { decodeTick, encodeTick } from '../../src/live/wire.js';
import { record } from '../metrics/accumulator.test.js';
import { phasePlan, view } from './helpers.js';

/** The live view's histograms resolve 1 % (2 significant digits). */
function expectNear(v: number | null, want: number): void {
  expect(v).not.toBeNull();
  expect(Math.abs((v as number) - want) / want).toBeLessThan(0.01);
}

const STEADY = phasePlan({ name: 'steady', index: 1, durationMs: 60_000 });

/** A model fed by one tap per source; `feed` gives each source its records, second by second. */
function run(sources: number, seconds: number, recordsAt: (second: number, source: number) => Parameters<LiveTap['record']>[0][]): LiveModel {
  const model = new LiveModel({ title: 'test', phases: [{ name: 'warmup', index: 0, durationMs: 10_000, maxRequests: null }, { name: 'steady', index: 1, durationMs: 60_000, maxRequests: null }, { name: 'cool', index: 2, durationMs: 30_000, maxRequests: null }], sources });
  const taps = Array.from({ length: sources }, (_, source) => new LiveTap({ source, cpuUs: () => 0, emit: (t) => model.apply(sources > 1 ? decodeTick(JSON.parse(JSON.stringify(encodeTick(t)))) : t) }));
  for (const t of taps) t.phaseStart(STEADY, 0);
  const sent = new Array<number>(sources).fill(0);
  for (let s = 1; s <= seconds; s++) {
    taps.forEach((tap, i) => {
      const rs = recordsAt(s, i);
      for (const r of rs) tap.record(r);
      sent[i] += rs.length;
      tap.tick(view({ atMs: s * 1000, phase: STEADY, scheduled: sent[i], started: sent[i], sent: sent[i], inFlight: 3 }));
    });
  }
  for (const t of taps) t.close(view({ atMs: seconds * 1000 + 1, phase: STEADY, inFlight: 0 }));
  return model;
}

describe('the live model', () => {
  it('keeps counts per phase and class, errors by class, and TTFT percentiles since the start and over the last 10 s', () => {
    const model = run(1, 15, (s) => [
      record({ class: 'chat', ttftMs: s <= 5 ? 50 : 200 }),
      record({ class: 'rag', ttftMs: 80 }),
      ...(s % 5 === 0 ? [record({ class: 'chat', status: 'error', errorClass: 'http_5xx', ttftMs: null, tpotMs: null, e2eMs: null })] : []),
    ]);
    const chat = model.group('steady', 'chat');
    expect(chat.ok).toBe(15);
    expect(chat.failed).toBe(3);
    expect(chat.errors.get('http_5xx')).toBe(3);
    expectNear(chat.quantiles('ttft').p50Ms, 200);
    // Seconds 6..15 hold only the 200 ms requests; since the start a third were 50 ms.
    expectNear(chat.quantiles('ttft', 15 - 10).p50Ms, 200);
    expectNear(chat.quantiles('ttft', 15 - 10).p99Ms, 200);
    // Ten seconds without a request: the window is empty, the since-start figures stay.
    expect(chat.quantiles('ttft', 25)).toEqual({ p50Ms: null, p99Ms: null });
    expectNear(chat.quantiles('tpot').p50Ms, 10);
    const early = run(1, 15, (s) => [record({ class: 'chat', ttftMs: s <= 10 ? 50 : 200 })]).group('steady', 'chat');
    expectNear(early.quantiles('ttft').p50Ms, 50); // 10 of 15 at 50 ms
    expectNear(early.quantiles('ttft', 10).p50Ms, 200); // seconds 11..15: all at 200
    expect(model.group('steady', '*').ok).toBe(30);
    expect(model.finished).toBe(true);
  });

  it('gives the remaining time: the rest of the running phase plus the phases after it', () => {
    const model = new LiveModel({ title: 't', phases: [{ name: 'steady', index: 1, durationMs: 60_000, maxRequests: null }, { name: 'cool', index: 2, durationMs: 30_000, maxRequests: null }] });
    const tap = new LiveTap({ cpuUs: () => 0, emit: (t) => model.apply(t) });
    tap.phaseStart(STEADY, 0);
    tap.tick(view({ atMs: 42_000, phase: STEADY }));
    expect(model.remainingMs()).toBe(18_000 + 30_000);
    tap.close(view({ atMs: 42_001 }));
  });

  it("sends each second's largest dispatch lag, as the Driver reported the late sends, and starts again from nothing", () => {
    const ticks: number[] = [];
    const tap = new LiveTap({ cpuUs: () => 0, emit: (t) => ticks.push(t.dispatchLagMaxMs) });
    tap.phaseStart(STEADY, 0);
    tap.dispatchLag(3);
    tap.dispatchLag(12.5);
    tap.dispatchLag(1);
    tap.tick(view({ atMs: 1000, phase: STEADY }));
    tap.tick(view({ atMs: 2000, phase: STEADY }));
    tap.dispatchLag(0.4);
    tap.close(view({ atMs: 2500 }));
    expect(ticks).toEqual([12.5, 0, 0.4]);
  });

  it('merges the ticks of two processes exactly: the same endpoint text as one process sending every record', () => {
    const recs = (s: number, source: number) => Array.from({ length: 3 }, (_, k) => record({ class: k === 2 ? 'rag' : 'chat', ttftMs: 10 + ((s * 7 + k * 13 + source * 29) % 90), tpotMs: 1 + ((s + k + source) % 9), e2eMs: 300 + s, queueMs: (s + k) % 4, ...(k === 1 && s % 4 === source ? { status: 'error' as const, errorClass: 'timeout_idle' as const, ttftMs: null } : {}) }));
    const two = run(2, 12, recs);
    const one = run(1, 12, (s) => [...recs(s, 0), ...recs(s, 1)]);
    const strip = (t: string) => t.split('\n').filter((l) => !/in_flight|dispatch_lag/.test(l)).join('\n');
    expect(strip(exposition(two, {}))).toBe(strip(exposition(one, {})));
    for (const cls of ['chat', 'rag', '*']) {
      expect(two.group('steady', cls).quantiles('ttft')).toEqual(one.group('steady', cls).quantiles('ttft'));
      expect(two.group('steady', cls).quantiles('tpot', 2)).toEqual(one.group('steady', cls).quantiles('tpot', 2));
    }
    expect(two.group('steady', '*').ok + two.group('steady', '*').failed).toBe(72);
  });
});

describe('renderFrame', () => {
  const model = run(1, 20, (s) => [record({ class: 'chat', ttftMs: 40 + s }), record({ class: 'a-much-longer-class-name-than-fits', ttftMs: 90 }), ...(s === 3 ? [record({ class: 'chat', status: 'error', errorClass: 'timeout_idle', ttftMs: null })] : [])]);
  model.server = { running: 12, waiting: 3, kvCacheUsage: 0.345 };
  model.addLog('step 1 baseline: pass');

  it.each([
    [120, 30],
    [100, 24],
    [80, 24],
    [60, 12],
    [40, 8],
    [200, 60],
  ])('is exactly %i columns by %i rows, whatever the content', (cols, rows) => {
    const lines = renderFrame(model, cols, rows).split('\n');
    expect(lines).toHaveLength(rows);
    for (const l of lines) expect(l.length).toBe(cols);
    expect(lines.join('')).not.toMatch(/[\x00-\x1f]/);
  });

  it('shows per class done and failed, recent and overall TTFT, errors, the server, the harness and the log', () => {
    const f = renderFrame(model, 120, 30);
    expect(f).toContain('phase steady (closed 4)');
    expect(f).toMatch(/chat\s+21\s+1\s/);
    expect(f).toMatch(/all\s+41\s+1\s/);
    expect(f).toContain('TTFT all'); // wide enough for the since-start columns
    expect(f).toContain('errors: timeout_idle 1');
    expect(f).toContain('server: running 12 · waiting 3 · KV 35%');
    expect(f).toContain('harness: loop lag');
    expect(f).toContain('step 1 baseline: pass');
    expect(f).toContain('elapsed 0:20 · done');
  });

  it('shows the line the command sets under the title (the sweep\'s current step)', () => {
    model.note = 'sweep step 3 of at most 12: grid at 12.5 rps';
    expect(renderFrame(model, 100, 24).split('\n')[1].trimEnd()).toBe('sweep step 3 of at most 12: grid at 12.5 rps');
    model.note = '';
  });

  it('drops the since-start columns on a narrow terminal instead of wrapping', () => {
    const f = renderFrame(model, 80, 24);
    expect(f).not.toContain('TTFT all');
    expect(f).toContain('TTFT p50/p99 10s');
  });

  it('renders a resize sequence with every frame of its own size (no line of the old size left)', () => {
    const sizes: [number, number][] = [[120, 30], [70, 15], [130, 40], [60, 12]];
    for (const [c, r] of sizes) {
      const lines = renderFrame(model, c, r).split('\n');
      expect(lines.map((l) => l.length)).toEqual(new Array(r).fill(c));
    }
  });
});
