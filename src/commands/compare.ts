// `loadshape compare A.json B.json [C.json …]`: the I/O edge of compare — reads result files and the
// weights file, prints or writes the comparison, and returns the exit code (2 when --fail-on trips).
import { readFile, writeFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { readResult } from '../results/io.js';
import type { RunResult } from '../results/format.js';
import { compareRuns, type CompareResult } from '../report/compare.js';
import { renderCompareJson, renderCompareMarkdown, renderCompareText, type CompareFormat } from '../report/compare-render.js';
import { evaluateFailOn, parseFailOn, type Violation } from '../report/failon.js';
import { renderCompareHtml } from '../report/html.js';
import { decisionMatrix, parseWeights, type DecisionMatrix } from '../report/weights.js';
import { LoadshapeError, usageError } from '../util/errors.js';
import { EXIT } from './exit.js';
import type { CompareFlags } from './options.js';

/** What `compare` takes: its flags as declared (--min-effect in percent). */
export type CompareCommandOptions = CompareFlags;

export interface CompareOutcome {
  exitCode: number;
  compare: CompareResult;
  violations?: Violation[];
}

export async function compareCommand(files: string[], opts: CompareCommandOptions): Promise<CompareOutcome> {
  if (files.length < 2) throw usageError('compare: give at least two result files (the first is the baseline, the last the candidate)');
  // Parse thresholds before reading anything, so a typo fails fast.
  const thresholds = opts.failOn !== undefined ? parseFailOn(opts.failOn) : undefined;
  const inputs = selectPhases(await Promise.all(files.map(async (arg) => {
    const { file, phase } = splitPhase(arg);
    return { file: arg, phase, result: await readResult(file) };
  })));
  const cmp = compareRuns(inputs, { resamples: opts.resamples, minEffect: opts.minEffect === undefined ? undefined : opts.minEffect / 100 });
  const violations = thresholds ? evaluateFailOn(cmp, thresholds) : undefined;
  let matrix: DecisionMatrix | undefined;
  if (opts.weights) matrix = decisionMatrix(cmp, parseWeights(await readYaml(opts.weights), opts.weights));

  const render = opts.format === 'json' ? renderCompareJson : opts.format === 'md' ? renderCompareMarkdown : renderCompareText;
  process.stdout.write(`${render(cmp, violations, matrix)}\n`);
  if (opts.html) {
    const html = renderCompareHtml(inputs.map((x, i) => ({ id: cmp.runs[i].name, file: x.file, result: x.result })), cmp, violations);
    await writeOut(opts.html, html);
    process.stderr.write(`wrote ${opts.html}\n`);
  }
  return { exitCode: violations && violations.length > 0 ? EXIT.regression : EXIT.ok, compare: cmp, violations };
}

/** `FILE#PHASE` names one phase of a result (e.g. result.json#steady-cold); a plain path takes every phase. */
function splitPhase(arg: string): { file: string; phase: string | null } {
  const at = arg.lastIndexOf('#');
  if (at <= 0 || arg.endsWith('#')) return { file: arg, phase: null };
  return { file: arg.slice(0, at), phase: arg.slice(at + 1) };
}

/**
 * With FILE#PHASE selections, each run keeps only its chosen phase, under one shared name so that they
 * line up (a cold phase against a warm one of the same run, say). Runs without a selection are refused then.
 */
function selectPhases(inputs: { file: string; phase: string | null; result: RunResult }[]): { file: string; result: RunResult }[] {
  if (inputs.every((x) => x.phase === null)) return inputs;
  const bad = inputs.find((x) => x.phase === null);
  if (bad) throw usageError(`compare: ${bad.file}: give every file a phase (FILE#PHASE) when one has one`);
  const names = [...new Set(inputs.map((x) => x.phase as string))];
  const shared = names.join(' vs ');
  return inputs.map((x) => {
    const p = x.result.phases.find((ph) => ph.name === x.phase);
    if (!p) throw usageError(`compare: ${x.file}: no phase "${x.phase}" (phases: ${x.result.phases.map((ph) => ph.name).join(', ')})`);
    return { file: x.file, result: { ...x.result, phases: [{ ...p, name: shared }] } };
  });
}

async function readYaml(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LoadshapeError('io', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw usageError(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
}

export async function writeOut(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (err) {
    throw new LoadshapeError('io', `${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
