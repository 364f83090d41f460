// Loading: a workload file (YAML or JSON) → a validated Workload, or one error listing every
// problem as `file: field.path: what was expected`. The only I/O of the workload stage;
// parseWorkload itself is pure so other commands (and tests) can validate text they already hold.
import { createHash } from 'node:crypto';
import { access, readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ajvModule } from '../util/lazy.js';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { excerpt, LoadshapeError, workloadError } from '../util/errors.js';
import { WorkloadSchema, type Workload } from './schema.js';
import { formatBound, MAX_WORKLOAD_FILE_BYTES } from '../util/limits.js';

export interface LoadedWorkload {
  workload: Workload;
  /** The path that was read. */
  file: string;
  /** The file's text exactly as read, so results can embed what was run. */
  text: string;
  /** sha256 of `text`, hex. */
  sha256: string;
}

/** The workloads shipped with the package: from src/workload/ or dist/workload/ alike, two levels up. */
const PACKAGE_WORKLOADS_DIR = fileURLToPath(new URL('../../workloads/', import.meta.url));

/**
 * A path, or a bare name resolved to workloads/<name>.yaml under the current directory and then
 * to the package's own workloads/ (so `loadshape run short` works from anywhere).
 */
export async function loadWorkload(fileOrName: string): Promise<LoadedWorkload> {
  const file = await resolveWorkloadFile(fileOrName);
  let text: string;
  try {
    // Read whole and parsed in memory: a huge file (a disk image given by mistake) is refused first.
    const size = (await stat(file)).size;
    if (size > MAX_WORKLOAD_FILE_BYTES) {
      throw workloadError(`${file}: ${formatBound(size)} bytes; a workload file is at most ${formatBound(MAX_WORKLOAD_FILE_BYTES)} bytes (see "Limits" in the README): give the YAML or JSON workload`);
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof LoadshapeError) throw err;
    throw workloadError(`${file}: cannot read the workload file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const workload = parseWorkload(text, file);
  return { workload, file, text, sha256: createHash('sha256').update(text).digest('hex') };
}

async function resolveWorkloadFile(fileOrName: string): Promise<string> {
  const isBareName = /^[A-Za-z0-9_.-]+$/.test(fileOrName) && !/\.(ya?ml|json)$/i.test(fileOrName);
  const candidates = isBareName
    ? [fileOrName, join('workloads', `${fileOrName}.yaml`), join(PACKAGE_WORKLOADS_DIR, `${fileOrName}.yaml`)]
    : [fileOrName];
  for (const candidate of candidates) {
    if (await isReadable(candidate)) return candidate;
  }
  const shipped = await shippedWorkloadNames();
  throw workloadError(
    `${fileOrName}: no such workload file (tried ${candidates.join(', ')}); give a path to a .yaml or .json file` +
      (shipped.length > 0 ? ` or one of the built-in workloads: ${shipped.join(', ')}` : ''),
  );
}

async function isReadable(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function shippedWorkloadNames(): Promise<string[]> {
  try {
    const entries = await readdir(PACKAGE_WORKLOADS_DIR);
    return entries.filter((e) => e.endsWith('.yaml')).map((e) => e.slice(0, -'.yaml'.length)).sort();
  } catch {
    return [];
  }
}

/**
 * YAML or JSON: a .json file is read as strict JSON; anything else as YAML 1.2, which also accepts
 * JSON content. Throws one workloadError whose message has one line per problem.
 */
export function parseWorkload(text: string, file: string): Workload {
  // A binary file (an image, an archive) is named as such; quoting it would fill the terminal.
  if (looksBinary(text)) {
    throw workloadError(`${file}: not a text file (starts ${excerpt(text, 16)}); give a YAML or JSON workload file`);
  }
  const data = extname(file).toLowerCase() === '.json' ? parseJson(text, file) : parseYaml(text, file);
  if (data === undefined || data === null) {
    throw workloadError(`${file}: the file is empty; expected a mapping with name, classes and phases`);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw workloadError(`${file}: expected a mapping (name, classes, phases) at the top level, got ${describe(data)}`);
  }
  const result = WorkloadSchema.safeParse(data, { error: issueMessage, reportInput: true });
  if (!result.success) {
    throw workloadError(result.error.issues.flatMap((issue) => issueLines(issue, data, file)).join('\n'));
  }
  const schemaProblems = uncompilableSchemas(result.data).map((p) => `${file}: ${p}`);
  if (schemaProblems.length > 0) throw workloadError(schemaProblems.join('\n'));
  return result.data;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Node 20's JSON.parse names no position for most errors; YAML's flow parser reads JSON and
    // does, so it is asked where the text stops making sense.
    const position = /position (\d+)/.exec(message)?.[1] ?? parseDocument(text).errors[0]?.pos[0];
    const where = position !== undefined ? `:${lineCol(text, Number(position))}` : '';
    throw workloadError(`${file}${where}: JSON syntax error: ${message.slice(0, 200)}`);
  }
}

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw workloadError(
      doc.errors.slice(0, 20).map((e) => `${file}:${lineCol(text, e.pos[0])}: YAML syntax error: ${e.message.split('\n')[0].slice(0, 200)}`).join('\n'),
    );
  }
  return doc.toJS({ maxAliasCount: 1000 });
}

/** NUL bytes, or many bytes that are not UTF-8 (decoded as U+FFFD): no YAML or JSON file holds those. */
function looksBinary(text: string): boolean {
  const head = text.slice(0, 8192);
  if (head.includes('\u0000')) return true;
  let replaced = 0;
  for (const ch of head) if (ch === '\uFFFD') replaced++;
  return replaced > 8 && replaced > head.length / 100;
}

/** 1-based "line:column" of a character offset, as editors show it. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

// ---------------------------------------------------------------------------------------------
// Turning zod issues into `field.path: expected …, got …` lines.

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/**
 * Per-parse error map: used only where the schema has no message of its own, so the schema's
 * wording (e.g. "a workload needs at least one phase") always wins.
 */
export function issueMessage(issue: RawIssue): string | undefined {
  const got = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      if (got === undefined) return `missing; expected ${typeName(issue.expected)}`;
      return `expected ${typeName(issue.expected)}, got ${describe(got)}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive ?? true;
      if (issue.origin === 'array') {
        return small ? `expected at least ${bound} item${bound === 1 ? '' : 's'}, got ${Array.isArray(got) ? got.length : 0}` : `expected at most ${bound} items`;
      }
      if (issue.origin === 'string') return small ? `expected at least ${bound} character${bound === 1 ? '' : 's'}, got ${describe(got)}` : `expected at most ${bound} characters`;
      if (small && bound === 0) return `expected a ${inclusive ? 'non-negative' : 'positive'} number, got ${describe(got)}`;
      return `expected a number ${small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<'} ${bound}, got ${describe(got)}`;
    }
    case 'invalid_value':
      return `expected ${oneOf(issue.values)}, got ${describe(got)}`;
    case 'invalid_union': {
      const discriminator = issue.discriminator as string | undefined;
      const options = issue.options as readonly unknown[] | undefined;
      if (discriminator !== undefined && options !== undefined) {
        const value = isRecord(got) ? got[discriminator] : undefined;
        return value === undefined ? `missing; expected ${oneOf(options)}` : `expected ${oneOf(options)}, got ${describe(value)}`;
      }
      // A plain union (a duration, tool_choice): if some branch got past the type check, its
      // complaint is the useful one ("expected a duration such as …"); otherwise list the types.
      const branches = issue.errors;
      const deeper = branches.find((b) => b.some((i) => i.code !== 'invalid_type' || i.path.length > 0));
      if (deeper !== undefined) {
        const said = deeper.map((i) => (i.path.length > 0 ? `${formatPath(i.path)}: ` : '') + i.message).join('; ');
        return /\bgot\b/.test(said) ? said : `${said}, got ${describe(got)}`;
      }
      const types = branches.flat().filter((i) => i.code === 'invalid_type').map((i) => typeName((i as { expected: string }).expected));
      return `expected ${[...new Set(types)].join(' or ')}, got ${describe(got)}`;
    }
    case 'invalid_format':
      return `expected a string matching ${issue.pattern ?? issue.format}, got ${describe(got)}`;
    default:
      return undefined;
  }
}

