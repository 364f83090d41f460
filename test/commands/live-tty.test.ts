// The live view in a real pseudo-terminal (util-linux `script`): drawn at the terminal's size,
// redrawn at the new size after a resize, and the terminal given back on Ctrl-C (typed as ^C, so
// the terminal itself sends SIGINT) with the result still written.
import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LEAVE } from '../../src/live/terminal.js';
import { CLI, fixture, readOnlyResult, ROOT, tempDir } from './helpers.js';

const HAS_SCRIPT = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return process.platform === 'linux';
  } catch {
    return false;
  }
})();

/** Frames after the last clear before `end`: every absolutely placed line, as [row, text]. */
function placed(out: string, end: number): [number, string][] {
  const from = out.lastIndexOf('\x1b[2J', end - 1);
  const re = /\x1b\[(\d+);1H([^\x1b]*)/g;
  const seg = out.slice(from, end);
  const lines: [number, string][] = [];
  let m: RegExpExecArray | null;
  // The terminal's own echo of the typed ^C lands at the cursor (the last line's end): not the view's output.
  // The view parks the cursor at the last line's start after each frame (an empty placement).
  while ((m = re.exec(seg)) !== null) {
    const text = m[2].replace(/\^C/, '');
    if (text !== '') lines.push([Number(m[1]), text]);
  }
  return lines;
}

describe.skipIf(!HAS_SCRIPT)('the live view in a pseudo-terminal', () => {
  it('fits the terminal, redraws at the new size on a resize, and leaves the terminal clean on Ctrl-C', async () => {
    const out = tempDir();
    const cmd = `stty cols 100 rows 30; (sleep 3; stty cols 72 rows 18 < /dev/tty) & exec ${process.execPath} ${CLI} run ${fixture('timing.yaml')} --concurrency 4 --duration 30s --out ${out}`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env: { ...process.env, CI: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let tty = '';
    child.stdout.setEncoding('utf8'); // a '·' split across two reads stays one character
    child.stdout.on('data', (d: string) => (tty += d));
    // ^C once the resized frame is up (the run would go on for 30 s).
    const typed = setInterval(() => {
      if (/\x1b\[18;1H/.test(tty.slice(tty.lastIndexOf('\x1b[2J'))) && !/\x1b\[19;1H/.test(tty.slice(tty.lastIndexOf('\x1b[2J')))) {
        clearInterval(typed);
        setTimeout(() => child.stdin.write('\x03'), 1200);
      }
    }, 100);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(typed);
    expect(code, tty.slice(-2000)).toBe(0);
    const enter = tty.indexOf('\x1b[?1049h');
    const leave = tty.lastIndexOf(LEAVE);
    expect(enter).toBeGreaterThanOrEqual(0);
    expect(leave).toBeGreaterThan(enter);
    // Before the resize: 100 × 30 frames; after it: nothing beyond 72 × 18.
    const firstClear = tty.indexOf('\x1b[2J', enter);
    const firstFrame = placed(tty, tty.indexOf('\x1b[2J', firstClear + 1) > 0 ? tty.indexOf('\x1b[2J', firstClear + 1) : leave);
    expect(Math.max(...firstFrame.map(([r]) => r))).toBe(30);
    expect(firstFrame.filter(([, t]) => t.length !== 100)).toEqual([]);
    const resized = placed(tty, leave);
    expect(resized.length).toBeGreaterThan(0);
    expect(Math.max(...resized.map(([r]) => r))).toBe(18);
    expect(resized.filter(([, t]) => t.length !== 72)).toEqual([]);
    // Ctrl-C: the view gives the screen back once, shows the cursor, then the summary is printed on the normal screen.
    expect(tty.split('\x1b[?1049h').length - 1).toBe(1);
    expect(tty.split('\x1b[?1049l').length - 1).toBe(1);
    const after = tty.slice(leave + LEAVE.length);
    expect(after).not.toMatch(/\x1b\[\d+;1H/); // no frame drawn after the view ended
    expect(after).toMatch(/SIGINT: stopping the run/);
    expect(after).toMatch(/INTERRUPTED/);
    expect(after).toMatch(/result: /);
    expect(readOnlyResult(out).meta.interrupted).toBe(true);
  });
});
