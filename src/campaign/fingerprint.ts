// A target's fingerprint: what must stay the same for points measured in different sessions to be
// compared. The models the target serves (/v1/models), the engine and its version as its endpoints
// tell them, the serving recipe's sha256 when the plan names one, and the harness host. Not the URL's
// port: an embedded simulator or a restarted engine may listen elsewhere and still be the same engine.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Provenance } from '../provenance/schema.js';

export const FingerprintSchema = z.object({
  models: z.array(z.string()),
  engine: z.string().nullable(),
  engineVersion: z.string().nullable(),
  recipeSha256: z.string().nullable(),
  host: z.string(),
  sha: z.string(),
});
export type Fingerprint = z.infer<typeof FingerprintSchema>;

/** The fingerprint from a target's provenance, its recipe's sha (if any) and the harness's host name. */
export function fingerprintOf(p: Provenance, recipeSha256: string | null, host: string): Fingerprint {
  const models = (p.models ?? []).map((m) => (m.maxModelLen !== null ? `${m.id} (max_model_len ${m.maxModelLen})` : m.id)).sort();
  const version = p.versions.map((v) => v.body.version).find((v): v is string => typeof v === 'string') ?? null;
  const base = { models, engine: p.engine, engineVersion: version, recipeSha256, host };
  return { ...base, sha: createHash('sha256').update(JSON.stringify(base)).digest('hex').slice(0, 16) };
}

/** What changed from `before` to `now`, one phrase per field ("engine version 0.8.1 → 0.9.0"); empty when nothing did. */
export function fingerprintChanges(before: Fingerprint, now: Fingerprint): string[] {
  const show = (v: string | null | string[]) => (v === null ? 'none' : Array.isArray(v) ? (v.length > 0 ? v.join(', ') : 'none') : v);
  const fields: [string, keyof Omit<Fingerprint, 'sha'>][] = [
    ['/v1/models', 'models'],
    ['engine', 'engine'],
    ['engine version', 'engineVersion'],
    ['recipe sha256', 'recipeSha256'],
    ['harness host', 'host'],
  ];
  const out: string[] = [];
  for (const [label, key] of fields) {
    const a = show(before[key]);
    const b = show(now[key]);
    if (a !== b) out.push(`${label} ${a} → ${b}`);
  }
  return out;
}
