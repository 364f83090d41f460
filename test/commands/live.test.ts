// The Prometheus endpoint and the live view of a real run against the embedded simulator: scraped
// during the run, parsed back, and compared with the result file the run writes.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveOutputs, parseListen, wantsView } from '../../src/commands/live.js';
import type { RunResult } from '../../src/results/format.js';
import { parsePrometheus, type Sample } from '../../src/servermetrics/parse.js';
import { CLI, fixture, readOnlyResult, ROOT, tempDir } from './helpers.js';

interface Scraped {
  atMs: number;
  samples: Sample[];
}

/** Runs the CLI, scraping the endpoint it announces on stderr every 250 ms until it exits. */
function runScraping(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; scrapes: Scraped[]; url: string | null; resultAtMs: number | null; exitAtMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    let url: string | null = null;
    let resultAtMs: number | null = null;
    const scrapes: Scraped[] = [];
    let timer: NodeJS.Timeout | null = null;
    const scrape = async () => {
      if (!url) return;
      try {
        const res = await fetch(url);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        scrapes.push({ atMs: performance.now() - t0, samples: parsePrometheus(await res.text()) });
      } catch {
        // between the run's end and the process exit the endpoint may be gone
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (resultAtMs === null && /^result: /m.test(stdout)) resultAtMs = performance.now() - t0;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving live metrics at (http:\/\/\S+\/metrics)/.exec(stderr);
      if (m && !url) {
        url = m[1];
        timer = setInterval(() => void scrape(), 250);
      }
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      if (timer) clearInterval(timer);
      resolve({ code, stdout, stderr, scrapes, url, resultAtMs, exitAtMs: performance.now() - t0 });
    });
  });
}

const value = (s: Sample[], name: string, labels: Record<string, string> = {}) =>
  s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((a, x) => a + x.value, 0);

/** The endpoint's counts against the result's, per recorded phase and class. */
function expectCountsMatch(samples: Sample[], result: RunResult): void {
  let compared = 0;
  for (const phase of result.phases) {
    for (const g of phase.groups.filter((x) => x.class !== '*')) {
      const at = { phase: phase.name, class: g.class };
      expect(value(samples, 'loadshape_requests_total', { ...at, status: 'ok' }), `${phase.name}/${g.class} ok`).toBe(g.ok);
      expect(value(samples, 'loadshape_requests_total', { ...at, status: 'error' }), `${phase.name}/${g.class} errors`).toBe(g.errors);
      for (const [ec, n] of Object.entries(g.errorsByClass)) expect(value(samples, 'loadshape_requests_total', { ...at, error_class: ec })).toBe(n);
      expect(value(samples, 'loadshape_output_tokens_total', at)).toBe(g.outputTokens);
      expect(value(samples, 'loadshape_ttft_seconds_count', at)).toBe(g.metrics.ttftMs.count);
      expect(value(samples, 'loadshape_queue_seconds_count', at)).toBe(g.requests);
      compared += g.requests;
    }
  }
  expect(compared).toBeGreaterThan(0);
  expect(value(samples, 'loadshape_requests_total')).toBe(compared);
}

