// Offered, sent and completed rates: one definition (docs/metrics.md), the same figures wherever shown.
import { describe, expect, it } from 'vitest';
import { describeRates, offeredRps, phaseRates, scheduleMet } from '../../src/results/rates.js';
import { phaseHeading } from '../../src/report/text.js';
import { standardRun } from '../report/fixtures.js';
import { compareRuns } from '../../src/report/compare.js';
import { renderCompareText } from '../../src/report/compare-render.js';
import { renderCompareHtml } from '../../src/report/html.js';

describe('phase rates', () => {
  const open = { kind: 'open', rateRps: 6, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null } as const;

  it('offered is the planned mean rate; closed loops offer none', () => {
    expect(offeredRps(open)).toBe(6);
    expect(offeredRps({ ...open, rateRps: null, ramp: { fromRps: 2, toRps: 10 } })).toBe(6);
    expect(offeredRps({ kind: 'closed', concurrency: 4 })).toBeNull();
  });

  it('the heading names offered, sent and completed; completed is the table figure', () => {
    const r = standardRun(1);
    const p = r.phases.find((x) => x.record)!;
    Object.assign(p, { load: open, scheduled: 60, sent: 60, achievedRateRps: 6.3 });
    const rates = phaseRates(p);
    expect(rates).toEqual({ offeredRps: 6, sentRps: 6.3, completedRps: p.groups[0].throughput.requestsPerS });
    expect(phaseHeading(p)).toContain(`offered 6 rps · sent 6.3 rps · completed ${Number(rates.completedRps!.toFixed(2))} rps`);
    expect(phaseHeading(p)).not.toContain('achieved');
    expect(scheduleMet(p)).toBe(true);
  });

  it('a closed loop sends over its wall time and meets no schedule', () => {
    const p = standardRun(2).phases.find((x) => x.record)!;
    expect(phaseRates(p).sentRps).toBe(Math.round((p.sent / p.durationS) * 1000) / 1000);
    expect(scheduleMet(p)).toBeNull();
    expect(describeRates({ offeredRps: null, sentRps: 4, completedRps: 3.5 })).toBe('sent 4 rps · completed 3.5 rps');
  });

  it("compare shows each run's three rates under the same names, in text and HTML", () => {
    const inputs = [{ file: 'a.json', result: standardRun(1) }, { file: 'b.json', result: standardRun(2) }];
    const cmp = compareRuns(inputs);
    const g = cmp.groups.find((x) => x.phase === 'steady' && x.class === '*')!;
    const line = `rates: A ${describeRates(g.rates![0]!)}; B ${describeRates(g.rates![1]!)}`;
    expect(line).toMatch(/^rates: A sent [\d.]+ rps · completed [\d.]+ rps; B sent/);
    expect(renderCompareText(cmp)).toContain(line);
    expect(renderCompareHtml(inputs.map((x, i) => ({ id: cmp.runs[i].id, ...x })), cmp)).toContain(line);
    expect(g.rows.find((r) => r.metric === 'throughput.rps')!.label).toBe('completed');
  });
});

