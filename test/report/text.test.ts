// Issue 18, item 12: the terminal summary's small defects. A run whose every request failed has no
// TTFT (a blank, not 0.00); a phase with one class shows its row once, not as "all" and again as the class;
// a change of a second or more reads "+1.27s", not "+1.27s ms".
import { describe, expect, it } from 'vitest';
import { fmtChange } from '../../src/report/fmt.js';
import { renderSummaryMarkdown } from '../../src/report/markdown.js';
import { renderSummary } from '../../src/report/text.js';
import { synthResult } from './fixtures.js';

const rowOf = (text: string, cls: string) => text.split('\n').find((l) => new RegExp(`^${cls}\\s{2,}\\d`).test(l)) ?? '';

describe('the run summary', () => {
  it('a run whose every request failed shows its latencies blank, not 0.00', () => {
    const r = synthResult({ seed: 1, phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 20, ttftMs: 50, tpotMs: 10, outputTokens: 16, errorRate: 1 }] }] });
    expect(r.phases[0].groups[0].ok).toBe(0);
    const row = rowOf(renderSummary(r), 'all = chat').trim().split(/\s{2,}/);
    // class, reqs, err, req/s, out tok/s, TTFT, TPOT, gap and E2E blank; queue (send lateness) is measured for failures too.
    expect(row.slice(5, 12)).toEqual(Array(7).fill('-'));
    expect(row[13]).toBe('-'); // sched TTFT
  });

  it('a phase with a single class shows one row, named "all = <class>", in text and Markdown', () => {
    const r = synthResult({ seed: 2, phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 30, ttftMs: 50, tpotMs: 10, outputTokens: 16 }] }] });
    const text = renderSummary(r);
    expect(rowOf(text, 'all = chat')).toMatch(/^all = chat\s+30\s/);
    expect(rowOf(text, 'chat')).toBe('');
    expect(rowOf(text, 'all')).toBe('');
    const md = renderSummaryMarkdown(r);
    expect(md.split('\n').filter((l) => /^\| (all|chat)/.test(l))).toEqual([expect.stringMatching(/^\| all = chat \| 30 \|/)]);
  });

  it('two classes keep the all row and one row per class', () => {
    const r = synthResult({ seed: 3, phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 20, ttftMs: 50, tpotMs: 10, outputTokens: 16 }, { name: 'rag', requests: 10, ttftMs: 90, tpotMs: 10, outputTokens: 16 }] }] });
    const text = renderSummary(r);
    for (const cls of ['all', 'chat', 'rag']) expect(rowOf(text, cls), cls).not.toBe('');
  });

  it('a latency change of a second or more carries its own unit once', () => {
    expect(fmtChange(1270, 0.522, 'ms')).toBe('+52.2% (+1.27s)');
    expect(fmtChange(-11.3, -0.2, 'ms')).toBe('−20.0% (−11.3 ms)');
    expect(fmtChange(12, 0.031, 'tok/s')).toBe('+3.1% (+12.0 tok/s)');
  });
});
