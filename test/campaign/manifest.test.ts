import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pendingRecord, readManifest, writeManifest, type Manifest } from '../../src/campaign/manifest.js';

const manifest = (): Manifest => ({
  version: 1,
  name: 'm',
  plan: { file: '/p.yaml', sha256: 'abc' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  targets: {},
  points: [pendingRecord({ id: 'a/w/1-rate-1-1s/r1', target: 'a', workload: 'w', pointIndex: 0, repeat: 1, kind: 'load' })],
  costUsd: 0.5,
  sessions: [{ startedAt: '2026-01-01T00:00:00.000Z', resumed: false, allowChanged: false }],
  stopped: null,
});

describe('campaign manifest', () => {
  it('round-trips through an atomic write that leaves no temp file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    const file = join(dir, 'campaign.json');
    await writeManifest(file, manifest());
    const m2 = { ...manifest(), costUsd: 0.75 };
    await writeManifest(file, m2);
    const back = await readManifest(file);
    expect(back?.costUsd).toBe(0.75);
    expect(back?.points[0].state).toBe('pending');
    expect(readdirSync(dir)).toEqual(['campaign.json']);
  });

  it('reads no manifest as null, and refuses a file that is not one, naming the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    expect(await readManifest(join(dir, 'campaign.json'))).toBeNull();
    writeFileSync(join(dir, 'campaign.json'), '{"version": 1, "name": 3}');
    await expect(readManifest(join(dir, 'campaign.json'))).rejects.toThrow(/not a campaign manifest of this version \(name: .*\); start afresh in another --out/);
    writeFileSync(join(dir, 'campaign.json'), 'nope');
    await expect(readManifest(join(dir, 'campaign.json'))).rejects.toThrow(/not a campaign manifest \(not JSON\)/);
  });
});
