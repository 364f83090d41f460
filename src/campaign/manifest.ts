// campaign.json: the campaign's memory between sessions. Each point's state, result file, target
// fingerprint and cost, and the money and time spent so far. Written whole and atomically (a temp file
// renamed over the old one) before and after every point, so a kill at any instant leaves either the
// previous manifest or the next one, never half of one: a point found `running` was cut short and runs again.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { LoadshapeError, fsReason, usageError } from '../util/errors.js';
import { FingerprintSchema } from './fingerprint.js';

export const MANIFEST_FILE = 'campaign.json';
export const MANIFEST_VERSION = 1;

export const PointStateSchema = z.enum(['pending', 'running', 'done', 'interrupted', 'failed']);
export type PointState = z.infer<typeof PointStateSchema>;

export const PointRecordSchema = z.object({
  id: z.string(),
  target: z.string(),
  workload: z.string(),
  pointIndex: z.number(),
  repeat: z.number(),
  kind: z.enum(['load', 'sweep']),
  state: PointStateSchema,
  /** Result file, relative to the campaign folder (null until written). */
  resultFile: z.string().nullable(),
  startedAt: z.string().nullable(),
  /** Wall time of the point, between command excluded. */
  wallS: z.number().nullable(),
  costUsd: z.number().nullable(),
  /** The point's own exit code as `run`/`sweep` gives it (0, 1, 2, 3, 5). */
  exitCode: z.number().nullable(),
  /** sha of the target's fingerprint when the point ran. */
  fingerprint: z.string().nullable(),
  /** Ran under --allow-changed against a fingerprint that differs from the campaign's first. */
  fingerprintChanged: z.boolean(),
  /** What the budget expected before the point ran. */
  estimate: z.object({ seconds: z.number().nullable(), basis: z.string() }).nullable(),
  error: z.string().nullable(),
});
export type PointRecord = z.infer<typeof PointRecordSchema>;

export const ManifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  name: z.string(),
  plan: z.object({ file: z.string(), sha256: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Each target's fingerprint when its first point ran (the reference a resume is checked against). */
  targets: z.record(z.string(), FingerprintSchema),
  points: z.array(PointRecordSchema),
  /** Cost of every point and probe so far, every session included. */
  costUsd: z.number(),
  sessions: z.array(z.object({ startedAt: z.string(), resumed: z.boolean(), allowChanged: z.boolean() })),
  /** Why the last session stopped early, or null when it ran to the end (or is running). */
  stopped: z.string().nullable(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** Writes the manifest atomically: a temp file beside it, then rename (same directory, so same file system). */
export async function writeManifest(file: string, m: Manifest): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify({ ...m, updatedAt: new Date().toISOString() }, null, 2)}\n`);
    await rename(tmp, file);
  } catch (err) {
    throw new LoadshapeError('io', `${file}: cannot write the campaign manifest (${fsReason(err)}); free space or choose another --out`);
  }
}

/** Reads a manifest; null when there is none. A manifest that does not parse is an error naming the fix. */
export async function readManifest(file: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LoadshapeError('io', `${file}: cannot read the campaign manifest (${fsReason(err)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw usageError(`${file}: not a campaign manifest (not JSON); point --out at the campaign's folder, or start afresh in another`);
  }
  const parsed = ManifestSchema.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw usageError(`${file}: not a campaign manifest of this version (${i.path.join('.')}: ${i.message}); start afresh in another --out`);
  }
  return parsed.data;
}

/** A fresh record for a point that has not run. */
export function pendingRecord(p: { id: string; target: string; workload: string; pointIndex: number; repeat: number; kind: 'load' | 'sweep' }): PointRecord {
  return { ...p, state: 'pending', resultFile: null, startedAt: null, wallS: null, costUsd: null, exitCode: null, fingerprint: null, fingerprintChanged: false, estimate: null, error: null };
}
