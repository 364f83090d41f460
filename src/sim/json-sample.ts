// Simulator, model side: builds one JSON value that is valid against a JSON Schema, standing in
// for what guided decoding makes a real engine produce for `response_format: json_schema` and for
// tool-call arguments. Pure and deterministic: the same schema gives the same document, so a
// workload's output lengths repeat from run to run.
//
// Covers the subset that structured-output schemas use in practice: type (or a list of types),
// object/properties/required/additionalProperties, array/items/prefixItems/minItems/maxItems/
// uniqueItems, string/minLength/maxLength/format, number/integer with inclusive and exclusive
// bounds and multipleOf, boolean, null, enum, const, anyOf/oneOf (first branch), allOf (merged),
// and local $ref (#/$defs/…, #/definitions/…). `pattern` is not honoured: a regex would need
// its own generator, and no loadshape workload relies on one.

type Schema = Record<string, unknown>;

/** Beyond this nesting only required properties and minItems are generated, so recursive schemas end. */
const OPTIONAL_DEPTH_LIMIT = 6;
const HARD_DEPTH_LIMIT = 32;

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

export class UnsatisfiableSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsatisfiableSchemaError';
  }
}

/**
 * A value valid against `schema`. `variant` picks among valid values (array items use their index)
 * so that `uniqueItems` arrays get distinct items.
 */
export function sampleJson(schema: unknown, variant = 0): unknown {
  return sample(schema, schema, variant, 0);
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sample(schema: unknown, root: unknown, variant: number, depth: number): unknown {
  if (depth > HARD_DEPTH_LIMIT) throw new UnsatisfiableSchemaError('schema recursion deeper than 32 levels');
  if (schema === true || schema === undefined) return null;
  if (schema === false) throw new UnsatisfiableSchemaError('the schema `false` accepts no value');
  if (!isObject(schema)) return null;

  if (typeof schema.$ref === 'string') {
    const { $ref, ...rest } = schema;
    return sample({ ...resolveRef($ref, root), ...rest }, root, variant, depth + 1);
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) {
    if (schema.enum.length === 0) throw new UnsatisfiableSchemaError('empty enum');
    return schema.enum[variant % schema.enum.length];
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const { allOf, ...rest } = schema;
    return sample(mergeAll([rest, ...(allOf as unknown[])], root), root, variant, depth + 1);
  }
  // A guided decoder may take any branch; the first is the one a schema author lists as usual.
  // For oneOf this is valid unless a later branch also matches, which well-formed schemas avoid.
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const { [key]: _dropped, ...rest } = schema;
      return sample(mergeAll([rest, branches[0]], root), root, variant, depth + 1);
    }
  }

  switch (pickType(schema)) {
    case 'object':
      return sampleObject(schema, root, variant, depth);
    case 'array':
      return sampleArray(schema, root, variant, depth);
    case 'string':
      return sampleString(schema, variant);
    case 'integer':
      return sampleNumber(schema, variant, true);
    case 'number':
      return sampleNumber(schema, variant, false);
    case 'boolean':
      return variant % 2 === 0;
    default:
      return null;
  }
}

function resolveRef(ref: string, root: unknown): Schema {
  if (!ref.startsWith('#')) throw new UnsatisfiableSchemaError(`only local $ref is supported, got "${ref}"`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter((s) => s.length > 0)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  if (node === true) return {};
  if (!isObject(node)) throw new UnsatisfiableSchemaError(`$ref "${ref}" does not point at a schema`);
  return node;
}

/** Shallow merge of allOf members: properties and required are unioned, bounds take the tighter value. */
function mergeAll(parts: unknown[], root: unknown): Schema {
  const out: Schema = {};
  for (const rawPart of parts) {
    if (rawPart === true) continue;
    if (!isObject(rawPart)) throw new UnsatisfiableSchemaError('allOf member is not a schema');
    const part = typeof rawPart.$ref === 'string' ? { ...resolveRef(rawPart.$ref, root), ...rawPart, $ref: undefined } : rawPart;
    for (const [key, value] of Object.entries(part)) {
      if (value === undefined) continue;
      if (key === 'properties' && isObject(value)) {
        out.properties = { ...(isObject(out.properties) ? out.properties : {}), ...value };
      } else if (key === 'required' && Array.isArray(value)) {
        out.required = [...new Set([...(Array.isArray(out.required) ? out.required : []), ...value])];
      } else if ((key === 'minimum' || key === 'minLength' || key === 'minItems') && typeof out[key] === 'number') {
        out[key] = Math.max(out[key] as number, value as number);
      } else if ((key === 'maximum' || key === 'maxLength' || key === 'maxItems') && typeof out[key] === 'number') {
        out[key] = Math.min(out[key] as number, value as number);
      } else {
        out[key] = value;
      }
    }
  }
  return out;
}

function pickType(schema: Schema): string {
  const t = schema.type;
  if (typeof t === 'string') return t;
  // A nullable field (["string", "null"]) gets the non-null type: that is the output worth timing.
  if (Array.isArray(t) && t.length > 0) return (t.find((x) => x !== 'null') ?? 'null') as string;
  if (isObject(schema.properties) || Array.isArray(schema.required)) return 'object';
  if ('items' in schema || 'prefixItems' in schema) return 'array';
  if ('minLength' in schema || 'maxLength' in schema || 'format' in schema) return 'string';
  if ('minimum' in schema || 'maximum' in schema || 'multipleOf' in schema) return 'number';
  return 'null';
}

function sampleObject(schema: Schema, root: unknown, variant: number, depth: number): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const out: Record<string, unknown> = {};
  for (const [key, propSchema] of Object.entries(properties)) {
    // Optional properties are included (a model usually fills them) until nesting gets deep.
    if (depth >= OPTIONAL_DEPTH_LIMIT && !required.has(key)) continue;
    out[key] = sample(propSchema, root, variant, depth + 1);
  }
  for (const key of required) {
    if (key in out) continue;
    const extra = schema.additionalProperties;
    if (extra === false) throw new UnsatisfiableSchemaError(`required "${key}" is not a property and additionalProperties is false`);
    out[key] = sample(isObject(extra) ? extra : true, root, variant, depth + 1);
  }
  return out;
}

