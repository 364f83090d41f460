// `loadshape campaign` limits and resume guards, over the built CLI with two embedded simulators:
// --budget-usd and --max-time stop before the point that would pass them (exit 6, partial report),
// and a resumed campaign refuses a target whose fingerprint changed unless --allow-changed.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers.js';
import { csvIdentity, readManifestFile, writePlan } from './campaign-helpers.js';

// 3 s open-loop points; 36 $/h is 1 cent a second, so one point's estimate is $0.03. A budget of three
// estimates covers two points with their overhead (each takes 3 s and a little more; up to 3 s of overhead is tolerated) but not a third.
const POINTS = ['{rate: 10, duration: 3s}', '{rate: 20, duration: 3s}'];

describe('campaign limits', () => {
  it('--budget-usd stops before the point that would pass it: exit 6, manifest and partial report', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, { points: POINTS, costPerHour: 36 });
    const out = join(dir, 'out');
    const r = await runCli(['campaign', plan, '--out', out, '--budget-usd', '0.09', '-q']);
    expect(r.code).toBe(6);
    const m = readManifestFile(out);
    expect(m.points.map((p) => p.state)).toEqual(['done', 'done', 'pending', 'pending']);
    expect(m.stopped).toMatch(/^budget: \$0\.\d+ spent \+ \$0\.03 for the next point \(3s, duration \(plan\)\) > --budget-usd 0\.09$/);
    expect(m.costUsd).toBeGreaterThan(0.06);
    expect(r.stderr).toMatch(/stopped before the next point \(budget: /);
    expect(r.stdout).toMatch(/campaign two-sims: 2\/4 points done · \$0\.\d+ spent · stopped: budget/);
    expect(csvIdentity(out)).toHaveLength(4); // 2 points × (class chat + all)
  }, 40_000);

  it('--max-time stops like the budget', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, { points: POINTS });
    const out = join(dir, 'out');
    const r = await runCli(['campaign', plan, '--out', out, '--max-time', '9s', '-q']);
    expect(r.code).toBe(6);
    const m = readManifestFile(out);
    expect(m.points.map((p) => p.state)).toEqual(['done', 'done', 'pending', 'pending']);
    expect(m.stopped).toMatch(/^time: [\d.]+s elapsed \+ 3s for the next point \(duration \(plan\)\) > --max-time 9s$/);
  }, 40_000);

  it("refuses to resume when a target's fingerprint changed (exit 4 naming it), and runs on marked with --allow-changed", async () => {
    const dir = tempDir();
    // A budget of 1.5 estimates: the first 1 s point runs, the second would pass it.
    const plan = writePlan(dir, { points: ['{rate: 10, duration: 1s}', '{rate: 20, duration: 1s}'], costPerHour: 36 });
    const out = join(dir, 'out');
    expect((await runCli(['campaign', plan, '--out', out, '--budget-usd', '0.015', '-q'])).code).toBe(6);
    expect(readManifestFile(out).points.map((p) => p.state)).toEqual(['done', 'pending', 'pending', 'pending']);

    writePlan(dir, { points: ['{rate: 10, duration: 1s}', '{rate: 20, duration: 1s}'], costPerHour: 36, modelA: 'sim-a-v2' });
    const refused = await runCli(['campaign', plan, '--out', out, '--resume', '-q']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/target a changed since its points were measured: \/v1\/models sim-a \(max_model_len 131072\) → sim-a-v2 \(max_model_len 131072\)\. .*--allow-changed/);
    expect(readManifestFile(out).points.map((p) => p.state)).toEqual(['done', 'pending', 'pending', 'pending']);
    expect((await runCli(['campaign', plan, '--out', out, '--allow-changed', '-q'])).code).toBe(4); // --allow-changed goes with --resume

    const allowed = await runCli(['campaign', plan, '--out', out, '--resume', '--allow-changed', '-q', '--max-client-lag', '250ms']);
    expect(allowed.code).toBe(0);
    const m = readManifestFile(out);
    expect(m.points.map((p) => [p.state, p.fingerprintChanged])).toEqual([['done', false], ['done', true], ['done', false], ['done', false]]);
    expect(allowed.stdout).toMatch(/^a +tiny +2-rate-20-1s +1 +done \(changed\) /m);
    expect(readFileSync(join(out, 'campaign.csv'), 'utf8')).toMatch(/a\/tiny\/2-rate-20-1s\/r1,1,done,true,/);
    expect(existsSync(join(out, 'campaign.json'))).toBe(true);
  }, 50_000);

  it('exits 3 when a point is invalid (here: a client-lag limit no harness can keep), saying which check failed', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, { points: ['{concurrency: 1, requests: 2}'] });
    const out = join(dir, 'out');
    const r = await runCli(['campaign', plan, '--out', out, '--max-client-lag', '0.001ms', '-q']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/campaign point a\/tiny\/1-concurrency-1-2req\/r1 is invalid: client not saturated/);
    const m = readManifestFile(out);
    expect(m.points.map((p) => [p.state, p.exitCode])).toEqual([['done', 3], ['done', 3]]);
  }, 30_000);
});
