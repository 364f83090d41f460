// Issue 17, item 12: zero and odd values. A 0 time limit used to mean "no limit" for two flags and
// "fail every request" for the third, and --duration 0s ran; now 0 is refused saying what to pass, and
// only the word `off` turns a limit off, the same for all three.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import { fixture, readOnlyResult, runCli, tempDir } from './helpers.js';

describe('zero and odd values', () => {
  let sim: SimServer;
  let requests = 0;
  beforeAll(async () => {
    sim = await startSimulator({ profile: 'fixed', ttftMs: 1, itlMs: 1, prefillMsPerToken: 0, onRequest: () => requests++ });
  });
  afterAll(() => sim.close());
  const run = (args: string[], out = join(tempDir(), 'results')) =>
    runCli(['run', fixture('timing.yaml'), '--target', sim.url, '--model', 'loadshape-sim', '--server-metrics', 'none', '--out', out, '--quiet', ...args]);

  it.each([
    [['--timeout-ttfb', '0s', '--concurrency', '1', '--requests', '2'], /--timeout-ttfb: 0s would fail or never time out; give a positive limit such as 30s, or "off" to turn the limit off/],
    [['--timeout-idle', '0s', '--concurrency', '1', '--requests', '2'], /--timeout-idle: 0s would fail or never time out; .*"off"/],
    [['--timeout-total', '0', '--concurrency', '1', '--requests', '2'], /--timeout-total: 0 would fail or never time out; .*"off"/],
    [['--concurrency', '1', '--duration', '0s'], /--duration: 0s runs nothing; give a positive length such as 30s, or --requests N/],
  ])('%j is refused: exit 4 saying what to pass instead, nothing sent', async (args, message) => {
    const before = requests;
    const r = await run(args);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(requests).toBe(before);
  });

  it('`off` turns each of the three limits off, and requests succeed', async () => {
    const out = join(tempDir(), 'results');
    const r = await run(['--timeout-ttfb', 'off', '--timeout-idle', 'OFF', '--timeout-total', 'off', '--concurrency', '2', '--requests', '6'], out);
    expect(r.code, r.stderr).toBe(0);
    const all = readOnlyResult(out).phases[0].groups.find((g) => g.class === '*')!;
    expect(all.ok).toBe(6);
  });

  it('--records under a file is exit 4 with one line, not a stack trace (exit 70)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'passwd'), 'root:x:0:0\n');
    const r = await run(['--concurrency', '1', '--requests', '1', '--records', join(dir, 'passwd', 'x.jsonl')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^loadshape: --records: cannot write .*passwd\/x\.jsonl \(.*passwd is a file, not a directory\); give a writable path\n$/);
  });

  it('a binary file given as a workload is named as such and quoted in a short excerpt', async () => {
    const file = join(tempDir(), 'image.yaml');
    // 3 KB of bytes that are not text (a PNG header, then every byte value)
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...Array.from({ length: 12 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i)))]);
    writeFileSync(file, bytes);
    for (const args of [['validate', file], ['run', file, '--quiet']]) {
      const r = await runCli(args);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/image\.yaml: not a text file \(starts ".*"… \(3,\d+ characters\)\); give a YAML or JSON workload file/);
      expect(r.stderr.length).toBeLessThan(300);
    }
  });
});
