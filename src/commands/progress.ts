// The progress line on stderr, as a sink of the run's one-second tick: redrawn every second on a
// terminal, a plain line every 5 s otherwise (CI logs). Its recent TTFT p50 covers the requests that
// finished since the line before.
import type { RequestRecord } from '../client/record.js';
import type { LiveView, RunSink } from '../driver/sink.js';
import { newHistogram, percentileMs, recordMs } from '../metrics/histogram.js';

export class ProgressLine implements RunSink {
  private readonly recentTtft = newHistogram();
  private recentDone = 0;
  private lastAtMs = 0;
  private drawn = false;

  constructor(
    private readonly tty: boolean,
    private readonly write: (text: string) => void = (t) => process.stderr.write(t),
    private readonly everyMs = tty ? 1000 : 5000,
  ) {}

  record(r: RequestRecord): void {
    this.recentDone++;
    if (r.status === 'ok' && r.ttftMs !== null) recordMs(this.recentTtft, r.ttftMs);
  }

  tick(v: LiveView): void {
    if (v.atMs - this.lastAtMs < this.everyMs - 1 || v.phase === null) return;
    const rps = this.recentDone / ((v.atMs - this.lastAtMs) / 1000);
    const p50 = this.recentTtft.totalCount > 0 ? `${percentileMs(this.recentTtft, 50).toFixed(1)} ms` : '-';
    const line = `[${v.phase.name}] ${((v.atMs - v.phaseStartedAtMs) / 1000).toFixed(0)}s · done ${v.done} · errors ${v.errors} · in flight ${v.inFlight} · ${rps.toFixed(1)} req/s · TTFT p50 ${p50}`;
    this.write(this.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    this.drawn = true;
    this.lastAtMs = v.atMs;
    this.recentDone = 0;
    this.recentTtft.reset();
  }

  close(): void {
    if (this.tty && this.drawn) this.write('\r\x1b[2K');
  }
}
