// One session of a campaign: walks the points in order, skipping the done ones; moves between targets
// (between step, fingerprint check); checks the budget before each point (probing a closed-loop point
// first when nothing similar has run); runs the point as `run` or `sweep` in-process into its own
// folder; and writes campaign.json before and after. A point cut short (Ctrl-C, or a kill that left
// it `running`) is run again from scratch by the next --resume: its folder is emptied first.
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { estimatePoint, limitReached, type Estimate, type Limits, type ProbeRate, type RunPoint } from '../campaign/budget.js';
import { writeManifest, type Manifest, type PointRecord } from '../campaign/manifest.js';
import { resolveWorkloadRef, type CampaignPoint, type PlanTarget } from '../campaign/plan.js';
import { keyPhase } from '../campaign/report.js';
import { runChecks } from '../gates/runchecks.js';
import type { RunResult } from '../results/format.js';
import { LoadshapeError } from '../util/errors.js';
import { loadWorkload } from '../workload/load.js';
import type { CampaignOptions, LoadedPlan } from './campaign.js';
import { checkFingerprint, currentFingerprint, openTarget, switchTo, type TargetRuntime } from './campaign-target.js';
import { EXIT } from './exit.js';
import { STOP_SIGNALS } from './flag-values.js';
import { runDefaults, sweepDefaults } from './options.js';
import { runCommand, type RunOptions } from './run.js';
import { sweepCommand } from './sweep.js';

/** A campaign stopped by Ctrl-C/SIGTERM exits as shells report a SIGINT death (128 + 2), ahead of every other code. */
export const EXIT_SIGNALLED = 130;

export interface SessionInit {
  loaded: LoadedPlan;
  points: CampaignPoint[];
  dir: string;
  manifest: Manifest;
  manifestFile: string;
  limits: Limits;
  opts: CampaignOptions;
}

export class CampaignSession {
  private readonly targets = new Map<string, TargetRuntime>();
  private current: string | null = null;
  private readonly probes = new Map<string, ProbeRate>();
  private readonly startedMs = performance.now();
  private signalled = false;
  private readonly onSignal = () => void (this.signalled = true);

  constructor(private readonly s: SessionInit) {
    // The point's own handlers drain it; this one only remembers to start no further point.
    for (const sig of STOP_SIGNALS) process.on(sig, this.onSignal);
  }

  private log(m: string): void {
    if (!this.s.opts.quiet) process.stderr.write(`${m}\n`);
  }

  private record(p: CampaignPoint): PointRecord {
    return this.s.manifest.points.find((r) => r.id === p.id)!;
  }

  private ran(): RunPoint[] {
    return this.s.points.flatMap((p) => {
      const r = this.record(p);
      return r.state === 'done' && r.wallS !== null ? [{ point: p, wallS: r.wallS }] : [];
    });
  }

  private target(name: string): PlanTarget {
    return this.s.loaded.plan.targets.find((t) => t.name === name)!;
  }

  /** Runs every point not yet done; returns the exit codes gathered (points' and the stop's). */
  async runAll(): Promise<number[]> {
    const codes: number[] = [];
    const todo = this.s.points.filter((p) => this.record(p).state !== 'done');
    if (todo.length < this.s.points.length) this.log(`campaign ${this.s.manifest.name}: resuming, ${this.s.points.length - todo.length} of ${this.s.points.length} points done`);
    for (const p of todo) {
      if (this.signalled) return [...codes, await this.stop('a stop signal', EXIT_SIGNALLED)];
      const estimate = await this.estimate(p);
      const t = this.target(p.target);
      const reason = limitReached(this.s.limits, { estimate, costPerHourUsd: t.cost_per_hour ?? 0, spentUsd: this.s.manifest.costUsd, elapsedS: (performance.now() - this.startedMs) / 1000 });
      if (reason !== null) return [...codes, await this.stop(reason)];
      const rt = await this.enter(t);
      // A signal during the between step or the probe: the point has not started, so it stays pending.
      if (this.signalled) return [...codes, await this.stop('a stop signal', EXIT_SIGNALLED)];
      codes.push(await this.runPoint(p, rt, estimate));
      const rec = this.record(p);
      if (rec.state === 'interrupted') return [...codes, await this.stop('a stop signal', EXIT_SIGNALLED)];
    }
    return codes;
  }

