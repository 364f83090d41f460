// Client, step 2 of 2 on the hot path: SSE events (from sse.ts) → the state of one streamed request.
// Interprets OpenAI chat and completions chunks: when the first chunk / token / answer arrived, the
// gaps between output chunks, usage, finish_reason, assembled tool calls, and in-band errors.
// Pure: times come in as arguments (`atMs`, the receive time of the network read that completed
// the event), nothing here reads a clock. Runs once per streamed chunk, so each chunk is read
// once, without building it where possible (chunkscan.ts): matched against the shape of an earlier
// chunk of the stream, else scanned whole; for what the scanner does not take on, by JSON.parse. All
// paths end in the same code (onUsageCounts, onChoiceZero), and StreamState counts which each chunk
// took. Work per chunk is O(chunk length) (tool calls: plus O(tool-call deltas)).

import { SseDecoder, SseOverflowError, type SseSink } from './sse.js';
import { ChunkScan, NOT_A_NUMBER, type ChunkTemplate } from './chunkscan.js';
import { NO_SECRETS, type Scrubber } from '../util/redact.js';

export interface StreamStateOptions {
  /** Keep the answer text (structured-output and conversation classes; tool calls are always kept). */
  keepText: boolean;
  observer?: StreamObserver;
  /** Removes secrets from quoted server text before it is cut (default: none configured). */
  scrubber?: Scrubber;
  /** Most answer bytes kept per request (default DEFAULT_MAX_ANSWER_BYTES); more is read and dropped. */
  maxAnswerBytes?: number;
  /** Read chunks with the scanner where it can (default true); false: JSON.parse every chunk (tests compare the two). */
  fastPath?: boolean;
}

export interface StreamObserver {
  /**
   * Called for each gap between two consecutive output-bearing chunks (choice 0), in ms.
   * Chunks completed by the same network read share one receive time, so their gap is 0:
   * that is what the client observed (a burst), and it is reported as such.
   */
  onGap(gapMs: number): void;
}

export interface StreamToolCall {
  id?: string;
  name: string;
  arguments: string;
}

export type StreamErrorClass = 'stream_error' | 'malformed';

/** Which kind of stream error, where users need to tell them apart (records, result groups). */
export type StreamErrorDetail = 'no_finish_reason' | 'error_field';

export interface StreamError {
  errorClass: StreamErrorClass;
  message: string;
  detail?: StreamErrorDetail;
}

export interface StreamUsage {
  promptTokens: number | null;
  completionTokens: number | null;
  /** prompt_tokens_details.cached_tokens (undefined when absent). */
  cachedTokens?: number;
  /** completion_tokens_details.reasoning_tokens (undefined when absent). */
  reasoningTokens?: number;
}

/** Stands for choice 0's content or reasoning when the text is not kept: only its presence counts. */
const NOT_KEPT = '\u0000';

/** One scanner for all streams: events are handled one at a time, and it keeps nothing between them. */
const SCAN = new ChunkScan();

/** How many characters of offending data an error message quotes. */
const SNIPPET_CHARS = 200;

/** Default cap on the answer kept per request (text, reasoning, tool-call names and arguments). */
export const DEFAULT_MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Largest token count accepted from `usage`. Far above any context window; a larger, negative,
 * fractional or non-numeric count is a server bug (or an attack: 1e308 makes every sum Infinity).
 */
export const MAX_USAGE_TOKENS = 100_000_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A usage count: null when absent, 'invalid' when present but not a sane non-negative integer. */
function usageCount(v: unknown): number | null | 'invalid' {
  if (v === undefined || v === null) return null;
  if (v === NOT_A_NUMBER) return 'invalid';
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_USAGE_TOKENS ? v : 'invalid';
}

