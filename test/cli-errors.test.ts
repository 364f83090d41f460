// Issue 17, item 13: no stack traces for user errors, anywhere. Each failure a user can fix is one line
// naming the file or flag and the fix (exit 4, 5 for an unreachable target); exit 70 is left for true
// bugs, and says where to report them.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, EXIT_INTERNAL } from '../src/cli-errors.js';
import { usageError } from '../src/util/errors.js';
import { closedPort, fixture, readOnlyResult, runCli, tempDir } from './commands/helpers.js';

describe('what the CLI prints for an error', () => {
  it('a bug (any error that is not the user\'s) is exit 70 with the stack and where to report it', () => {
    const f = describeFailure(new TypeError("Cannot read properties of undefined (reading 'x')"), 4);
    expect(f.exitCode).toBe(EXIT_INTERNAL);
    expect(f.message).toMatch(/^loadshape: internal error \(a bug in loadshape [\d.]+, not in your input\): TypeError: Cannot read properties/);
    expect(f.message).toMatch(/\n\s+at /);
    expect(f.message).toMatch(/Please report it at .+ with the command line and this output\.$/);
  });

  it("a file-system error the user caused is one line naming the path, with no stack", () => {
    const err = Object.assign(new Error("ENOTDIR: not a directory, open '/etc/passwd/x'"), { code: 'ENOTDIR', syscall: 'open', path: '/etc/passwd/x' });
    const f = describeFailure(err, 4);
    expect(f).toEqual({
      exitCode: 4,
      message: 'loadshape: cannot open /etc/passwd/x (ENOTDIR: a part of the path is a file, not a directory); fix the path, its permissions or free space, and rerun',
    });
    expect(describeFailure(usageError('--rate: expected a positive number'), 4)).toEqual({ exitCode: 4, message: 'loadshape: --rate: expected a positive number' });
  });
});

describe('user errors across the commands: one line, no stack trace', () => {
  let dir: string;
  let good: string;
  let blocker: string;
  beforeAll(async () => {
    dir = tempDir();
    blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file where a directory is needed\n');
    mkdirSync(join(dir, 'adir'));
    writeFileSync(join(dir, 'binary.bin'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256)));
    const out = join(dir, 'results');
    const r = await runCli(['run', fixture('timing.yaml'), '--concurrency', '1', '--requests', '2', '--sim-ttft', '1', '--sim-itl', '1', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    readOnlyResult(out);
    good = join(out, readdirSync(out)[0]);
  }, 60_000);

  // [args, exit code, what the line must name]
  const cases: [string, () => string[], number, RegExp][] = [
    ['report of a directory', () => ['report', join(dir, 'adir')], 4, /adir: cannot read \(EISDIR\)/],
    ['report --html under a file', () => ['report', good, '--html', join(blocker, 'r.html')], 4, /blocker\/r\.html: cannot write \(ENOTDIR\)/],
    ['export --out under a file', () => ['export', 'csv', good, '--out', join(blocker, 'x.csv')], 4, /blocker\/x\.csv: cannot write/],
    ['merge --out under a file', () => ['merge', good, good, '--out', join(blocker, 'm.json')], 4, /--out: cannot write .*blocker\/m\.json \(.*is a file, not a directory\)/],
    ['compare --html under a file', () => ['compare', good, good, '--html', join(blocker, 'c.html')], 4, /blocker\/c\.html: cannot write/],
    ['a binary --trace', () => ['run', '--trace', join(dir, 'binary.bin'), '--quiet'], 4, /--trace: .*binary\.bin/],
    ['a binary --sim-config', () => ['run', fixture('timing.yaml'), '--sim-config', join(dir, 'binary.bin'), '--quiet'], 4, /--sim-config: .*binary\.bin/],
    ['a directory as --api-key-file', () => ['run', fixture('timing.yaml'), '--api-key-file', join(dir, 'adir'), '--quiet'], 4, /--api-key-file: cannot read .*adir \(EISDIR\)/],
    ['sweep --out under a file', () => ['sweep', fixture('timing.yaml'), '--slo', 'ttft.p95 < 1s', '--out', join(blocker, 'x')], 4, /--out: cannot write .*blocker\/x/],
    ['sim --config under a file', () => ['sim', '--config', join(blocker, 'sim.yaml')], 4, /--config: cannot read .*blocker\/sim\.yaml/],
  ];
  it.each(cases)('%s', async (_what, args, code, names) => {
    const r = await runCli(args());
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(names);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(r.stderr.length).toBeLessThan(600);
  });

  it('a typo\'d option is the error, commander\'s "Did you mean" and a --help hint: three lines, not the whole help', async () => {
    const r = await runCli(['run', '--concurency', '2']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("error: unknown option '--concurency'\n(Did you mean --concurrency?)\n(add --help for the options)\n");
    expect(r.stdout).toBe('');
  });

  it('an unreachable target is exit 5 with one line', async () => {
    const r = await runCli(['run', fixture('timing.yaml'), '--target', `http://127.0.0.1:${await closedPort()}/v1`, '--out', join(dir, 'r5'), '--quiet']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^loadshape: http:\/\/127\.0\.0\.1:\d+\/v1\/models: could not discover the model \(ECONNREFUSED\); pass --model NAME, or check --target\n$/);
  });
});