  private async stop(reason: string, code: number = EXIT.stopped): Promise<number> {
    this.s.manifest.stopped = reason;
    await writeManifest(this.s.manifestFile, this.s.manifest);
    // Said even with --quiet: a partial campaign must never look finished.
    process.stderr.write(`loadshape: campaign ${this.s.manifest.name} stopped before the next point (${reason}); the rest runs with --resume\n`);
    return code;
  }

  /** The point's estimate; a closed-loop point with nothing similar run is probed first when a limit is set. */
  private async estimate(p: CampaignPoint): Promise<Estimate> {
    const key = `${p.target}/${p.workload}`;
    const first = estimatePoint(p, this.ran(), this.probes.get(key));
    const limited = this.s.limits.budgetUsd !== undefined || this.s.limits.maxTimeS !== undefined;
    if (first.seconds !== null || !limited || 'sweep' in p.load) return first;
    const rt = await this.enter(this.target(p.target));
    const c = p.load.concurrency ?? 1;
    const requests = Math.min(p.load.requests ?? 4, Math.max(2 * c, 4));
    const t0 = performance.now();
    const probe = await runCommand({ ...this.runOptions(p, rt, join(this.s.dir, 'probes', ...p.id.split('/'))), requests, duration: undefined, slo: [], baseline: undefined, failOn: undefined, label: ['campaign_probe=true'] });
    this.charge(this.target(p.target), (performance.now() - t0) / 1000);
    // The probe's measured phase, not its wall time: start-up would weigh on 4 requests as it never does on 400.
    const measuredS = keyPhase(probe.result)?.durationS ?? (performance.now() - t0) / 1000;
    this.probes.set(key, { slotSecondsPerRequest: (measuredS * c) / requests, basis: `probe of ${requests} requests at concurrency ${c}` });
    this.log(`campaign: probed ${p.id}: ${requests} requests in ${measuredS.toFixed(2)}s`);
    return estimatePoint(p, this.ran(), this.probes.get(key));
  }

  private charge(t: PlanTarget, wallS: number): number {
    const usd = ((t.cost_per_hour ?? 0) * wallS) / 3600;
    this.s.manifest.costUsd += usd;
    return usd;
  }

  /** Opens the target (first time), and when the campaign moves to it: between step, then fingerprint check. */
  private async enter(t: PlanTarget): Promise<TargetRuntime> {
    let rt = this.targets.get(t.name);
    if (!rt) {
      const index = this.s.loaded.plan.targets.indexOf(t);
      const recipe = 'url' in t && t.recipe !== undefined ? resolveWorkloadRef(t.recipe, this.s.loaded.file) : undefined;
      rt = await openTarget(t, index, this.s.loaded.file, recipe);
      this.targets.set(t.name, rt);
    }
    if (this.current === t.name) return rt;
    this.charge(t, await switchTo(this.s.loaded.plan, rt, (m) => this.log(m)));
    this.current = t.name;
    checkFingerprint(this.s.manifest, rt, await currentFingerprint(rt), this.s.opts.allowChanged, (m) => this.log(m));
    await writeManifest(this.s.manifestFile, this.s.manifest);
    return rt;
  }

  /** `run`'s options for a point: its load, the target, the plan's gates, and a folder of its own. */
  private runOptions(p: CampaignPoint, rt: TargetRuntime, out: string): RunOptions {
    const plan = this.s.loaded.plan;
    const l = 'sweep' in p.load ? {} : p.load;
    return {
      ...runDefaults(),
      workload: resolveWorkloadRef(p.workload, this.s.loaded.file),
      target: rt.baseUrl,
      model: rt.plan.model,
      header: rt.header,
      apiKeyEnv: rt.apiKeyEnv,
      recipe: rt.recipe,
      costPerHour: rt.plan.cost_per_hour,
      concurrency: l.concurrency,
      rate: l.rate,
      requests: l.requests,
      duration: l.duration === undefined ? undefined : typeof l.duration === 'number' ? `${l.duration}s` : l.duration,
      slo: [...(plan.gates?.slo ?? []), ...(l.slo ?? [])],
      goodput: plan.gates?.goodput,
      baseline: plan.gates?.baseline,
      failOn: plan.gates?.fail_on,
      label: [`campaign=${plan.name}`, `campaign_target=${p.target}`, `campaign_point=${p.id}`],
      out,
      quiet: this.s.opts.quiet,
      drain: this.s.opts.drain,
      maxClientLag: this.s.opts.maxClientLag,
      serverMetrics: ['none'],
      workers: 1,
    };
  }