/**
 * The state of one streamed request, built from its SSE events in order.
 *
 * Decisions (each one is a metric definition, see docs/metrics.md):
 * - Only choice index 0 counts for output, times, text and tool calls (requests with n > 1 are
 *   measured on their first choice; other choices' chunks still count as "a chunk of any kind").
 * - A chunk carries *output* when choice 0 has non-empty `delta.content`, `text`,
 *   `delta.reasoning_content`, `delta.reasoning`, or a tool-call delta with a non-empty name or
 *   arguments. It carries *answer* output when that output is content, text or a tool call
 *   (not reasoning). A role-only chunk (`{role: "assistant", content: ""}`) carries neither.
 * - `firstChunkAtMs` is the first data event that is a chunk object (any kind, including
 *   role-only and usage-only); `[DONE]`, error events and empty data do not set it.
 * - `usage` is the last usage object seen (engines with continuous usage stats send one per
 *   chunk); it is updated in place, so one object is allocated per request.
 * - `finishReason` is the last non-null `finish_reason` of choice 0.
 * - Tool calls are assembled by their `index` (parallel calls may interleave); `id` is kept from
 *   the first delta that has one; name pieces and argument pieces are concatenated (a delta that
 *   repeats the whole name already held is not appended twice). Tool calls are assembled even when
 *   `keepText` is false, because tool-call validation needs them.
 * - Events after `[DONE]` or after an error are ignored. Data that is empty or only whitespace
 *   (a heartbeat some servers send) is ignored.
 * - An error is set by: `event: error`; a non-standard `error:` SSE field (onErrorField); a chunk
 *   with a non-null `error` field (OpenAI/vLLM `{error: {message, ...}}`); a chunk
 *   `{object: "error", message}`; data that is not JSON, or JSON that is not an object (`malformed`,
 *   quoting the first 200 characters). Quoted server text is scrubbed of secrets before the cut.
 * - `usage` counts are taken only as non-negative integers up to MAX_USAGE_TOKENS; others are
 *   dropped and `usageInvalid` set.
 * - Kept text, reasoning and tool-call pieces together stop growing at `maxAnswerBytes`
 *   (`answerTooLarge`); the stream is still read, and timed, to its end.
 */
export class StreamState {
  /** Any SSE event was dispatched (a body with none was not an event stream, or was cut before one). */
  sawEvent = false;
  /** The last usage object held a count that is not a non-negative integer up to MAX_USAGE_TOKENS (dropped). */
  usageInvalid = false;
  /** The answer outgrew `maxAnswerBytes`: what is kept is its start; the rest was read and dropped. */
  answerTooLarge = false;
  /** UTF-8 bytes of answer kept so far (text, reasoning, tool-call names and arguments). */
  answerBytes = 0;
  firstChunkAtMs: number | null = null;
  firstTokenAtMs: number | null = null;
  firstContentAtMs: number | null = null;
  lastOutputAtMs: number | null = null;
  outputChunks = 0;
  /** Output chunks that carried reasoning and no answer (a reasoning model's thinking). */
  reasoningChunks = 0;
  done = false;
  finishReason: string | null = null;
  usage: StreamUsage | null = null;
  text = '';
  reasoningText = '';
  toolCalls: StreamToolCall[] = [];
  error: StreamError | null = null;
  /** Chunks of the shape of an earlier chunk of this stream (ChunkTemplate): only their holes were read. */
  templateChunks = 0;
  /** Chunks read whole by the scanner (chunkscan.ts), without building them. */
  scannedChunks = 0;
  /** Data events that went to JSON.parse: shapes the scanner does not take on, errors, junk. */
  fullParseChunks = 0;

  private readonly keepText: boolean;
  private readonly observer: StreamObserver | undefined;
  private readonly scrubber: Scrubber;
  private readonly maxAnswerBytes: number;
  private readonly fastPath: boolean;
  /** The shape of the last chunk the scanner read whole (most later chunks have it). */
  private template: ChunkTemplate | null = null;
  /** Tool calls by their stream `index` (sparse); `toolCalls` holds them in order of first appearance. */
  private readonly toolByIndex: StreamToolCall[] = [];

  constructor(opts: StreamStateOptions) {
    this.keepText = opts.keepText;
    this.observer = opts.observer;
    this.scrubber = opts.scrubber ?? NO_SECRETS;
    this.maxAnswerBytes = opts.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.fastPath = opts.fastPath ?? true;
  }

  /** Records an error of the stream (first one wins; later events are then ignored). */
  fail(errorClass: StreamErrorClass, message: string, detail?: StreamErrorDetail): void {
    if (this.error === null) this.error = detail === undefined ? { errorClass, message } : { errorClass, message, detail };
  }

  /** Server text quoted in a message: secrets scrubbed before the cut, so no cut edge keeps a piece of one. */
  private quote(s: string): string {
    return this.scrubber.clip(s, SNIPPET_CHARS);
  }

  /** Message of an in-band error: `{error: {message}}`, `{error: "text"}` or `{object: "error", message}`. */
  private errorMessage(err: unknown): string {
    if (typeof err === 'string') return this.quote(err);
    if (isObject(err) && typeof err.message === 'string') return this.quote(err.message);
    let s: string;
    try {
      s = JSON.stringify(err) ?? String(err);
    } catch {
      s = String(err);
    }
    return this.quote(s);
  }

