// The gates at run's I/O edge: turns --slo/--goodput/--baseline/--fail-on/--abort-on-fail and the
// workload's `slo:` into checked inputs before any request is sent (bad ones exit 4 with a caret),
// watches live counters for --abort-on-fail, and after the run judges the result and writes the
// JUnit file, the Markdown summary and $GITHUB_STEP_SUMMARY. commands/run.ts calls it.
import { appendFile } from 'node:fs/promises';
import type { RunResult } from '../results/format.js';
import { readResult, writeFileAtomic } from '../results/io.js';
import { parseFailOn } from '../report/failon.js';
import { usageError } from '../util/errors.js';
import { sloEntries, type Workload } from '../workload/schema.js';
import { errorSlos } from '../gates/abort.js';
import { parseGoodput, type GoodputCriteria } from '../slo/goodput.js';
import { DEFAULT_FAIL_ON, regressionGate } from '../report/regression.js';
import { renderFailedRunJunit, renderFailedRunMarkdown, renderGatesMarkdown, renderJunit, type FailedRun } from '../gates/render.js';
import type { GatesResult } from '../results/gates-schema.js';
import { caretLines, needsGoodput, parseSlo, SloSyntaxError, type Slo } from '../slo/grammar.js';
import { evaluateGates } from '../gates/verdict.js';

export interface GateOptions {
  slo?: string[];
  goodput?: string;
  baseline?: string;
  failOn?: string;
  abortOnFail?: boolean;
  junit?: string;
  summaryMd?: string;
}

export interface PreparedGates {
  slos: Slo[];
  goodput: GoodputCriteria | null;
  baseline: { file: string; result: RunResult } | null;
  failOn: string | null;
  /** Any gate or CI output asked for: the verdict (and exit codes 1–3) applies. */
  active: boolean;
}

/**
 * Validates every gate input against the workload and the phases this run will have (`phaseNames`:
 * after --concurrency/--rate overrides, a trace replay's one phase, or none for a sweep's own steps).
 */
export async function prepareGates(opts: GateOptions, workload: Workload, phaseNames: readonly string[] = workload.phases.map((p) => p.name)): Promise<PreparedGates> {
  const classNames = workload.classes.map((c) => c.name);
  const slos: Slo[] = [];
  for (const e of sloEntries(workload.slo)) {
    const s = parseSlo(e.text, e.path.map((x, i) => (typeof x === 'number' ? `[${x}]` : i === 0 ? x : `.${x}`)).join(''));
    // Entries under slo.classes.<name> are scoped to that class; phase scopes of the file name the
    // file's phases, which a --concurrency/--rate override replaces.
    if (e.class !== null) s.class = e.class;
    if (s.phase !== null && !phaseNames.includes(s.phase)) {
      throw usageError(`${s.source}: "${s.text}" is scoped to phase ${s.phase}, which this run does not have (phases: ${phaseNames.join(', ')}); --concurrency/--rate replace the workload's phases with one named "cli"`);
    }
    slos.push(s);
  }
  for (const text of opts.slo ?? []) {
    let s: Slo;
    try {
      s = parseSlo(text, '--slo');
    } catch (err) {
      if (!(err instanceof SloSyntaxError)) throw err;
      throw usageError(`--slo: ${err.message}\n${caretLines(text.trim(), err.offset, err.length)}`);
    }
    const pointAt = (word: string, message: string): never => {
      const t = text.trim();
      const at = t.indexOf(word);
      throw usageError(`--slo: ${message}\n${caretLines(t, Math.max(0, at), word.length)}`);
    };
    if (s.class !== null && !classNames.includes(s.class)) pointAt(`class=${s.class}`, `no class "${s.class}" in workload ${workload.name} (classes: ${classNames.join(', ')})`);
    if (s.phase !== null && !phaseNames.includes(s.phase)) pointAt(`phase=${s.phase}`, `no phase "${s.phase}" in this run (phases: ${phaseNames.join(', ')})`);
    slos.push(s);
  }

  let goodput: GoodputCriteria | null = null;
  const goodputText = opts.goodput ?? (workload.slo && !Array.isArray(workload.slo) ? workload.slo.goodput : undefined);
  if (goodputText !== undefined) {
    try {
      goodput = parseGoodput(goodputText);
    } catch (err) {
      if (!(err instanceof SloSyntaxError)) throw err;
      throw usageError(`--goodput: ${err.message}\n${caretLines(goodputText, err.offset, err.length)}`);
    }
  }
  const needing = slos.find(needsGoodput);
  if (needing && !goodput) throw usageError(`${needing.source}: "${needing.text}" needs the criteria of a good request: give --goodput 'ttft<=500ms,tpot<=50ms' (or slo.goodput in the workload)`);

  if (opts.failOn !== undefined && opts.baseline === undefined) throw usageError('--fail-on needs --baseline FILE: the thresholds are changes against a baseline result');
  let baseline: PreparedGates['baseline'] = null;
  let failOn: string | null = null;
  if (opts.baseline !== undefined) {
    failOn = opts.failOn ?? DEFAULT_FAIL_ON;
    parseFailOn(failOn); // a malformed clause exits 4 before the run, with its caret
    baseline = { file: opts.baseline, result: await readResult(opts.baseline) };
  }
  if (opts.abortOnFail && errorSlos(slos).length === 0) {
    throw usageError('--abort-on-fail watches SLOs on errors: add one, e.g. --slo "error_rate < 1%"');
  }
  const active = slos.length > 0 || baseline !== null || opts.junit !== undefined || opts.summaryMd !== undefined;
  return { slos, goodput, baseline, failOn, active };
}

