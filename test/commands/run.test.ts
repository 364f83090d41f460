import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, readOnlyResult, runCli, tempDir } from './helpers.js';
import type { GroupResult } from '../../src/results/format.js';

const all = (g: GroupResult[]) => g.find((x) => x.class === '*') as GroupResult;

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('loadshape run against the embedded simulator', () => {
  it('measures TTFT and TPOT within 1 ms of the simulator truth (TTFT 50 ms, 10 ms per token) at concurrency 32', async () => {
    const out = tempDir();
    const records = join(out, 'records.jsonl');
    const r = await runCli([
      'run', fixture('timing.yaml'), '--concurrency', '32', '--requests', '160', '--sim-ttft', '50', '--sim-itl', '10',
      '--sim-prefill-per-token', '0', '--out', out, '--records', records, '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = readOnlyResult(out);
    const g = all(result.phases[0].groups);
    expect(g.requests).toBe(160);
    expect(g.errors).toBe(0);
    expect(Math.abs(g.metrics.ttftMs.p50Ms - 50)).toBeLessThan(1);
    expect(Math.abs(g.metrics.tpotMs.p50Ms - 10)).toBeLessThan(1);
    expect(Math.abs(g.metrics.interChunkMs.p50Ms - 10)).toBeLessThan(1);
    expect(g.outputTokens).toBe(160 * 32);
    expect(g.outputTokensFromUsage).toBe(160);
    // E2E = TTFT + 31 gaps of 10 ms
    expect(Math.abs(g.metrics.e2eMs.p50Ms - 360)).toBeLessThan(2);

    // records: one line per request with exactly the contracted fields
    const lines = readFileSync(records, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(160);
    expect(Object.keys(lines[0]).sort()).toEqual(
      ['phase', 'class', 'scheduledAtMs', 'sentAtMs', 'queueMs', 'ttftMs', 'firstChunkMs', 'tpotMs', 'e2eMs', 'promptTokens', 'outputTokens',
        'outputTokensSource', 'chunks', 'finishReason', 'status', 'errorClass', 'httpStatus', 'validity', 'toolCalls'].sort(),
    );
    expect(lines[0]).toMatchObject({ phase: 'cli', class: 'fixed', outputTokens: 32, outputTokensSource: 'usage', chunks: 32, status: 'ok', errorClass: null, httpStatus: 200 });

    // the summary table went to stdout and names the result file
    expect(r.stdout).toMatch(/phase cli · closed c=32/);
    expect(r.stdout).toMatch(/result: .*timing\.json/);
  });

  it('holds an open-loop Poisson rate of 200 req/s within 5 % with queueMs p99 under 2 ms', async () => {
    const out = tempDir();
    const r = await runCli([
      'run', fixture('timing.yaml'), '--rate', '200', '--duration', '10s', '--sim-ttft', '20', '--sim-itl', '2', '--out', out, '--quiet',
    ]);
    expect(r.code).toBe(0);
    const result = readOnlyResult(out);
    const p = result.phases[0];
    expect(p.achievedRateRps).toBeGreaterThan(190);
    expect(p.achievedRateRps).toBeLessThan(210);
    expect(p.dropped).toBe(0);
    const g = all(p.groups);
    expect(g.errors).toBe(0);
    expect(g.metrics.queueMs.p99Ms).toBeLessThan(2);
    expect(result.clientSaturated).toBe(false);
  });

  it('reports connect errors and a clear message, not a stack trace, when the target refuses connections', async () => {
    const out = tempDir();
    const port = await closedPort();
    const r = await runCli([
      'run', fixture('timing.yaml'), '--target', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--concurrency', '2', '--requests', '6', '--out', out, '--quiet',
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/every request to http:\/\/127\.0\.0\.1:\d+\/v1 failed \(connect 6\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const g = all(readOnlyResult(out).phases[0].groups);
    expect(g.errorsByClass).toEqual({ connect: 6 });
    expect(readOnlyResult(out).errorSamples.connect?.[0]).toMatch(/ECONNREFUSED/);
  });

  it('refuses bad flag values with exit code 4 and names the flag', async () => {
    const r = await runCli(['run', fixture('timing.yaml'), '--rate', '-1', '--duration', '1s']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/--rate/);
    const t = await runCli(['run', fixture('timing.yaml'), '--target', 'localhost:8000', '--concurrency', '1', '--requests', '1']);
    expect(t.code).toBe(4);
    expect(t.stderr).toMatch(/--target/);
  });
});

describe('loadshape validate', () => {
  it('exits non-zero naming the file and the wrong field', async () => {
    const r = await runCli(['validate', fixture('bad-field.yaml')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/bad-field\.yaml/);
    expect(r.stderr).toMatch(/classes\[0\]\.output_tokens\.value/);
  });

  it('prints what a good workload would run', async () => {
    const r = await runCli(['validate', 'mixed']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/workload mixed/);
    expect(r.stdout).toMatch(/phases: warmup/);
  });
});

describe('loadshape report', () => {
  it('reprints the summary of a result file and refuses a file that is not one', async () => {
    const out = tempDir();
    await runCli(['run', fixture('timing.yaml'), '--sim-ttft', '5', '--sim-itl', '1', '--out', out, '--quiet']);
    const file = join(out, (await import('node:fs')).readdirSync(out)[0]);
    const r = await runCli(['report', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/phase main · closed c=4/);
    const bad = await runCli(['report', fixture('timing.yaml')]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/timing\.yaml: not valid JSON/);
  });
});
