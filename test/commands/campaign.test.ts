// `loadshape campaign` end to end, over the built CLI: two embedded simulators as targets, a tiny
// workload, 1-second points. A full run, a SIGKILL after the first point and --resume, between steps,
// --dry-run and a bad plan.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, closedPort, ROOT, runCli, tempDir } from './helpers.js';
import { csvIdentity, readManifestFile, writePlan } from './campaign-helpers.js';
import { campaignExit } from '../../src/commands/campaign.js';

// The harness shares two busy cores with the simulators here: a lag past 10 ms would (rightly) make a point invalid.
const LAG = ['--max-client-lag', '250ms'];

const resultFilesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json') && !f.endsWith('campaign.json'));

describe('loadshape campaign', () => {
  it('runs 2 targets × 1 workload × 2 points, with the between command before each target, and reports them', async () => {
    const dir = tempDir();
    const sides = join(dir, 'sides.txt');
    const plan = writePlan(dir, { between: `echo $LOADSHAPE_SIDE >> ${sides}` });
    const out = join(dir, 'out');
    const r = await runCli(['campaign', plan, '--out', out, '-q', ...LAG]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const m = readManifestFile(out);
    expect(m.points.map((p) => [p.id, p.state])).toEqual([
      ['a/tiny/1-rate-20-1s/r1', 'done'],
      ['a/tiny/2-concurrency-2-20req/r1', 'done'],
      ['b/tiny/1-rate-20-1s/r1', 'done'],
      ['b/tiny/2-concurrency-2-20req/r1', 'done'],
    ]);
    expect(readFileSync(sides, 'utf8').trim().split('\n')).toEqual(['a', 'b']);
    expect(m.targets.a.models).toEqual(['sim-a (max_model_len 131072)']);
    expect(resultFilesUnder(join(out, 'points'))).toHaveLength(4);
    // One row per point × class (the tiny workload's one class, and "all").
    expect(csvIdentity(out)).toHaveLength(8);
    expect(r.stdout).toMatch(/campaign two-sims: 4\/4 points done/);

    const rep = await runCli(['campaign', 'report', out, '--html', join(dir, 'c.html'), '--csv', join(dir, 'c.csv')]);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toMatch(/^a +tiny +2-concurrency-2-20req +1 +done +20 /m);
    expect(readFileSync(join(dir, 'c.html'), 'utf8')).toMatch(/<h2>workload tiny<\/h2>[\s\S]*<h3>1-rate-20-1s<\/h3>/);
    expect(readFileSync(join(dir, 'c.csv'), 'utf8')).toBe(readFileSync(join(out, 'campaign.csv'), 'utf8'));

    // Killed with SIGKILL after the first point, then resumed: exactly the same 4 points and CSV rows.
    const outK = join(dir, 'killed');
    const child = spawn(process.execPath, [CLI, 'campaign', plan, '--out', outK, '-q', ...LAG], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    await waitFor(() => existsSync(join(outK, 'campaign.json')) && readManifestFile(outK).points.some((p) => p.state === 'done'), 30_000);
    child.kill('SIGKILL');
    await exited;
    await new Promise((res) => setTimeout(res, 500)); // the measuring child dies with its parent
    const cut = readManifestFile(outK);
    expect(cut.points.filter((p) => p.state === 'done').length).toBeLessThan(4);
    const resumed = await runCli(['campaign', plan, '--out', outK, '--resume', '-q', ...LAG]);
    expect(resumed.code).toBe(0);
    const m2 = readManifestFile(outK);
    expect(m2.points.map((p) => p.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(new Set(m2.points.map((p) => p.id)).size).toBe(4);
    expect(m2.sessions.map((s) => s.resumed)).toEqual([false, true]);
    expect(resultFilesUnder(join(outK, 'points'))).toHaveLength(4);
    expect(csvIdentity(outK)).toEqual(csvIdentity(out));
  }, 60_000);

  it('--dry-run prints every point with its estimate and sends nothing', async () => {
    const dir = tempDir();
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('{}');
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
    try {
      writeFileSync(join(dir, 'tiny.yaml'), readFileSync(join(ROOT, 'workloads/short.yaml'), 'utf8'));
      const plan = join(dir, 'plan.yaml');
      writeFileSync(plan, `name: dry\ntargets:\n  - {name: x, url: "${url}", cost_per_hour: 3.6}\n  - {name: y, url: "${url}", cost_per_hour: 7.2}\nworkloads: [short]\npoints:\n  - {rate: 5, duration: 10s}\n  - {concurrency: 4, requests: 40}\nbetween: "touch ${join(dir, 'ran')}"\n`);
      const r = await runCli(['campaign', plan, '--out', join(dir, 'out'), '--dry-run']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ +10s +x\/short\/1-rate-5-10s\/r1 +\$0\.01 +\(duration \(plan\)\)$/m);
      expect(r.stdout).toMatch(/^ +10s +y\/short\/1-rate-5-10s\/r1 +\$0\.02 /m);
      expect(r.stdout).toMatch(/^ +\? +x\/short\/2-concurrency-4-40req\/r1 +\$\? +\(unknown: no similar point yet/m);
      expect(r.stdout).toMatch(/^estimate: 20s, \$0\.03 \+ 2 points measured by a short probe first, plus the between steps$/m);
      expect(hits).toBe(0);
      expect(existsSync(join(dir, 'out'))).toBe(false);
      expect(existsSync(join(dir, 'ran'))).toBe(false);
    } finally {
      await new Promise<void>((res) => server.close(() => res()));
    }
  });

  it('refuses a bad plan with exit 4, naming file:line:col and the field', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, { points: ['{rate: 20, duration: 1s}', '{rate: fast, duration: 1s}'] });
    const r = await runCli(['campaign', plan, '--out', join(dir, 'out')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`${plan.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:10:6: points\\[1\\]\\.rate: expected a number, got "fast"`));
    // A simulator setting is checked by the simulator's own rules, and placed in the plan too.
    writeFileSync(plan, readFileSync(writePlan(dir), 'utf8').replace('itl_ms: 5, model: sim-b', 'itl_ms: 5, modle: sim-b'));
    const sim = await runCli(['campaign', plan, '--dry-run']);
    expect(sim.code).toBe(4);
    expect(sim.stderr).toMatch(/plan\.yaml:6:51: targets\[1\]\.sim\.modle: Unrecognized key: "modle"/);
  });

  it('under a budget, probes a closed-loop point with nothing similar run, then scales the next from it', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, { points: ['{concurrency: 2, requests: 10}', '{concurrency: 4, requests: 20}'], costPerHour: 1 });
    const out = join(dir, 'out');
    const r = await runCli(['campaign', plan, '--out', out, '--budget-usd', '5', '-q', ...LAG]);
    expect(r.code).toBe(0);
    const m = readManifestFile(out);
    expect(m.points.map((p) => p.estimate?.basis)).toEqual([
      'probe of 4 requests at concurrency 2',
      'scaled from a/tiny/1-concurrency-2-10req/r1',
      'probe of 4 requests at concurrency 2',
      'scaled from b/tiny/1-concurrency-2-10req/r1',
    ]);
    // From the probe's measured phase (4 requests over 2 slots), not its start-up: 10 tiny requests are estimated in seconds, not tens.
    expect(m.points[0].estimate?.seconds).toBeGreaterThan(0);
    expect(m.points[0].estimate?.seconds).toBeLessThan(10);
    expect(resultFilesUnder(join(out, 'probes'))).toHaveLength(2);
  });

  it('exits 5 when a target is unreachable, with the point marked failed and the manifest kept', async () => {
    const dir = tempDir();
    writePlan(dir);
    const plan = join(dir, 'plan.yaml');
    writeFileSync(plan, `name: gone\ntargets:\n  - {name: x, url: "http://127.0.0.1:${await closedPort()}/v1"}\nworkloads: [tiny.yaml]\npoints:\n  - {concurrency: 1, requests: 2}\n`);
    const r = await runCli(['campaign', plan, '--out', join(dir, 'out'), '-q']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/could not discover the model/);
    const m = readManifestFile(join(dir, 'out'));
    expect(m.points.map((p) => [p.state, p.error !== null])).toEqual([['failed', true]]);
  });
});

describe('campaignExit', () => {
  it('reports the first of 4, 5, 6, 3, 1, 2 among the codes, and a stop signal before all', () => {
    expect(campaignExit([])).toBe(0);
    expect(campaignExit([0, 2, 1, 0])).toBe(1);
    expect(campaignExit([2, 3, 1])).toBe(3);
    expect(campaignExit([1, 3, 6])).toBe(6);
    expect(campaignExit([6, 5])).toBe(5);
    expect(campaignExit([5, 4])).toBe(4);
    expect(campaignExit([4, 130])).toBe(130);
  });
});

async function waitFor(cond: () => boolean, limitMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > limitMs) throw new Error('timed out waiting');
    await new Promise((res) => setTimeout(res, 20));
  }
}