function issueLines(issue: Issue, data: unknown, file: string): string[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(WorkloadSchema, issue.path, data);
    return issue.keys.map((key) => {
      const suggestion = closest(key, known);
      const hint = suggestion !== undefined ? `; did you mean "${suggestion}"?` : known.length > 0 ? `; expected one of: ${known.join(', ')}` : '';
      return `${file}: ${formatPath([...issue.path, key])}: unknown field "${key}"${hint}`;
    });
  }
  const where = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
  // Schema-authored messages say what was expected; a scalar value found completes them. (Refinement
  // messages carry their own values, and "got a list" adds nothing to "needs at least one phase".)
  const input = (issue as { input?: unknown }).input;
  const scalar = input !== undefined && (input === null || typeof input !== 'object');
  const got = issue.code !== 'custom' && scalar && !/\bgot\b/.test(issue.message) ? `, got ${describe(input)}` : '';
  return [`${file}: ${where}${issue.message}${got}`];
}

/** `classes[2].prompt_tokens.max` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function typeName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'record':
      return 'a mapping';
    default:
      return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
  }
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => JSON.stringify(v));
  return shown.length === 1 ? shown[0] : `one of ${shown.join(', ')}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'string' ? excerpt(value) : String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Did-you-mean: the keys the schema accepts at a path, found by walking the schema alongside the data.

function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  let nodes: z.ZodType[] = [schema];
  let value: unknown = data;
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const node of nodes.flatMap(expand)) {
      if (node instanceof z.ZodObject && typeof seg === 'string' && Object.hasOwn(node.shape, seg)) next.push(node.shape[seg] as z.ZodType);
      if (node instanceof z.ZodArray && typeof seg === 'number') next.push(node.element as z.ZodType);
    }
    nodes = next;
    value = isRecord(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[seg as string] : undefined;
  }
  let objects = nodes.flatMap(expand).filter((n): n is z.ZodObject => n instanceof z.ZodObject);
  // In a discriminated union, the variant named by the data's `type` knows the right keys.
  const matching = objects.filter((o) => {
    const tag = o.shape.type;
    return tag instanceof z.ZodLiteral && isRecord(value) && tag.values.has(value.type as never);
  });
  if (matching.length > 0) objects = matching;
  return [...new Set(objects.flatMap((o) => Object.keys(o.shape)))];
}

/** Looks through optional/default wrappers and union variants to the schemas that can hold the value. */
function expand(node: z.ZodType): z.ZodType[] {
  if (node instanceof z.ZodOptional || node instanceof z.ZodNullable || node instanceof z.ZodDefault) return expand(node.unwrap() as z.ZodType);
  if (node instanceof z.ZodUnion) return (node.options as z.ZodType[]).flatMap(expand);
  return [node];
}

