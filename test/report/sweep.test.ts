// A sweep's answer stored in its result file (`sweep` field) and drawn by the HTML report: the field
// round-trips through the file format, older files without it still load, merge drops it, and the
// throughput–latency plot has one point per step, the SLO lines at their bounds, failed steps marked.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResult, readResult, writeResult } from '../../src/results/io.js';
import { mergeResults } from '../../src/results/merge.js';
import { renderRunHtml } from '../../src/report/html.js';
import { logTicks, sweepSlos } from '../../src/report/html-sweep.js';
import { esc } from '../../src/report/svg.js';
import { renderSweepText } from '../../src/report/sweep-text.js';
import { standardRun, synthResult } from './fixtures.js';
import { SWEEP_SLOS, SWEEP_STEPS, stepName, sweepResult } from './sweep-fixture.js';

const sweep = sweepResult();

/** The attributes of every element of `tag` with `cls` in `html` (a small regex reader for our own markup). */
function elements(html: string, tag: string, cls: string): Record<string, string>[] {
  const re = new RegExp(`<${tag} class="${cls}"([^>]*)>`, 'g');
  return [...html.matchAll(re)].map((m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
}

/** The markup of the svg with this id. */
function svg(html: string, id: string): string {
  const at = html.indexOf(`<svg class="chart curve-chart" id="${id}"`);
  expect(at, id).toBeGreaterThanOrEqual(0);
  return html.slice(at, html.indexOf('</svg>', at) + 6);
}

/** Where the chart maps `ms` on its log axis, from the scale it declares. */
function yOf(chart: string, ms: number): number {
  const min = Number(/data-y-min="([\d.e+-]+)"/.exec(chart)![1]);
  const max = Number(/data-y-max="([\d.e+-]+)"/.exec(chart)![1]);
  const [, t, , b] = /data-plot="([^"]+)"/.exec(chart)![1].split(' ').map(Number);
  return b - ((Math.log10(ms) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * (b - t);
}

describe('the sweep answer in the result file', () => {
  it('the fixture is a sweep as sweep.ts judges it: held up to 17.5 rps, broke ttft.p95 at 19.2', () => {
    const s = sweep.sweep!;
    expect(s.steps.map((x) => x.phase)).toEqual(SWEEP_STEPS.map((x, i) => stepName(i, x.load)));
    expect(s.steps.map((x) => x.pass)).toEqual([true, false, true, true, false, true, false]);
    expect(s.bestPhase).toBe('step-06-rate-17.5');
    expect(s.maxRateRps).toBe(17.5);
    expect(s.boundedBy).toEqual(['ttft.p95 < 100ms']);
    expect(s.sentence).toMatch(/^max 17\.5 req\/s offered \(completed [\d.]+ req\/s, \d+ output tok\/s\) with ttft\.p95 < 100ms and error_rate < 1% and e2e\.p90 < 2s$/);
    // Every step carries every SLO's value on its phase, in the order of `slos`.
    for (const x of s.steps) {
      expect(x.checks!.map((c) => c.slo)).toEqual(SWEEP_SLOS);
      expect(x.checks![0].measured).toBeCloseTo(x.ttftP95Ms!, 0);
      expect(x.checks!.every((c) => c.pass)).toBe(x.pass);
    }
  });

  it('round-trips through the file format, and a file without it (older, or a plain run) still loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadshape-sweepfile-'));
    try {
      const file = join(dir, 'sweep.json');
      await writeResult(file, sweep);
      const back = await readResult(file);
      expect(back.sweep).toEqual(sweep.sweep);
      expect(back).toEqual(sweep);
      // The stored answer prints as sweep printed it.
      expect(renderSweepText(back.sweep!)).toBe(renderSweepText(sweep.sweep!));
      expect(renderSweepText(back.sweep!)).toContain(`answer: ${sweep.sweep!.sentence}`);

      const plain = join(dir, 'plain.json');
      await writeResult(plain, standardRun(1));
      const text = readFileSync(plain, 'utf8');
      expect(text).not.toContain('"sweep"');
      expect((await readResult(plain)).sweep).toBeUndefined();

      // A stored answer that is not an answer is refused with its path.
      const bad = JSON.parse(readFileSync(file, 'utf8'));
      bad.sweep.steps[2].pass = 'yes';
      expect(() => parseResult(JSON.stringify(bad), 'bad.json')).toThrow(/bad\.json: sweep\.steps\[2\]\.pass: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('merge drops the answer (it judged one file\'s steps) and keeps the steps as phases', () => {
    const merged = mergeResults([sweep, sweepResult(6)]);
    expect(merged.sweep).toBeUndefined();
    expect(merged.phases.map((p) => p.name)).toEqual(sweep.phases.map((p) => p.name));
    expect(mergeResults([sweep]).sweep).toBeUndefined();
  });

  it('SLO texts are read with the gates parser, class scopes kept', () => {
    const slos = sweepSlos(sweep.sweep!);
    expect(slos.map((s) => [s.metric, s.bound, s.class])).toEqual([
      ['ttft.p95', 100, null],
      ['error_rate', 0.01, null],
      ['e2e.p90', 2000, null],
    ]);
    // Without per-step checks (the answer exactly as answer.ts builds it) the `slos` texts are parsed.
    const bare = { ...sweep.sweep!, steps: sweep.sweep!.steps.map(({ checks: _c, ...x }) => x), slos: ['ttft.p95 < 100ms class=chat', 'error_rate < 1%'] };
    expect(sweepSlos(bare).map((s) => [s.metric, s.class])).toEqual([
      ['ttft.p95', 'chat'],
      ['error_rate', null],
    ]);
  });

  it('log ticks snap outward to 1-2-5 values', () => {
    expect(logTicks(40, 1177)).toEqual({ min: 20, max: 2000, ticks: [20, 50, 100, 200, 500, 1000, 2000] });
    expect(logTicks(40, 90)).toEqual({ min: 30, max: 100, ticks: [30, 50, 70, 100] });
  });
});

describe('the HTML throughput–latency plot', () => {
  const html = renderRunHtml('results/sweep.json', sweep);
  const steps = sweep.sweep!.steps;

  it('shows the answer, and a TTFT chart with one point per step per percentile and the SLO line at 100 ms', () => {
    expect(html).toContain('<h2>Capacity (sweep)</h2>');
    expect(html).toContain(`<p class="answer pass">${esc(sweep.sweep!.sentence)}</p>`);
    const ttft = svg(html, 'sweep-ttftMs');
    expect(ttft).toContain(`data-steps="${steps.length}"`);
    expect(ttft).toMatch(/<title id="sweep-ttftMs-title">Throughput vs TTFT percentiles · sweep steps<\/title><desc id="sweep-ttftMs-desc">[^<]*SLO lines: ttft\.p95 &lt; 100ms at 100 ms/);
    expect(ttft).toContain('aria-labelledby="sweep-ttftMs-title sweep-ttftMs-desc"');
    for (const name of ['TTFT p50', 'TTFT p95', 'TTFT p99']) {
      const pts = [...elements(ttft, 'circle', 'pt pass'), ...elements(ttft, 'path', 'pt fail')].filter((a) => a['data-series'] === name);
      expect(pts.map((a) => a['data-phase']).sort(), name).toEqual(steps.map((s) => s.phase).sort());
    }
    // The line runs through the rate steps in offered-load order; the closed-loop baseline and probe
    // are points of their own, labelled.
    const p95path = /<path class="series" d="([^"]+)"[^>]*data-name="TTFT p95"/.exec(ttft)![1];
    const rateSteps = steps.filter((x) => x.load.kind === 'open').sort((a, b) => (a.load as { rateRps: number }).rateRps - (b.load as { rateRps: number }).rateRps);
    const vertices = [...p95path.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => Number(m[2]));
    expect(vertices).toHaveLength(rateSteps.length);
    vertices.forEach((y, i) => expect(y).toBeCloseTo(yOf(ttft, rateSteps[i].ttftP95Ms!), 0));
    expect([...ttft.matchAll(/<text class="tag" data-phase="([^"]+)"[^>]*>([^<]+)</g)].map((m) => [m[1], m[2]])).toEqual([
      ['step-01-concurrency-1', 'baseline c=1'],
      ['step-02-concurrency-64', 'probe c=64'],
    ]);
    // Failed steps are crosses, passing steps dots, on every series.
    const fails = elements(ttft, 'path', 'pt fail').filter((a) => a['data-series'] === 'TTFT p95');
    expect(fails.map((a) => a['data-phase']).sort()).toEqual(steps.filter((s) => !s.pass).map((s) => s.phase).sort());
    // The p95 points sit at the measured values.
    const p95 = elements(ttft, 'circle', 'pt pass').filter((a) => a['data-series'] === 'TTFT p95');
    for (const a of p95) {
      const step = steps.find((s) => s.phase === a['data-phase'])!;
      expect(Number(a['data-ms'])).toBeCloseTo(step.ttftP95Ms!, 1);
      expect(Number(a.cy)).toBeCloseTo(yOf(ttft, step.ttftP95Ms!), 0);
    }
    // One SLO line (the latency SLO on TTFT), at y(100 ms), across the plot; the error-rate SLO draws none.
    const lines = elements(ttft, 'line', 'slo-line').filter((a) => a['data-slo']);
    expect(lines).toHaveLength(1);
    expect(lines[0]['data-slo']).toBe('ttft.p95 &lt; 100ms');
    expect(Number(lines[0]['data-bound-ms'])).toBe(100);
    expect(Number(lines[0].y1)).toBeCloseTo(yOf(ttft, 100), 0);
    expect(lines[0].y1).toBe(lines[0].y2);
    // Passing p95 points lie below the line (larger y), failing ones above.
    const lineY = Number(lines[0].y1);
    for (const a of p95) expect(Number(a.cy)).toBeGreaterThan(lineY);
    // The best step is marked (it is also the knee here) and its p95 point ringed.
    expect(elements(ttft, 'line', 'best-line')[0]['data-phase']).toBe('step-06-rate-17.5');
    expect(ttft).toContain('max 17.5 rps · 15.4 req/s · knee');
    expect(elements(ttft, 'circle', 'ring').map((a) => a['data-phase'])).toEqual(['step-06-rate-17.5']);
  });

  it('an SLO on another metric and percentile gets its own chart, series and line', () => {
    const e2e = svg(html, 'sweep-e2eMs');
    const names = [...e2e.matchAll(/<path class="series"[^>]*data-name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(['E2E p50', 'E2E p95', 'E2E p99', 'e2e.p90 (SLO)']);
    const p90 = elements(e2e, 'circle', 'pt pass').concat(elements(e2e, 'path', 'pt fail')).filter((a) => a['data-series'] === 'e2e.p90 (SLO)');
    expect(p90).toHaveLength(steps.length);
    for (const a of p90) expect(Number(a['data-ms'])).toBeCloseTo(steps.find((s) => s.phase === a['data-phase'])!.checks![2].measured!, 2);
    const line = elements(e2e, 'line', 'slo-line').find((a) => a['data-slo'])!;
    expect(Number(line['data-bound-ms'])).toBe(2000);
    expect(Number(line.y1)).toBeCloseTo(yOf(e2e, 2000), 0);
  });

  it('the step table lists every step with its SLO values and verdict', () => {
    const table = html.slice(html.indexOf('<table class="sweep-steps">'), html.indexOf('</table>', html.indexOf('<table class="sweep-steps">')));
    for (const s of steps) expect(table).toContain(`<tr data-phase="${s.phase}">`);
    expect(table).toContain('<th>ttft.p95 &lt; 100ms</th>');
    expect((table.match(/<td class="fail"[^>]*>FAIL<\/td>/g) ?? []).length).toBe(steps.filter((s) => !s.pass).length);
    expect(table).toContain('step-06-rate-17.5<b> ◀ max ◀ knee</b>');
  });

  it('the step table names the sent and completed rates, and a step whose client lagged says so', () => {
    const lagged = sweepResult();
    lagged.sweep!.steps[0] = { ...lagged.sweep!.steps[0], pass: true, clientSaturated: true, clientWhy: 'client starved: dispatch lag p99 56.3 ms > 10 ms (timing contaminated)', sentRps: 4.8 };
    const h = renderRunHtml('results/sweep.json', lagged);
    const table = h.slice(h.indexOf('<table class="sweep-steps">'), h.indexOf('</table>', h.indexOf('<table class="sweep-steps">')));
    expect(table).toContain('<th>offered load</th><th>sent rps</th><th>completed rps</th>');
    expect(table).toContain('>pass, client saturated: not an answer</td>');
    expect(table).toContain('title="client starved: dispatch lag p99 56.3 ms &gt; 10 ms (timing contaminated)"');
    expect(table).toContain('<td>4.80</td>');
  });

  it('a plain run: no capacity section; three or more loads get the plot without SLOs, two do not', () => {
    expect(renderRunHtml('a.json', standardRun(1))).not.toContain('curve-chart');
    const three = synthResult({
      seed: 3,
      phases: [1, 4, 16].map((c, i) => ({ name: `c${c}`, load: { kind: 'closed', concurrency: c }, intervalMs: 100 - 30 * i, classes: [{ name: 'chat', requests: 100, ttftMs: 40 * (i + 1), tpotMs: 10, outputTokens: 16 }] })),
    });
    const h = renderRunHtml('b.json', three);
    expect(h).not.toContain('Capacity (sweep)');
    const chart = svg(h, 'phases-ttftMs');
    expect(chart).toContain('data-steps="3"');
    expect(elements(chart, 'circle', 'pt').filter((a) => a['data-series'] === 'TTFT p95').map((a) => a['data-phase'])).toEqual(['c1', 'c4', 'c16']);
    expect(chart).not.toContain('slo-line');
    expect(chart).not.toContain('pt fail');
  });
});
