// Nothing lost to a bad or failing output path (issue 17, item 4): every path a run writes is checked
// before the first request; a write that fails at the end still leaves the summary and a result
// somewhere said; a disk that fills mid-run leaves whole record lines and no temp files.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import { readResult } from '../../src/results/io.js';
import { CLI, ROOT, fixture, runCli, tempDir } from './helpers.js';

/** Every file under `dir`, recursively (relative names). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
}

describe('output paths', () => {
  let sim: SimServer;
  let requests = 0;
  beforeAll(async () => {
    sim = await startSimulator({ profile: 'fixed', ttftMs: 1, itlMs: 1, prefillMsPerToken: 0, onRequest: () => requests++ });
  });
  afterAll(() => sim.close());
  const target = () => ['--target', sim.url, '--model', 'loadshape-sim', '--server-metrics', 'none'];

  it.each([
    ['--out', (blocker: string) => ['--out', join(blocker, 'results')], /--out: cannot write .*blocker\/results \(.*blocker is a file, not a directory\); give a writable path/],
    ['--records', (blocker: string) => ['--records', join(blocker, 'r.jsonl')], /--records: cannot write .*blocker\/r\.jsonl \(.*blocker is a file, not a directory\)/],
    ['--junit', (blocker: string) => ['--junit', join(blocker, 'j.xml'), '--slo', 'ttft.p95 < 5s'], /--junit: cannot write .*blocker\/j\.xml \(.*\); no JUnit file can be written there, so this message is the only report/],
    ['--summary-md', (blocker: string) => ['--summary-md', join(blocker, 's.md'), '--slo', 'ttft.p95 < 5s'], /--summary-md: cannot write .*blocker\/s\.md \(.*blocker is a file, not a directory\)/],
    ['--out (a file)', (blocker: string) => ['--out', blocker], /--out: cannot write .*blocker \(it is a file, not a directory\)/],
  ])('an impossible %s path is refused before the first request: exit 4 naming the flag, the path and why', async (_flag, args, message) => {
    const dir = tempDir();
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file where a directory is needed\n');
    const before = requests;
    const flags = args(blocker);
    const out = flags.includes('--out') ? [] : ['--out', join(dir, 'results')];
    const r = await runCli(['run', fixture('timing.yaml'), ...target(), '--concurrency', '1', '--requests', '3', '--quiet', ...out, ...flags]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line, no stack trace
    expect(requests).toBe(before);
    expect(filesUnder(dir)).toEqual(['blocker']); // no probe or temp file left behind
  });

  it('when the result cannot be written at the end, the summary is printed and the result goes to the temp dir, said on stderr', async () => {
    const dir = tempDir();
    const out = join(dir, 'results');
    const records = join(dir, 'records.jsonl');
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    // ≈ 2 s of requests; once they flow, --out is replaced by a file, so the final write fails.
    const child = spawn(process.execPath, [CLI, 'run', fixture('timing.yaml'), ...target(), '--concurrency', '2', '--requests', '120', '--quiet', '--out', out, '--records', records], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const end = Date.now() + 30_000;
    while (!(existsSync(records) && readFileSync(records, 'utf8').length > 0)) {
      if (Date.now() > end) throw new Error('no record was written');
      await new Promise((r) => setTimeout(r, 25));
    }
    rmSync(out, { recursive: true, force: true });
    writeFileSync(out, 'not a directory any more\n');
    const code = await exited;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^phase cli/m); // the summary
    const saved = /^result: (.+)$/m.exec(stdout)?.[1];
    expect(saved).toBe(join(tmp, readdirSync(tmp)[0]));
    expect(stderr).toMatch(new RegExp(`cannot write the result to ${out}/\\S+\\.json \\(.+\\); writing it to ${tmp}/\\S+\\.json instead`));
    const result = await readResult(saved!);
    expect(result.phases[0].groups.find((g) => g.class === '*')?.requests).toBe(120);
    expect(readdirSync(tmp)).toHaveLength(1);
  });

  it('a disk that fills mid-run (a file size limit): records end on a whole line, no temp file is left, the summary is printed and both failed writes are named', async () => {
    const dir = tempDir();
    const out = join(dir, 'results');
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const records = join(dir, 'records.jsonl');
    // ulimit -f 8: files stop at 4 KiB (512-byte blocks in sh), far below both the records and the result.
    const args = [CLI, 'run', fixture('timing.yaml'), ...target(), '--concurrency', '2', '--requests', '60', '--quiet', '--out', out, '--records', records];
    const child = spawn('sh', ['-c', `ulimit -f 8 && exec "$0" "$@"`, process.execPath, ...args], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code, stderr).toBe(4);
    expect(stdout).toMatch(/^phase cli/m);
    expect(stderr).toMatch(/--records: writing .*records\.jsonl failed \(EFBIG: .*\); the run goes on without records/);
    expect(stderr).toMatch(/the result was not written: .* both failed; free some space or fix --out/);
    expect(stderr).not.toMatch(/\n\s+at /);
    const text = readFileSync(records, 'utf8');
    expect(text.length).toBeGreaterThan(0);
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(filesUnder(out)).toEqual([]);
    expect(filesUnder(tmp)).toEqual([]);
  });
});
