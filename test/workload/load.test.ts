import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadWorkload, parseWorkload } from '../../src/workload/load.js';
import { LoadshapeError } from '../../src/util/errors.js';

const GOOD = `
name: small
seed: 3
classes:
  - name: chat
    prompt_tokens: {type: fixed, value: 10}
    output_tokens: {type: fixed, value: 5}
phases:
  - {name: steady, concurrency: 1, requests: 3}
`;

/** The message of the workloadError that parsing `text` as `file` throws. */
function problems(text: string, file = 'workloads/bad.yaml'): string[] {
  try {
    parseWorkload(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(LoadshapeError);
    expect((err as LoadshapeError).code).toBe('workload');
    return (err as Error).message.split('\n');
  }
  throw new Error('expected parseWorkload to throw');
}

describe('parseWorkload', () => {
  it('parses YAML and applies defaults', () => {
    const w = parseWorkload(GOOD, 'small.yaml');
    expect(w.name).toBe('small');
    expect(w.classes[0]).toMatchObject({ name: 'chat', weight: 1, kind: 'chat' });
    expect(w.phases[0]).toMatchObject({ arrival: 'poisson', burstiness: 1, record: true });
  });

  it('parses JSON, by extension or by content', () => {
    const json = JSON.stringify({ name: 'j', classes: [{ name: 'c', prompt_tokens: { type: 'fixed', value: 1 }, output_tokens: { type: 'fixed', value: 1 } }], phases: [{ name: 'p', rate: 2, duration: '1s' }] });
    expect(parseWorkload(json, 'w.json').name).toBe('j');
    expect(parseWorkload(json, 'w.txt').name).toBe('j');
  });

  it('names the field path and the value for a wrong type or a bad number', () => {
    const text = GOOD.replace('concurrency: 1', 'rate: -1').replace('value: 10', 'value: "ten"');
    expect(problems(text)).toEqual([
      'workloads/bad.yaml: classes[0].prompt_tokens.value: expected a number, got "ten"',
      'workloads/bad.yaml: phases[0].rate: expected a positive number, got -1',
    ]);
  });

  it('rejects an unknown field with a did-you-mean suggestion', () => {
    const text = GOOD.replace('prompt_tokens:', 'promt_tokens:');
    expect(problems(text)).toEqual([
      'workloads/bad.yaml: classes[0].prompt_tokens: missing; expected a mapping',
      'workloads/bad.yaml: classes[0].promt_tokens: unknown field "promt_tokens"; did you mean "prompt_tokens"?',
    ]);
    // Inside a distribution, the keys of the variant named by `type` are suggested.
    expect(problems(GOOD.replace('{type: fixed, value: 5}', '{type: normal, mean: 5, stdev: 1}'))).toEqual([
      'workloads/bad.yaml: classes[0].output_tokens.stddev: missing; expected a number',
      'workloads/bad.yaml: classes[0].output_tokens.stdev: unknown field "stdev"; did you mean "stddev"?',
    ]);
    // Through wrappers (defaults has a default value) and inside phases.
    expect(problems(GOOD.replace('seed: 3', 'seed: 3\ndefaults: {temprature: 0.5}').replace('requests: 3', 'requests: 3, arival: poisson'))).toEqual([
      'workloads/bad.yaml: defaults.temprature: unknown field "temprature"; did you mean "temperature"?',
      'workloads/bad.yaml: phases[0].arival: unknown field "arival"; did you mean "arrival"?',
    ]);
    // Nothing close: the known fields are listed instead.
    expect(problems(GOOD.replace('seed: 3', 'seed: 3\ncolour: blue'))).toEqual([
      'workloads/bad.yaml: colour: unknown field "colour"; expected one of: name, description, seed, defaults, classes, phases, slo',
    ]);
  });

  it('rejects min above max at the max field', () => {
    const text = GOOD.replace('{type: fixed, value: 5}', '{type: uniform, min: 200, max: 100}');
    expect(problems(text)).toEqual(['workloads/bad.yaml: classes[0].output_tokens.max: expected max >= min (200), got 100']);
  });

  it('rejects weights that sum to zero', () => {
    expect(problems(GOOD.replace('- name: chat', '- name: chat\n    weight: 0'))).toEqual([
      'workloads/bad.yaml: classes: class weights sum to 0; give at least one class a positive weight',
    ]);
  });

  it('rejects a workload without phases', () => {
    const text = GOOD.slice(0, GOOD.indexOf('phases:'));
    expect(problems(text)).toEqual(['workloads/bad.yaml: phases: missing; expected a list']);
    expect(problems(`${text}phases: []\n`)).toEqual(['workloads/bad.yaml: phases: a workload needs at least one phase']);
  });

  it('rejects an unknown enum value and a bad duration, showing what was found', () => {
    const text = GOOD.replace('concurrency: 1, requests: 3', 'rate: 3, duration: 10x, arrival: poison');
    expect(problems(text)).toEqual([
      'workloads/bad.yaml: phases[0].duration: expected a duration such as "500ms", "30s", "2m" or "1h", got "10x"',
      'workloads/bad.yaml: phases[0].arrival: expected one of "constant", "poisson", "gamma", got "poison"',
    ]);
  });

  it('rejects class combinations that would be silently dropped', () => {
    const text = GOOD.replace('- name: chat', '- name: chat\n    kind: completion\n    system_prompt: hi\n    tool_choice: auto');
    expect(problems(text)).toEqual([
      'workloads/bad.yaml: classes[0].system_prompt: system_prompt needs kind: chat; for a completion class put fixed text in "suffix"',
      'workloads/bad.yaml: classes[0].tool_choice: tool_choice needs kind: chat (/completions has no function calling)',
      'workloads/bad.yaml: classes[0].tool_choice: tool_choice needs "tools" in the same class',
    ]);
    expect(problems(GOOD.replace('value: 5', 'value: 0'))).toEqual([
      'workloads/bad.yaml: classes[0].output_tokens: expected at least 1 output token (max_tokens must be >= 1), got a distribution that only yields 0',
    ]);
    expect(problems(GOOD.replace('- name: chat', '- name: chat\n    extra_body: {stream: false}'))).toEqual([
      'workloads/bad.yaml: classes[0].extra_body.stream: "stream" is set by loadshape and cannot be overridden; loadshape always streams, to time the first token',
    ]);
  });

  it('gives the line and column of a YAML syntax error', () => {
    const text = 'name: x\nclasses:\n  - name: a\n    prompt_tokens: {type: fixed, value: 1\nphases: []\n';
    const [line] = problems(text);
    expect(line).toMatch(/^workloads\/bad\.yaml:5:1: YAML syntax error: /);
  });

  it('gives the line of a JSON syntax error', () => {
    const [line] = problems('{\n  "name": "x",\n  "classes": [}\n}', 'w.json');
    expect(line).toMatch(/^w\.json:3:\d+: JSON syntax error: /);
  });

  it('rejects an empty file and a non-mapping document', () => {
    expect(problems('')).toEqual(['workloads/bad.yaml: the file is empty; expected a mapping with name, classes and phases']);
    expect(problems('- a\n- b\n')).toEqual(['workloads/bad.yaml: expected a mapping (name, classes, phases) at the top level, got a list']);
  });

  it('rejects response and tool schemas ajv cannot compile, naming the class', () => {
    const text = GOOD.replace(
      '- name: chat',
      `- name: extract
    response_format:
      type: json_schema
      json_schema: {name: invoice, schema: {type: objekt}}
    tools:
      - type: function
        function: {name: lookup, parameters: {type: object, properties: 5}}`,
    );
    const lines = problems(text);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^workloads\/bad\.yaml: classes\[0\]\.response_format\.json_schema\.schema: class "extract": expected a JSON Schema ajv can compile, got: schema is invalid: data\/type /);
    expect(lines[1]).toMatch(/^workloads\/bad\.yaml: classes\[0\]\.tools\[0\]\.function\.parameters: class "extract", tool "lookup": expected a JSON Schema ajv can compile, got: schema is invalid: data\/properties must be object/);
  });

  it('accepts schemas with formats and keywords ajv does not know', () => {
    const text = GOOD.replace(
      '- name: chat',
      `- name: extract
    response_format:
      type: json_schema
      json_schema:
        name: invoice
        strict: true
        schema: {type: object, properties: {date: {type: string, format: date}}, required: [date], additionalProperties: false, x-note: ok}`,
    );
    expect(parseWorkload(text, 'ok.yaml').classes[0].name).toBe('extract');
  });
});

