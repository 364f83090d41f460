// The live view and the Prometheus endpoint of a run or sweep (--live, --metrics-listen, --linger):
// settled from the flags before anything starts (a bad address or a taken port is exit 4), fed by the
// LiveTap sink of this process or by the ticks --workers children send, and closed after the run
// (once --linger has passed). The logic lives in src/live.
import type { RunSink } from '../driver/sink.js';
import { MIN_COLS, MIN_ROWS } from '../live/frame.js';
import { LiveModel, type UpcomingPhase } from '../live/model.js';
import { constantLabels, exposition } from '../live/prometheus.js';
import { startMetricsServer, type MetricsServer } from '../live/server.js';
import { LiveTap } from '../live/tap.js';
import { TerminalView, type TtyStream } from '../live/terminal.js';
import type { LiveTick, ServerGauges } from '../live/tick.js';
import { parseDurationMs, usageError } from '../util/errors.js';

export interface LiveFlags {
  live?: boolean;
  metricsListen?: string;
  linger?: string;
  quiet: boolean;
}

/** Where the view's text goes; process.stderr unless a test gives another. */
export interface LiveEnv {
  stream: TtyStream & { isTTY?: boolean };
  ci: boolean;
}

const AUTO_COLS = 80;
const AUTO_ROWS = 20;

/** `--metrics-listen`: "9464", ":9464", "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464" → host and port (host 127.0.0.1 unless given). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw usageError(`--metrics-listen: expected [HOST:]PORT such as 9464 or 127.0.0.1:9464, got "${value}"`);
  }
  const host = m[1] === undefined || m[1] === '' ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

/** Whether the full-screen view is drawn: --live/--no-live, else a terminal big enough outside CI; never with --quiet. */
export function wantsView(flags: LiveFlags, env: LiveEnv): { view: boolean; why: string | null } {
  if (flags.quiet || flags.live === false) return { view: false, why: null };
  const tty = env.stream.isTTY === true;
  const big = (env.stream.columns ?? 0) >= MIN_COLS && (env.stream.rows ?? 0) >= MIN_ROWS;
  if (flags.live === true) {
    if (!tty) return { view: false, why: '--live: stderr is not a terminal; showing the progress line' };
    if (!big) return { view: false, why: `--live: the terminal is smaller than ${MIN_COLS}×${MIN_ROWS}; showing the progress line` };
    return { view: true, why: null };
  }
  // Unasked, only where it surely fits: 80×20 (asked for, MIN_COLS×MIN_ROWS will do).
  return { view: tty && !env.ci && (env.stream.columns ?? 0) >= AUTO_COLS && (env.stream.rows ?? 0) >= AUTO_ROWS, why: null };
}

export interface LiveOpenOptions {
  title: string;
  phases?: UpcomingPhase[];
  /** Processes that will send ticks (--workers N), 1 for this process. */
  sources?: number;
  labels: Record<string, string>;
  log: (message: string) => void;
}

export class LiveOutputs {
  private lastDrawMs = 0;
  private drawTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly model: LiveModel,
    private readonly view: TerminalView | null,
    readonly server: MetricsServer | null,
    private readonly lingerMs: number,
    private readonly log: (m: string) => void,
  ) {}

  /** Settles the flags and starts the endpoint and the view; nothing is started when neither is wanted. */
  static async open(flags: LiveFlags, o: LiveOpenOptions, env: LiveEnv = { stream: process.stderr, ci: process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' }): Promise<LiveOutputs> {
    const listen = flags.metricsListen === undefined ? null : parseListen(flags.metricsListen);
    const lingerMs = flags.linger === undefined ? 0 : parseDurationMs(flags.linger, '--linger');
    if (flags.linger !== undefined && listen === null) throw usageError('--linger keeps the metrics endpoint up after the run: give --metrics-listen [HOST:]PORT too');
    const model = new LiveModel({ title: o.title, phases: o.phases, sources: o.sources });
    const constant = constantLabels(o.labels);
    let server: MetricsServer | null = null;
    if (listen) {
      try {
        server = await startMetricsServer(listen.host, listen.port, () => exposition(model, constant));
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as Error).message;
        throw usageError(`--metrics-listen ${flags.metricsListen}: cannot listen (${code}); pick another port, or 0 for any free one`);
      }
      o.log(`serving live metrics at ${server.url} (Prometheus text format)`);
    }
    const want = wantsView(flags, env);
    if (want.why) o.log(want.why);
    const view = want.view ? new TerminalView(model, env.stream) : null;
    const out = new LiveOutputs(model, view, server, lingerMs, o.log);
    view?.start();
    return out;
  }

  /** The terminal view holds the screen (the progress line is then not drawn). */
  get viewing(): boolean {
    return this.view?.isActive === true;
  }

  /** Anything to feed: the view or the endpoint. */
  get active(): boolean {
    return this.view !== null || this.server !== null;
  }

  /** The sink of an in-process run (one Driver; a sweep gives each step's Driver its own, not final on close). */
  tap(server?: () => ServerGauges | null, finalOnClose = true): RunSink | null {
    if (!this.active) return null;
    return new LiveTap({ emit: (t) => this.apply(t), server, finalOnClose });
  }

  apply(tick: LiveTick): void {
    this.model.apply(tick);
    this.redraw();
  }

  /** Redraws at most five times a second: with workers, ticks of one second arrive one per process. */
  private redraw(): void {
    if (!this.view || this.drawTimer) return;
    const now = performance.now();
    const wait = Math.max(0, this.lastDrawMs + 200 - now);
    this.drawTimer = setTimeout(() => {
      this.drawTimer = null;
      this.lastDrawMs = performance.now();
      this.view?.draw();
    }, wait);
    this.drawTimer.unref();
  }

  /** The sweep's current step, shown under the title. */
  note(text: string): void {
    this.model.note = text;
    this.redraw();
  }

  /** Gives the screen back (before the summary is printed on it). */
  stopView(): void {
    if (this.drawTimer) clearTimeout(this.drawTimer);
    this.drawTimer = null;
    this.model.end();
    if (this.view?.isActive) {
      this.view.draw();
      this.view.stop();
    }
  }

  /** After the result is written: --linger, so the last scrape sees the end. */
  async linger(): Promise<void> {
    if (!this.server || this.lingerMs <= 0) return;
    this.log(`--linger: serving ${this.server.url} for ${this.lingerMs / 1000}s more`);
    await new Promise((r) => setTimeout(r, this.lingerMs));
  }

  async close(): Promise<void> {
    this.stopView();
    await this.server?.close();
  }
}
