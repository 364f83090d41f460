// Issue 18, item 8: `report` given a workload (or any YAML) says what the file is and what to do,
// instead of "not valid JSON … the file may be truncated — rerun".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResult } from '../../src/results/io.js';
import { ROOT } from '../commands/helpers.js';

const messageOf = (text: string, file: string) => {
  try {
    parseResult(text, file);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('parsed');
};

describe('reading something that is not a result', () => {
  it('a workload YAML is named as a workload, with the command that runs it', () => {
    const file = 'workloads/mixed.yaml';
    expect(messageOf(readFileSync(join(ROOT, file), 'utf8'), file)).toBe(
      'workloads/mixed.yaml: a workload file (YAML), not a result: run it with `loadshape run workloads/mixed.yaml`, then report the .json that run writes to results/',
    );
  });

  it('other YAML is named as YAML, with where results are', () => {
    expect(messageOf('engine: vllm\ngpu:\n  count: 1\n', 'recipe.yaml')).toMatch(/^recipe\.yaml: a YAML file, not a result: result files are JSON, written by `loadshape run` to results\//);
    expect(messageOf('a: [1, 2\n', 'broken.yml')).toMatch(/^broken\.yml: a YAML file that does not parse; result files are JSON/);
  });

  it('a workload in JSON is named too; a truncated result still reads as truncated', () => {
    expect(messageOf('{"name": "w", "classes": [], "phases": []}', 'w.json')).toMatch(/not a loadshape result file .*it looks like a workload: run it with `loadshape run w\.json`/);
    expect(messageOf('{\n "format": "loadshape-result",\n "version": 1,\n "meta": {', 'r.json')).toMatch(/^r\.json: not valid JSON .*the file may be truncated/);
  });
});
