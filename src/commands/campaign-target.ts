// A campaign's targets at run time: a URL, or an embedded simulator started when its first point
// comes (and kept for the campaign); the `between` step when the campaign moves to another target;
// and the fingerprint check that stops a resumed campaign from mixing points of a changed engine.
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fingerprintChanges, fingerprintOf, type Fingerprint } from '../campaign/fingerprint.js';
import type { Manifest } from '../campaign/manifest.js';
import type { Plan, PlanTarget } from '../campaign/plan.js';
import { createHttp } from '../probe/http.js';
import { collectProvenance } from '../provenance/collect.js';
import { loadRecipe } from '../provenance/recipe.js';
import { parseDurationMs, usageError } from '../util/errors.js';
import { runBetween } from './between.js';
import { buildHeaders } from './client-options.js';
import { simSettingsFromValue, startEmbeddedSimulator, type EmbeddedSim } from './embedded-sim.js';
import { checkTarget } from './run-context.js';

export interface TargetRuntime {
  plan: PlanTarget;
  baseUrl: string;
  /** Headers as `K: V` lines (the run's --header) and the key's environment variable. */
  header: string[];
  apiKeyEnv: string | undefined;
  recipe: string | undefined;
  sim: EmbeddedSim | null;
  /** This session's fingerprint differs from the campaign's reference (allowed by --allow-changed). */
  changed: boolean;
}

/** Opens a target: checks its URL, or starts its simulator from the plan's inline settings. */
export async function openTarget(t: PlanTarget, index: number, planFile: string, recipe: string | undefined): Promise<TargetRuntime> {
  if ('sim' in t) {
    const settings = simSettingsFromValue(t.sim, `${planFile}: targets[${index}].sim`);
    const sim = await startEmbeddedSimulator({ ...settings });
    return { plan: t, baseUrl: sim.url, header: [], apiKeyEnv: undefined, recipe: undefined, sim, changed: false };
  }
  const header = Object.entries(t.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
  // Checked now, before anything is sent: a missing key variable names the target.
  await buildHeaders({ header, apiKeyEnv: t.api_key_env }).catch((err: Error) => {
    throw usageError(`${planFile}: targets[${index}] (${t.name}): ${err.message}`);
  });
  return { plan: t, baseUrl: checkTarget(t.url), header, apiKeyEnv: t.api_key_env, recipe, sim: null, changed: false };
}

/** The plan's between step before `t`'s points: the user's switch command, then the readiness wait. Returns its wall seconds. */
export async function switchTo(plan: Plan, rt: TargetRuntime, log: (m: string) => void): Promise<number> {
  if (!plan.between) return 0;
  const t0 = performance.now();
  const limitMs = parseDurationMs(plan.between.ready_timeout, 'between.ready_timeout');
  log(`campaign: between → ${rt.plan.name}${plan.between.command ? ` (${plan.between.command})` : ''}`);
  const out = await runBetween({ command: plan.between.command ?? null, side: rt.plan.name, baseUrl: rt.baseUrl, readyLimitMs: limitMs, env: { LOADSHAPE_CAMPAIGN: plan.name, LOADSHAPE_TARGET_URL: rt.baseUrl } });
  log(`campaign: ${rt.plan.name} ready after ${Math.round(out.readiness.timeToReadyMs)} ms`);
  return (performance.now() - t0) / 1000;
}

/** What the target says it serves now, its recipe's sha and this host. */
export async function currentFingerprint(rt: TargetRuntime): Promise<Fingerprint> {
  const headers = await buildHeaders({ header: rt.header, apiKeyEnv: rt.apiKeyEnv });
  const http = createHttp({ headers });
  try {
    const provenance = await collectProvenance(http.http, rt.baseUrl);
    const recipeSha = rt.recipe !== undefined ? (await loadRecipe(rt.recipe)).sha256 : null;
    return fingerprintOf(provenance, recipeSha, hostname());
  } finally {
    await http.close();
  }
}

/**
 * The first fingerprint of a target becomes the campaign's reference; later sessions must match it
 * once the target has points done (exit 4 naming what changed), unless --allow-changed.
 */
export function checkFingerprint(m: Manifest, rt: TargetRuntime, now: Fingerprint, allowChanged: boolean, log: (msg: string) => void): void {
  const name = rt.plan.name;
  const ref = m.targets[name];
  const measured = m.points.some((p) => p.target === name && p.state === 'done');
  if (!ref || !measured) {
    m.targets[name] = now;
    return;
  }
  const changes = fingerprintChanges(ref, now);
  if (changes.length === 0) return;
  if (!allowChanged) {
    throw usageError(
      `target ${name} changed since its points were measured: ${changes.join('; ')}. Restore it, start the campaign afresh in another --out, or add --allow-changed to run on (the report then marks the points measured after the change)`,
    );
  }
  rt.changed = true;
  log(`campaign: target ${name} changed (${changes.join('; ')}); --allow-changed: its new points are marked`);
}
