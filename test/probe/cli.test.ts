// `loadshape probe` as a user runs it (dist/cli.js): JSON out, exit 0 when it streams, 5 when it cannot.
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/helpers.js';
import { startFakeEngine } from './fake-engine.js';

describe('loadshape probe (CLI)', () => {
  it('--json against a streaming engine: exit 0 and the report as JSON', async () => {
    const e = await startFakeEngine({ usage: false });
    try {
      const r = await runCli(['probe', '--target', e.url, '--json'], { timeoutMs: 30_000 });
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as { canStream: boolean; checks: { capability: string; verdict: string }[] };
      expect(report.canStream).toBe(true);
      expect(report.checks.find((c) => c.capability === 'usage')?.verdict).toBe('not_supported');
    } finally {
      await e.close();
    }
  }, 30_000);

  it('an endpoint that cannot stream: the table, and exit 5', async () => {
    const e = await startFakeEngine({ noStream: true });
    try {
      const r = await runCli(['probe', '--target', e.url], { timeoutMs: 30_000 });
      expect(r.code).toBe(5);
      expect(r.stdout).toMatch(/^stream\s+not supported\s+answered application\/json instead of text\/event-stream/m);
      expect(r.stdout).toContain('the endpoint cannot stream');
    } finally {
      await e.close();
    }
  }, 30_000);
});
