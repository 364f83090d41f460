// --start-barrier: shard processes started apart (as a scheduler starts pods) agree on one start
// instant through files in a shared directory, so their clocks start together; the merged result says
// how far apart they really started. A shard that never comes fails the others, naming it.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBarrier } from '../../src/commands/start-barrier.js';
import type { RunResult } from '../../src/results/format.js';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import { CLI, ROOT, fixture, runCli, tempDir, type CliRun } from './helpers.js';

let sim: SimServer;
let requests = 0;
beforeAll(async () => {
  sim = await startSimulator({ profile: 'fixed', ttftMs: 5, itlMs: 1, prefillMsPerToken: 0, onRequest: () => void requests++ });
});
afterAll(() => sim.close());

/** One shard process, started `delayMs` after the call, as a pod scheduled late would be. */
function shard(index: number, count: number, dir: string, out: string, extra: string[] = [], delayMs = 0): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      const args = [CLI, 'run', fixture('timing.yaml'), '--target', sim.url, '--model', 'm', '--rate', '40', '--requests', '24', '--server-metrics', 'none',
        '--shard', `${index}/${count}`, '--start-barrier', dir, '--out', out, '--quiet', ...extra];
      const child = spawn(process.execPath, args, { cwd: ROOT });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(killer);
        resolve({ code, stdout, stderr });
      });
    }, delayMs);
  });
}

const resultIn = (dir: string): string => join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!);

describe('--start-barrier', () => {
  it('starts three shards launched 0.4 s apart at one instant, and the merged result says how far apart they started', async () => {
    const barrier = join(tempDir(), 'barrier');
    const outs = [0, 1, 2].map(() => tempDir());
    const runs = await Promise.all([0, 1, 2].map((i) => shard(i, 3, barrier, outs[i], [], 400 * i)));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const results = outs.map((o) => JSON.parse(readFileSync(resultIn(o), 'utf8')) as RunResult);
    const arrivals = readdirSync(barrier).map((f) => JSON.parse(readFileSync(join(barrier, f), 'utf8')) as { readyAtEpochMs: number });
    const lastArrival = Math.max(...arrivals.map((a) => a.readyAtEpochMs));
    for (const r of results) expect(r.meta.clockStartedAtEpochMs!).toBeGreaterThanOrEqual(lastArrival); // nobody started before the last came

    const merged = join(tempDir(), 'merged.json');
    const m = await runCli(['merge', ...outs.map(resultIn), '--out', merged]);
    expect(m.code, m.stderr).toBe(0);
    const mr = JSON.parse(readFileSync(merged, 'utf8')) as RunResult;
    process.stderr.write(`start barrier: 3 shards launched 400 ms apart started within ${mr.meta.startSpreadMs} ms of each other\n`);
    // Launched 400 and 800 ms apart; together now, within what a busy machine's scheduling allows (its
    // wake-ups, not the barrier, set the spread: a quiet machine shows well under a millisecond).
    expect(mr.meta.startSpreadMs).toBeLessThan(200);
    expect(mr.phases[0].groups.find((g) => g.class === '*')?.requests).toBe(24);
  });

  it('fails every shard that came, naming the one that did not, and sends nothing', async () => {
    const barrier = join(tempDir(), 'barrier');
    const outs = [tempDir(), tempDir()];
    const before = requests;
    const runs = await Promise.all([0, 1].map((i) => shard(i, 3, barrier, outs[i], ['--barrier-timeout', '1s'])));
    for (const r of runs) {
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/--start-barrier: shard 2 of 3 did not arrive in .*barrier within 1s; this shard stops without sending anything/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(requests).toBe(before);
    for (const o of outs) expect(readdirSync(o).filter((f) => f.endsWith('.json'))).toEqual([]);
  });

  it('refuses a directory holding another run\'s shards', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'shard-1-of-4.json'), JSON.stringify({ index: 1, count: 4, readyAtEpochMs: Date.now(), host: 'h', pid: 1 }));
    await expect(startBarrier(dir, { index: 0, count: 3 }, { timeoutMs: 1000 })).rejects.toThrow(/written by a run of 4 shards, this one has 3; use a new directory per run/);
    const old = join(tempDir(), 'b');
    mkdirSync(old);
    writeFileSync(join(old, 'shard-1-of-2.json'), JSON.stringify({ index: 1, count: 2, readyAtEpochMs: Date.now() - 3_600_000, host: 'h', pid: 1 }));
    await expect(startBarrier(old, { index: 0, count: 2 }, { timeoutMs: 60_000 })).rejects.toThrow(/is from an earlier run/);
  });

  it('agrees on the last arrival plus the margin', async () => {
    const dir = tempDir();
    const [a, b] = await Promise.all([startBarrier(dir, { index: 0, count: 2 }, { marginMs: 500 }), startBarrier(dir, { index: 1, count: 2 }, { marginMs: 500 })]);
    expect(a).toBe(b);
    const ready = readdirSync(dir).map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { readyAtEpochMs: number }).readyAtEpochMs);
    expect(a).toBe(Math.max(...ready) + 500);
  });

  it('needs --shard, and refuses --barrier-timeout without it (exit 4)', async () => {
    const r = await runCli(['run', fixture('timing.yaml'), '--start-barrier', tempDir(), '--quiet', '--out', tempDir()]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/--start-barrier: give --shard i\/N too/);
  });
});
