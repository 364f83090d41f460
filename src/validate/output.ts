// Output validity: the step between a finished response and its RequestRecord.validity.
// Structured output is judged by its schema (a response_format json_schema, or a tool's `parameters`),
// never by "it parsed": JSON that parses but violates the schema is a wrong answer (cf. vllm#55441).
// Pure: text and schemas in, a verdict out. Schemas are compiled once and cached.
import type { Ajv, Options, ValidateFunction, ErrorObject } from 'ajv';
import { ajv2019Module, ajv2020Module, ajvModule } from '../util/lazy.js';
import type { Validity } from '../client/record.js';
import type { ToolDefinition } from '../workload/schema.js';

export type SchemaValidator = (value: unknown) => { ok: boolean; error?: string };

/** Details end up in error samples and reports: keep them to one short line. */
const MAX_DETAIL_CHARS = 200;

const AJV_OPTIONS: Options = {
  // Real-world schemas carry keywords ajv does not know (`title` variants, vendor `x-…`, `strict` hints).
  strict: false,
  // The first error is all a sample needs, and stopping there is cheaper.
  allErrors: false,
  // ajv-formats is not installed, so `format` ("date-time", "email", …) is NOT validated: a string is
  // accepted whatever its format says. Turning format validation off also stops ajv warning about it.
  validateFormats: false,
  // Two unrelated schemas may reuse one `$id`; do not register them globally, so they cannot collide.
  addUsedSchema: false,
  // A library does not write to stderr on its own; compile failures are thrown instead.
  logger: false,
};

type Draft = 'draft7' | '2019-09' | '2020-12';
const instances = new Map<Draft, Ajv>();

function ajvFor(draft: Draft): Ajv {
  let ajv = instances.get(draft);
  if (ajv === undefined) {
    // Ajv2019/Ajv2020 extend the same core class; the cast only joins their nominal types.
    ajv = draft === '2020-12' ? (new (ajv2020Module().Ajv2020)(AJV_OPTIONS) as unknown as Ajv)
      : draft === '2019-09' ? (new (ajv2019Module().Ajv2019)(AJV_OPTIONS) as unknown as Ajv)
      : new (ajvModule().Ajv)(AJV_OPTIONS);
    instances.set(draft, ajv);
  }
  return ajv;
}

/**
 * Picks the ajv dialect from `$schema`. Draft-07 is the default (and what OpenAI's docs use); a `$schema`
 * naming a dialect ajv 8 does not ship (draft-04/06, or anything unknown) is dropped and the schema is
 * read as draft-07, which agrees with those drafts on everything structured-output schemas use.
 */
function dialectOf(schema: Record<string, unknown>): { draft: Draft; schema: Record<string, unknown> } {
  const declared = schema.$schema;
  if (typeof declared !== 'string') return { draft: 'draft7', schema };
  if (declared.includes('2020-12')) return { draft: '2020-12', schema };
  if (declared.includes('2019-09')) return { draft: '2019-09', schema };
  if (declared.includes('draft-07')) return { draft: 'draft7', schema };
  const { $schema: _dropped, ...rest } = schema;
  return { draft: 'draft7', schema: rest };
}

function clip(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > MAX_DETAIL_CHARS ? `${line.slice(0, MAX_DETAIL_CHARS - 1)}…` : line;
}

/** ajv's first error as "instancePath message", e.g. "/items/0 must be integer". */
function describeError(err: ErrorObject | undefined): string {
  if (err === undefined) return 'does not match the schema';
  const where = err.instancePath === '' ? '(root)' : err.instancePath;
  let message = err.message ?? `fails "${err.keyword}"`;
  const params = err.params as Record<string, unknown>;
  // These two messages do not name the offending value; the sample is useless without it.
  if (err.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    message += ` ("${params.additionalProperty}")`;
  } else if (err.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message += ` (${JSON.stringify(params.allowedValues)})`;
  }
  return clip(`${where} ${message}`);
}

function wrap(validate: ValidateFunction): SchemaValidator {
  return (value) => {
    if (validate(value)) return { ok: true };
    return { ok: false, error: describeError(validate.errors?.[0]) };
  };
}

const byIdentity = new WeakMap<object, SchemaValidator>();
/** Keyed by JSON text so equal schemas in different objects (one per class or request) compile once.
 *  Grows with the number of distinct schemas, which a workload file bounds. */
const byText = new Map<string, SchemaValidator>();

