// Reading and writing result files. Writes are atomic (temp file + rename) so a crash never leaves
// a half-written result; reads validate and say exactly what is wrong with a file.
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LoadshapeError } from '../util/errors.js';
import { RESULT_FORMAT, RESULT_VERSION, ResultSchema, type RunResult } from './format.js';

export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (err) {
    // A full disk leaves a zero-byte or partial temp file: never leave it behind.
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

export async function writeResult(path: string, result: RunResult): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(result, null, 1)}\n`);
}

/** `results/<UTC timestamp>-<workload>.json`, e.g. results/20261122T153000Z-mixed.json */
export function resultFileName(startedAt: Date, workloadName: string): string {
  const ts = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${ts}-${workloadName.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
}

export function parseResult(text: string, file: string): RunResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LoadshapeError('result_file', `${file}: ${notJson(text, file) ?? `not valid JSON (${(err as Error).message}); the file may be truncated — rerun, or use the last checkpoint`}`);
  }
  const head = json as { format?: unknown; version?: unknown };
  if (head !== null && typeof head === 'object' && head.format === 'loadshape-ab') {
    throw new LoadshapeError('result_file', `${file}: an A/B pairing file (loadshape ab), not a run result: \`loadshape report ${file}\` shows the paired summary; compare or merge the two side files it names (sides.a.file, sides.b.file)`);
  }
  if (typeof json !== 'object' || json === null || head.format !== RESULT_FORMAT) {
    const workload = looksLikeWorkload(json) ? `; it looks like a workload: run it with \`loadshape run ${file}\` and report the result that run writes to results/` : '';
    throw new LoadshapeError('result_file', `${file}: not a loadshape result file (expected "format": "${RESULT_FORMAT}")${workload}`);
  }
  if (head.version !== RESULT_VERSION) {
    throw new LoadshapeError('result_file', `${file}: result format version ${String(head.version)} is not supported by this loadshape (reads version ${RESULT_VERSION}); use the loadshape version that wrote it`);
  }
  const parsed = ResultSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new LoadshapeError('result_file', `${file}: ${path || '(root)'}: ${issue.message}; the file was changed after loadshape wrote it: restore it or rerun`);
  }
  return parsed.data;
}

/** A workload names its classes and phases; a result has `format`. */
function looksLikeWorkload(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && ('classes' in x || 'phases' in x) && !('format' in x);
}

/**
 * What a file that is not JSON is, when it is YAML: a workload (run it), or other YAML. Result files
 * are JSON; calling a workload "not valid JSON … truncated — rerun" sent users the wrong way.
 */
function notJson(text: string, file: string): string | null {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return /\.ya?ml$/i.test(file) ? 'a YAML file that does not parse; result files are JSON, written by `loadshape run` to results/' : null;
  }
  if (looksLikeWorkload(doc)) return `a workload file (YAML), not a result: run it with \`loadshape run ${file}\`, then report the .json that run writes to results/`;
  if (typeof doc === 'object' && doc !== null) return 'a YAML file, not a result: result files are JSON, written by `loadshape run` to results/ (e.g. results/<timestamp>-<workload>.json)';
  return null;
}

export async function readResult(file: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LoadshapeError('io', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseResult(text, file);
}
