// Golden: a seeded run against the `fixed` simulator sends the same request bodies and counts the same
// totals as the run recorded in golden/fixed-sim.json (made before the Driver was rewired into sinks).
// Timing fields are left out: only what the seed decides is compared.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/sim/server.js';
import { fixture, readOnlyResult, runCli, tempDir } from '../commands/helpers.js';

const GOLDEN = join(import.meta.dirname, 'golden', 'fixed-sim.json');

interface Golden {
  bodies: string[];
  phases: unknown[];
}

/** The simulator's ids start with a random per-process prefix; tool results sent back quote them. */
const sameIds = (s: string) => s.replace(/call_[0-9a-f]{8}([0-9a-f]{8})/g, 'call_$1');

async function goldenRun(workload: string, args: string[]): Promise<Golden> {
  const bodies: string[] = [];
  const sim = await startSimulator({ profile: 'fixed', ttftMs: 1, itlMs: 0, prefillMsPerToken: 0, onRequest: (v) => bodies.push(createHash('sha256').update(sameIds(JSON.stringify(v.body))).digest('hex').slice(0, 16)) });
  try {
    const out = tempDir();
    const r = await runCli(['run', workload, '--target', sim.url, '--server-metrics', 'none', '--workers', '1', '--seed', '11', '--out', out, '--quiet', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = readOnlyResult(out);
    return {
      // Sent concurrently, so arrival order at the server is not the plan's: compare as a sorted list.
      bodies: bodies.sort(),
      phases: result.phases.map((p) => ({
        name: p.name, scheduled: p.scheduled, sent: p.sent, dropped: p.dropped, requestsSent: p.requestsSent ?? null,
        groups: p.groups.map((g) => ({
          class: g.class, requests: g.requests, ok: g.ok, errors: g.errors, errorsByClass: g.errorsByClass,
          promptTokens: g.promptTokens, outputTokens: g.outputTokens, validity: g.validity ?? null,
        })),
      })),
    };
  }
  finally {
    await sim.close();
  }
}

/** `got` cut down to the object keys `want` has, recursively (arrays kept whole, element by element). */
function likeGolden(got: unknown, want: unknown): unknown {
  if (Array.isArray(got) && Array.isArray(want)) return got.map((x, i) => likeGolden(x, want[i]));
  if (got && want && typeof got === 'object' && typeof want === 'object' && !Array.isArray(want)) {
    return Object.fromEntries(Object.keys(want).map((k) => [k, likeGolden((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k])]));
  }
  return got;
}

describe('golden run against the fixed simulator', () => {
  it('sends the same bodies and counts the same totals as before the Driver was rewired', async () => {
    const mixed = await goldenRun('mixed', ['--concurrency', '3', '--requests', '40']);
    // One conversation at a time: the simulator's replies (sent back in later turns) then follow one order.
    const conversation = await goldenRun(fixture('conversations.yaml'), ['--concurrency', '1', '--requests', '6']);
    const got = { mixed, conversation };
    if (process.env.LOADSHAPE_WRITE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(got, null, 1)}\n`);
    const want = JSON.parse(readFileSync(GOLDEN, 'utf8')) as typeof got;
    // Fields added to the result since the golden file was recorded (new validity outcomes, counters)
    // are not part of what it pins: only the keys it has are compared.
    expect(likeGolden(got, want)).toEqual(want);
  });
});
