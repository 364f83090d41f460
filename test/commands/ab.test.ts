// `loadshape ab` end to end: two simulator processes on 127.0.0.1 (10 vs 13 ms per token), the CLI as a
// user runs it. --max-client-lag is raised because this machine is shared: the harness-saturation
// check (exit 3) is not what these tests judge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, runCli, startSimProcess, tempDir } from './helpers.js';

const AB = fixture('ab-short.yaml');
const LOAD = ['--requests', '80', '--concurrency', '4', '--max-client-lag', '1s', '--quiet'];
let fast: { url: string; stop(): Promise<void> };
let slow: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  [fast, slow] = await Promise.all([
    startSimProcess(['--profile', 'fixed', '--ttft', '20', '--itl', '10', '--prefill-per-token', '0']),
    startSimProcess(['--profile', 'fixed', '--ttft', '20', '--itl', '13', '--prefill-per-token', '0']),
  ]);
});
afterAll(async () => {
  await Promise.all([fast?.stop(), slow?.stop()]);
});

const only = (dir: string, suffix: string) => join(dir, readdirSync(dir).find((f) => f.endsWith(suffix)) as string);

describe('loadshape ab', () => {
  it('exits 2 naming TPOT worse when B is 30 % slower per token, and writes both sides, the pairing file and tagged records', async () => {
    const out = tempDir();
    const records = join(out, 'records.jsonl');
    const junit = join(out, 'ab.xml');
    const md = join(out, 'ab.md');
    const r = await runCli(['ab', AB, '--a', fast.url, '--b', slow.url, ...LOAD, '--fail-on', 'tpot.p50>+5%,ttft.p50>+50%', '--json', '--out', out, '--records', records, '--junit', junit, '--summary-md', md]);
    expect(r.code, r.stderr).toBe(2);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ pairs: 80, mode: 'mirrored' });
    expect(json.metrics.tpot.p50).toMatchObject({ verdict: 'worse' });
    // 13 vs 10 ms per token: B/A is 1.3 on a quiet machine; a busy one blurs the figure, not the verdict.
    expect(json.metrics.tpot.p50.ratio).toBeGreaterThan(1.05);
    expect(json.verdict.worse).toContain('tpot.p50');
    expect(json.gates.violations.map((v: { clause: string }) => v.clause)).toEqual(['tpot.p50>+5%']);
    expect(r.stderr).toMatch(/B is worse than A beyond noise: tpot\.p50>\+5%$/m);
    // CI outputs: the TPOT clause fails, the TTFT clause and the fairness cases pass.
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuites name="loadshape ab ab-short" tests="9" failures="1"/);
    expect(xml).toMatch(/<testcase classname="loadshape.regression" name="tpot.p50&gt;\+5%" time="0">\n\s+<failure message="tpot\.p50&gt;\+5%: tpot\.p50 /);
    expect(xml).toContain('<testcase classname="loadshape.regression" name="ttft.p50&gt;+50%" time="0"/>');
    expect(readFileSync(md, 'utf8')).toMatch(/^### loadshape ab · ab-short · FAIL: B worse than A/);
    // Fairness: same bodies, closed loop (no shared instant, said so), lengths agree.
    expect(json.fairness).toMatchObject({ sameBodies: true, bodyMismatches: 0, sendInstantsShared: false, outputLength: { disagree: false } });
    expect(json.fairness.bodiesSha256.a).toBe(json.fairness.bodiesSha256.b);
    expect(json.fairness.schedule.a).toEqual({ scheduled: 80, sent: 80, dropped: 0 });

    // Two normal result files and a pairing file that names them.
    const pairingFile = only(out, '-ab.json');
    const ab = JSON.parse(readFileSync(pairingFile, 'utf8'));
    expect(ab.sides.a.file).toBe(only(out, '-a.json'));
    expect(ab.sides.b.labels).toEqual({ side: 'b' });
    const sideB = JSON.parse(readFileSync(ab.sides.b.file, 'utf8'));
    expect(sideB.format).toBe('loadshape-result');
    expect(sideB.phases[0].groups[0].requests).toBe(80);
    const lines = readFileSync(records, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(160);
    expect(lines.filter((l) => l.side === 'b').map((l) => l.pair).sort()).toEqual(lines.filter((l) => l.side === 'a').map((l) => l.pair).sort());

    // report (text) and export csv of the pairing file.
    const rep = await runCli(['report', pairingFile]);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toMatch(/verdict: B is worse than A on .*tpot\.p50/);
    expect(rep.stdout).toMatch(/^TPOT\s+p50\s+\d+\.\d+\s+\d+\.\d+\s+\+\d+\.\d+\s.*WORSE$/m);
    expect(rep.stdout).toMatch(/same bodies: yes/);
    // Unpaired, a busy machine can move another percentile beyond noise too (MIXED): B worse on something is the check.
    expect(rep.stdout).toMatch(/^unpaired \(as compare\): side=b vs side=a: (WORSE|MIXED) — .*worse on \d+ /m);
    const csv = await runCli(['export', 'csv', pairingFile]);
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).toBe('metric,unit,pairs,a,b,diff,ci_lo,ci_hi,pair_delta,pair_ratio,verdict');
    expect(rows.find((x) => x.startsWith('tpot.p50,'))).toMatch(/^tpot\.p50,ms,80,\d+(\.\d+)?,\d+(\.\d+)?,.*,worse$/);
    expect(rows).toHaveLength(1 + 5 * 3 + 1); // 5 metrics × p50/p95/p99, the error rate (no validated class)
    // compare wants run results: given the pairing file it points at the side files.
    const cmp = await runCli(['compare', pairingFile, ab.sides.b.file]);
    expect(cmp.code).toBe(4);
    expect(cmp.stderr).toMatch(/an A\/B pairing file \(loadshape ab\), not a run result: .*compare or merge the two side files/);
  });

  it('exits 0 with every verdict within noise when A and B are the same endpoint', async () => {
    const out = tempDir();
    const r = await runCli(['ab', AB, '--a', fast.url, '--b', fast.url, ...LOAD, '--fail-on', 'tpot.p50>+5%', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    const verdicts = Object.values(json.metrics).flatMap((m) => Object.values(m as Record<string, { verdict?: string }>).flatMap((s) => (typeof s === 'object' && s.verdict ? [s.verdict] : [])));
    expect(verdicts.length).toBe(16);
    // Which statistic left the noise band, if one did: the message names it (a busy machine's lag lands on one side).
    const beyond = Object.entries(json.metrics).flatMap(([metric, stats]) =>
      Object.entries(stats as Record<string, { verdict?: string; delta?: number; ci?: number[] }>).flatMap(([stat, s]) =>
        typeof s === 'object' && s.verdict && s.verdict !== 'within_noise' ? [`${metric}.${stat} ${s.verdict} (delta ${s.delta}, ci ${JSON.stringify(s.ci)})`] : [],
      ),
    );
    expect(new Set(verdicts), beyond.join('; ')).toEqual(new Set(['within_noise']));
    expect(json.gates.violations).toEqual([]);
  });

  it('interleaves 4 rounds A B B A, running --between with the side about to run', async () => {
    const out = tempDir();
    const log = join(out, 'between.log');
    const r = await runCli(['ab', AB, '--a', fast.url, '--b', slow.url, '--mode', 'interleaved', '--rounds', '4', '--between', `echo $LOADSHAPE_SIDE >> ${log}`, '--requests', '16', '--concurrency', '2', '--max-client-lag', '1s', '--quiet', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['a', 'b', 'a']);
    const ab = JSON.parse(readFileSync(only(out, '-ab.json'), 'utf8'));
    expect(ab).toMatchObject({ mode: 'interleaved', rounds: ['a', 'b', 'b', 'a'], pairs: 16, fairness: { sendSkewMs: null, sameBodies: true } });
    expect(r.stdout).toMatch(/interleaved \(4 rounds: A B B A\)/);
  });

  it('refuses flags that do not fit the mode before sending anything (exit 4)', async () => {
    const odd = await runCli(['ab', AB, '--a', fast.url, '--b', slow.url, '--mode', 'interleaved', '--rounds', '3', '--requests', '8', '--concurrency', '2']);
    expect(odd.code).toBe(4);
    expect(odd.stderr).toMatch(/--rounds: give an even number/);
    const between = await runCli(['ab', AB, '--a', fast.url, '--b', slow.url, '--between', 'true']);
    expect(between.code).toBe(4);
    expect(between.stderr).toMatch(/--rounds and --between go with --mode interleaved/);
  });

  it('fails with exit 5 naming the side when the --between command fails', async () => {
    const r = await runCli(['ab', AB, '--a', fast.url, '--b', slow.url, '--mode', 'interleaved', '--between', 'test "$LOADSHAPE_SIDE" = a', '--requests', '8', '--concurrency', '2', '--quiet', '--out', tempDir()]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/between command for side b failed \(exit 1\)/);
  });
});
