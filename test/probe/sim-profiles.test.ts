// Probe against the simulator's blocking profile (one slot): the batching question is answered "no".
import { afterAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/probe/checks.js';
import { createHttp } from '../../src/probe/http.js';
import { startSimulator } from '../../src/sim/server.js';

const transport = createHttp();
afterAll(() => transport.close());

describe('probe against simulator profiles', () => {
  it('blocking, one slot: serves one request at a time', async () => {
    const sim = await startSimulator({ profile: 'blocking', slots: 1, maxModelLen: 2048 });
    try {
      const r = await runProbe({ http: transport.http, baseUrl: sim.url });
      const c = r.checks.find((x) => x.capability === 'concurrency')!;
      expect(c.verdict).toBe('not_supported');
      expect(c.evidence).toMatch(/after the first ended: one request at a time/);
      expect(r.checks.find((x) => x.capability === 'stream')!.verdict).toBe('supported');
    } finally {
      await sim.close();
    }
  }, 30_000);
});