  /** Room for `s` under the answer cap; once over it, nothing more is kept for this request. */
  private room(s: string): boolean {
    if (this.answerTooLarge) return false;
    const bytes = Buffer.byteLength(s, 'utf8');
    if (this.answerBytes + bytes > this.maxAnswerBytes) {
      this.answerTooLarge = true;
      return false;
    }
    this.answerBytes += bytes;
    return true;
  }

  /**
   * A non-standard `error:` SSE field (older llama.cpp servers sent one, then `data: [DONE]`): the
   * engine failed mid-stream, whatever follows.
   */
  onErrorField(value: string): void {
    if (this.error !== null || this.done) return;
    this.fail('stream_error', `error field: ${this.parsedErrorMessage(value)}`, 'error_field');
  }

  onEvent(data: string, event: string | undefined, atMs: number): void {
    if (this.error !== null || this.done) return;
    this.sawEvent = true;
    if (event === 'error') {
      this.onErrorEvent(data);
      return;
    }
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    if (this.fastPath && this.fastChunk(data, atMs)) return;
    this.fullParseChunks++;
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      const t = data.trim();
      if (t === '') return;
      if (t === '[DONE]') {
        this.done = true;
        return;
      }
      this.fail('malformed', `chunk is not valid JSON: ${this.quote(data)}`);
      return;
    }
    if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
      this.fail('malformed', `chunk is not a JSON object: ${this.quote(data)}`);
      return;
    }
    this.onChunk(chunk as Chunk, atMs);
  }

  private onErrorEvent(data: string): void {
    this.fail('stream_error', `event: error: ${this.parsedErrorMessage(data)}`);
  }

  /** The message of an error payload: JSON `{error: …}` or `{message}`, else the raw text. */
  private parsedErrorMessage(data: string): string {
    try {
      const v: unknown = JSON.parse(data);
      if (isObject(v)) return v.error !== undefined && v.error !== null ? this.errorMessage(v.error) : this.errorMessage(v);
    } catch {
      // not JSON: quote the raw text
    }
    return this.quote(data);
  }

  private onChunk(chunk: Chunk, atMs: number): void {
    const err = chunk.error;
    if (err !== undefined && err !== null) {
      this.fail('stream_error', this.errorMessage(err));
      return;
    }
    if (chunk.object === 'error') {
      this.fail('stream_error', this.errorMessage(chunk));
      return;
    }
    if (this.firstChunkAtMs === null) this.firstChunkAtMs = atMs;

    const usage = chunk.usage;
    if (typeof usage === 'object' && usage !== null) {
      this.onUsageCounts(usage.prompt_tokens, usage.completion_tokens);
      this.onUsageDetails(usage.prompt_tokens_details, usage.completion_tokens_details);
    }

    const choices = chunk.choices;
    if (!Array.isArray(choices) || choices.length === 0) return;
    let choice: Choice | undefined = choices[0] as Choice;
    if (typeof choice !== 'object' || choice === null) return;
    if (choice.index !== undefined && choice.index !== 0) {
      choice = findChoiceZero(choices);
      if (choice === undefined) return;
    }
    const delta = choice.delta;
    if (typeof delta === 'object' && delta !== null) {
      this.onChoiceZero(choice.finish_reason, delta.content, delta.reasoning_content, delta.reasoning, delta.tool_calls, atMs);
    } else {
      this.onChoiceZero(choice.finish_reason, choice.text, undefined, undefined, undefined, atMs);
    }
  }

  /** The fast path: false when the chunk must be parsed in full. */
  private fastChunk(data: string, atMs: number): boolean {
    const scan = SCAN;
    let ok = false;
    if (this.template !== null && scan.match(this.template, data)) {
      this.templateChunks++;
      ok = true;
    } else {
      scan.learning = true;
      ok = scan.scan(data);
      scan.learning = false;
      if (ok) {
        this.scannedChunks++;
        const t = scan.learn();
        if (t !== null) this.template = t;
      }
    }
    if (ok) this.onScanned(atMs);
    scan.release();
    return ok;
  }

  /** The same steps as onChunk, from what the scanner kept (SCAN holds this event). */
  private onScanned(atMs: number): void {
    const scan = SCAN;
    if (this.firstChunkAtMs === null) this.firstChunkAtMs = atMs;
    if (scan.usage) this.onUsageCounts(scan.promptTokens, scan.completionTokens);
    if (!scan.choice) return;
    const fr = scan.finishReasonText();
    if (scan.delta) {
      this.onChoiceZero(
        fr,
        this.scannedText(scan.content),
        this.scannedText(scan.reasoningContent),
        this.scannedText(scan.reasoning),
        scan.toolsStart < 0 ? undefined : scan.toolCalls(),
        atMs,
      );
    } else {
      this.onChoiceZero(fr, this.scannedText(scan.text), undefined, undefined, undefined, atMs);
    }
  }

  /** Content, reasoning or completion text: made into a string only when it is kept. */
  private scannedText(r: ChunkScan['content']): string | undefined {
    if (r.start < 0) return undefined;
    if (this.keepText) return SCAN.value(r);
    return SCAN.nonEmpty(r) ? NOT_KEPT : '';
  }

  /** Choice 0 of a chunk: its finish_reason and its output pieces (content here is `text` for completions). */
  private onChoiceZero(fr: unknown, content: unknown, reasoningContent: unknown, reasoningField: unknown, tools: unknown, atMs: number): void {
    if (typeof fr === 'string') this.finishReason = fr;

    let output = false;
    let answer = false;
    if (typeof content === 'string' && content.length > 0) {
      output = answer = true;
      if (this.keepText && this.room(content)) this.text += content;
    }
    let reasoning = reasoningContent;
    if (typeof reasoning !== 'string' || reasoning.length === 0) reasoning = reasoningField;
    if (typeof reasoning === 'string' && reasoning.length > 0) {
      output = true;
      if (this.keepText && this.room(reasoning)) this.reasoningText += reasoning;
    }
    if (Array.isArray(tools) && tools.length > 0 && this.onToolDeltas(tools)) output = answer = true;
    if (!output) return;

    this.outputChunks++;
    if (!answer) this.reasoningChunks++;
    if (this.firstTokenAtMs === null) this.firstTokenAtMs = atMs;
    if (answer && this.firstContentAtMs === null) this.firstContentAtMs = atMs;
    const last = this.lastOutputAtMs;
    this.lastOutputAtMs = atMs;
    if (last !== null && this.observer !== undefined) this.observer.onGap(atMs - last);
  }

  private onUsageCounts(prompt: unknown, completion: unknown): void {
    const pv = usageCount(prompt);
    const cv = usageCount(completion);
    // The last usage object is the one used: its anomaly is the request's.
    this.usageInvalid = pv === 'invalid' || cv === 'invalid';
    const p = pv === 'invalid' ? null : pv;
    const c = cv === 'invalid' ? null : cv;
    const usage = this.usage;
    if (usage === null) {
      this.usage = { promptTokens: p, completionTokens: c };
    } else {
      usage.promptTokens = p;
      usage.completionTokens = c;
      // Details belong to the usage object that carried them (onUsageDetails runs after this).
      if (usage.cachedTokens !== undefined) usage.cachedTokens = undefined;
      if (usage.reasoningTokens !== undefined) usage.reasoningTokens = undefined;
    }
  }

  /** The usage details (the scanner leaves chunks that have them to JSON.parse): kept on the last usage object. */
  private onUsageDetails(prompt: unknown, completion: unknown): void {
    const usage = this.usage;
    if (usage === null) return;
    const cached = isObject(prompt) ? usageCount(prompt.cached_tokens) : null;
    const reasoning = isObject(completion) ? usageCount(completion.reasoning_tokens) : null;
    if (typeof cached === 'number') usage.cachedTokens = cached;
    if (typeof reasoning === 'number') usage.reasoningTokens = reasoning;
  }

  /** Merges tool-call deltas; true when any of them carried a name or argument text. */
  private onToolDeltas(tools: unknown[]): boolean {
    let produced = false;
    for (let i = 0; i < tools.length; i++) {
      const d = tools[i] as RawToolDelta;
      if (typeof d !== 'object' || d === null) continue;
      const index = typeof d.index === 'number' && Number.isInteger(d.index) && d.index >= 0 ? d.index : i;
      let call = this.toolByIndex[index];
      if (call === undefined) {
        call = { name: '', arguments: '' };
        this.toolByIndex[index] = call;
        this.toolCalls.push(call);
      }
      if (typeof d.id === 'string' && d.id.length > 0 && call.id === undefined) call.id = d.id;
      const fn = d.function;
      if (typeof fn !== 'object' || fn === null) continue;
      const name = fn.name;
      if (typeof name === 'string' && name.length > 0) {
        produced = true;
        if (call.name !== name && this.room(name)) call.name += name;
      }
      const args = fn.arguments;
      if (typeof args === 'string' && args.length > 0) {
        produced = true;
        if (this.room(args)) call.arguments += args;
      }
    }
    return produced;
  }
}

