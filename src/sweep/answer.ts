// Sweep, the answer (pure): the sweep's result file + the search → the latency–throughput curve, the
// knee, "max X req/s (Y output tok/s) with <SLOs>", the per-class breakdown at that load, as data
// (`--json`) and as text. Every number is read from the result file's phases, one phase per step.
import { evaluateSlos, type Slo } from '../gates/slo.js';
import type { GroupResult, PhaseResult, RunResult } from '../results/format.js';
import { kneeIndex, loadValue, type SearchResult, type SweepBy, type StepRole } from './search.js';

export interface StepNote {
  phase: string;
  /** Why the step ended: "steady: …", "saturated: …", "max-duration: …". */
  stop: string;
  saturated: boolean;
  /** Why a step that passed its SLOs still did not hold: its load not achieved, its client saturated. */
  unheld?: string[];
  offeredRps?: number | null;
  sentRps?: number | null;
  clientSaturated?: boolean;
  /** Why the client was saturated ("client starved: dispatch lag p99 … (timing contaminated)"). */
  clientWhy?: string;
}

export interface SweepAnswerStep {
  index: number;
  phase: string;
  role: StepRole;
  load: { kind: 'closed'; concurrency: number } | { kind: 'open'; rateRps: number };
  durationS: number;
  requests: number;
  /** The completed rate (docs/metrics.md): successful completions over the step's steady window. */
  achievedRps: number;
  /** Offered (open loop) and sent rates of the step's phase (absent in older files). */
  offeredRps?: number | null;
  sentRps?: number | null;
  /** The harness lagged during this step: its timing is contaminated and it cannot be the answer. */
  clientSaturated?: boolean;
  clientWhy?: string;
  outputTps: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  ttftP99Ms: number | null;
  tpotP95Ms: number | null;
  e2eP50Ms: number | null;
  errorRate: number;
  pass: boolean;
  saturated: boolean;
  /** The SLOs the step broke, with the measured value. */
  failed: string[];
  stop: string;
}

export interface SweepClassRow {
  class: string;
  requests: number;
  achievedRps: number;
  outputTps: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  tpotP95Ms: number | null;
  errorRate: number;
}

export interface SweepAnswer {
  by: SweepBy;
  /** The highest load that held: its offered rate (rate sweeps) or its measured req/s (concurrency sweeps); 0 when none held. */
  maxRateRps: number;
  maxOutputTps: number;
  /** Concurrency sweeps: the in-flight count that held. */
  maxConcurrency: number | null;
  /** Measured req/s at that load. */
  achievedRps: number;
  bestPhase: string | null;
  slos: string[];
  /** The SLOs that broke at the first load past the answer (what bounds the capacity). */
  boundedBy: string[];
  sentence: string;
  knee: { phase: string; load: number; achievedRps: number } | null;
  stoppedBy: SearchResult['stoppedBy'];
  steps: SweepAnswerStep[];
  classes: SweepClassRow[];
  resultFile: string | null;
}

const metricOrNull = (g: GroupResult | undefined, read: (g: GroupResult) => number) => (g && g.ok > 0 ? read(g) : null);

