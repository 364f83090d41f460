// The warm start: before the clock starts, connections are opened up to the expected concurrency (when
// the endpoint keeps them alive) and the result says so; --no-warm-start skips it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedConcurrency, MAX_WARM_CONNECTIONS, REHEARSALS } from '../../src/commands/warm-start.js';
import type { PhasePlan } from '../../src/schedule/phases.js';
import { startSimulator } from '../../src/sim/server.js';
import { open, closed } from '../driver/fake.js';
import { fixture, readOnlyResult, runCli, tempDir } from './helpers.js';

const phase = (load: PhasePlan['load']): PhasePlan => ({ index: 0, name: 'p', record: true, durationMs: 1000, maxRequests: null, load });

describe('expected concurrency of the warm start', () => {
  it.each([
    ['a closed loop: its concurrency', [phase(closed(8))], 1, 8],
    ['a closed loop over the cap: the cap', [phase(closed(5000))], 1, MAX_WARM_CONNECTIONS],
    ['an open loop: one second of arrivals', [phase(open({ rateRps: 20 }))], 1, 20],
    ['an open loop with max_concurrency below that: the cap of the phase', [phase(open({ rateRps: 200, maxConcurrency: 5 }))], 1, 5],
    ['shards: their share', [phase(closed(8))], 4, 2],
    ['no phase: nothing', [], 1, 0],
  ] as const)('%s', (_what, phases, shards, want) => {
    expect(expectedConcurrency(phases as unknown as PhasePlan[], shards)).toBe(want);
  });
});

/** Runs one open-loop run against a simulator that counts connections; returns how many were open when the first generation request came, and the result. */
async function countedRun(extra: string[]) {
  let connections = 0;
  let atFirstRequest: number | null = null;
  const sim = await startSimulator({ profile: 'fixed', ttftMs: 2, itlMs: 1, onConnection: () => connections++, onRequest: () => (atFirstRequest ??= connections) });
  try {
    const out = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), '--target', sim.url, '--server-metrics', 'none', '--workers', '1', '--rate', '6', '--requests', '1', '--out', out, '--quiet', ...extra]);
    expect(r.code).toBe(0);
    return { atFirstRequest: atFirstRequest!, total: connections, result: readOnlyResult(out) };
  } finally {
    await sim.close();
  }
}

describe('loadshape run: warm start against the simulator', () => {
  it('opens the expected connections before the first send, and --no-warm-start opens none ahead', async () => {
    const warm = await countedRun([]);
    const cold = await countedRun(['--no-warm-start']);
    // 6 req/s: six connections expected in the first second, all open before the one request went out.
    expect(warm.result.meta.warmStart).toMatchObject({ connections: 6, keepAlive: true, rehearsed: REHEARSALS });
    expect(warm.result.meta.warmStart!.ms).toBeGreaterThan(0);
    expect(cold.result.meta.warmStart).toBeUndefined();
    // Whatever else connects before the run (model discovery, engine probes) does so in both runs.
    expect(warm.atFirstRequest - cold.atFirstRequest).toBeGreaterThanOrEqual(5);
    // The one request reused a warmed connection: no connection was opened after the first send.
    expect(warm.total).toBe(warm.atFirstRequest);
    // The rehearsals and synthetic streams that warmed the send and receive paths were never recorded
    // (nor sent to the target: its connections were all open before the first send).
    expect(warm.result.phases[0].groups.find((g) => g.class === '*')!.requests).toBe(1);
  });
});

describe('sweep and mirrored ab: warm start', () => {
  it('a sweep opens its probe concurrency before its clock starts and records it; --no-warm-start skips it', async () => {
    const sim = await startSimulator({ profile: 'fixed', ttftMs: 2, itlMs: 1 });
    try {
      const tiny = ['--slo', 'ttft.p95 < 5s', '--max-steps', '3', '--probe-concurrency', '3', '--step-duration', '1s', '--min-step-duration', '1s',
        '--steady-window', '1s', '--min-step-requests', '3', '--quiet', '--max-client-lag', '1s'];
      const out = tempDir();
      expect((await runCli(['sweep', fixture('timing.yaml'), '--target', sim.url, ...tiny, '--out', out])).code).toBe(0);
      expect(readOnlyResult(out).meta.warmStart).toMatchObject({ connections: 3, keepAlive: true });
      const cold = tempDir();
      expect((await runCli(['sweep', fixture('timing.yaml'), '--target', sim.url, ...tiny, '--no-warm-start', '--out', cold])).code).toBe(0);
      expect(readOnlyResult(cold).meta.warmStart).toBeUndefined();
    } finally {
      await sim.close();
    }
  });

  it('mirrored ab warms both sides before the shared clock and records it in each side', async () => {
    const [a, b] = await Promise.all([startSimulator({ profile: 'fixed', ttftMs: 2, itlMs: 1 }), startSimulator({ profile: 'fixed', ttftMs: 2, itlMs: 1 })]);
    try {
      const out = tempDir();
      const r = await runCli(['ab', fixture('ab-short.yaml'), '--a', a.url, '--b', b.url, '--rate', '4', '--requests', '2', '--max-client-lag', '1s', '--quiet', '--out', out]);
      expect(r.code).toBe(0);
      for (const side of ['a', 'b']) {
        const file = readdirSync(out).find((f) => f.endsWith(`-${side}.json`))!;
        expect(JSON.parse(readFileSync(join(out, file), 'utf8')).meta.warmStart, side).toMatchObject({ connections: 4, keepAlive: true });
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
