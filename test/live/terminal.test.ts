import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LiveModel } from '../../src/live/model.js';
import { ENTER, LEAVE, TerminalView } from '../../src/live/terminal.js';

/** A terminal as the view sees it: a size, a write, resize events; everything written is kept. */
class FakeTty extends EventEmitter {
  out = '';
  isTTY = true;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    this.out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }
  resize(cols: number, rows: number): void {
    this.columns = cols;
    this.rows = rows;
    this.emit('resize');
  }
}

/** Replays the absolute-positioned writes onto a grid of `rows` × `cols`, as a terminal would. */
function screen(out: string, cols: number, rows: number): string[] {
  const grid = Array.from({ length: rows }, () => ' '.repeat(cols));
  const re = /\x1b\[(\d+);1H([^\x1b]*)/g;
  let m: RegExpExecArray | null;
  const lastClear = out.lastIndexOf('\x1b[2J');
  const tail = out.slice(lastClear >= 0 ? lastClear : 0);
  while ((m = re.exec(tail)) !== null) {
    const row = Number(m[1]) - 1;
    expect(row).toBeLessThan(rows); // never below the screen: it would scroll
    expect(m[2].length).toBeLessThanOrEqual(cols); // never wider: it would wrap
    grid[row] = m[2] + grid[row].slice(m[2].length); // (the cursor parked after a frame places nothing)
  }
  return grid;
}

function model(): LiveModel {
  const m = new LiveModel({ title: 'mixed → http://127.0.0.1:8000/v1' });
  m.atMs = 5000;
  return m;
}

describe('the live view on a terminal', () => {
  it('takes the alternate screen, hides the cursor and draws a frame of the terminal size', () => {
    const tty = new FakeTty(100, 30);
    const proc = new EventEmitter();
    const v = new TerminalView(model(), tty, proc);
    v.start();
    expect(tty.out.startsWith(ENTER)).toBe(true);
    const rows = screen(tty.out, 100, 30);
    expect(rows[0]).toContain('loadshape · mixed');
    v.stop();
  });

  it('redraws at the new size after clearing on a resize (and on a forwarded SIGWINCH), leaving nothing of the old frame', () => {
    const tty = new FakeTty(120, 40);
    const proc = new EventEmitter();
    const m = model();
    const v = new TerminalView(m, tty, proc);
    v.start();
    tty.resize(70, 14);
    const after = tty.out.slice(tty.out.lastIndexOf('\x1b[2J'));
    expect(after.length).toBeGreaterThan(0);
    const rows = screen(tty.out, 70, 14);
    expect(rows).toHaveLength(14);
    expect(rows[0]).toMatch(/^loadshape · mixed/);
    const writesBefore = tty.out.length;
    tty.columns = 90;
    tty.rows = 20;
    proc.emit('SIGWINCH');
    expect(tty.out.length).toBeGreaterThan(writesBefore);
    expect(screen(tty.out, 90, 20)[0]).toContain('elapsed 0:05');
    v.stop();
  });

  it('sends only the lines that changed between two frames of the same size', () => {
    const tty = new FakeTty(100, 30);
    const m = model();
    const v = new TerminalView(m, tty, new EventEmitter());
    v.start();
    const before = tty.out.length;
    v.draw();
    expect(tty.out.length).toBe(before); // nothing changed, nothing sent
    m.atMs = 65_000;
    v.draw();
    const sent = tty.out.slice(before);
    expect(sent).toMatch(/^\x1b\[1;1H[^\x1b]*elapsed 1:05[^\x1b]*\x1b\[30;1H$/); // one line, then the cursor parked
    expect(sent.match(/\x1b\[\d+;1H/g)).toHaveLength(2);
    // A line written by someone else meanwhile: the next frame is drawn whole, on a cleared screen.
    const mark = tty.out.length;
    tty.write('draining\n');
    v.draw();
    expect(tty.out.slice(mark)).toMatch(/^\x1b\[2J\x1b\[1;1H/);
    expect(screen(tty.out, 100, 30)[0]).toContain('elapsed 1:05');
    v.stop();
  });

  it('gives the screen back on stop: cursor shown, normal screen, and the lines written meanwhile printed there', () => {
    const tty = new FakeTty(100, 30);
    const proc = new EventEmitter();
    const m = model();
    const v = new TerminalView(m, tty, proc);
    v.start();
    tty.write('\nSIGINT: stopping the run; draining 4 in-flight requests\n');
    tty.write('\r\x1b[2K[main] 3s · done 1\r\x1b[2K[main] 4s · done 2\n');
    expect(m.log).toEqual(['SIGINT: stopping the run; draining 4 in-flight requests', '[main] 4s · done 2']);
    v.draw();
    expect(screen(tty.out, 100, 30).join('\n')).toContain('SIGINT: stopping the run');
    v.stop();
    const end = tty.out.slice(tty.out.lastIndexOf(LEAVE));
    expect(end).toBe(`${LEAVE}SIGINT: stopping the run; draining 4 in-flight requests\n[main] 4s · done 2\n`);
    // Writes after the view go straight to the terminal again, and the view does not redraw.
    tty.write('summary\n');
    tty.resize(80, 24);
    expect(tty.out.endsWith('summary\n')).toBe(true);
    expect(tty.listenerCount('resize')).toBe(0);
    expect(proc.listenerCount('exit')).toBe(0);
    expect(proc.listenerCount('SIGWINCH')).toBe(0);
  });

  it('gives the screen back before an uncaught exception is printed, so the error stays readable', () => {
    const tty = new FakeTty(100, 30);
    const proc = new EventEmitter();
    const v = new TerminalView(model(), tty, proc);
    v.start();
    proc.emit('uncaughtExceptionMonitor', new Error('boom'));
    expect(tty.out.endsWith(LEAVE)).toBe(true);
    expect(proc.listenerCount('uncaughtExceptionMonitor')).toBe(0);
  });

  it('restores the terminal when the process exits without stopping the view (a crash, process.exit)', () => {
    const tty = new FakeTty(100, 30);
    const proc = new EventEmitter();
    const v = new TerminalView(model(), tty, proc);
    v.start();
    proc.emit('exit');
    expect(tty.out.endsWith(LEAVE)).toBe(true);
    expect(v.isActive).toBe(false);
    // Balanced: one enter, one leave, the cursor hidden once and shown once.
    expect(tty.out.split('\x1b[?1049h').length - 1).toBe(1);
    expect(tty.out.split('\x1b[?1049l').length - 1).toBe(1);
    expect(tty.out.split('\x1b[?25l').length - 1).toBe(1);
    expect(tty.out.split('\x1b[?25h').length - 1).toBe(1);
    v.stop(); // idempotent
    expect(tty.out.split('\x1b[?1049l').length - 1).toBe(1);
  });
});
