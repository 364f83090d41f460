// The HTML report in a real browser: headless Chromium (Debian's package) driven by playwright-core,
// with every network request blocked and recorded; the page must draw every chart from its data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { compareRuns } from '../../src/report/compare.js';
import { evaluateFailOn, parseFailOn } from '../../src/report/failon.js';
import { renderCompareHtml, renderRunHtml } from '../../src/report/html.js';
import { shownCompareGroups } from '../../src/report/compare-render.js';
import { standardRun, synthResult } from './fixtures.js';
import { sweepResult } from './sweep-fixture.js';

/** One or more subpaths, each a moveto and at least one lineto. */
const PATH = /^(M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+)+$/;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = resolve('test-output');
const a = standardRun(1, 1, { labels: { engine: 'vllm' } });
const b = standardRun(2, 1.2, { labels: { engine: 'sglang' } });
const c = standardRun(3, 0.9, { labels: { engine: 'trtllm' } });

describe.skipIf(!existsSync(CHROMIUM))('HTML report in headless Chromium', () => {
  let browser: BrowserContext;
  let dir: string;
  let profile: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'loadshape-html-'));
    profile = mkdtempSync(join(tmpdir(), 'loadshape-chromium-'));
    // A fresh profile directory per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  async function load(html: string, name: string, colorScheme: 'light' | 'dark' = 'light') {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    const page = await browser.newPage();
    await page.emulateMedia({ colorScheme });
    const requests: string[] = [];
    const consoleErrors: string[] = [];
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load' });
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => ({
        title: svg.getAttribute('aria-label') ?? '',
        width: svg.getBoundingClientRect().width,
        series: [...svg.querySelectorAll('path.series')].map((p) => ({
          d: p.getAttribute('d') ?? '',
          points: Number(p.getAttribute('data-points')),
          length: (p as unknown as { getTotalLength(): number }).getTotalLength(),
        })),
      })),
    );
    return { page, requests, consoleErrors, charts };
  }

  it('a single run: every chart drawn from its data, no network, no console errors', async () => {
    const { page, requests, consoleErrors, charts } = await load(renderRunHtml('results/a.json', a), 'run');
    // Two recorded phases × TTFT/TPOT/E2E, plus three time series.
    expect(charts.map((ch) => ch.title)).toEqual([
      'TTFT percentiles · phase steady', 'TPOT percentiles · phase steady', 'E2E percentiles · phase steady',
      'TTFT percentiles · phase peak', 'TPOT percentiles · phase peak', 'E2E percentiles · phase peak',
      'Throughput (successful requests per second)', 'TTFT per second (p50 solid, p99 dashed)', 'Errors per second',
    ]);
    for (const ch of charts) {
      expect(ch.width, ch.title).toBeGreaterThan(300);
      expect(ch.series.length, ch.title).toBeGreaterThan(0);
      for (const s of ch.series) {
        expect(s.d, ch.title).toMatch(PATH);
        expect(s.points, ch.title).toBeGreaterThan(5);
        expect(s.length, ch.title).toBeGreaterThan(50);
      }
    }
    // steady has all + chat + json: three curves per percentile chart.
    expect(charts[0].series).toHaveLength(3);
    expect(await page.locator('table').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('text=phase steady · closed c=4').count()).toBe(1);
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: join(OUT, 'report-run.png'), fullPage: true });
    await page.close();
  });

  it('a saturated run says why and when the client lagged; phases say offered, sent and completed; a lagged sweep step is not the answer; a small p99 is not a verdict', async () => {
    const starved = structuredClone(a);
    starved.clientSaturated = true;
    starved.client = {
      ...starved.client, saturated: true, reason: 'starved', reasons: ['open-loop sends ran late with free slots: dispatch lag p99 56.3 ms > 10 ms'],
      reasonDetail: "the machine is busy: the harness's main thread got 6 % of a core while it needed 40 %", advice: 'run on a quiet machine, or nice/taskset the other work',
      lagSeconds: [{ tS: 0, loopDelayMaxMs: 3, dispatchLagMaxMs: 35.1 }, { tS: 1, loopDelayMaxMs: 2, dispatchLagMaxMs: 4 }, { tS: 2, loopDelayMaxMs: 60, dispatchLagMaxMs: 80.4 }],
      lagWhen: { secondsOver: 2, firstS: 0, firstMs: 35.1, worstS: 2, worstMs: 80.4 },
    };
    const run = await load(renderRunHtml('results/starved.json', starved), 'run-starved');
    const note = (await run.page.locator('p.fail').first().textContent()) ?? '';
    expect(note).toMatch(/^Client saturated \(starved\): .*dispatch lag p99 56\.3 ms > 10 ms/);
    expect(note).toContain("the harness's main thread got 6 % of a core");
    expect(note).toContain('lag first at 0 s (35.1 ms), worst at 2 s (80.4 ms); 2 of 3 s over the limit');
    const body = (await run.page.locator('body').textContent()) ?? '';
    expect(body).toMatch(/sent [\d.]+ rps · completed [\d.]+ rps/);
    expect(run.consoleErrors).toEqual([]);
    await run.page.close();

    const sweep = await load(renderRunHtml('results/sweep.json', sweepResult(5, [3])), 'sweep-lagged');
    const cells = await sweep.page.$$eval('table tr td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(cells).toContain('pass, client saturated: not an answer');
    const heads = await sweep.page.$$eval('table tr th', (ths) => ths.map((th) => th.textContent ?? ''));
    expect(heads).toEqual(expect.arrayContaining(['offered load', 'sent rps', 'completed rps']));
    expect(sweep.consoleErrors).toEqual([]);
    await sweep.page.close();

    // A p99 over fewer than 500 requests is never called a change beyond noise, and says why.
    const inputs = [{ file: 'results/a.json', result: a }, { file: 'results/b.json', result: b }];
    const cmp = compareRuns(inputs);
    const few = await load(renderCompareHtml(inputs.map((x, i) => ({ id: cmp.runs[i].id, ...x })), cmp), 'compare-few');
    const changeCells = await few.page.$$eval('table tr td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(changeCells.some((t) => /\(too few requests: \d+ < 500\)/.test(t))).toBe(true);
    await few.page.close();
  });

  it('a comparison: runs overlaid per phase × class with a legend naming each run by its labels, in dark mode too', async () => {
    // The slower run last: the candidate regresses, and the page says so.
    const inputs = [{ file: 'results/a.json', result: a }, { file: 'results/c.json', result: c }, { file: 'results/b.json', result: b }];
    const cmp = compareRuns(inputs);
    const html = renderCompareHtml(inputs.map((x, i) => ({ id: cmp.runs[i].name, ...x })), cmp, evaluateFailOn(cmp, parseFailOn('ttft.p50>+10%')));
    for (const scheme of ['light', 'dark'] as const) {
      const { page, requests, consoleErrors, charts } = await load(html, `compare-${scheme}`, scheme);
      const curves = charts.filter((ch) => ch.title.includes('percentiles'));
      expect(curves).toHaveLength(shownCompareGroups(cmp).length * 3);
      for (const ch of curves) expect(ch.series, ch.title).toHaveLength(3);
      for (const ch of charts) for (const s of ch.series) expect(s.d, ch.title).toMatch(PATH);
      // Distinct colours per run, and a legend naming each.
      const strokes = await page.$$eval('svg.chart >> nth=0', (svgs) => [...svgs[0].querySelectorAll('path.series')].map((p) => p.getAttribute('stroke')));
      expect(new Set(strokes).size).toBe(3);
      const legend = await page.$$eval('svg.chart >> nth=0', (svgs) => [...svgs[0].querySelectorAll('text.legend')].map((t) => t.textContent));
      expect(legend).toEqual(['engine=vllm', 'engine=trtllm', 'engine=sglang']);
      const heads = await page.$$eval('table:not(.meta) tr:first-child th', (ths) => ths.map((t) => t.textContent));
      expect(heads.slice(0, 5)).toEqual(['metric', 'engine=vllm (base)', 'engine=trtllm', 'Δ engine=trtllm vs engine=vllm', 'CI of Δ']);
      expect(await page.locator('h1').textContent()).toBe('loadshape compare · engine=vllm vs engine=trtllm vs engine=sglang');
      expect(await page.locator('p.fail').first().textContent({ timeout: 2000 })).toContain('candidate engine=sglang regressed past 5 threshold(s)');
      const bg = await page.$eval('body', (body) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(body).backgroundColor);
      expect(bg).toBe(scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)');
      expect(requests).toEqual([]);
      expect(consoleErrors).toEqual([]);
      await page.screenshot({ path: join(OUT, `report-compare-${scheme}.png`), fullPage: true });
      await page.close();
    }
  });
  it('a comparison says each unit once: "req/s" and "out tok/s" not doubled, latency axes in ms or s as their ticks are, a single-class phase drawn once', async () => {
    // E2E ≈ 60 + 200 × 10 ms ≈ 2 s: the axis crosses a second.
    const slow = (seed: number) => synthResult({ seed, phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 200, ttftMs: 60, tpotMs: 10, outputTokens: 200 }] }] });
    const inputs = [{ file: 'results/s1.json', result: slow(1) }, { file: 'results/s2.json', result: slow(2) }];
    const cmp = compareRuns(inputs);
    const { page, consoleErrors } = await load(renderCompareHtml(inputs.map((x, i) => ({ id: cmp.runs[i].id, ...x })), cmp), 'compare-units');
    const firstCells = await page.$$eval('table tr td:first-child', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(firstCells).toContain('completed req/s'); // the completed rate (docs/metrics.md), its unit once
    expect(firstCells).toContain('out tok/s');
    expect(firstCells.filter((t) => /req\/s req\/s|tok\/s tok\/s/.test(t))).toEqual([]);
    const axes = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => ({
        title: svg.getAttribute('aria-label') ?? '',
        yLabel: [...svg.querySelectorAll('text.label')][1]?.textContent ?? '',
        yTicks: [...svg.querySelectorAll('text.tick[x="50"]')].map((t) => t.textContent ?? ''),
      })),
    );
    const e2e = axes.find((a) => a.title.startsWith('E2E percentiles'));
    expect(e2e?.yLabel).toBe('s');
    expect(e2e?.yTicks.map(Number).every((v) => Number.isFinite(v) && v < 10)).toBe(true);
    const ttft = axes.find((a) => a.title.startsWith('TTFT percentiles'));
    expect(ttft?.yLabel).toBe('ms');
    // No tick carries a unit of its own: the axis label says it.
    for (const a of axes) expect(a.yTicks.filter((t) => /[a-z]$/.test(t)), a.title).toEqual([]);
    // One class in the phase: its tables and charts appear once, as "all = chat".
    const headings = await page.$$eval('h3', (hs) => hs.map((h) => h.textContent ?? ''));
    expect(headings.filter((h) => h.startsWith('phase steady'))).toEqual(['phase steady · all = chat', 'phase steady · all = chat']);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('a comparison opens with the verdict headline and shows the engine-side figures per run and phase', async () => {
    const withEngine = (r: ReturnType<typeof standardRun>, hit: number) => ({
      ...r,
      serverMetrics: {
        intervalMs: 1000,
        sources: [{ url: 'http://127.0.0.1:8000/metrics', scrapes: 10, failures: 0, lastError: null }],
        tMs: [0, 1000],
        series: { running: [1, 2] },
        phases: [{ phase: 'steady', samples: 10, runningMean: 1.5, runningMax: 2, waitingMean: 0, waitingMax: 0, kvCacheUsageMax: 0.25, prefixCacheHitRate: hit, queueTimeP50Ms: null, queueTimeP99Ms: null, gpuUtilMeanPct: null, gpuMemoryMaxMiB: null, gpuPowerMeanW: null, energyJ: null, energyPerOutputTokenJ: null }],
      },
    });
    const inputs = [{ file: 'results/a.json', result: withEngine(a, 0.5) }, { file: 'results/b.json', result: withEngine(b, 0.8) }];
    const cmp = compareRuns(inputs);
    const { page, consoleErrors } = await load(renderCompareHtml(inputs.map((x, i) => ({ id: cmp.runs[i].name, ...x })), cmp), 'compare-headline');
    const headline = await page.$$eval('ul.headline li', (lis) => lis.map((li) => ({ text: li.textContent ?? '', cls: li.className })));
    expect(headline[0].text).toMatch(/^verdict: engine=sglang vs engine=vllm: WORSE — worse on \d+ \(/);
    expect(headline[0].cls).toBe('worse');
    // The headline comes before every table.
    expect(await page.evaluate(() => { const d = globalThis as unknown as { document: { querySelector(s: string): { compareDocumentPosition(o: unknown): number } } }; return d.document.querySelector('ul.headline').compareDocumentPosition(d.document.querySelector('table')) & 4; })).toBe(4);
    const rows = await page.$$eval('table.engine-side tr', (trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual([
      ['engine=vllm', 'steady', '1.5/2', '0.0/0', '25.0%', '50.0%', '-', '-', '-'],
      ['engine=sglang', 'steady', '1.5/2', '0.0/0', '25.0%', '80.0%', '-', '-', '-'],
    ]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('a sweep: the throughput–latency plot renders, one point per step, the SLO line where 100 ms maps, in light and dark', async () => {
    const sweep = sweepResult();
    const steps = sweep.sweep!.steps;
    const html = renderRunHtml('results/sweep.json', sweep);
    for (const scheme of ['light', 'dark'] as const) {
      const { page, requests, consoleErrors, charts } = await load(html, `sweep-${scheme}`, scheme);
      // The capacity plots come first, then the usual charts, all drawn.
      for (const ch of charts) for (const s of ch.series) expect(s.length, ch.title).toBeGreaterThan(0);
      // Issue 18, item 12: an axis labelled in ms has ms ticks, never "2s".
      const sweepTicks = await page.$$eval('svg[id^="sweep-"] text.tick', (ts) => ts.map((t) => t.textContent ?? ''));
      expect(sweepTicks.filter((t) => /\ds$/.test(t))).toEqual([]);
      const plot = await page.$eval('svg#sweep-ttftMs', (svg) => {
        const css = (e: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { stroke: string } }).getComputedStyle(e);
        const box = (e: { getBoundingClientRect(): { x: number; y: number; width: number; height: number } }) => {
          const r = e.getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height };
        };
        const [l, t, r, b] = (svg.getAttribute('data-plot') ?? '').split(' ').map(Number);
        const slo = svg.querySelector('line.slo-line[data-slo]')!;
        const grid100 = svg.querySelector('line.grid[data-ms="100"]')!;
        const points = [...svg.querySelectorAll('.pt[data-series="TTFT p95"]')].map((p) => ({ phase: p.getAttribute('data-phase'), ms: Number(p.getAttribute('data-ms')), fail: p.classList.contains('fail'), ...box(p) }));
        const label = svg.querySelector('text.slo-label')!;
        const title = svg.querySelector('title')?.textContent;
        const desc = svg.querySelector('desc')?.textContent;
        const crossStroke = css(svg.querySelector('.pt.fail')).stroke;
        const sloStroke = css(slo).stroke;
        return {
          svg: box(svg), slo: box(slo), grid100: box(grid100), label: { ...box(label), text: label.textContent }, points, title, desc, crossStroke, sloStroke,
          viewBox: { l, t, r, b, width: Number((svg.getAttribute('viewBox') ?? '').split(' ')[2]) },
          yMin: Number(svg.getAttribute('data-y-min')), yMax: Number(svg.getAttribute('data-y-max')),
          labelledBy: svg.getAttribute('aria-labelledby'),
        };
      });
      expect(plot.svg.w).toBeGreaterThan(400);
      expect(plot.svg.h).toBeGreaterThan(200);
      expect(plot.title).toBe('Throughput vs TTFT percentiles · sweep steps');
      expect(plot.desc).toContain('SLO lines: ttft.p95 < 100ms at 100 ms');
      expect(plot.labelledBy).toBe('sweep-ttftMs-title sweep-ttftMs-desc');
      // One TTFT p95 point per step, each drawn with a non-empty box.
      expect(plot.points.map((p) => p.phase).sort()).toEqual(steps.map((s) => s.phase).sort());
      for (const p of plot.points) expect(p.w * p.h, p.phase!).toBeGreaterThan(4);
      // The SLO line spans the plot, horizontally, at the screen y the axis gives 100 ms.
      const scale = plot.svg.w / plot.viewBox.width;
      const frac = (Math.log10(100) - Math.log10(plot.yMin)) / (Math.log10(plot.yMax) - Math.log10(plot.yMin));
      const expectY = plot.svg.y + scale * (plot.viewBox.b - frac * (plot.viewBox.b - plot.viewBox.t));
      expect(plot.slo.h).toBeLessThan(1);
      expect(Math.abs(plot.slo.y - expectY)).toBeLessThan(1.5);
      expect(Math.abs(plot.slo.y - plot.grid100.y)).toBeLessThan(0.5);
      expect(plot.slo.w).toBeCloseTo(scale * (plot.viewBox.r - plot.viewBox.l), 0);
      expect(plot.label.text).toBe('SLO ttft.p95 < 100ms');
      expect(plot.label.y + plot.label.h).toBeLessThanOrEqual(plot.slo.y + 2);
      // On screen, every step that held sits below the line and every one that broke ttft.p95 above it.
      for (const p of plot.points) {
        const centre = p.y + p.h / 2;
        if (p.ms < 100) expect(centre, p.phase!).toBeGreaterThan(plot.slo.y);
        else expect(centre, p.phase!).toBeLessThan(plot.slo.y);
        expect(p.fail, p.phase!).toBe(!steps.find((s) => s.phase === p.phase)!.pass);
      }
      // Failed steps are red crosses; the SLO line takes the same colour; both follow the colour scheme.
      const red = scheme === 'dark' ? 'rgb(255, 123, 114)' : 'rgb(207, 34, 46)';
      expect(plot.crossStroke).toBe(red);
      expect(plot.sloStroke).toBe(red);
      expect(await page.locator('p.answer').textContent()).toBe(sweep.sweep!.sentence);
      expect(await page.locator('table.sweep-steps tr[data-phase]').count()).toBe(steps.length);
      expect(requests).toEqual([]);
      expect(consoleErrors).toEqual([]);
      await page.locator('svg#sweep-ttftMs').screenshot({ path: join(OUT, `report-sweep-${scheme}.png`) });
      await page.close();
    }
  });
});
