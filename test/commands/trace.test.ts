import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../src/workload/trace.js';
import { ROOT, readOnlyResult, runCli, startSimProcess, tempDir } from './helpers.js';
import type { RequestRecord } from '../../src/client/record.js';

const SAMPLE = join(ROOT, 'workloads/traces/sample.csv');

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

describe('run --trace', () => {
  // Wall-clock accuracy of the replay is the bench's job (scripts/bench-harness.ts); here the bounds are
  // ones a busy 2-core machine meets, and the schedule itself is checked exactly.
  it('replays the bundled trace: scheduled times are the trace offsets, sends on time, lengths and classes from the rows', async () => {
    const trace = parseTrace(readFileSync(SAMPLE, 'utf8'), SAMPLE);
    const speed = 2;
    // Not pinned: on a busy machine a pinned process cannot move off a core another process holds.
    const sim = await startSimProcess(['--profile', 'fixed', '--ttft', '20', '--itl', '5']);
    try {
      const out = tempDir();
      const records = join(out, 'records.jsonl');
      const r = await runCli(['run', '--trace', SAMPLE, '--speed', String(speed), '--target', sim.url, '--server-metrics', 'none', '--workers', '1', '--records', records, '--out', out, '--quiet']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const result = readOnlyResult(out);
      const phase = result.phases[0];
      expect(phase.load).toMatchObject({ kind: 'open', arrival: 'trace', trace: { rows: 300, speed } });
      expect(phase.sent).toBe(300);
      // The replay workload has one class per class the trace names, in order of first appearance.
      const long = trace.rows.filter((row) => row.className === 'long').length;
      expect(long).toBeGreaterThan(50);
      expect(phase.groups.map((g) => [g.class, g.requests])).toEqual([['*', 300], [trace.rows[0].className, trace.rows[0].className === 'long' ? long : 300 - long], [trace.rows[0].className === 'long' ? 'chat' : 'long', trace.rows[0].className === 'long' ? 300 - long : long]]);
      const recs = readFileSync(records, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
      recs.sort((a, b) => a.scheduledAtMs - b.scheduledAtMs);
      expect(recs).toHaveLength(trace.rows.length);
      recs.forEach((rec, i) => {
        // Exact up to the records' µs rounding of both numbers.
        expect(Math.abs(rec.scheduledAtMs - phase.startedAtMs - trace.rows[i].offsetMs / speed)).toBeLessThan(0.002);
        expect(rec.class).toBe(trace.rows[i].className);
        expect(rec.status).toBe('ok');
        expect(rec.outputTokens).toBe(trace.rows[i].outputTokens);
      });
      // The first second is the process's cold start (JIT, connections opened as the replay ramps up),
      // which no warm-up phase precedes in a replay: its lateness is bounded apart, more loosely.
      const warm = recs.filter((rec) => rec.scheduledAtMs - phase.startedAtMs >= 1000);
      const cold = recs.filter((rec) => rec.scheduledAtMs - phase.startedAtMs < 1000);
      expect(warm.length).toBeGreaterThan(250);
      // On time as a busy machine allows: the median send within 25 ms, the tail bounded loosely (a
      // coordinated-omission bug or a blocked pacer shows as seconds, not tens of milliseconds).
      const lateness = warm.map((rec) => rec.sentAtMs - rec.scheduledAtMs);
      expect(quantile(lateness, 0.5)).toBeLessThan(25);
      expect(quantile(lateness, 0.99)).toBeLessThan(1000);
      expect(Math.max(...cold.map((rec) => rec.queueMs))).toBeLessThan(1000);
    } finally {
      await sim.stop();
    }
  });

  it('refuses a bad trace naming the file, line and column (exit 4, nothing sent)', async () => {
    const out = tempDir();
    const bad = join(out, 'bad.csv');
    await import('node:fs/promises').then((fs) => fs.writeFile(bad, 'timestamp,input_tokens,output_tokens\n0,10,5\n0.5,ten,5\n'));
    const r = await runCli(['run', '--trace', bad, '--target', 'http://127.0.0.1:9/v1', '--out', out, '--quiet']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${bad}:3:5: input_tokens: expected a whole number of tokens >= 0, got "ten"`);
  });
});
