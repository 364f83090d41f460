// `loadshape campaign plan.yaml`: the I/O edge of a campaign. Reads and expands the plan
// (campaign/plan.ts), keeps campaign.json (campaign/manifest.ts) written atomically around every
// point, runs each point in-process as `run` or `sweep` would with the point's load, checks each
// target's fingerprint when the campaign moves to it, and stops before a point that would pass the
// budget (campaign/budget.ts). The report is commands/campaign-report.ts's.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { estimatePoint, fmt, type Estimate, type Limits } from '../campaign/budget.js';
import { MANIFEST_FILE, pendingRecord, readManifest, writeManifest, type Manifest } from '../campaign/manifest.js';
import { expandPoints, locate, parsePlan, resolveWorkloadRef, workloadKey, type CampaignPoint, type Plan } from '../campaign/plan.js';
import { LoadshapeError, parseDurationMs, usageError, workloadError } from '../util/errors.js';
import { CampaignSession, EXIT_SIGNALLED } from './campaign-session.js';
import { writeCampaignReport } from './campaign-report.js';
import { simSettingsFromValue } from './embedded-sim.js';
import { EXIT, EXIT_PRECEDENCE } from './exit.js';
import { formatPath, loadWorkload } from '../workload/load.js';
import type { CampaignFlags } from './options.js';

export type CampaignOptions = CampaignFlags & { plan: string };

export interface CampaignOutcome {
  exitCode: number;
  dir: string;
  manifest: Manifest | null;
}

export interface LoadedPlan {
  plan: Plan;
  file: string;
  text: string;
  sha256: string;
}

export async function campaignCommand(opts: CampaignOptions): Promise<CampaignOutcome> {
  const loaded = await readPlan(opts.plan);
  await checkPlanInputs(loaded);
  const points = expandPoints(loaded.plan);
  const dir = opts.out ?? join('results', `campaign-${loaded.plan.name}`);
  const limits = campaignLimits(opts);
  const manifestFile = join(dir, MANIFEST_FILE);
  const existing = await readManifest(manifestFile);
  if (opts.dryRun) return dryRun(loaded, points, existing, dir);
  const manifest = startManifest(loaded, points, existing, opts, manifestFile);
  await mkdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new LoadshapeError('io', `--out ${dir}: cannot create the campaign folder (${err.code ?? err.message})`);
  });
  await writeManifest(manifestFile, manifest);
  const session = new CampaignSession({ loaded, points, dir, manifest, manifestFile, limits, opts });
  let codes: number[];
  try {
    codes = await session.runAll();
  } catch (err) {
    // A target gone mid-campaign (exit 5) still leaves the report of what was measured.
    await writeCampaignReport(dir, manifest, { print: false }).catch(() => {});
    throw err;
  } finally {
    await session.close();
  }
  await writeCampaignReport(dir, manifest, { print: true });
  return { exitCode: campaignExit(codes), dir, manifest };
}

/** The campaign's exit code: the first of 4, 5, 6, 3, 1, 2 that any point (or the stop) gave, else 0. */
export function campaignExit(codes: readonly number[]): number {
  if (codes.includes(EXIT_SIGNALLED)) return EXIT_SIGNALLED;
  for (const c of EXIT_PRECEDENCE) if (codes.includes(c)) return c;
  return codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
}