/** Compiles once and caches by schema object identity (WeakMap) and by JSON text; throws an Error naming what failed to compile. */
export function compileSchema(schema: Record<string, unknown>): SchemaValidator {
  const known = byIdentity.get(schema);
  if (known !== undefined) return known;

  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch (e) {
    throw new Error(`JSON schema cannot be serialised: ${(e as Error).message}`);
  }
  let validator = byText.get(text);
  if (validator === undefined) {
    const { draft, schema: toCompile } = dialectOf(schema);
    try {
      validator = wrap(ajvFor(draft).compile(toCompile));
    } catch (e) {
      const label = typeof schema.title === 'string' ? `"${schema.title}"`
        : typeof schema.$id === 'string' ? `"${schema.$id}"`
        : clip(text.slice(0, 80));
      throw new Error(`JSON schema ${label} failed to compile: ${(e as Error).message}`);
    }
    byText.set(text, validator);
  }
  byIdentity.set(schema, validator);
  return validator;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: false, error: 'empty output' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** Final answer text of a response_format json_schema request. 'truncated' when finishReason === 'length' and the text does not validate; 'not_json' when it does not parse; 'schema_invalid' when it parses but violates; 'valid' otherwise. */
export function judgeJsonOutput(
  text: string,
  finishReason: string | null,
  validator: SchemaValidator,
): { validity: Validity; detail?: string } {
  // A response cut off by max_tokens is the workload's doing, not the engine's: count it apart.
  const cutOff = finishReason === 'length';
  const parsed = parseJson(text);
  if (!parsed.ok) {
    return cutOff
      ? { validity: 'truncated', detail: clip(`finish_reason length; not complete JSON after ${text.length} chars`) }
      : { validity: 'not_json', detail: clip(`not JSON: ${parsed.error}`) };
  }
  const verdict = validator(parsed.value);
  if (!verdict.ok) {
    return cutOff
      ? { validity: 'truncated', detail: clip(`finish_reason length; ${verdict.error ?? 'does not match the schema'}`) }
      : { validity: 'schema_invalid', detail: verdict.error ?? 'does not match the schema' };
  }
  return { validity: 'valid' };
}

type Choice = { mode: 'auto' | 'none' | 'required' } | { mode: 'named'; name: string };

/** tool_choice as sent: "auto" | "none" | "required" | { type: "function", function: { name } } (or a flat `name`). */
function readToolChoice(toolChoice: unknown): Choice {
  if (toolChoice === 'none' || toolChoice === 'required') return { mode: toolChoice };
  if (toolChoice !== null && typeof toolChoice === 'object') {
    const o = toolChoice as { name?: unknown; function?: { name?: unknown } };
    const name = typeof o.function?.name === 'string' ? o.function.name : o.name;
    if (typeof name === 'string') return { mode: 'named', name };
  }
  return { mode: 'auto' };
}

/** Arguments of a tool without `parameters` must still be a JSON object (the OpenAI wire contract). */
const ANY_OBJECT: Record<string, unknown> = { type: 'object' };

/**
 * Tool calls of a request that offered `tools`. The first failing call decides the verdict:
 * - no calls: null (not applicable) under auto/none/absent; 'schema_invalid' under required or a named tool;
 * - a call under tool_choice "none", a tool that was not offered, or another tool than the named one: 'schema_invalid';
 * - arguments that do not parse: 'not_json', or 'truncated' when finish_reason is 'length';
 * - arguments that violate the tool's `parameters`: 'schema_invalid';
 * - otherwise 'valid'.
 * A tool's `parameters` that do not compile throw (a workload error: compile them up front with compileSchema).
 */
export function judgeToolCalls(
  calls: { name: string; arguments: string }[],
  tools: ToolDefinition[],
  toolChoice: unknown,
  finishReason: string | null,
): { validity: Validity | null; detail?: string } {
  const choice = readToolChoice(toolChoice);
  if (calls.length === 0) {
    if (choice.mode === 'required') return { validity: 'schema_invalid', detail: 'tool_choice required but no tool was called' };
    if (choice.mode === 'named') {
      return { validity: 'schema_invalid', detail: clip(`tool_choice named "${choice.name}" but no tool was called`) };
    }
    return { validity: null };
  }

  const offered = new Map<string, ToolDefinition>();
  for (const t of tools) offered.set(t.function.name, t);

  for (let i = 0; i < calls.length; i++) {
    const call = calls[i];
    const who = `call ${i} "${call.name}"`;
    if (choice.mode === 'none') {
      return { validity: 'schema_invalid', detail: clip(`tool_choice none but ${who} was made`) };
    }
    const tool = offered.get(call.name);
    if (tool === undefined) return { validity: 'schema_invalid', detail: clip(`${who}: tool was not offered`) };
    if (choice.mode === 'named' && call.name !== choice.name) {
      return { validity: 'schema_invalid', detail: clip(`${who}: tool_choice named "${choice.name}"`) };
    }
    const parsed = parseJson(call.arguments);
    if (!parsed.ok) {
      return finishReason === 'length'
        ? { validity: 'truncated', detail: clip(`${who}: finish_reason length; arguments are not complete JSON`) }
        : { validity: 'not_json', detail: clip(`${who}: arguments not JSON: ${parsed.error}`) };
    }
    const verdict = compileSchema(tool.function.parameters ?? ANY_OBJECT)(parsed.value);
    if (!verdict.ok) return { validity: 'schema_invalid', detail: clip(`${who}: ${verdict.error ?? 'does not match parameters'}`) };
  }
  return { validity: 'valid' };
}