/** The known key nearest to `key` by edit distance, if it is near enough to be a typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

// ---------------------------------------------------------------------------------------------
// JSON Schemas inside the workload: a schema ajv cannot compile would fail every request's
// validity check mid-run, so it is rejected here, before anything is sent.

function uncompilableSchemas(workload: Workload): string[] {
  const problems: string[] = [];
  workload.classes.forEach((cls, i) => {
    if (cls.response_format?.type === 'json_schema') {
      const error = compileError(cls.response_format.json_schema.schema);
      if (error !== undefined) {
        problems.push(`classes[${i}].response_format.json_schema.schema: class "${cls.name}": expected a JSON Schema ajv can compile, got: ${error}`);
      }
    }
    cls.tools?.forEach((tool, j) => {
      if (tool.function.parameters === undefined) return;
      const error = compileError(tool.function.parameters);
      if (error !== undefined) {
        problems.push(`classes[${i}].tools[${j}].function.parameters: class "${cls.name}", tool "${tool.function.name}": expected a JSON Schema ajv can compile, got: ${error}`);
      }
    });
  });
  return problems;
}

function compileError(schema: Record<string, unknown>): string | undefined {
  // A fresh instance per schema: two classes may reuse one $id. strict: false because providers'
  // schemas carry keywords and formats ajv does not know (they are ignored, as servers do).
  const ajv = new (ajvModule().Ajv)({ strict: false, logger: false, validateFormats: false });
  try {
    ajv.compile(schema);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
