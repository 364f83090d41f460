// Issue 18, item 12: loadshape's simulator answers /version like vLLM but names itself, so a result
// never reads "engine vllm 0.1.0" for numbers the simulator made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttp } from '../../src/probe/http.js';
import { collectProvenance } from '../../src/provenance/collect.js';
import { renderEngineSide } from '../../src/provenance/render.js';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import { synthResult } from '../report/fixtures.js';

describe('provenance of the simulator', () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startSimulator({ profile: 'fixed', ttftMs: 1, itlMs: 1, prefillMsPerToken: 0 });
  });
  afterAll(() => sim.close());

  it('says it is loadshape\'s simulator mimicking vLLM, not vLLM', async () => {
    const transport = createHttp();
    try {
      const p = await collectProvenance(transport.http, sim.url);
      expect(p.engine).toBe('loadshape-sim');
      const r = synthResult({ seed: 1, phases: [{ name: 'steady', classes: [{ name: 'chat', requests: 5, ttftMs: 5, tpotMs: 1, outputTokens: 4 }] }] });
      r.meta.provenance = { ...p, readiness: undefined } as typeof r.meta.provenance;
      const served = renderEngineSide(r).find((l) => l.startsWith('served:'));
      expect(served).toMatch(/^served: engine loadshape's simulator [\d.]+, mimicking vLLM \(\/version\)/);
      expect(served).not.toMatch(/engine vllm/);
    } finally {
      await transport.close();
    }
  });
});
