// Options are declared once (src/commands/options.ts) and typed; these tests check that each declared
// option arrives under its own name with the value given, is read by the code behind its command, and
// survives the trip to a --workers child as JSON.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from '@commander-js/extra-typings';
import { abCli, campaignCli, campaignReportCli, compareCli, exportCli, mergeCli, probeCli, reportCli, runCli, runDefaults, simCli, sweepCli } from '../../src/commands/options.js';
import { workerOptions } from '../../src/commands/run-workers.js';
import { readEnvelope } from '../../src/commands/worker.js';
import { VERSION } from '../../src/version.js';
import { ROOT } from './helpers.js';

type AnyCommand = Command<unknown[], Record<string, unknown>>;
const COMMANDS: [string, () => AnyCommand][] = [
  ['run', runCli], ['sweep', sweepCli], ['ab', abCli], ['probe', probeCli], ['report', reportCli], ['compare', compareCli], ['export', exportCli], ['merge', mergeCli], ['sim', simCli],
  ['campaign', campaignCli], ['campaign report', campaignReportCli],
];

/** A value this option accepts, and what its parsed value must then be. */
function sample(o: Option): { argv: string[]; expected: unknown } {
  if (o.negate) return { argv: [o.long!], expected: false };
  if (!o.required && !o.optional) return { argv: [o.long!], expected: true };
  const choices = (o as unknown as { argChoices?: string[] }).argChoices;
  const raw = choices ? choices[choices.length - 1] : o.parseArg ? '3' : o.long === '--shard' ? '0/1' : 'x';
  const parsed = o.parseArg ? o.parseArg(raw, o.defaultValue as never) : raw;
  const variadic = Array.isArray(o.defaultValue);
  return { argv: [o.long!, raw], expected: variadic ? [raw] : parsed };
}

/** Every source file of the commands and their CLI wiring, to find where an option is read. */
const SOURCES = [
  ...readdirSync(join(ROOT, 'src/commands')).map((f) => readFileSync(join(ROOT, 'src/commands', f), 'utf8')),
].join('\n');

describe.each(COMMANDS)('%s options', (name, make) => {
  const options = make().options.filter((o) => o.long !== '--help');

  it.each(options.map((o) => [o.long!, o] as const))('%s arrives under its own name with the value given', (_flag, option) => {
    const cmd = make().exitOverride();
    const { argv, expected } = sample(option);
    const required = cmd.options.filter((o) => o.mandatory && o !== option).flatMap((o) => [o.long!, 'http://127.0.0.1:1/v1']);
    cmd.parseOptions([...required, ...argv]);
    expect(cmd.opts()[option.attributeName()]).toEqual(expected);
  });

  it.each(options.map((o) => [o.long!, o.attributeName()] as const))('%s is read by the code behind the command', (_flag, attr) => {
    // Declared but never read is how a flag silently does nothing (sweep once took no --insecure).
    expect(SOURCES).toMatch(new RegExp(`\\.${attr}\\b`));
  });
});

describe('--workers children', () => {
  it('receive every run option as parsed, as JSON, with shard, directory and start instant of their own', () => {
    const cmd = runCli().exitOverride();
    const argv = cmd.options.filter((o) => o.long !== '--help').flatMap((o) => sample(o).argv);
    cmd.parseOptions(argv);
    const parsed = { ...cmd.opts(), workload: 'mixed' };
    const child = workerOptions(parsed, 1, 2, '/tmp/w1', 1234, 'http://127.0.0.1:9/v1', '/tmp/r1.jsonl');
    const back = readEnvelope(JSON.stringify({ loadshapeVersion: VERSION, options: child }), 'w1.options.json');
    for (const [k, v] of Object.entries(parsed)) {
      if (['shard', 'out', 'quiet', 'workers', 'startAt', 'checkpoint', 'records', 'target', 'live', 'metricsListen', 'linger'].includes(k)) continue;
      expect(back[k as keyof typeof back], k).toEqual(v);
    }
    expect(back).toMatchObject({ shard: '1/2', out: '/tmp/w1', quiet: true, workers: 1, startAt: 1234, target: 'http://127.0.0.1:9/v1', records: '/tmp/r1.jsonl' });
    expect(back.checkpoint).toBeUndefined();
    // The parent serves the live view and the endpoint: a worker binds no port and draws nothing.
    expect(back).toMatchObject({ live: false });
    expect(back.metricsListen).toBeUndefined();
    expect(back.linger).toBeUndefined();
  });

  it('refuse options from another version or that run does not declare', () => {
    expect(() => readEnvelope(JSON.stringify({ loadshapeVersion: '0.0.0', options: {} }), 'f.json')).toThrow(/written by loadshape 0\.0\.0/);
    expect(() => readEnvelope(JSON.stringify({ loadshapeVersion: VERSION, options: { noSuchFlag: 1 } }), 'f.json')).toThrow(/unknown option noSuchFlag/);
    expect(readEnvelope(JSON.stringify({ loadshapeVersion: VERSION, options: {} }), 'f.json')).toEqual(runDefaults());
  });
});
