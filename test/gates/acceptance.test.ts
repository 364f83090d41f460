// Promotion gates end to end: the built CLI against the embedded simulator (loopback), as CI runs it.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { closedPort, fixture, readOnlyResult, runCli, tempDir } from '../commands/helpers.js';
import type { RunResult } from '../../src/results/format.js';

const BASE = ['--concurrency', '4', '--requests', '40', '--sim-itl', '2', '--sim-prefill-per-token', '0', '--max-client-lag', '10s', '--quiet'];

interface JunitCase {
  '@_name': string;
  failure?: { '@_message': string; '#text'?: string };
}

/** Parses the JUnit file; every suite and test case, failures by name. */
function junit(file: string): { suites: { name: string; tests: number; failures: number; cases: JunitCase[] }[]; failures: number; tests: number } {
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' });
  const doc = parser.parse(readFileSync(file, 'utf8')) as {
    testsuites: { '@_tests': string; '@_failures': string; testsuite: { '@_name': string; '@_tests': string; '@_failures': string; testcase?: JunitCase[] }[] };
  };
  const ts = doc.testsuites;
  return {
    tests: Number(ts['@_tests']),
    failures: Number(ts['@_failures']),
    suites: ts.testsuite.map((s) => ({ name: s['@_name'], tests: Number(s['@_tests']), failures: Number(s['@_failures']), cases: s.testcase ?? [] })),
  };
}

/** Failed gates of a result: reachability, run checks, SLO checks, regression clauses. */
function failedGates(r: RunResult): number {
  const g = r.gates!;
  return (g.verdict === 'unreachable' ? 1 : 0) + [...g.runChecks, ...g.slos, ...(g.regression?.checks ?? [])].filter((c) => !c.pass).length;
}

/**
 * runCli for gated runs. These tests judge SLOs, baselines and their outputs, not the harness's own
 * lag, which another process on a busy machine can cause: BASE raises --max-client-lag so the verdict
 * never depends on the machine (the lag check itself has a test of its own below).
 */
const gateRun = runCli;

const failedCases = (j: ReturnType<typeof junit>) => j.suites.flatMap((s) => s.cases.filter((c) => c.failure !== undefined));