function findChoiceZero(choices: unknown[]): Choice | undefined {
  for (let i = 0; i < choices.length; i++) {
    const c = choices[i] as Choice;
    if (typeof c === 'object' && c !== null && c.index === 0) return c;
  }
  return undefined;
}

// Loose shapes of what arrives on the wire: every field is checked before use.
interface Chunk {
  object?: unknown;
  error?: unknown;
  choices?: unknown;
  usage?: RawUsage | null;
  message?: unknown;
}
interface Choice {
  index?: unknown;
  delta?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: unknown } | null;
  text?: unknown;
  finish_reason?: unknown;
}
interface RawUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: unknown;
  completion_tokens_details?: unknown;
}
interface RawToolDelta {
  index?: unknown;
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown } | null;
}

export type StreamOutcome =
  | { ok: true }
  | { ok: false; errorClass: 'stream_error' | 'malformed' | 'stream_truncated'; message: string; detail?: StreamErrorDetail };

/**
 * How the stream ended, to be asked once the body is fully read: an in-band error wins; then a
 * stream that gave a `finish_reason` is ok (some engines omit `[DONE]`); a stream that said
 * `[DONE]` without ever giving a finish reason is a `stream_error` (detail `no_finish_reason`):
 * engines that fail mid-stream outside `data:` lines end that way; anything else ended early and
 * is `stream_truncated`.
 */
