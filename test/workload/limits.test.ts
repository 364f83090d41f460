// Issue 17, item 11: absurd sizes used to pass `validate` and then crash `run` (concurrency 1e9 ran
// out of memory after minutes; prompt_tokens 1e12 died with "Invalid array length"). Every count and
// size has a documented bound, refused by `validate` and `run` alike, before anything is sent.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import { parseWorkload } from '../../src/workload/load.js';
import { sampleDistribution } from '../../src/workload/distributions.js';
import { mulberry32 } from '../../src/util/rng.js';
import { MAX_TOKENS } from '../../src/util/limits.js';
import { runCli, tempDir } from '../commands/helpers.js';

const workload = (cls: string, phase: string) => `
name: absurd
classes:
  - name: a
${cls}
phases:
  - ${phase}
`;
const SMALL_CLASS = '    prompt_tokens: {type: fixed, value: 8}\n    output_tokens: {type: fixed, value: 4}';

describe('bounds of every count and size', () => {
  let sim: SimServer;
  let requests = 0;
  beforeAll(async () => {
    sim = await startSimulator({ profile: 'fixed', ttftMs: 1, itlMs: 1, prefillMsPerToken: 0, onRequest: () => requests++ });
  });
  afterAll(() => sim.close());

  it.each([
    ['concurrency: 1e9', SMALL_CLASS, '{name: p, concurrency: 1000000000, requests: 10}', /phases\[0\]\.concurrency: at most 100,000 in flight .*got 1000000000/],
    ['prompt_tokens: 1e12', '    prompt_tokens: {type: fixed, value: 1000000000000}\n    output_tokens: {type: fixed, value: 4}', '{name: p, concurrency: 1, requests: 1}', /classes\[0\]\.prompt_tokens\.value: at most 2,000,000 tokens .*got 1000000000000/],
    ['a lognormal stddev of 1e9', '    prompt_tokens: {type: lognormal, mean: 100, stddev: 1000000000}\n    output_tokens: {type: fixed, value: 4}', '{name: p, concurrency: 1, requests: 1}', /classes\[0\]\.prompt_tokens\.stddev: at most 2,000,000 tokens/],
    ['rate: 1e7', SMALL_CLASS, '{name: p, rate: 10000000, requests: 10}', /phases\[0\]\.rate: at most 100,000 req\/s/],
    ['requests: 1e12', SMALL_CLASS, '{name: p, concurrency: 1, requests: 1000000000000}', /phases\[0\]\.requests: at most 1,000,000,000 requests/],
    ['duration: 200h', SMALL_CLASS, '{name: p, concurrency: 1, duration: 200h}', /phases\[0\]\.duration: at most 168h .*got "200h"/],
    ['5,000 turns', `${SMALL_CLASS}\n    session: {turns: {type: fixed, value: 5000}}`, '{name: p, concurrency: 1, requests: 1}', /classes\[0\]\.session\.turns\.value: at most 1,000 turns/],
  ])('%s: validate and run both exit 4 naming the field and the bound, and nothing is sent', async (_what, cls, phase, message) => {
    const file = join(tempDir(), 'absurd.yaml');
    writeFileSync(file, workload(cls, phase));
    const v = await runCli(['validate', file]);
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(message);
    expect(v.stderr).toMatch(/see "Limits" in the README/);
    const before = requests;
    const r = await runCli(['run', file, '--target', sim.url, '--model', 'm', '--server-metrics', 'none', '--out', join(tempDir(), 'results'), '--quiet']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(requests).toBe(before);
  });

  it('the same bounds hold for the flags that replace the phases', async () => {
    for (const [flag, value, bound] of [['--concurrency', '1e9', '100,000'], ['--rate', '1e7', '100,000'], ['--requests', '1e12', '1,000,000,000'], ['--duration', '200h', '168h']]) {
      const other = flag === '--duration' ? ['--concurrency', '1'] : flag === '--requests' ? ['--concurrency', '1'] : ['--requests', '1'];
      const r = await runCli(['run', 'short', '--target', sim.url, '--model', 'm', flag, value, ...other, '--out', join(tempDir(), 'results'), '--quiet']);
      expect(r.code, `${flag} ${value}`).toBe(4);
      expect(r.stderr).toContain(`${flag}: at most ${bound}, got ${value}`);
    }
  });

  it("a long tail within the bounds is clamped to the bound, never past it", () => {
    const w = parseWorkload(workload('    prompt_tokens: {type: lognormal, mean: 1000, stddev: 2000000}\n    output_tokens: {type: fixed, value: 4}', '{name: p, concurrency: 1, requests: 1}'), 'tail.yaml');
    const rng = mulberry32(5);
    let largest = 0;
    for (let i = 0; i < 20_000; i++) largest = Math.max(largest, sampleDistribution(w.classes[0].prompt_tokens, rng, MAX_TOKENS));
    expect(largest).toBe(MAX_TOKENS);
  });
});