describe('loadshape run gates against the embedded simulator', () => {
  it('exits 0 when every SLO holds, stores each with its measured value, and writes a passing JUnit file and Markdown summary', async () => {
    const out = tempDir();
    const step = join(out, 'step-summary.md');
    writeFileSync(step, '# earlier step\n');
    const r = await gateRun(
      ['run', fixture('timing.yaml'), ...BASE, '--sim-ttft', '30', '--out', join(out, 'res'),
        '--slo', 'ttft.p95 < 2s', '--slo', 'error_rate < 1%', '--slo', 'e2e.p99.9 <= 5s class=fixed',
        '--goodput', 'ttft<=2s,tpot<=1s', '--slo', 'good_fraction >= 99%',
        '--junit', join(out, 'junit.xml'), '--summary-md', join(out, 'summary.md')],
      { env: { GITHUB_STEP_SUMMARY: step } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = readOnlyResult(join(out, 'res'));
    const g = result.gates!;
    expect(g.verdict).toBe('pass');
    expect(g.slos.map((c) => [c.slo, c.pass])).toEqual([
      ['ttft.p95 < 2s', true], ['error_rate < 1%', true], ['e2e.p99.9 <= 5s class=fixed', true], ['good_fraction >= 99%', true],
    ]);
    const ttft = g.slos[0];
    expect(ttft).toMatchObject({ bound: 2000, phase: 'cli', class: '*' });
    // The measured p95 is the result's own p95 (both from the same histogram).
    expect(ttft.measured).toBe(result.phases[0].groups[0].metrics.ttftMs.p95Ms);
    expect(result.phases[0].groups[0].goodput).toMatchObject({ good: 40, goodFraction: 1 });
    expect(r.stdout).toMatch(/verdict: PASS \(exit 0\)/);
    const j = junit(join(out, 'junit.xml'));
    expect(j.failures).toBe(0);
    expect(j.suites.find((s) => s.name === 'loadshape.slo')?.tests).toBe(4);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toMatch(/^## loadshape ✅ PASS \(exit 0\)/);
    expect(readFileSync(step, 'utf8')).toBe(`# earlier step\n${md}\n`);
  });

  it('exits 1 naming the SLO that cannot hold, with one JUnit failure per failed SLO carrying the measured value', async () => {
    const out = tempDir();
    const r = await gateRun([
      'run', fixture('timing.yaml'), ...BASE, '--sim-ttft', '40', '--out', out,
      '--slo', 'ttft.p50 < 10ms', '--slo', 'error_rate < 1%', '--slo', 'output_tps > 1000000', '--junit', join(out, 'junit.xml'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2 SLO checks failed: ttft\.p50 < 10ms .*measured \d+(\.\d+)? ms/);
    expect(r.stdout).toMatch(/FAIL {2}ttft\.p50 < 10ms {2}\[phase cli · class all\] {2}measured (\d+\.?\d*) ms {2}\(bound < 10 ms\)/);
    expect(r.stdout).toMatch(/pass {2}error_rate < 1%/);
    const result = readOnlyResult(out);
    const ttft = result.gates!.slos[0];
    expect(ttft.pass).toBe(false);
    expect(ttft.measured).toBeGreaterThan(35);
    const j = junit(join(out, 'junit.xml'));
    const failed = failedCases(j);
    expect(failed.map((c) => c['@_name'])).toEqual(['ttft.p50 < 10ms [phase cli · class all]', 'output_tps > 1000000 [phase cli · class all]']);
    expect(failed[0].failure?.['@_message']).toBe(`measured ${Number(ttft.measured!.toFixed(3))} ms, bound < 10 ms`);
    expect(j.failures).toBe(2);
  });

  // TTFTs of 200 and 300 ms: a difference a busy machine's scheduling noise (tens of ms) cannot blur.
  it('exits 2 when a simulator slowed by 50 % is compared with its baseline, and 0 against itself', async () => {
    const dir = tempDir();
    const run = (ttft: string, out: string, extra: string[] = []) =>
      gateRun(['run', fixture('timing.yaml'), ...BASE, '--sim-ttft', ttft, '--out', join(dir, out), ...extra]);
    const base = await run('200', 'base');
    expect(base.code).toBe(0);
    const baseFile = join(dir, 'base', readdirSync(join(dir, 'base'))[0]);
    const failOn = ['--baseline', baseFile, '--fail-on', 'ttft.p50>+10%,error_rate>+0.5pp'];

    const same = await run('200', 'same', failOn);
    expect(same.code).toBe(0);
    expect(readOnlyResult(join(dir, 'same')).gates!.regression!.checks.every((c) => c.pass)).toBe(true);

    const slow = await run('300', 'slow', [...failOn, '--junit', join(dir, 'slow.xml')]);
    expect(slow.code).toBe(2);
    expect(slow.stderr).toMatch(/regression against .*ttft\.p50>\+10%: phase cli class all: ttft\.p50 \d+\.\d+ ms → \d+\.\d+ ms \(\+\d+\.\d%, beyond noise\)/);
    const reg = readOnlyResult(join(dir, 'slow')).gates!.regression!;
    expect(reg.checks.map((c) => [c.clause, c.pass])).toEqual([['ttft.p50>+10%', false], ['error_rate>+0.5pp', true]]);
    const j = junit(join(dir, 'slow.xml'));
    expect(failedCases(j).map((c) => c['@_name'])).toEqual(['ttft.p50>+10%']);
    expect(j.suites.find((s) => s.name === 'loadshape.regression')?.tests).toBe(2);
  });

  it('exits 3 (invalid run) when the harness lags past --max-client-lag, naming the lag in the JUnit file', async () => {
    // A 1 µs limit: any event-loop delay at all is past it, on a quiet machine or a busy one.
    const out = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), '--concurrency', '2', '--requests', '8', '--sim-itl', '1', '--max-client-lag', '0.001ms',
      '--slo', 'error_rate < 1%', '--junit', join(out, 'junit.xml'), '--out', join(out, 'res'), '--quiet']);
    expect(r.code).toBe(3);
    // Why it lagged depends on the machine the test runs on (its own work, or other processes'): either is invalid.
    expect(r.stderr).toMatch(/client not saturated: the harness lagged \((overloaded|starved)\): event-loop delay p99 [\d.]+ ms > 0\.001 ms/);
    const result = readOnlyResult(join(out, 'res'));
    expect(['overloaded', 'starved']).toContain(result.client.reason);
    expect(result.clientSaturated).toBe(true);
    expect(result.client.lagLimitMs).toBe(0.001);
    expect(result.gates!.verdict).toBe('invalid_run');
    expect(failedCases(junit(join(out, 'junit.xml'))).map((c) => c['@_name'])).toContain('client not saturated');
  });

  it('exits 5 when the target is unreachable, and the JUnit file says so', async () => {
    const out = tempDir();
    const port = await closedPort();
    const r = await runCli([
      'run', fixture('timing.yaml'), '--target', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--concurrency', '2', '--requests', '6',
      '--out', out, '--quiet', '--slo', 'error_rate < 1%', '--junit', join(out, 'junit.xml'),
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/every request to http:\/\/127\.0\.0\.1:\d+\/v1 failed \(connect 6\)/);
    const j = junit(join(out, 'junit.xml'));
    const names = failedCases(j).map((c) => c['@_name']);
    expect(names[0]).toBe('target reachable');
    expect(names).toContain('error_rate < 1% [phase cli · class all]');
    // One failure per failed gate, whatever else failed with it.
    expect(j.failures).toBe(failedGates(readOnlyResult(out)));
  });

  it.each([
    ['ttft.p95 < 500', 'a latency bound needs a unit: ms or s', '           ^^^'],
    ['ttft.p95 =< 500ms', '"=<" is not a comparison here', '         ^^'],
    ['ttfb.p95 < 500ms', 'unknown metric "ttfb"; did you mean "ttft"?', '^^^^'],
    ['error_rate < 1% class=nope', 'no class "nope" in workload timing', '                ^^^^^^^^^^'],
  ])('exits 4 before sending anything on the malformed SLO %j, with a caret under the bad token', async (slo, message, caret) => {
    const out = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), ...BASE, '--out', out, '--slo', slo]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(`\n  ${slo}\n  ${caret}\n`);
    expect(readdirSync(out)).toEqual([]);
  });

  it('--abort-on-fail stops a run whose error SLO is already lost, and exits 1 naming it', async () => {
    const out = tempDir();
    const r = await gateRun([
      'run', fixture('timing.yaml'), '--concurrency', '4', '--requests', '4000', '--sim-ttft', '5', '--sim-itl', '2', '--sim-fault', 'http_500:rate=0.5',
      '--out', out, '--quiet', '--slo', 'error_rate < 1%', '--abort-on-fail', '--drain', '2s', '--max-client-lag', '10s',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--abort-on-fail: error_rate < 1% \[phase cli · class all\]: \d+ errors already/);
    const result: RunResult = readOnlyResult(out);
    expect(result.phases[0].sent).toBeLessThan(4000);
    expect(result.gates!.abortedOnFail).toMatch(/^error_rate < 1%/);
    expect(result.gates!.verdict).toBe('slo_failed');
  });
});
