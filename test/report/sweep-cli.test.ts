// A tiny real sweep against the embedded simulator (three short steps): `sweep` stores its answer in
// the result file, `--json` prints that same answer, and `report` reprints it as text, Markdown and
// the HTML plot. Needs the built CLI (`npx tsc -p .`; npm test builds it first).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResult } from '../../src/results/io.js';
import { runCli } from '../commands/helpers.js';

const FIX = join(import.meta.dirname, '../sweep/fixtures');

describe('sweep → result file → report', () => {
  it('stores the answer, and report shows it as text, Markdown and the HTML plot with the SLO lines', async () => {
    const out = mkdtempSync(join(tmpdir(), 'loadshape-sweepreport-'));
    try {
      // Bounds a busy machine's latencies keep (the step logic itself is tested on a virtual clock).
      const sweep = await runCli(
        [
          'sweep', join(FIX, 'sweep.yaml'), '--sim-config', join(FIX, 'fast-cb.yaml'),
          '--slo', 'ttft.p95 < 1s', '--slo', 'error_rate < 1%', '--slo', 'ttft.p99 < 1500ms class=short',
          '--max-steps', '3', '--probe-concurrency', '8',
          '--step-duration', '2s', '--min-step-duration', '1s', '--steady-window', '1s', '--min-step-requests', '10',
          // About the answer's path to the report, not the harness's lag on a shared machine.
          '--max-client-lag', '1s',
          '--out', out, '--json', '--quiet',
        ],
        { timeoutMs: 60_000 },
      );
      expect(sweep.code, sweep.stderr).toBe(0);
      const printed = JSON.parse(sweep.stdout);
      const file = printed.resultFile as string;
      const stored = parseResult(readFileSync(file, 'utf8'), file);
      // What --json printed is what the file holds.
      expect(stored.sweep).toEqual(printed);
      const s = stored.sweep!;
      expect(s.steps).toHaveLength(3);
      // A class scope written in the SLO is named once.
      expect(s.slos).toEqual(['ttft.p95 < 1s', 'error_rate < 1%', 'ttft.p99 < 1500ms class=short']);
      expect(s.steps.map((x) => x.phase)).toEqual(stored.phases.map((p) => p.name));
      for (const x of s.steps) {
        expect(x.checks!.map((c) => [c.slo, c.class])).toEqual([['ttft.p95 < 1s', '*'], ['error_rate < 1%', '*'], ['ttft.p99 < 1500ms class=short', 'short']]);
        expect(x.checks!.every((c) => c.pass)).toBe(x.pass);
      }
      expect(s.sentence).toMatch(/^max [\d.]+ req\/s/);

      const text = await runCli(['report', file]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(`answer: ${s.sentence}`);
      expect(text.stdout).toContain('latency–throughput curve (sweep by rate; 3 steps');
      const md = await runCli(['report', file, '--format', 'md']);
      expect(md.stdout).toContain(`### Sweep answer\n\n**${s.sentence}**`);

      const htmlFile = join(out, 'sweep.html');
      const html = await runCli(['report', file, '--html', htmlFile]);
      expect(html.code, html.stderr).toBe(0);
      const page = readFileSync(htmlFile, 'utf8');
      const chart = page.slice(page.indexOf('<svg class="chart curve-chart" id="sweep-ttftMs"'), page.indexOf('</svg>', page.indexOf('id="sweep-ttftMs"')));
      expect(chart).toContain('data-steps="3"');
      expect((chart.match(/class="pt[^"]*" data-phase="[^"]+" data-series="TTFT p95"/g) ?? []).length).toBe(3);
      expect(chart).toContain('data-slo="ttft.p95 &lt; 1s" data-bound-ms="1000"');
      expect(chart).toContain('data-slo="ttft.p99 &lt; 1500ms class=short" data-bound-ms="1500"');
      expect((chart.match(/data-series="ttft\.p99 \[short\] \(SLO\)"/g) ?? []).length).toBe(3);
      expect(chart).toContain(`data-phase="${s.bestPhase}"`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);
});
