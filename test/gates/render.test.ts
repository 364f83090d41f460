// Issue 18, item 12: an SLO with nothing to measure says "no data" once, in the terminal, the
// Markdown summary and JUnit, and results written before the fix (whose note carried its own
// "no data (…)") read the same.
import { describe, expect, it } from 'vitest';
import { renderGatesMarkdown, renderGatesText, renderJunit } from '../../src/gates/render.js';
import { evaluateGates } from '../../src/gates/verdict.js';
import { parseSlo } from '../../src/slo/grammar.js';
import { synthResult } from '../report/fixtures.js';
import { parseWorkload } from '../../src/workload/load.js';

describe('an SLO with nothing measured', () => {
  const r = synthResult({ seed: 1, phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 10, ttftMs: 50, tpotMs: 10, outputTokens: 16, errorRate: 1 }] }] });
  const workload = parseWorkload(
    'name: w\nclasses:\n  - { name: chat, prompt_tokens: { type: fixed, value: 8 }, output_tokens: { type: fixed, value: 16 } }\nphases:\n  - { name: steady, requests: 10, concurrency: 1 }\n',
    'w.yaml',
  );
  const gates = evaluateGates(r, { workload, slos: [parseSlo('ttft.p95 < 500ms', '--slo')], goodput: null, regression: null, abortedOnFail: null });

  it('says "no data" once with why, everywhere', () => {
    expect(gates.slos[0].measured).toBeNull();
    for (const out of [renderGatesText(gates), renderGatesMarkdown(r, gates), renderJunit(r, gates)]) {
      expect(out).toContain('no data (no successful or judged request)');
      expect(out).not.toContain('no data (no data');
    }
  });

  it('reads an older result whose note repeated "no data (…)" the same way', () => {
    const old = { ...gates, slos: [{ ...gates.slos[0], note: 'no data (no successful or judged request)' }] };
    expect(renderGatesText(old)).toContain('measured no data (no successful or judged request)');
  });

  it('leaves the Measured table\'s latencies blank when nothing succeeded', () => {
    expect(renderGatesMarkdown(r, gates)).toMatch(/\| steady \| all \| 10 \| 10 \(100%\) \| [\d.]+ \| [\d.]+ \| — \| — \| — \|/);
  });
});
