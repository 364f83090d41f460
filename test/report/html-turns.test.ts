// The HTML report shows a conversation class's TTFT by turn: a table row per position and a chart
// with one point per user turn (the tool-result follow-ups as their own dashed series).
import { describe, expect, it } from 'vitest';
import { renderRunHtml } from '../../src/report/html.js';
import { newHistogram, recordMs } from '../../src/metrics/histogram.js';
import { turnResults } from '../../src/results/build.js';
import type { TurnStats } from '../../src/metrics/accumulator.js';
import { standardRun } from './fixtures.js';

function withTurns() {
  const r = standardRun(4, 1);
  const turns = new Map<string, TurnStats>();
  const positions = [['1', 1, false, 40], ['1+tool', 1, true, 15], ['2', 2, false, 60], ['3', 3, false, 80]] as const;
  for (const [key, turn, toolFollowUp, ttft] of positions) {
    const h = newHistogram();
    for (let i = 0; i < 10; i++) recordMs(h, ttft + i);
    turns.set(key, { turn, toolFollowUp, requests: 10, ok: 10, promptTokens: 1000 * turn, ttftMs: h });
  }
  const group = r.phases.find((p) => p.record)!.groups[1];
  group.turns = turnResults(turns);
  return { r, cls: group.class };
}

describe('HTML report, conversation classes', () => {
  it('has a by-turn table and a TTFT-by-turn chart with one point per user turn', () => {
    const { r, cls } = withTurns();
    const html = renderRunHtml('r.json', r);
    expect(html).toContain(`${cls} by conversation turn`);
    const table = /<table class="turns">(.*?)<\/table>/s.exec(html)![1];
    expect([...table.matchAll(/<tr><td>([^<]*)<\/td><td>(\d+)<\/td><td>(\d+)<\/td>/g)].map((m) => [m[1], m[2], m[3]])).toEqual([
      ['1', '10', '100'], ['1 + tool results', '10', '100'], ['2', '10', '200'], ['3', '10', '300'],
    ]);
    const chart = html.slice(html.indexOf(`TTFT by conversation turn · ${cls}`));
    const series = [...chart.matchAll(/data-name="([^"]+)" data-points="(\d+)"/g)].slice(0, 4).map((m) => [m[1], Number(m[2])]);
    expect(series).toEqual([['TTFT p50', 3], ['TTFT p95', 3], ['TTFT p99', 3], ['TTFT p50 after tool results', 1]]);
  });

  it('has no by-turn section for runs without conversations', () => {
    expect(renderRunHtml('r.json', standardRun(4, 1))).not.toContain('by conversation turn');
  });
});