/** Judges the finished run; the result gains its `gates`. */
export function judge(result: RunResult, file: string, g: PreparedGates, workload: Workload, abortedOnFail: string | null): GatesResult {
  const regression = g.baseline && g.failOn ? regressionGate(g.baseline, { file, result }, g.failOn) : null;
  return evaluateGates(result, { workload, slos: g.slos, goodput: g.goodput?.text ?? null, regression, abortedOnFail });
}

/** --junit, --summary-md and $GITHUB_STEP_SUMMARY (appended, as GitHub expects). */
export async function writeGateOutputs(opts: GateOptions, result: RunResult, gates: GatesResult, file: string): Promise<void> {
  if (opts.junit) await writeFileAtomic(opts.junit, renderJunit(result, gates));
  const md = renderGatesMarkdown(result, gates, file);
  if (opts.summaryMd) await writeFileAtomic(opts.summaryMd, md);
  await appendStepSummary(md);
}

export async function appendStepSummary(md: string): Promise<void> {
  const step = process.env.GITHUB_STEP_SUMMARY;
  if (!step) return;
  try {
    await appendFile(step, `${md}\n`);
  } catch (err) {
    process.stderr.write(`loadshape: GITHUB_STEP_SUMMARY ${step} not written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
  }
}

/**
 * The value of `flag` in argv (`--flag V` or `--flag=V`; the last one wins, as commander does), for a
 * run whose options did not parse: a CI job still gets its JUnit file when a later option is bad.
 */
export function flagInArgv(argv: string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === flag && i + 1 < argv.length) value = argv[++i];
    else if (argv[i].startsWith(`${flag}=`)) value = argv[i].slice(flag.length + 1);
  }
  return value;
}

/**
 * A run that ended before its verdict (bad options, exit 4; target down or model discovery failed,
 * exit 5; a failure on the way) still writes the --junit and --summary-md it was asked for, so the CI
 * report step has a failed case to show instead of nothing. A path that cannot be written is said on
 * stderr; the run's own error stays the one that sets the exit code.
 */
export async function writeFailedRunOutputs(opts: Pick<GateOptions, 'junit' | 'summaryMd'>, f: FailedRun): Promise<void> {
  const md = renderFailedRunMarkdown(f);
  const outputs: [string, string | undefined, string][] = [['--junit', opts.junit, renderFailedRunJunit(f)], ['--summary-md', opts.summaryMd, md]];
  for (const [flag, path, text] of outputs) {
    if (path === undefined) continue;
    try {
      await writeFileAtomic(path, text);
    } catch (err) {
      // When that path is what failed (checkOutputPaths), the one line already said so.
      if (!f.message.includes(`${flag}: cannot write`)) process.stderr.write(`loadshape: ${flag} ${path} not written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
    }
  }
  if (opts.junit !== undefined || opts.summaryMd !== undefined) await appendStepSummary(md);
}
