// Issue 18, item 6: every way a `run` ends after its options are read writes the --junit and
// --summary-md it was asked for, so a CI report step always has something to show: the target down
// with no --model (model discovery fails, exit 5) is a failed "target reachable" case, bad options
// (exit 4) a failed "options valid" case, also when commander itself rejects a later option.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { flagInArgv } from '../../src/commands/gates.js';
import { closedPort, fixture, runCli, tempDir } from './helpers.js';

interface Junit {
  testsuites: { '@_tests': string; '@_failures': string; testsuite: { '@_name': string; testcase: { '@_name': string; failure?: { '@_type': string; '@_message': string } } } };
}
const readJunit = (file: string) => new XMLParser({ ignoreAttributes: false }).parse(readFileSync(file, 'utf8')) as Junit;

describe('a run that ends before its verdict still writes --junit and --summary-md', () => {
  it('target down and no --model: exit 5, a failed "target reachable" case and a Markdown summary saying so', async () => {
    const dir = tempDir();
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const step = join(dir, 'step-summary.md');
    const r = await runCli(['run', fixture('timing.yaml'), '--target', url, '--junit', join(dir, 'j.xml'), '--summary-md', join(dir, 's.md'), '--out', join(dir, 'r'), '--quiet'], {
      env: { GITHUB_STEP_SUMMARY: step },
    });
    expect(r.code, r.stderr).toBe(5);
    const j = readJunit(join(dir, 'j.xml'));
    expect(j.testsuites['@_failures']).toBe('1');
    expect(j.testsuites.testsuite['@_name']).toBe('loadshape.run');
    expect(j.testsuites.testsuite.testcase['@_name']).toBe('target reachable');
    expect(j.testsuites.testsuite.testcase.failure?.['@_type']).toBe('unreachable');
    expect(j.testsuites.testsuite.testcase.failure?.['@_message']).toMatch(/could not discover the model \(ECONNREFUSED\)/);
    const md = readFileSync(join(dir, 's.md'), 'utf8');
    expect(md).toMatch(/^## loadshape ❌ FAIL: target unreachable \(exit 5\)/);
    expect(md).toContain(`target ${url}`);
    expect(readFileSync(step, 'utf8')).toBe(`${md}\n`);
  });

  it('a bad --slo (exit 4, found by loadshape) is a failed "options valid" case', async () => {
    const dir = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), '--slo', 'ttft.p95 <', '--junit', join(dir, 'j.xml'), '--out', join(dir, 'r'), '--quiet']);
    expect(r.code).toBe(4);
    const c = readJunit(join(dir, 'j.xml')).testsuites.testsuite.testcase;
    expect(c['@_name']).toBe('options valid');
    expect(c.failure?.['@_type']).toBe('usage');
    expect(c.failure?.['@_message']).toMatch(/^loadshape: --slo: /);
  });

  it('an option commander rejects after --junit (exit 4) still writes the JUnit file', async () => {
    const dir = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), `--summary-md=${join(dir, 's.md')}`, '--junit', join(dir, 'j.xml'), '--concurrency', 'two']);
    expect(r.code).toBe(4);
    expect(readJunit(join(dir, 'j.xml')).testsuites.testsuite.testcase.failure?.['@_message']).toMatch(/--concurrency: expected a non-negative integer, got "two"/);
    expect(readFileSync(join(dir, 's.md'), 'utf8')).toMatch(/^## loadshape ❌ FAIL: bad options \(exit 4\)\n[^]*workload `timing`/);
  });

  it('without --junit or --summary-md nothing extra is written', async () => {
    const dir = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), '--concurrency', 'two', '--out', join(dir, 'r')], { env: { GITHUB_STEP_SUMMARY: join(dir, 'step.md') } });
    expect(r.code).toBe(4);
    expect(existsSync(join(dir, 'step.md'))).toBe(false);
  });

  it('reads a flag from argv as commander would: the last one wins, --flag=V too, nothing after --', () => {
    expect(flagInArgv(['--junit', 'a.xml', '--junit=b.xml'], '--junit')).toBe('b.xml');
    expect(flagInArgv(['--junit-x', 'a', '--', '--junit', 'c'], '--junit')).toBeUndefined();
    expect(flagInArgv(['--junit'], '--junit')).toBeUndefined();
  });
});
