import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { sampleJson, UnsatisfiableSchemaError } from '../../src/sim/json-sample.js';

// Formats checked by independent parsers, not by the generator's own patterns.
const ajv = new Ajv2020({
  strict: false,
  allErrors: true,
  formats: {
    'date-time': (s: string) => /T/.test(s) && !Number.isNaN(Date.parse(s)),
    date: (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
    time: /^\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?$/,
    email: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
    uri: (s: string) => URL.canParse(s),
    uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    ipv4: /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/,
  },
});

function expectValid(schema: Record<string, unknown>, value: unknown): void {
  const validate = ajv.compile(schema);
  const ok = validate(value);
  expect(ok, `${JSON.stringify(value)} against ${JSON.stringify(schema)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

const SCHEMAS: Array<[string, Record<string, unknown>]> = [
  [
    'an object with required and optional properties of every scalar type',
    {
      type: 'object',
      properties: {
        name: { type: 'string' },
        age: { type: 'integer', minimum: 0, maximum: 30 },
        score: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        active: { type: 'boolean' },
        nothing: { type: 'null' },
      },
      required: ['name', 'age', 'score'],
      additionalProperties: false,
    },
  ],
  ['an integer whose range excludes the default value', { type: 'integer', minimum: 100, maximum: 120, multipleOf: 7 }],
  ['a number entirely below zero', { type: 'number', maximum: -5 }],
  ['a number pinned by equal bounds', { type: 'number', minimum: 3, maximum: 3 }],
  ['a string with length bounds', { type: 'string', minLength: 40, maxLength: 45 }],
  ['a short string', { type: 'string', maxLength: 3 }],
  ['an enum and a const', { type: 'object', properties: { unit: { enum: ['celsius', 'fahrenheit'] }, v: { const: 2 } }, required: ['unit', 'v'] }],
  ['an array with minItems and maxItems', { type: 'array', items: { type: 'string' }, minItems: 5, maxItems: 6 }],
  ['a unique array of enum values', { type: 'array', items: { enum: ['a', 'b', 'c'] }, minItems: 3, uniqueItems: true }],
  ['a unique array of objects', { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] }, minItems: 4, uniqueItems: true }],
  ['a tuple via prefixItems', { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }],
  ['anyOf picks a valid branch', { anyOf: [{ type: 'string', minLength: 2 }, { type: 'integer' }] }],
  ['a nullable type list', { type: ['string', 'null'], minLength: 1 }],
  [
    'allOf merges properties and required',
    {
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { properties: { b: { type: 'integer', minimum: 50 } }, required: ['b'] },
      ],
    },
  ],
  [
    'a recursive tree through $defs',
    {
      $defs: {
        node: {
          type: 'object',
          properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
          required: ['label'],
        },
      },
      $ref: '#/$defs/node',
    },
  ],
  [
    'string formats',
    {
      type: 'object',
      properties: {
        at: { type: 'string', format: 'date-time' },
        day: { type: 'string', format: 'date' },
        t: { type: 'string', format: 'time' },
        mail: { type: 'string', format: 'email' },
        link: { type: 'string', format: 'uri' },
        key: { type: 'string', format: 'uuid' },
        ip: { type: 'string', format: 'ipv4' },
      },
    },
  ],
  [
    'a required key that is not among the properties',
    { type: 'object', properties: {}, required: ['extra'], additionalProperties: { type: 'integer', minimum: 7 } },
  ],
];

describe('sampleJson', () => {
  it.each(SCHEMAS)('generates a valid document for %s', (_name, schema) => {
    expectValid(schema, sampleJson(schema));
  });

  it('is deterministic: the same schema gives the same document', () => {
    const schema = SCHEMAS[0][1];
    expect(JSON.stringify(sampleJson(schema))).toBe(JSON.stringify(sampleJson(schema)));
  });

  it('fills optional properties, so output length reflects the whole schema', () => {
    const value = sampleJson({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } }) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['a', 'b']);
  });

  it('bounds recursion of a recursive schema instead of looping', () => {
    const tree = SCHEMAS.find(([name]) => name.includes('recursive'))![1];
    const text = JSON.stringify(sampleJson(tree));
    expect(text.length).toBeLessThan(100_000);
  });

  it('reports schemas that no value satisfies', () => {
    expect(() => sampleJson({ type: 'integer', minimum: 5, maximum: 4 })).toThrow(UnsatisfiableSchemaError);
    expect(() => sampleJson({ enum: [] })).toThrow(UnsatisfiableSchemaError);
    expect(() => sampleJson({ type: 'array', minItems: 3, maxItems: 1 })).toThrow(UnsatisfiableSchemaError);
    expect(() => sampleJson({ $ref: 'https://example.com/schema.json' })).toThrow(UnsatisfiableSchemaError);
  });
});