describe('--metrics-listen', () => {
  it('serves valid exposition text during the run whose counts, after the end (--linger), match the result file', async () => {
    const out = tempDir();
    const r = await runScraping(['run', fixture('timing.yaml'), '--concurrency', '4', '--duration', '3s', '--sim-fault', 'http_500:rate=0.1', '--metrics-listen', '0', '--linger', '2s', '--label', 'team=infra', '--out', out, '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/); // loopback unless a host is given
    const result = readOnlyResult(out);
    const during = r.scrapes.filter((s) => r.resultAtMs === null || s.atMs < r.resultAtMs);
    const mid = during.filter((s) => value(s.samples, 'loadshape_requests_total') > 0 && value(s.samples, 'loadshape_in_flight') > 0);
    expect(mid.length, 'scrapes while requests were in flight').toBeGreaterThan(0);
    // Counters only grow from scrape to scrape.
    const totals = r.scrapes.map((s) => value(s.samples, 'loadshape_requests_total'));
    for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeGreaterThanOrEqual(totals[i - 1]);
    // --linger: still answering after the result was written, and the process then exits.
    const after = r.scrapes.filter((s) => r.resultAtMs !== null && s.atMs > r.resultAtMs + 200);
    expect(after.length).toBeGreaterThan(0);
    expect(r.exitAtMs - (r.resultAtMs ?? 0)).toBeGreaterThan(1500);
    const last = after[after.length - 1].samples;
    expectCountsMatch(last, result);
    expect(value(last, 'loadshape_requests_total', { status: 'error', error_class: 'http_5xx' })).toBeGreaterThan(0); // the fault's errors are counted too
    expect(value(last, 'loadshape_in_flight')).toBe(0);
    const info = last.find((x) => x.name === 'loadshape_run_info');
    expect(info?.labels).toMatchObject({ run_id: result.meta.runId, workload: 'timing', model: result.meta.model, team: 'infra' });
    expect(info?.value).toBe(1);
    expect(last.every((x) => x.labels.team === 'infra')).toBe(true);
  });

  it('with --workers 2 serves from the parent, fed by both workers: counts equal the merged result', async () => {
    const out = tempDir();
    const r = await runScraping(['run', fixture('timing.yaml'), '--concurrency', '4', '--duration', '3s', '--sim-fault', 'http_500:rate=0.1', '--workers', '2', '--metrics-listen', '127.0.0.1:0', '--linger', '1s', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const result = readOnlyResult(out);
    expect(result.meta.argv).toContain('--workers');
    const after = r.scrapes.filter((s) => r.resultAtMs !== null && s.atMs > r.resultAtMs + 100);
    expect(after.length).toBeGreaterThan(0);
    expectCountsMatch(after[after.length - 1].samples, result);
    expect(after[after.length - 1].samples.find((x) => x.name === 'loadshape_run_info')?.labels.run_id).toBe(result.meta.runId);
    // During the run too, the id is already the merged result's (its first worker's start, "-merged2").
    const early = r.scrapes.find((x) => x.samples.some((y) => y.name === 'loadshape_requests_total'));
    expect(early?.samples.find((x) => x.name === 'loadshape_run_info')?.labels.run_id).toBe(result.meta.runId);
  });

  it('serves a sweep step by step: one phase per step, ok counts equal the sweep result\'s', async () => {
    const out = tempDir();
    const workload = join(ROOT, 'test/sweep/fixtures/sweep.yaml');
    const r = await runScraping(['sweep', workload, '--slo', 'ttft.p95 < 5s', '--max-steps', '3', '--probe-concurrency', '4', '--step-duration', '2s', '--min-step-duration', '1s',
      '--steady-window', '1s', '--min-step-requests', '5', '--max-client-lag', '1s', '--metrics-listen', '0', '--linger', '1s', '--out', out]);
    expect([0, 1], r.stderr).toContain(r.code);
    const result = readOnlyResult(out);
    const last = r.scrapes.filter((x) => r.resultAtMs !== null && x.atMs > r.resultAtMs + 100).pop()!.samples;
    expect(result.phases.length).toBeGreaterThanOrEqual(2);
    for (const phase of result.phases) {
      const all = phase.groups.find((g) => g.class === '*')!;
      // The sweep's own cancellations at a step's end are dropped from its result (sweep/held.ts), not from the live counts: compare what finished ok.
      expect(value(last, 'loadshape_requests_total', { phase: phase.name, status: 'ok' }), phase.name).toBe(all.ok);
    }
    expect(last.find((x) => x.name === 'loadshape_run_info')?.labels).toMatchObject({ workload: 'sweep', sweep: 'rate', run_id: result.meta.runId });
  });

  it('refuses a taken port before the run starts, naming the flag', async () => {
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const port = (srv.address() as { port: number }).port;
    try {
      const out = tempDir();
      const r = await runScraping(['run', fixture('timing.yaml'), '--requests', '2', '--concurrency', '1', '--metrics-listen', String(port), '--out', out]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(new RegExp(`--metrics-listen ${port}: cannot listen \\(EADDRINUSE\\)`));
      expect(readdirSync(out)).toEqual([]); // refused before anything ran
    } finally {
      srv.close();
    }
  });
});

describe('live flags', () => {
  it('listen on loopback unless a host is given', () => {
    expect(parseListen('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('localhost')).toThrow(/--metrics-listen: expected \[HOST:\]PORT/);
    expect(() => parseListen('1:70000')).toThrow(/--metrics-listen/);
  });

  it('--linger needs --metrics-listen; without either flag or a terminal nothing is started and no sink is added', async () => {
    const env = { stream: { columns: 120, rows: 40, isTTY: false, write: () => true, on: () => null, off: () => null }, ci: false };
    const o = { title: 't', labels: {}, log: () => {} };
    await expect(LiveOutputs.open({ quiet: false, linger: '5s' }, o, env)).rejects.toThrow(/--linger keeps the metrics endpoint up after the run: give --metrics-listen/);
    await expect(LiveOutputs.open({ quiet: false, metricsListen: '0', linger: 'soon' }, o, env)).rejects.toThrow(/--linger/);
    const idle = await LiveOutputs.open({ quiet: false }, o, env);
    expect(idle.active).toBe(false);
    expect(idle.tap()).toBeNull();
    await idle.close();
  });

  it('draw the view on a big enough terminal outside CI, the progress line otherwise; --quiet and --no-live never draw', () => {
    const tty = (columns: number, rows: number, isTTY = true) => ({ stream: { columns, rows, isTTY, write: () => true, on: () => null, off: () => null }, ci: false });
    expect(wantsView({ quiet: false }, tty(120, 40)).view).toBe(true);
    expect(wantsView({ quiet: false }, tty(79, 40)).view).toBe(false);
    expect(wantsView({ quiet: false }, { ...tty(120, 40), ci: true }).view).toBe(false);
    expect(wantsView({ quiet: false }, tty(120, 40, false)).view).toBe(false);
    expect(wantsView({ quiet: true, live: true }, tty(120, 40)).view).toBe(false);
    expect(wantsView({ quiet: false, live: false }, tty(120, 40)).view).toBe(false);
    expect(wantsView({ quiet: false, live: true }, { ...tty(70, 16), ci: true }).view).toBe(true);
    expect(wantsView({ quiet: false, live: true }, tty(120, 40, false))).toEqual({ view: false, why: '--live: stderr is not a terminal; showing the progress line' });
  });
});