export function fmtNum(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
export function fmtMs(x: number | null): string {
  return x === null ? '-' : x >= 1000 ? `${(x / 1000).toFixed(2)}s` : x >= 100 ? x.toFixed(0) : x.toFixed(1);
}
/** A measured latency with its unit: "850 ms", "1.71 s" (fmtMs alone ends a second or more in "s" already). */
export function measuredMsText(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${fmtMs(x)} ms`;
}
export function fmtPct(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
}

export function describeStepLoad(load: SweepAnswerStep['load']): string {
  return load.kind === 'closed' ? `c=${load.concurrency}` : `${load.rateRps} rps`;
}

/** The highest passing step with a healthy client at or below `over`'s load, on the searched load model. */
function healthiestBelow(steps: SweepAnswerStep[], over: SweepAnswerStep, by: SweepBy): SweepAnswerStep | null {
  const ok = steps.filter((s) => s.pass && !s.clientSaturated && s.load.kind === over.load.kind && (by === 'concurrency' || s.load.kind === 'open') && loadValue(s.load) <= loadValue(over.load));
  return ok.sort((a, b) => loadValue(b.load) - loadValue(a.load))[0] ?? null;
}

export function buildAnswer(result: RunResult, search: SearchResult, slos: Slo[], notes: Map<number, StepNote>, resultFile: string | null, by: SweepBy): SweepAnswer {
  const checks = evaluateSlos(result, slos);
  const phaseOf = (name: string): PhaseResult | undefined => result.phases.find((p) => p.name === name);
  const steps: SweepAnswerStep[] = search.steps.map((s) => {
    const note = notes.get(s.index);
    const name = note?.phase ?? `step-${s.index}`;
    const p = phaseOf(name);
    const g = p?.groups.find((x) => x.class === '*');
    const failed = checks
      .filter((c) => c.phase === name && !c.pass)
      .map((c) => `${c.slo}${c.class === '*' ? '' : ` [${c.class}]`} (measured ${c.measured === null ? 'no data' : c.kind === 'latency' ? measuredMsText(c.measured) : c.kind === 'rate' ? fmtPct(c.measured) : fmtNum(c.measured)})`);
    if (note?.saturated) failed.push('saturated: the queue grew without bound');
    failed.push(...(note?.unheld ?? []));
    return {
      index: s.index,
      phase: name,
      role: s.role,
      load: s.load,
      durationS: p?.durationS ?? 0,
      requests: g?.requests ?? 0,
      achievedRps: s.outcome.achievedRps,
      ...(note?.offeredRps !== undefined ? { offeredRps: note.offeredRps } : {}),
      ...(note?.sentRps !== undefined ? { sentRps: note.sentRps } : {}),
      ...(note?.clientSaturated !== undefined ? { clientSaturated: note.clientSaturated } : {}),
      ...(note?.clientWhy ? { clientWhy: note.clientWhy } : {}),
      outputTps: s.outcome.outputTps,
      ttftP50Ms: metricOrNull(g, (x) => x.metrics.ttftMs.p50Ms),
      ttftP95Ms: metricOrNull(g, (x) => x.metrics.ttftMs.p95Ms),
      ttftP99Ms: metricOrNull(g, (x) => x.metrics.ttftMs.p99Ms),
      tpotP95Ms: metricOrNull(g, (x) => x.metrics.tpotMs.p95Ms),
      e2eP50Ms: metricOrNull(g, (x) => x.metrics.e2eMs.p50Ms),
      errorRate: g?.errorRate ?? 0,
      pass: s.outcome.pass && !s.outcome.saturated,
      saturated: s.outcome.saturated,
      failed,
      stop: note?.stop ?? '',
    };
  });
  // A step whose client was saturated may have held, but its timing is contaminated: the answer is the
  // highest held step below it whose client was healthy (holding is monotone in the load).
  const searched = search.best ? steps.find((s) => s.index === search.best!.index) ?? null : null;
  const best = searched?.clientSaturated ? healthiestBelow(steps, searched, by) : searched;
  const fail = search.firstFail ? steps.find((s) => s.index === search.firstFail!.index) ?? null : null;
  // The curve is read in load order; the knee is found on the searched load model's steps.
  const curve = steps.filter((s) => s.role !== 'baseline' && s.role !== 'probe');
  const k = kneeIndex(curve);
  const knee = k === null ? null : { phase: curve[k].phase, load: loadValue(curve[k].load), achievedRps: curve[k].achievedRps };
  // A class scope written in the SLO's own text is already there; one from elsewhere (slo.classes) is named.
  const sloTexts = slos.map((s) => s.text + (s.class && !/\bclass\s*=/.test(s.text) ? ` class=${s.class}` : ''));
  const boundedBy = fail ? fail.failed.map((f) => f.replace(/ \(measured .*\)$/, '')) : [];
  const maxRateRps = best ? (best.load.kind === 'open' ? best.load.rateRps : best.achievedRps) : 0;
  const maxOutputTps = best ? best.outputTps : 0;
  const bestPhase = best ? phaseOf(best.phase) : undefined;
  const classes: SweepClassRow[] = (bestPhase?.groups ?? []).map((g) => ({
    class: g.class === '*' ? 'all' : g.class,
    requests: g.requests,
    achievedRps: g.throughput.requestsPerS,
    outputTps: g.throughput.outputTokensPerS,
    ttftP50Ms: metricOrNull(g, (x) => x.metrics.ttftMs.p50Ms),
    ttftP95Ms: metricOrNull(g, (x) => x.metrics.ttftMs.p95Ms),
    tpotP95Ms: metricOrNull(g, (x) => x.metrics.tpotMs.p95Ms),
    errorRate: g.errorRate,
  }));
  const withSlos = sloTexts.join(' and ');
  let sentence: string;
  if (best) {
    const conc = best.load.kind === 'closed' && by === 'concurrency' ? ` at ${best.load.concurrency} in flight` : '';
    // A rate answer names the offered load and what was completed at it, so it reads against the table.
    const rate = best.load.kind === 'open' ? `${fmtNum(maxRateRps)} req/s offered (completed ${fmtNum(best.achievedRps)} req/s` : `${fmtNum(maxRateRps)} req/s completed (`;
    sentence = `max ${rate}${best.load.kind === 'open' ? ', ' : ''}${fmtNum(maxOutputTps)} output tok/s)${conc} with ${withSlos}`;
    if (searched && searched !== best) sentence += ` (${searched.phase} held ${describeStepLoad(searched.load)} but its client was saturated: rerun on a quiet machine to confirm it)`;
    if (search.stoppedBy === 'probe-passed') sentence += ` (the probe itself held: raise --probe-concurrency to look further)`;
    else if (search.stoppedBy === 'max-steps') sentence += ` (bisection cut short by --max-steps; the boundary lies below ${fail ? describeStepLoad(fail.load) : '?'})`;
  } else if (searched) {
    sentence = `no answer: every step that held ${withSlos} had a saturated client (${searched.phase} held ${describeStepLoad(searched.load)}); rerun on a quiet machine`;
  } else if (search.stoppedBy === 'baseline-failed') {
    sentence = `no load holds ${withSlos}: even one request at a time broke ${fail?.failed.join('; ') ?? 'them'}`;
  } else {
    sentence = `no ${by === 'rate' ? 'rate' : 'concurrency'} tried held ${withSlos}; the lowest tried was ${fail ? describeStepLoad(fail.load) : '?'}`;
  }
  return {
    by,
    maxRateRps,
    maxOutputTps,
    maxConcurrency: best && best.load.kind === 'closed' && by === 'concurrency' ? best.load.concurrency : null,
    achievedRps: best?.achievedRps ?? 0,
    bestPhase: best?.phase ?? null,
    slos: sloTexts,
    boundedBy,
    sentence,
    knee,
    stoppedBy: search.stoppedBy,
    steps,
    classes,
    resultFile,
  };
}
