// The live view's terminal edge: holds the alternate screen while the run goes, draws a frame of
// live/frame.ts each second and at once on a resize (cleared first, so nothing of the old size
// stays), and gives the screen back on stop, on process exit, and before a fatal error is printed, with the cursor
// shown again. Lines the process writes to the stream meanwhile (Ctrl-C's "draining…", sweep steps)
// are kept: shown in the frame, and printed on the normal screen once the view ends. The stream and
// the process are injected so a test drives it with a fake TTY.
import { renderFrame } from './frame.js';
import type { LiveModel } from './model.js';

export const ENTER = '\x1b[?1049h\x1b[?25l';
export const LEAVE = '\x1b[?25h\x1b[?1049l';
const CLEAR = '\x1b[2J';

export interface TtyStream {
  readonly columns: number;
  readonly rows: number;
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean;
  /** A TTY's size read now (tty.WriteStream): [columns, rows]. */
  getWindowSize?(): [number, number];
  on(event: 'resize', fn: () => void): unknown;
  off(event: 'resize', fn: () => void): unknown;
}

/** What the view needs of the process: to restore the screen whatever way it ends. */
export interface ProcessHooks {
  on(event: 'exit' | 'SIGWINCH' | 'uncaughtExceptionMonitor', fn: () => void): unknown;
  off(event: 'exit' | 'SIGWINCH' | 'uncaughtExceptionMonitor', fn: () => void): unknown;
}

export class TerminalView {
  private active = false;
  private write: TtyStream['write'];
  private partial = '';
  private readonly captured: string[] = [];
  private disturbed = false;
  /** What is on the screen now. */
  private drawn: { cols: number; rows: number; lines: string[] } = { cols: 0, rows: 0, lines: [] };
  private readonly onResize = () => this.draw(true);
  private readonly onExit = () => this.stop();

  constructor(
    private readonly model: LiveModel,
    private readonly stream: TtyStream,
    private readonly proc: ProcessHooks = process,
  ) {
    this.write = stream.write.bind(stream);
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.write(ENTER); // the first draw clears the screen
    // Whatever else writes to the stream while the view holds the screen becomes a log line of the view.
    const capture = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      this.capture(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    };
    (this.stream as { write: TtyStream['write'] }).write = capture;
    this.stream.on('resize', this.onResize);
    this.proc.on('exit', this.onExit);
    // Before Node prints a fatal error: on the normal screen, where it stays readable.
    this.proc.on('uncaughtExceptionMonitor', this.onExit);
    // A run re-executed by cli.ts has no controlling terminal: its parent forwards SIGWINCH, and the size is read afresh.
    this.proc.on('SIGWINCH', this.onResize);
    this.draw(false);
  }

  private capture(text: string): void {
    this.disturbed = true;
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) {
      // A progress line redraws itself with \r: only what is after the last one is the line.
      const line = p.slice(p.lastIndexOf('\r') + 1).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      if (line.trim() === '') continue;
      this.captured.push(line);
      this.model.addLog(line);
    }
  }

  /** Draws the model now (each second, and on a resize after clearing the screen). */
  draw(clear = false): void {
    if (!this.active) return;
    const [cols, rows] = this.size();
    const lines = renderFrame(this.model, cols, rows).split('\n');
    // A new size (or a forced clear) redraws everything on a cleared screen; otherwise only the lines
    // that changed are sent (a second's frame differs in a few numbers).
    // Anything else written meanwhile (a log line, the terminal's own ^C echo) may have moved or
    // scrolled the screen: then everything is drawn again.
    const full = clear || this.disturbed || cols !== this.drawn.cols || rows !== this.drawn.rows;
    this.disturbed = false;
    // Each line is placed by absolute position: no line wraps or scrolls, whatever its content.
    let out = full ? CLEAR : '';
    for (let i = 0; i < lines.length; i++) if (full || lines[i] !== this.drawn.lines[i]) out += `\x1b[${i + 1};1H${lines[i]}`;
    this.drawn = { cols, rows, lines };
    // The cursor waits at the start of the last line: an echoed ^C there overwrites two characters
    // until the next frame, instead of wrapping past the last column and scrolling the screen.
    if (out !== '') this.write(`${out}\x1b[${rows};1H`);
  }

  size(): [number, number] {
    let size: [number, number] = [this.stream.columns, this.stream.rows];
    try {
      size = this.stream.getWindowSize?.() ?? size;
    } catch {
      // a closed terminal: keep the last known size
    }
    return [size[0] || 80, size[1] || 24];
  }

  /** Gives the screen back: cursor shown, normal screen, and the lines written meanwhile printed there. */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    (this.stream as { write: TtyStream['write'] }).write = this.write;
    this.stream.off('resize', this.onResize);
    this.proc.off('exit', this.onExit);
    this.proc.off('uncaughtExceptionMonitor', this.onExit);
    this.proc.off('SIGWINCH', this.onResize);
    if (this.partial.trim() !== '') this.captured.push(this.partial);
    this.partial = '';
    const kept = this.captured.splice(0).slice(-50);
    this.write(LEAVE + (kept.length > 0 ? `${kept.join('\n')}\n` : ''));
  }

  get isActive(): boolean {
    return this.active;
  }
}
