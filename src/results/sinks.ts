// The run's file sinks: `--records` (one JSON line per request, streamed, never held whole) and
// `--checkpoint` (the result so far, atomically, every interval). Both are fed by the Driver (records
// and ticks); neither polls it, and neither may slow the measuring loop or fail the run.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RequestRecord } from '../client/record.js';
import type { LiveView, RunSink } from '../driver/sink.js';
import { fsReason, usageError } from '../util/errors.js';
import type { RunResult } from './format.js';
import { writeResult } from './io.js';

/** Lines are batched into writes of about this size. */
const BATCH_BYTES = 64 * 1024;
/** Pending text held while the disk is slower than the run; past this, records are counted as lost. */
const MAX_PENDING_BYTES = 256 * 1024 * 1024;

/**
 * `--records FILE.jsonl`. Lines are joined into ~64 KiB writes; while the stream asks to wait (a slow
 * disk: write() returned false), lines gather in one pending string until 'drain', so the stream's own
 * buffer never grows past one batch. A disk too slow for the run for long (256 MiB pending) loses
 * records, counted and reported, rather than memory without bound or the run's pace. A write error
 * (disk full, file size limit) is said once and stops the records, never the run; the file is then cut
 * back to the last batch the disk took whole, so it never ends mid-line.
 */
export class RecordsFile implements RunSink {
  private pending = '';
  private waitingDrain = false;
  private failed = false;
  private lost = 0;
  /** Bytes of the batches the disk took whole, in order (write callbacks arrive in order). */
  private wholeBytes = 0;

  private constructor(
    private readonly file: string,
    private readonly stream: WriteStream,
    private readonly warn: (message: string) => void,
  ) {
    stream.on('error', (err) => {
      if (this.failed) return;
      this.failed = true;
      this.pending = '';
      warn(`loadshape: --records: writing ${file} failed (${fsReason(err)}); the run goes on without records\n`);
    });
    stream.on('drain', () => {
      this.waitingDrain = false;
      this.flush();
    });
  }

  /** Opens the file before the run: a bad path is a usage error, not a crash mid-run. */
  static async open(file: string, warn: (message: string) => void = (m) => process.stderr.write(m)): Promise<RecordsFile> {
    await mkdir(dirname(file), { recursive: true }).catch((err: unknown) => {
      throw usageError(`--records: cannot write ${file} (${fsReason(err)}); give a writable path`);
    });
    const stream = createWriteStream(file);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) => reject(usageError(`--records: cannot write ${file} (${fsReason(err)}); give a writable path`)));
    });
    return new RecordsFile(file, stream, warn);
  }

  /** Records that could not be written because the disk fell too far behind. */
  get lostRecords(): number {
    return this.lost;
  }

  record(r: RequestRecord): void {
    if (this.failed) return;
    if (this.pending.length > MAX_PENDING_BYTES) {
      this.lost++;
      return;
    }
    this.pending += `${JSON.stringify(r)}\n`;
    if (this.pending.length >= BATCH_BYTES) this.flush();
  }

  tick(): void {
    this.flush();
  }

  async close(): Promise<void> {
    if (!this.failed && !this.waitingDrain) this.flush();
    if (this.waitingDrain && !this.failed) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()).once('error', () => resolve()));
    if (this.pending && !this.failed) this.write(this.pending);
    this.pending = '';
    if (this.lost > 0) this.warn(`loadshape: --records: the disk fell behind; ${this.lost} records were not written to ${this.file}\n`);
    // A write error was already reported; closing never fails the run over records.
    await new Promise<void>((resolve) => (this.stream.destroyed ? resolve() : this.stream.end(() => resolve())));
    if (this.failed) await cutToLastLine(this.file, this.wholeBytes).catch(() => {});
  }

  /** Every batch ends with a newline: counting the ones written whole gives a cut that ends a line. */
  private write(text: string): boolean {
    const bytes = Buffer.byteLength(text);
    return this.stream.write(text, (err) => {
      if (!err && !this.failed) this.wholeBytes += bytes;
    });
  }

  private flush(): void {
    if (this.failed || this.waitingDrain || this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    if (!this.write(text)) this.waitingDrain = true;
  }
}

/**
 * A failed write may have left part of a batch after the last batch the disk took whole: keep the lines
 * of it that landed whole, cut the rest, so the file ends with a complete line.
 */
async function cutToLastLine(file: string, wholeBytes: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const { size } = await fh.stat();
    const tail = Buffer.alloc(Math.max(0, size - wholeBytes));
    if (tail.length > 0) await fh.read(tail, 0, tail.length, wholeBytes);
    const lastNewline = tail.lastIndexOf(0x0a);
    await fh.truncate(lastNewline >= 0 ? wholeBytes + lastNewline + 1 : wholeBytes);
  } finally {
    await fh.close();
  }
}

/**
 * `--checkpoint`: on the tick after each interval, the result so far (built synchronously: the
 * histograms are live) is written to `file` atomically. A write still under way skips a beat rather
 * than queueing writes; close() waits for it.
 */
export class Checkpoints implements RunSink {
  private writing: Promise<void> = Promise.resolve();
  private busy = false;
  private lastAtMs = 0;

  constructor(
    private readonly file: string,
    private readonly everyMs: number,
    private readonly build: (view: LiveView) => RunResult,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(m),
  ) {}

  tick(view: LiveView): void {
    if (this.busy || view.atMs - this.lastAtMs < this.everyMs - 1) return;
    this.lastAtMs = view.atMs;
    this.busy = true;
    const result = this.build(view);
    this.writing = writeResult(this.file, result)
      .catch((err: unknown) => this.warn(`loadshape: checkpoint ${this.file} not written (${(err as Error).message})\n`))
      .finally(() => {
        this.busy = false;
      });
  }

  async close(): Promise<void> {
    await this.writing;
  }
}
