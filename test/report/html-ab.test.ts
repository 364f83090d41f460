// The A/B HTML report in headless Chromium (as test/report/html.test.ts): the headline verdict first,
// one paired-difference chart per metric drawn from its data, the fairness block; no network.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { AbResultSchema, type AbResult } from '../../src/results/ab-format.js';
import { renderAbHtml } from '../../src/report/html-ab.js';
import { pairedMetrics, pairedVerdict, type Pair } from '../../src/report/paired.js';
import { rngFor } from '../../src/util/rng.js';

const PATH = /^(M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+)+$/;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = resolve('test-output');

/** 150 pairs: B 30 % slower per token, the same otherwise (shared noise per pair). */
function abResult(): AbResult {
  const rng = rngFor(5);
  const pairs: Pair[] = Array.from({ length: 150 }, () => {
    const load = 0.8 + 0.4 * rng();
    const side = (tpot: number) => ({ ok: true, ttftMs: 40 * load + rng(), tpotMs: tpot * load, e2eMs: 40 * load + 15 * tpot * load, queueMs: rng() * 0.1, outputTokens: 16, valid: null });
    return { a: side(10), b: side(13) };
  });
  const metrics = pairedMetrics(pairs);
  const sideRef = (s: string) => ({ file: `results/x-${s}.json`, runId: `x-${s}`, target: `http://127.0.0.1:800${s === 'a' ? 1 : 2}/v1`, model: 'm', labels: { side: s } });
  const counts = { scheduled: 150, sent: 150, dropped: 0 };
  return AbResultSchema.parse({
    format: 'loadshape-ab', version: 1, startedAt: '2026-12-05T07:00:00.000Z', mode: 'mirrored', rounds: null, workload: { name: 'ab-short', seed: 1, sha256: 'f'.repeat(64) },
    sides: { a: sideRef('a'), b: sideRef('b') }, pairs: 150, unpaired: { a: 0, b: 0 }, metrics,
    fairness: {
      sameBodies: true, bodyMismatches: 0, bodiesSha256: { a: 'ab'.repeat(32), b: 'ab'.repeat(32) }, sendInstantsShared: true, sendSkewMs: { p50: 0.08, p99: 0.41, max: 0.9 },
      saturated: { a: false, b: false }, schedule: { a: counts, b: counts }, outputLength: { disagreeingPairs: 0, fraction: 0, disagree: false }, notes: [],
    },
    verdict: pairedVerdict(metrics), unpairedVerdict: 'side=b vs side=a: WORSE', gates: { failOn: 'tpot.p50>+5%', violations: [{ clause: 'tpot.p50>+5%', message: 'tpot.p50>+5%: 10 → 13 ms' }] }, invalid: [], exitCode: 2,
    settings: { confidence: 0.95, minEffect: 0.02, floorMs: 0.25, resamples: 1000, seed: 1 },
  });
}

describe.skipIf(!existsSync(CHROMIUM))('A/B HTML report in headless Chromium', () => {
  let browser: BrowserContext;
  let dir: string;
  let profile: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'loadshape-html-ab-'));
    profile = mkdtempSync(join(tmpdir(), 'loadshape-chromium-'));
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

  it('shows the headline verdict, a paired-difference chart per metric and the fairness checks, with no network', async () => {
    const ab = abResult();
    const file = join(dir, 'ab.html');
    writeFileSync(file, renderAbHtml(ab));
    const url = pathToFileURL(file).href;
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load' });

    expect(await page.locator('#verdict').textContent()).toBe('B is worse than A on tpot.p50, tpot.p95, e2e.p50, e2e.p95');
    const charts = await page.$$eval('figure[data-metric] svg.chart', (svgs) =>
      svgs.map((svg) => ({
        metric: svg.closest('figure')?.getAttribute('data-metric'),
        width: svg.getBoundingClientRect().width,
        d: svg.querySelector('path.series')?.getAttribute('d') ?? '',
        zero: svg.querySelector('text.marker-label')?.textContent ?? null,
        zeroX: Number(svg.querySelector('line.marker')?.getAttribute('x1')),
      })),
    );
    expect(charts.map((c) => c.metric)).toEqual(['ttft', 'tpot', 'e2e', 'queue', 'output_tokens']);
    for (const c of charts) {
      expect(c.width, c.metric!).toBeGreaterThan(300);
      expect(c.d, c.metric!).toMatch(PATH);
    }
    // Every chart marks B = A; TTFT's differences straddle it, TPOT's lie wholly to its right (B slower).
    const xs = (d: string) => [...d.matchAll(/[ML]([\d.]+) /g)].map((m) => Number(m[1]));
    expect(charts.every((c) => c.zero === 'B = A')).toBe(true);
    expect(Math.min(...xs(charts[0].d))).toBeLessThan(charts[0].zeroX);
    expect(Math.max(...xs(charts[0].d))).toBeGreaterThan(charts[0].zeroX);
    expect(Math.min(...xs(charts[1].d))).toBeGreaterThan(charts[1].zeroX + 100);
    expect(await page.locator('#unpaired').textContent()).toBe('unpaired (as compare): side=b vs side=a: WORSE');
    const fairness = (await page.locator('ul.fairness').textContent()) ?? '';
    expect(fairness).toContain('same bodies: yes');
    expect(fairness).toContain('send skew between sides p50 0.08 ms, p99 0.41 ms');
    expect(await page.locator('tr.worse').count()).toBe(4);
    expect(await page.locator('p.fail').nth(1).textContent()).toBe('fail-on tpot.p50>+5%: B regressed');
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(OUT, 'report-ab.png'), fullPage: true });
    await page.close();
  });
});