export function streamOutcome(s: StreamState): StreamOutcome {
  if (s.error !== null) {
    const e = s.error;
    return e.detail === undefined ? { ok: false, errorClass: e.errorClass, message: e.message } : { ok: false, errorClass: e.errorClass, message: e.message, detail: e.detail };
  }
  if (s.finishReason !== null) return { ok: true };
  if (s.done) {
    return {
      ok: false,
      errorClass: 'stream_error',
      detail: 'no_finish_reason',
      message: `no_finish_reason: the stream ended with [DONE] but never gave a finish_reason, after ${s.outputChunks} output chunks`,
    };
  }
  return {
    ok: false,
    errorClass: 'stream_truncated',
    message: `stream ended without [DONE] or a finish_reason, after ${s.outputChunks} output chunks`,
  };
}

/**
 * Decoder and state of one request together: push the body's reads with their receive times, then
 * `end`. Never throws for anything the server sends: an event over the size limit becomes a
 * `malformed` error on the state. Once the state holds an error, further reads are not decoded.
 * The caller should stop reading when `state.error` is set (and may when `state.done` is).
 */
export class StreamReader implements SseSink {
  readonly state: StreamState;
  private readonly decoder: SseDecoder;
  private atMs = 0;

  constructor(opts: StreamStateOptions & { maxEventBytes?: number }) {
    this.state = new StreamState(opts);
    this.decoder = new SseDecoder({ maxEventBytes: opts.maxEventBytes });
  }

  /** One network read; `atMs` is its monotonic receive time. The reader keeps views of `chunk` (see SseDecoder.push). */
  push(chunk: Uint8Array, atMs: number): void {
    if (this.state.error !== null) return;
    this.atMs = atMs;
    try {
      this.decoder.push(chunk, this);
    } catch (e) {
      this.onDecoderError(e);
    }
  }

  /** End of the body (dispatches a last event left without its blank line). */
  end(atMs: number): void {
    if (this.state.error !== null) return;
    this.atMs = atMs;
    try {
      this.decoder.end(this);
    } catch (e) {
      this.onDecoderError(e);
    }
  }

  /** @internal SseSink: the decoder calls this for each event. */
  onEvent(data: string, event: string | undefined): void {
    this.state.onEvent(data, event, this.atMs);
  }

  /** @internal SseSink: a non-standard `error:` field. */
  onErrorField(value: string): void {
    this.state.onErrorField(value);
  }

  private onDecoderError(e: unknown): void {
    if (e instanceof SseOverflowError) this.state.fail('malformed', e.message);
    else throw e;
  }
}
