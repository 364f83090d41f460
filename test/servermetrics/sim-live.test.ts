// Against the real simulator's /metrics (vLLM names): a continuous-batching engine capped at two
// running sequences, driven at 1 then 8 in flight; its waiting and KV-cache gauges follow the step.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDefaults } from '../../src/commands/options.js';
import { runCommand } from '../../src/commands/run.js';
import type { RunResult } from '../../src/results/format.js';
import { startSimulator, type SimServer } from '../../src/sim/server.js';

const WORKLOAD = `name: step
seed: 1
classes:
  - name: chat
    weight: 1
    prompt_tokens: { type: fixed, value: 64 }
    output_tokens: { type: fixed, value: 48 }
phases:
  - { name: low, duration: 2500ms, concurrency: 1 }
  - { name: high, duration: 2500ms, concurrency: 8 }
`;

describe('server metrics from the simulator', () => {
  let sim: SimServer;
  let result: RunResult;
  beforeAll(async () => {
    sim = await startSimulator({ profile: 'continuous-batching', maxRunningSeqs: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'loadshape-simlive-'));
    writeFileSync(join(dir, 'step.yaml'), WORKLOAD);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      ({ result } = await runCommand({ ...runDefaults(), workload: join(dir, 'step.yaml'), target: sim.url, out: dir, label: [], header: [], quiet: true, timeoutTtfb: '30s', timeoutIdle: '30s', timeoutTotal: '60s' }));
    } finally {
      out.mockRestore();
    }
  }, 30_000);
  afterAll(() => sim.close());

  it('waiting requests and KV-cache usage rise with the load step', () => {
    const [low, high] = result.serverMetrics!.phases;
    expect(result.serverMetrics!.sources[0].failures).toBe(0);
    expect(low.waitingMax).toBe(0);
    expect(high.waitingMax!).toBeGreaterThanOrEqual(3);
    expect(high.runningMax).toBe(2);
    expect(high.kvCacheUsageMax!).toBeGreaterThan(low.kvCacheUsageMax!);
    expect(high.queueTimeP99Ms!).toBeGreaterThan(low.queueTimeP99Ms ?? 0);
  });
});
