// Client, step 1 of 2 on the hot path: response body bytes → Server-Sent Events.
// A pure incremental decoder (WHATWG HTML "event stream" parsing) that works on bytes, not text:
// line ends are found in the bytes (LF with Buffer#indexOf, a native memchr; CR with one cached
// search per read), and only a `data:` value or an `event:` name is decoded to a string, once,
// when its line is complete. Line ends are ASCII, so they never fall inside a UTF-8 character,
// and decoding whole lines is correct however the bytes were split into reads.
// stream.ts interprets the events; openai.ts feeds the network reads.

/** Receives decoded events. `event` is the `event:` field, or undefined for the default ("message"). */
export interface SseSink {
  onEvent(data: string, event: string | undefined): void;
  /**
   * A non-standard `error:` field (older llama.cpp servers reported mid-stream failures so, then
   * sent `data: [DONE]`). Called when its line completes; a browser would ignore it, but a client
   * that ignores it counts a failed generation as a clean one.
   */
  onErrorField?(value: string): void;
}

/** Default limit on one event: 16 MiB (single events over 100 KB exist; runaway streams do not end). */
export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

/**
 * An event grew past `maxEventBytes` before its end. Thrown out of `push`/`end`; the caller
 * classifies the request as `malformed` (StreamReader in stream.ts does this).
 */
export class SseOverflowError extends Error {
  readonly code = 'sse_overflow';
  constructor(
    readonly limitBytes: number,
    readonly seenBytes: number,
  ) {
    super(`SSE event over the size limit: more than ${limitBytes} bytes without an event end`);
    this.name = 'SseOverflowError';
  }
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Node's Buffer#utf8Slice: what toString('utf8', start, end) calls after checking its arguments. */
interface Utf8SliceBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}
// Calling it directly skips toString's argument normalisation, ~5% of the whole hot path.
const HAS_UTF8_SLICE = typeof (Buffer.prototype as Partial<Utf8SliceBuffer>).utf8Slice === 'function';