function sampleArray(schema: Schema, root: unknown, variant: number, depth: number): unknown[] {
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  if (minItems > maxItems) throw new UnsatisfiableSchemaError(`minItems ${minItems} > maxItems ${maxItems}`);
  // Two items when free: a list with one element hides whether a client handles separators.
  const wanted = depth >= OPTIONAL_DEPTH_LIMIT ? minItems : Math.max(minItems, prefix.length, 2);
  const length = Math.min(wanted, maxItems, schema.items === false ? prefix.length : Infinity);
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) {
    const itemSchema = i < prefix.length ? prefix[i] : schema.items;
    out.push(sample(itemSchema, root, variant + i, depth + 1));
  }
  if (out.length < minItems) throw new UnsatisfiableSchemaError('array cannot reach minItems');
  return out;
}

function sampleString(schema: Schema, variant: number): string {
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  let value: string;
  switch (schema.format) {
    case 'date-time':
      value = `2024-01-${String((variant % 28) + 1).padStart(2, '0')}T12:00:00Z`;
      break;
    case 'date':
      value = `2024-01-${String((variant % 28) + 1).padStart(2, '0')}`;
      break;
    case 'time':
      value = '12:00:00Z';
      break;
    case 'email':
      value = `sim${variant}@example.com`;
      break;
    case 'uri':
    case 'url':
      value = `https://example.com/sim/${variant}`;
      break;
    case 'uuid':
      value = `00000000-0000-4000-8000-${String(variant).padStart(12, '0').slice(-12)}`;
      break;
    case 'ipv4':
      value = `10.0.0.${variant % 256}`;
      break;
    default:
      value = `${WORDS[variant % WORDS.length]} ${WORDS[(variant + 3) % WORDS.length]} ${variant}`;
  }
  // Lengths count code points in JSON Schema; the generated text is ASCII, so .length matches.
  while (value.length < minLength) value += ` ${WORDS[value.length % WORDS.length]}`;
  if (value.length > maxLength) value = value.slice(0, maxLength);
  if (value.length < minLength) value = value.padEnd(minLength, 'x');
  return value;
}

function sampleNumber(schema: Schema, variant: number, integer: boolean): number {
  const num = (key: string): number | undefined => (typeof schema[key] === 'number' ? (schema[key] as number) : undefined);
  // Draft-4 boolean exclusive bounds and draft-6+ numeric ones both narrow the range.
  let lo = num('minimum') ?? -Infinity;
  let hi = num('maximum') ?? Infinity;
  let loOpen = schema.exclusiveMinimum === true;
  let hiOpen = schema.exclusiveMaximum === true;
  const exMin = num('exclusiveMinimum');
  const exMax = num('exclusiveMaximum');
  if (exMin !== undefined && exMin >= lo) [lo, loOpen] = [exMin, true];
  if (exMax !== undefined && exMax <= hi) [hi, hiOpen] = [exMax, true];
  const step = num('multipleOf') ?? (integer ? 1 : undefined);

  if (step !== undefined) {
    const first = loOpen ? Math.floor(lo / step) + 1 : Math.ceil(lo / step);
    const last = hiOpen ? Math.ceil(hi / step) - 1 : Math.floor(hi / step);
    if (Number.isFinite(first) && Number.isFinite(last) && first > last) {
      throw new UnsatisfiableSchemaError('no multiple of the step lies within the bounds');
    }
    // 42 (plus the variant) when the range allows it, else the nearest allowed multiple.
    const target = Math.round((42 + variant) / step);
    const k = Math.min(Math.max(target, first), last);
    return Number((k * step).toPrecision(15));
  }
  const target = 42.5 + variant;
  if (target > lo && target < hi) return target;
  if (target === lo && !loOpen) return target;
  if (target === hi && !hiOpen) return target;
  if (Number.isFinite(lo) && Number.isFinite(hi)) {
    if (lo > hi || (lo === hi && (loOpen || hiOpen))) throw new UnsatisfiableSchemaError('empty numeric range');
    return lo === hi ? lo : (lo + hi) / 2;
  }
  return Number.isFinite(lo) ? lo + 1 : hi - 1;
}