  /** Runs one point into its own (emptied) folder, with campaign.json written before and after. */
  private async runPoint(p: CampaignPoint, rt: TargetRuntime, estimate: Estimate): Promise<number> {
    const rec = this.record(p);
    const out = join(this.s.dir, 'points', ...p.id.split('/'));
    await rm(out, { recursive: true, force: true });
    Object.assign(rec, { state: 'running', startedAt: new Date().toISOString(), estimate, resultFile: null, wallS: null, costUsd: null, exitCode: null, error: null });
    rec.fingerprint = this.s.manifest.targets[p.target]?.sha ?? null;
    rec.fingerprintChanged = rt.changed;
    await writeManifest(this.s.manifestFile, this.s.manifest);
    this.log(`campaign: point ${p.id}`);
    const t0 = performance.now();
    let outcome: { result: RunResult; file: string; exitCode: number };
    try {
      outcome = 'sweep' in p.load ? await this.sweep(p, rt, out) : await runCommand(this.runOptions(p, rt, out));
    } catch (err) {
      Object.assign(rec, { state: 'failed', error: (err as Error).message, wallS: (performance.now() - t0) / 1000 });
      rec.costUsd = this.charge(rt.plan, rec.wallS!);
      await writeManifest(this.s.manifestFile, this.s.manifest);
      throw err;
    }
    rec.wallS = (performance.now() - t0) / 1000;
    rec.costUsd = this.charge(rt.plan, rec.wallS);
    const interrupted = outcome.result.meta.interrupted;
    const exitCode = interrupted ? EXIT.ok : await this.judged(p, rec, outcome);
    Object.assign(rec, { state: interrupted ? 'interrupted' : 'done', resultFile: relative(this.s.dir, outcome.file), exitCode });
    await writeManifest(this.s.manifestFile, this.s.manifest);
    return exitCode;
  }

  /**
   * The point's exit code. With gates, theirs; without, `run` judges no validity, so the campaign does:
   * a point whose client lagged or whose schedule or output length was not kept is invalid (3).
   */
  private async judged(p: CampaignPoint, rec: PointRecord, outcome: { result: RunResult; exitCode: number }): Promise<number> {
    if (outcome.result.gates || outcome.exitCode !== EXIT.ok) return outcome.exitCode;
    const { workload } = await loadWorkload(resolveWorkloadRef(p.workload, this.s.loaded.file));
    const failed = runChecks(outcome.result, workload).filter((c) => !c.pass);
    if (failed.length === 0) return EXIT.ok;
    rec.error = `invalid: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`;
    process.stderr.write(`loadshape: campaign point ${p.id} is invalid: ${failed.map((c) => c.name).join('; ')}\n`);
    return EXIT.invalidRun;
  }

  private async sweep(p: CampaignPoint, rt: TargetRuntime, out: string): Promise<{ result: RunResult; file: string; exitCode: number }> {
    if (!('sweep' in p.load)) throw new LoadshapeError('usage', `${p.id} is not a sweep`);
    const s = p.load.sweep;
    const base = this.runOptions(p, rt, out);
    const d = sweepDefaults();
    const dur = (x: string | number | undefined, fallback: string) => (x === undefined ? fallback : typeof x === 'number' ? `${x}s` : x);
    return sweepCommand({
      ...d,
      workload: base.workload!, target: base.target, model: base.model, header: base.header, apiKeyEnv: base.apiKeyEnv, label: base.label, out, quiet: base.quiet, drain: base.drain, maxClientLag: base.maxClientLag,
      slo: s.slo, goodput: base.goodput, by: s.by, stepDuration: dur(s.step_duration, d.stepDuration), minStepDuration: dur(s.min_step_duration, d.minStepDuration), maxSteps: s.max_steps ?? d.maxSteps,
    });
  }

  /** Stops the simulators this session started and removes the signal handlers. */
  async close(): Promise<void> {
    for (const sig of STOP_SIGNALS) process.off(sig, this.onSignal);
    for (const rt of this.targets.values()) await rt.sim?.close();
  }
}
