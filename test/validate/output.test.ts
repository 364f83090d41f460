import { describe, expect, it } from 'vitest';
import { compileSchema, judgeJsonOutput, judgeToolCalls } from '../../src/validate/output.js';
import type { ToolDefinition } from '../../src/workload/schema.js';

const person = {
  title: 'Person',
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer', minimum: 0 },
    born: { type: 'string', format: 'date' },
  },
  required: ['name', 'age'],
  additionalProperties: false,
};

describe('compileSchema', () => {
  it('returns the cached validator for the same object and for an equal object', () => {
    const a = compileSchema(person);
    expect(compileSchema(person)).toBe(a);
    expect(compileSchema(JSON.parse(JSON.stringify(person)) as Record<string, unknown>)).toBe(a);
    expect(compileSchema({ ...person, required: ['name'] })).not.toBe(a);
  });

  it('reports the first error as instancePath + message', () => {
    const v = compileSchema(person);
    expect(v({ name: 'Ada', age: 36 })).toEqual({ ok: true });
    expect(v({ name: 'Ada', age: 'x' })).toEqual({ ok: false, error: '/age must be integer' });
    expect(v({ name: 'Ada' })).toEqual({ ok: false, error: "(root) must have required property 'age'" });
    expect(v({ name: 'Ada', age: 1, extra: true })).toEqual({
      ok: false,
      error: '(root) must NOT have additional properties ("extra")',
    });
  });

  it('tolerates unknown keywords and leaves formats unvalidated (ajv-formats is not installed)', () => {
    const v = compileSchema({ type: 'string', 'x-vendor': 1, format: 'email' });
    expect(v('not an email').ok).toBe(true);
    expect(compileSchema(person)({ name: 'A', age: 1, born: 'yesterday' }).ok).toBe(true);
  });

  it('throws an Error naming the schema that failed to compile', () => {
    expect(() => compileSchema({ title: 'Broken', type: 'nonsense' })).toThrow(/"Broken" failed to compile/);
    expect(() => compileSchema({ $ref: '#/$defs/missing' })).toThrow(/failed to compile.*missing/);
  });

  it('compiles draft 2020-12 schemas (prefixItems) and lets two schemas share an $id', () => {
    const v = compileSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
    });
    expect(v(['a', 1]).ok).toBe(true);
    expect(v([1, 'a'])).toEqual({ ok: false, error: '/0 must be string' });
    const a = compileSchema({ $id: 'https://example.com/s', type: 'string' });
    const b = compileSchema({ $id: 'https://example.com/s', type: 'number' });
    expect(a('x').ok).toBe(true);
    expect(b('x').ok).toBe(false);
  });

  it('resolves local $defs references', () => {
    const v = compileSchema({
      type: 'object',
      properties: { items: { type: 'array', items: { $ref: '#/$defs/item' } } },
      $defs: { item: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } },
    });
    expect(v({ items: [{ id: 1 }] }).ok).toBe(true);
    expect(v({ items: [{ id: 1 }, { id: 'two' }] })).toEqual({ ok: false, error: '/items/1/id must be integer' });
  });
});

describe('judgeJsonOutput', () => {
  const v = compileSchema(person);
  it.each([
    ['valid JSON matching the schema', '{"name":"Ada","age":36}', 'stop', 'valid'],
    ['valid JSON with surrounding whitespace', '\n {"name":"Ada","age":36} \n', 'stop', 'valid'],
    ['valid JSON even when cut at length', '{"name":"Ada","age":36}', 'length', 'valid'],
    ['text that does not parse', 'Sure! {"name":"Ada"}', 'stop', 'not_json'],
    ['empty text', '', 'stop', 'not_json'],
    ['markdown-fenced JSON', '```json\n{"name":"Ada","age":36}\n```', 'stop', 'not_json'],
    ['JSON that violates the schema', '{"name":"Ada","age":-1}', 'stop', 'schema_invalid'],
    ['JSON that violates, finish_reason null', '{"name":"Ada"}', null, 'schema_invalid'],
    ['unparseable text cut at length', '{"name":"Ada","ag', 'length', 'truncated'],
    ['parseable but incomplete text cut at length', '{"name":"Ada"}', 'length', 'truncated'],
  ] as const)('%s → %s', (_label, text, finish, expected) => {
    expect(judgeJsonOutput(text, finish, v).validity).toBe(expected);
  });

  it('gives short details for error samples', () => {
    expect(judgeJsonOutput('{"name":"Ada","age":1.5}', 'stop', v)).toEqual({
      validity: 'schema_invalid',
      detail: '/age must be integer',
    });
    const notJson = judgeJsonOutput(`nope ${'x'.repeat(5000)}`, 'stop', v);
    expect(notJson.validity).toBe('not_json');
    expect(notJson.detail).toMatch(/^not JSON: /);
    expect(notJson.detail!.length).toBeLessThanOrEqual(200);
    expect(judgeJsonOutput('{"a', 'length', v).detail).toMatch(/finish_reason length/);
    expect(judgeJsonOutput('{"name":"Ada","age":36}', 'stop', v).detail).toBeUndefined();
  });
});