async function readPlan(file: string): Promise<LoadedPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw workloadError(`${file}: cannot read the campaign plan (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { plan: parsePlan(text, file), file, text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Every workload and simulator setting the plan names, checked before anything starts (hours later is too late to learn of a typo). */
async function checkPlanInputs(loaded: LoadedPlan): Promise<void> {
  for (const w of loaded.plan.workloads) await loadWorkload(resolveWorkloadRef(w, loaded.file));
  loaded.plan.targets.forEach((t, i) => {
    if (!('sim' in t)) return;
    try {
      simSettingsFromValue(t.sim, 'sim');
    } catch (err) {
      // The simulator's own check names the field; the plan's position is added here.
      const m = /^sim: ([^:]*): (.*)$/s.exec((err as Error).message);
      const key = m ? (/Unrecognized key: "([^"]+)"/.exec(m[2])?.[1] ?? (m[1] === '(top level)' ? null : m[1].split('.')[0])) : null;
      const path = ['targets', i, 'sim', ...(key !== null ? [key] : [])];
      throw workloadError(`${loaded.file}:${locate(loaded.text, path)}: ${formatPath(path)}: ${m ? m[2] : (err as Error).message}`);
    }
  });
}

function campaignLimits(opts: CampaignOptions): Limits {
  if (opts.allowChanged && !opts.resume) throw usageError('--allow-changed goes with --resume (it lets a resumed campaign run on after a target changed)');
  const maxTimeS = opts.maxTime === undefined ? undefined : parseDurationMs(opts.maxTime, '--max-time') / 1000;
  if (maxTimeS !== undefined && !(maxTimeS > 0)) throw usageError(`--max-time: give a positive duration such as 2h, got ${opts.maxTime}`);
  return { budgetUsd: opts.budgetUsd, maxTimeS };
}

/** A fresh manifest, or the one in --out with the plan's points in plan order (kept records by id). */
function startManifest(loaded: LoadedPlan, points: CampaignPoint[], existing: Manifest | null, opts: CampaignOptions, file: string): Manifest {
  const now = new Date().toISOString();
  const session = { startedAt: now, resumed: opts.resume, allowChanged: opts.allowChanged };
  if (existing && !opts.resume) {
    throw usageError(`${file}: this folder already holds campaign ${existing.name} (${existing.points.filter((p) => p.state === 'done').length}/${existing.points.length} points done); add --resume to continue it, or give another --out`);
  }
  if (existing && existing.name !== loaded.plan.name) {
    throw usageError(`${file}: holds campaign ${existing.name}, not ${loaded.plan.name}; give the plan it was started with, or another --out`);
  }
  const kept = new Map((existing?.points ?? []).map((p) => [p.id, p]));
  const records = points.map((p) => kept.get(p.id) ?? pendingRecord({ id: p.id, target: p.target, workload: workloadKey(p.workload), pointIndex: p.pointIndex, repeat: p.repeat, kind: 'sweep' in p.load ? 'sweep' : 'load' }));
  return {
    version: 1,
    name: loaded.plan.name,
    plan: { file: isAbsolute(loaded.file) ? loaded.file : join(process.cwd(), loaded.file), sha256: loaded.sha256 },
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    targets: existing?.targets ?? {},
    points: records,
    costUsd: existing?.costUsd ?? 0,
    sessions: [...(existing?.sessions ?? []), session],
    stopped: null,
  };
}

/** --dry-run: the points still to run, each with its time and cost estimate, and the totals. Nothing is started or sent. */
function dryRun(loaded: LoadedPlan, points: CampaignPoint[], existing: Manifest | null, dir: string): CampaignOutcome {
  const done = new Map((existing?.points ?? []).filter((p) => p.state === 'done').map((p) => [p.id, p]));
  const ran = points.flatMap((p) => (done.get(p.id)?.wallS != null ? [{ point: p, wallS: done.get(p.id)!.wallS! }] : []));
  const costOf = (p: CampaignPoint) => loaded.plan.targets.find((t) => t.name === p.target)?.cost_per_hour ?? 0;
  let totalS = 0;
  let totalUsd = 0;
  let unknown = 0;
  const lines = [`campaign ${loaded.plan.name}: ${points.length} points (${done.size} done) → ${dir}`];
  for (const p of points) {
    if (done.has(p.id)) {
      lines.push(`  done     ${p.id}`);
      continue;
    }
    const e: Estimate = estimatePoint(p, ran);
    if (e.seconds === null) unknown++;
    const s = e.seconds ?? 0;
    totalS += s;
    totalUsd += (costOf(p) * s) / 3600;
    lines.push(`  ${(e.seconds === null ? "?" : `${fmt(s)}s`).padEnd(8)} ${p.id}  ${e.seconds === null ? "$?" : `$${fmt((costOf(p) * s) / 3600)}`}  (${e.basis})`);
  }
  const more = unknown > 0 ? ` + ${unknown} point${unknown === 1 ? '' : 's'} measured by a short probe first` : '';
  lines.push(`estimate: ${fmt(totalS)}s, $${fmt(totalUsd)}${more}${loaded.plan.between ? ', plus the between steps' : ''}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return { exitCode: EXIT.ok, dir, manifest: existing };
}