describe('loadWorkload', () => {
  const cwd = process.cwd();
  afterEach(() => {
    vi.restoreAllMocks();
    process.chdir(cwd);
  });

  it('reads a path and returns the text and its sha256', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadshape-wl-'));
    const file = join(dir, 'small.yaml');
    await writeFile(file, GOOD);
    const loaded = await loadWorkload(file);
    expect(loaded.file).toBe(file);
    expect(loaded.text).toBe(GOOD);
    expect(loaded.sha256).toBe(createHash('sha256').update(GOOD).digest('hex'));
    expect(loaded.workload.name).toBe('small');
  });

  it('resolves a bare name in ./workloads first, then in the package workloads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadshape-wl-'));
    await mkdir(join(dir, 'workloads'));
    await writeFile(join(dir, 'workloads', 'short.yaml'), GOOD);
    process.chdir(dir);
    const local = await loadWorkload('short');
    expect(local.file).toBe(join('workloads', 'short.yaml'));
    expect(local.workload.name).toBe('small');
    const shipped = await loadWorkload('mixed');
    expect(shipped.file).toMatch(/workloads[/\\]mixed\.yaml$/);
    expect(shipped.workload.name).toBe('mixed');
  });

  it('lists what it tried and the built-in names when nothing matches', async () => {
    await expect(loadWorkload('no-such-workload')).rejects.toThrow(/^no-such-workload: no such workload file \(tried no-such-workload, workloads\/no-such-workload\.yaml, .*\); give a path .* built-in workloads: .*mixed.*short/);
  });

  it('names the file in validation errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadshape-wl-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, GOOD.replace('rate', 'x').replace('concurrency: 1', 'concurrency: 0'));
    await expect(loadWorkload(file)).rejects.toThrow(`${file}: phases[0].concurrency: expected a positive number, got 0`);
  });
});
