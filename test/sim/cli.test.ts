import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, readOnlyResult, runCli, tempDir } from '../commands/helpers.js';

// The simulator's profiles and faults as a user reaches them: `loadshape run` without --target,
// built CLI in a child process (npm test builds dist/ first).
describe('run --sim-profile / --sim-config / --sim-fault', () => {
  it('runs the blocking profile from a config file, with faults from both the file and flags in the result', async () => {
    const out = tempDir();
    const config = join(out, 'sim.yaml');
    writeFileSync(config, 'profile: blocking\nslots: 2\ndecode_base_ms: 2\nfaults:\n  - {type: http_500, every: 4}\n');
    const r = await runCli(['run', fixture('timing.yaml'), '--sim-config', config, '--sim-fault', 'reset:every=5', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const result = readOnlyResult(out);
    const sim = result.meta.target.simulator as Record<string, unknown>;
    expect(sim.profile).toBe('blocking');
    expect(sim.slots).toBe(2);
    expect(sim.faults).toEqual([{ type: 'http_500', every: 4 }, { type: 'reset', every: 5 }]);
    const all = result.phases[0].groups[0];
    // 32 requests: 4, 8, ..., 32 → 500 (8); 5, 10, ..., 30 → reset, except 20 which 500 took first (5).
    expect(all.errorsByClass).toEqual({ http_5xx: 8, reset: 5 });
    expect(all.ok).toBe(19);
  });

  it('keeps the exact fixed schedule when only --sim-ttft/--sim-itl are given', async () => {
    const out = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), '--sim-ttft', '20', '--sim-itl', '2', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const result = readOnlyResult(out);
    expect((result.meta.target.simulator as Record<string, unknown>).profile).toBe('fixed');
    const m = result.phases[0].groups[0].metrics;
    // TTFT is never shorter than the server's 20 ms (the client stamps its send before the server sees
    // it). TPOT is judged loosely both ways: a busy client that reads two chunks at once measures a gap
    // shorter than the schedule's (exactness: scripts/sim-exactness.ts).
    expect(m.ttftMs.p50Ms).toBeGreaterThan(19.9);
    expect(m.ttftMs.p50Ms).toBeLessThan(20 + 25);
    expect(m.tpotMs.p50Ms).toBeGreaterThan(1);
    expect(m.tpotMs.p50Ms).toBeLessThan(2 + 25);
  });

  it('rejects an unknown profile, a bad config field and ttft with an engine profile (exit 4)', async () => {
    const out = tempDir();
    const bad = await runCli(['run', fixture('timing.yaml'), '--sim-profile', 'vllm', '--out', out, '--quiet']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/--sim-profile: unknown profile "vllm"; expected one of fixed, continuous-batching/);
    const config = join(out, 'sim.yaml');
    writeFileSync(config, 'profile: blocking\nslot: 2\n');
    const typo = await runCli(['run', fixture('timing.yaml'), '--sim-config', config, '--out', out, '--quiet']);
    expect(typo.code).toBe(4);
    expect(typo.stderr).toMatch(/sim\.yaml: \(top level\): Unrecognized key/);
    const mixed = await runCli(['run', fixture('timing.yaml'), '--sim-profile', 'prefix-cache', '--sim-ttft', '5', '--out', out, '--quiet']);
    expect(mixed.code).toBe(4);
    expect(mixed.stderr).toMatch(/--sim-ttft\/--sim-itl set the fixed profile/);
  });
});