/** Decodes bytes [start, end) of `buf`; invalid sequences become U+FFFD. */
function utf8(buf: Buffer, start: number, end: number): string {
  return HAS_UTF8_SLICE ? (buf as Utf8SliceBuffer).utf8Slice(start, end) : buf.toString('utf8', start, end);
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Incremental SSE decoder. Feed it every read of the body with `push`, then call `end`.
 *
 * Follows the WHATWG event-stream rules: lines end with LF, CRLF or CR (a CRLF split across two
 * reads counts once); a leading UTF-8 BOM is skipped; `:` lines are comments; a field is
 * `name:value` with one optional space after the colon removed, or a bare `name` with an empty
 * value; `data` values are joined with "\n"; `event` sets the event name; `id`, `retry` and
 * unknown fields are ignored (except `error`, see SseSink.onErrorField); a blank line dispatches the event if it had at least one `data`
 * line (so `data:` alone dispatches an empty string) and otherwise just resets the event name.
 *
 * Deliberate differences from a browser:
 * - `end` dispatches a last event that lacks its terminating blank line (or even its last line
 *   end): many servers omit it, and dropping the final `[DONE]` or usage chunk would be worse.
 * - Size limit: when the bytes held for one event (its `data` values so far plus an unfinished
 *   line) exceed `maxEventBytes`, `push`/`end` throw `SseOverflowError`. The decoder is then
 *   failed: every later `push`/`end` throws the same error. Nothing is dispatched past the limit.
 *
 * Buffers: the decoder keeps views of (not copies of) the bytes of an unfinished line until the
 * line ends, and copies them once then. Do not modify or reuse a chunk after passing it to `push`;
 * undici and Node streams hand out a fresh buffer per read. Work per byte is O(1): each new byte
 * is scanned once, however small the reads and however large the event.
 */
export class SseDecoder {
  private readonly maxEventBytes: number;
  /** Bytes of an unfinished line, in order (views of earlier reads). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Data of the current event (null: no `data` line yet), and its size in bytes. */
  private data: string | null = null;
  private dataBytes = 0;
  private eventName: string | undefined = undefined;
  /** The last read ended with CR: a LF first in the next read belongs to it. */
  private skipLf = false;
  /** Bytes of a UTF-8 BOM matched so far at the stream start (3: done, or no BOM). */
  private bomSeen = 0;
  private failed: SseOverflowError | null = null;

  constructor(opts?: { maxEventBytes?: number }) {
    const max = opts?.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!(max > 0)) throw new RangeError(`maxEventBytes must be positive, got ${max}`);
    this.maxEventBytes = max;
  }

  push(chunk: Uint8Array, sink: SseSink): void {
    if (this.failed !== null) throw this.failed;
    const buf = asBuffer(chunk);
    const len = buf.length;
    let pos = 0;
    if (this.bomSeen < 3) {
      pos = this.skipBom(buf);
      if (this.bomSeen < 3) return; // the whole read was a BOM prefix so far
    }
    if (this.skipLf && pos < len) {
      this.skipLf = false;
      if (buf[pos] === LF) pos++;
    }
    // Position of the next CR at or after `pos`, searched at most once per CR (len: none left).
    let cr = -2;
    while (pos < len) {
      const c = buf[pos];
      // Blank line right here (the common event end): no search needed.
      if (c === LF && this.pendingBytes === 0) {
        this.dispatch(sink);
        pos++;
        continue;
      }
      let eol = buf.indexOf(LF, pos);
      if (eol === -1) eol = len;
      if (cr < pos) {
        cr = buf.indexOf(CR, pos);
        if (cr === -1) cr = len;
      }
      if (cr < eol) eol = cr;
      if (eol === len) {
        this.keepPending(buf, pos);
        return;
      }
      let next = eol + 1;
      if (eol === cr) {
        if (next < len) {
          if (buf[next] === LF) next++;
        } else {
          this.skipLf = true;
        }
      }
      if (this.pendingBytes === 0) {
        this.line(buf, pos, eol, sink);
      } else {
        this.pending.push(buf.subarray(pos, eol));
        this.completePending(sink);
      }
      pos = next;
    }
  }

  end(sink: SseSink): void {
    if (this.failed !== null) throw this.failed;
    if (this.pendingBytes > 0) this.completePending(sink);
    this.pending = [];
    this.dispatch(sink);
    this.skipLf = false;
    this.bomSeen = 0;
  }

  /**
   * Skips a UTF-8 BOM (EF BB BF) at the stream start; it may itself be split across reads.
   * Returns where this read's lines start.
   */
  private skipBom(buf: Buffer): number {
    let pos = 0;
    while (this.bomSeen < 3 && pos < buf.length) {
      if (buf[pos] !== BOM[this.bomSeen]) {
        // Not a BOM: bytes matched in earlier reads are the start of the first line; this
        // read's own matched bytes are parsed from position 0.
        const earlier = this.bomSeen - pos;
        if (earlier > 0) {
          this.pending.push(Buffer.from(BOM.subarray(0, earlier)));
          this.pendingBytes += earlier;
        }
        this.bomSeen = 3;
        return 0;
      }
      this.bomSeen++;
      pos++;
    }
    return pos;
  }

  private keepPending(buf: Buffer, from: number): void {
    if (from >= buf.length) return;
    this.pending.push(buf.subarray(from));
    this.pendingBytes += buf.length - from;
    this.checkSize(this.dataBytes + this.pendingBytes);
  }

  /** The unfinished line has ended (its last piece is in `pending`): join it once and parse it. */
  private completePending(sink: SseSink): void {
    const pieces = this.pending;
    const line = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
    this.pending = [];
    this.pendingBytes = 0;
    this.line(line, 0, line.length, sink);
  }

  private line(buf: Buffer, start: number, end: number, sink: SseSink): void {
    if (start === end) {
      this.dispatch(sink);
      return;
    }
    const c0 = buf[start];
    if (c0 === COLON) return; // comment, e.g. ": keep-alive"
    // Fast path: "data:" (with or without the space).
    if (
      c0 === 0x64 &&
      end - start >= 5 &&
      buf[start + 1] === 0x61 &&
      buf[start + 2] === 0x74 &&
      buf[start + 3] === 0x61 &&
      buf[start + 4] === COLON
    ) {
      let v = start + 5;
      if (v < end && buf[v] === SPACE) v++;
      this.addData(buf, v, end);
      return;
    }
    let colon = start;
    while (colon < end && buf[colon] !== COLON) colon++;
    let v = colon < end ? colon + 1 : end;
    if (v < end && buf[v] === SPACE) v++;
    const nameLen = colon - start;
    if (nameLen === 4 && buf[start] === 0x64 && buf[start + 1] === 0x61 && buf[start + 2] === 0x74 && buf[start + 3] === 0x61) {
      this.addData(buf, v, end); // bare "data" line: an empty value
    } else if (
      nameLen === 5 &&
      buf[start] === 0x65 &&
      buf[start + 1] === 0x76 &&
      buf[start + 2] === 0x65 &&
      buf[start + 3] === 0x6e &&
      buf[start + 4] === 0x74
    ) {
      this.eventName = v < end ? utf8(buf, v, end) : undefined;
    } else if (
      nameLen === 5 &&
      buf[start] === 0x65 &&
      buf[start + 1] === 0x72 &&
      buf[start + 2] === 0x72 &&
      buf[start + 3] === 0x6f &&
      buf[start + 4] === 0x72 &&
      sink.onErrorField !== undefined
    ) {
      sink.onErrorField(v < end ? utf8(buf, v, end) : '');
    }
    // id, retry and unknown fields are ignored
  }

  private addData(buf: Buffer, start: number, end: number): void {
    this.dataBytes += end - start;
    this.checkSize(this.dataBytes);
    const value = start === end ? '' : utf8(buf, start, end);
    this.data = this.data === null ? value : `${this.data}\n${value}`;
  }

  private dispatch(sink: SseSink): void {
    const data = this.data;
    const eventName = this.eventName;
    this.eventName = undefined;
    if (data === null) return;
    this.data = null;
    this.dataBytes = 0;
    sink.onEvent(data, eventName);
  }

  private checkSize(bytes: number): void {
    if (bytes > this.maxEventBytes) {
      this.failed = new SseOverflowError(this.maxEventBytes, bytes);
      this.pending = [];
      this.data = null;
      throw this.failed;
    }
  }
}