describe('judgeToolCalls', () => {
  const tools: ToolDefinition[] = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } },
          required: ['city'],
        },
      },
    },
    { type: 'function', function: { name: 'now' } },
  ];
  const weather = (args: string) => ({ name: 'get_weather', arguments: args });
  const named = (name: string) => ({ type: 'function', function: { name } });

  it.each([
    ['no call under auto', [], 'auto', 'stop', null],
    ['no call with tool_choice absent', [], undefined, 'stop', null],
    ['no call under none', [], 'none', 'stop', null],
    ['no call under required', [], 'required', 'stop', 'schema_invalid'],
    ['no call under a named tool', [], named('get_weather'), 'stop', 'schema_invalid'],
    ['a good call', [weather('{"city":"Oslo"}')], 'auto', 'tool_calls', 'valid'],
    ['a good call to the named tool', [weather('{"city":"Oslo","unit":"c"}')], named('get_weather'), 'tool_calls', 'valid'],
    ['a tool without parameters called with {}', [{ name: 'now', arguments: '{}' }], 'required', 'tool_calls', 'valid'],
    ['a tool without parameters called with a non-object', [{ name: 'now', arguments: '[1]' }], 'auto', 'tool_calls', 'schema_invalid'],
    ['a tool that was not offered', [{ name: 'rm_rf', arguments: '{}' }], 'auto', 'tool_calls', 'schema_invalid'],
    ['arguments that are not JSON', [weather('{city: Oslo}')], 'auto', 'tool_calls', 'not_json'],
    ['empty arguments', [weather('')], 'auto', 'tool_calls', 'not_json'],
    ['arguments cut off at length', [weather('{"city":"Os')], 'auto', 'length', 'truncated'],
    ['arguments missing a required field', [weather('{"unit":"c"}')], 'auto', 'tool_calls', 'schema_invalid'],
    ['a bad enum value', [weather('{"city":"Oslo","unit":"k"}')], 'auto', 'tool_calls', 'schema_invalid'],
    ['another tool than the named one', [{ name: 'now', arguments: '{}' }], named('get_weather'), 'tool_calls', 'schema_invalid'],
    ['a call despite tool_choice none', [weather('{"city":"Oslo"}')], 'none', 'tool_calls', 'schema_invalid'],
    ['a good call then a bad one', [weather('{"city":"Oslo"}'), weather('{}')], 'auto', 'tool_calls', 'schema_invalid'],
  ] as const)('%s → %s', (_label, calls, choice, finish, expected) => {
    expect(judgeToolCalls([...calls], tools, choice, finish).validity).toBe(expected);
  });

  it('says what went wrong, naming the call', () => {
    expect(judgeToolCalls([], tools, 'required', 'stop').detail).toMatch(/no tool was called/);
    expect(judgeToolCalls([], tools, named('get_weather'), 'stop').detail).toMatch(/"get_weather".*no tool was called/);
    expect(judgeToolCalls([{ name: 'rm_rf', arguments: '{}' }], tools, 'auto', 'stop').detail).toBe(
      'call 0 "rm_rf": tool was not offered',
    );
    expect(judgeToolCalls([weather('{"city":"Oslo"}'), weather('{"city":3}')], tools, 'auto', 'stop')).toEqual({
      validity: 'schema_invalid',
      detail: 'call 1 "get_weather": /city must be string',
    });
    expect(judgeToolCalls([weather('{"city":"Oslo","unit":"k"}')], tools, 'auto', 'stop').detail).toBe(
      'call 0 "get_weather": /unit must be equal to one of the allowed values (["c","f"])',
    );
    expect(judgeToolCalls([{ name: 'now', arguments: '{}' }], tools, named('get_weather'), 'stop').detail).toBe(
      'call 0 "now": tool_choice named "get_weather"',
    );
    expect(judgeToolCalls([weather('{"city":"Oslo"}')], tools, 'auto', 'stop').detail).toBeUndefined();
  });

  it('accepts the flat { type, name } form of a named tool_choice', () => {
    expect(judgeToolCalls([{ name: 'now', arguments: '{}' }], tools, { type: 'function', name: 'get_weather' }, 'stop').validity)
      .toBe('schema_invalid');
  });
});
