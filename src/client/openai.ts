// The client: one streamed OpenAI request → one RequestRecord.
// undici's raw dispatch API hands us each network read as a Buffer with no stream machinery between;
// each read is stamped once (performance.now) and fed to the SSE decoder, so every event in that read
// carries the true arrival time of its bytes. Failures become error classes on the record, never throws.
import { Agent, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { SseDecoder, type SseSink } from './sse.js';
import { DEFAULT_MAX_ANSWER_BYTES, StreamState, streamOutcome, type StreamErrorDetail } from './stream.js';
import { ClientAbort, classifyHttpStatus, classifyTransportError } from './classify.js';
import type { ErrorClass, RequestRecord, Validity } from './record.js';
import type { RequestPlan } from '../workload/plan.js';
import { compileSchema, judgeJsonOutput, judgeToolCalls } from '../validate/output.js';
import { parseRetryAfterMs } from './retry.js';
import { NO_SECRETS, Scrubber, secretsOf, secretsOfUrl } from '../util/redact.js';

export { secretsOf } from '../util/redact.js';

/** Each limit in ms; 0 turns it off (the CLI's `off`). */
export interface ClientTimeouts {
  /** No response byte (headers) within this long → timeout_ttfb. */
  ttfbMs: number;
  /** No body byte for this long once streaming → timeout_idle. */
  idleMs: number;
  /** The whole request → timeout_total. */
  totalMs: number;
}

export const DEFAULT_TIMEOUTS: ClientTimeouts = { ttfbMs: 120_000, idleMs: 60_000, totalMs: 600_000 };

export interface ClientOptions {
  /** Base URL ending in /v1 (no trailing slash needed). */
  baseUrl: string;
  /** Extra request headers (authorization included). Never logged or written anywhere. */
  headers?: Record<string, string>;
  timeouts?: Partial<ClientTimeouts>;
  /** Largest single SSE event accepted; bigger ones are `malformed`. */
  maxEventBytes?: number;
  /** Keep the answer text for every request (multi-turn needs it); structured-output classes always keep it. */
  keepText?: boolean;
  /** Skip TLS certificate verification (`--insecure`). Verification is on by default. */
  insecure?: boolean;
  /** Most answer bytes kept per request (default 1 MiB); a longer answer is read to its end, dropped, and judged `too_large`. */
  maxAnswerBytes?: number;
}

export interface RequestInput {
  plan: RequestPlan;
  phase: string;
  scheduledAtMs: number;
  /** Called once per inter-chunk gap, as it happens (histograms, not stored samples). */
  onGap?: (gapMs: number) => void;
  /** Sees every SSE data payload with its receive time (benchmarks measure the client's own lag with it). */
  tap?: (data: string, atMs: number) => void;
}

export interface RequestOutcome {
  record: RequestRecord;
  /** What went wrong, in the server's words where it gave any (for error samples). */
  errorMessage: string | null;
  /** The answer text when kept. */
  text: string | null;
  /** The tool calls with the ids the server gave them (a round trip sends them back); null when none. */
  toolCalls?: { id?: string; name: string; arguments: string }[] | null;
  /** Why validity was not `valid` (ajv's first error), for samples. */
  validityDetail: string | null;
  /** The server's `Retry-After`, in ms, when an error response carried one. */
  retryAfterMs?: number | null;
  /** HTTP statuses of earlier attempts that were retried (RetryingSender); absent when none. */
  retries?: number[];
}

const ERROR_BODY_LIMIT = 8 * 1024;

export class OpenAIClient {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly timeouts: ClientTimeouts;
  private readonly inFlight = new Set<RequestHandler>();
  /** Header values (keys, tokens) and URL credentials scrubbed from every stored string: a server may echo them back. */
  readonly secrets: string[];
  readonly scrubber: Scrubber;

  constructor(
    private readonly opts: ClientOptions,
    /** Monotonic ms since run start. */
    readonly now: () => number,
  ) {
    const url = new URL(opts.baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    // An option given as undefined keeps its default (spreading it would erase the default).
    const given = Object.fromEntries(Object.entries(opts.timeouts ?? {}).filter(([, v]) => v !== undefined));
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...given };
    this.headers = { 'content-type': 'application/json', accept: 'text/event-stream', ...opts.headers };
    this.secrets = [...new Set([...secretsOf(opts.headers ?? {}), ...secretsOfUrl(opts.baseUrl)])];
    this.scrubber = new Scrubber(this.secrets);
    // connections: null = no per-origin cap, so the pool is never the hidden concurrency limit
    // (peers' ~100-connection defaults inflate TTFT above that). Pipelining stays off: one stream per socket.
    this.agent = new Agent({
      connections: null,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: 10_000, rejectUnauthorized: opts.insecure !== true },
    });
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** A client with this one's timeouts, limits and TLS settings for another base URL, without its headers (the warm start's local rehearsal). */
  sibling(baseUrl: string): OpenAIClient {
    return new OpenAIClient({ ...this.opts, baseUrl, headers: {} }, this.now);
  }

  send(input: RequestInput): Promise<RequestOutcome> {
    return new Promise((resolve) => {
      const handler = new RequestHandler(this, input, (outcome) => {
        this.inFlight.delete(handler);
        resolve(outcome);
      });
      this.inFlight.add(handler);
      handler.start(this.agent, {
        origin: this.origin,
        path: this.basePath + input.plan.path,
        method: 'POST',
        headers: this.headers,
        body: input.plan.body,
        headersTimeout: this.timeouts.ttfbMs,
        bodyTimeout: this.timeouts.idleMs,
      });
    });
  }

  /**
   * Opens up to `count` connections ahead of a run, so the first requests pay no connect (or TLS)
   * set-up: `count` GETs of {base}/models at once (each needs its own socket), then `rounds − 1` more
   * one at a time over them. They count only when the endpoint keeps connections alive: one that
   * answered `connection: close` keeps none open. Failures open nothing and are left to the run,
   * which classifies them.
   */
  async preconnect(count: number, timeoutMs = 5_000, rounds = 1): Promise<{ opened: number; keepAlive: boolean }> {
    const get = async (): Promise<boolean> => {
      const res = await this.agent.request({
        origin: this.origin,
        path: `${this.basePath}/models`,
        method: 'GET',
        headers: { ...this.headers, accept: 'application/json' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      return String(res.headers.connection ?? '').toLowerCase() !== 'close';
    };
    if (count < 1) return { opened: 0, keepAlive: false };
    const all = await Promise.allSettled(Array.from({ length: count }, get));
    const kept = all.filter((r) => r.status === 'fulfilled');
    if (kept.length === 0 || kept.some((r) => !r.value)) return { opened: 0, keepAlive: false };
    // Further GETs, one at a time over the open connections: the send path (dispatch, socket writes,
    // response parsing) runs often enough to be compiled before the first measured request. A failure
    // ends them: an endpoint slow to answer must not hold the start for long.
    for (let r = 1; r < rounds; r++) if (!(await get().catch(() => false))) break;
    return { opened: kept.length, keepAlive: true };
  }

  /**
   * Runs the receive path (SSE decoder, chunk parser, stream state, record) on `rounds` synthetic
   * streams of `chunks` chunks each, nothing sent and nothing recorded, so the first real stream
   * finds that code compiled rather than interpreted.
   */
  warmHotPath(rounds = 50, chunks = 32): void {
    const body = syntheticStream(chunks).map((x) => Buffer.from(x));
    const plan: RequestPlan = { phaseIndex: -1, requestIndex: 0, className: 'warm-start', kind: 'chat', path: '/chat/completions', body: '{}', promptTokens: 1, maxTokens: chunks };
    const controller = { abort: () => {}, pause: () => {}, resume: () => {} } as unknown as Dispatcher.DispatchController;
    for (let r = 0; r < rounds; r++) {
      const h = new RequestHandler(this, { plan, phase: 'warm-start', scheduledAtMs: this.now(), onGap: () => {} }, () => {});
      h.onRequestStart(controller);
      h.onResponseStart(controller, 200, { 'content-type': 'text/event-stream' });
      for (const b of body) h.onResponseData(controller, b);
      h.onResponseEnd();
    }
  }

  /** Aborts every in-flight request as `cancelled` (after the drain period on Ctrl-C). */
  abortAll(): void {
    for (const h of this.inFlight) h.abort(new ClientAbort('LOADSHAPE_CANCELLED', 'cancelled by the user'));
  }

  get totalTimeoutMs(): number {
    return this.timeouts.totalMs;
  }

  get maxEventBytes(): number | undefined {
    return this.opts.maxEventBytes;
  }

  get keepText(): boolean {
    return this.opts.keepText ?? false;
  }

  get maxAnswerBytes(): number {
    return this.opts.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * The SSE events of a synthetic chat stream in a vLLM-like shape: a role chunk, `chunks` content
 * chunks, a finish_reason, a usage chunk and [DONE] (the warm start runs the client's paths on it).
 */
export function syntheticStream(chunks: number): string[] {
  const chunk = (delta: string, finish: string | null) =>
    `data: {"id":"warm","object":"chat.completion.chunk","created":0,"model":"warm","choices":[{"index":0,"delta":${delta},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`;
  return [
    chunk('{"role":"assistant","content":""}', null),
    ...Array.from({ length: chunks }, (_, i) => chunk(`{"content":" w${i % 10}"}`, null)),
    chunk('{}', 'length'),
    `data: {"id":"warm","object":"chat.completion.chunk","created":0,"model":"warm","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":${chunks},"total_tokens":${chunks + 1}}}\n\n`,
    'data: [DONE]\n\n',
  ];
}

/** One request's life. Implements undici's DispatchHandler (v7 controller API) and the SSE sink. */
class RequestHandler implements Dispatcher.DispatchHandler, SseSink {
  private controller: Dispatcher.DispatchController | null = null;
  private pendingAbort: Error | null = null;
  /** Dispatch time until the request is written on a connected socket (onRequestStart), then that. */
  private sentAtMs: number;
  private readAtMs = 0;
  private status = 0;
  private headersAtMs: number | null = null;
  private errorBody: Buffer[] | null = null;
  private errorBodyBytes = 0;
  private retryAfterMs: number | null = null;
  private location: string | null = null;
  private contentType: string | null = null;
  /** The start of a 2xx body, to quote when it turns out not to be an event stream. */
  private head: Buffer[] = [];
  private headBytes = 0;
  private readonly decoder: SseDecoder;
  private readonly state: StreamState;
  private totalTimer: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(
    private readonly client: OpenAIClient,
    private readonly input: RequestInput,
    private readonly done: (o: RequestOutcome) => void,
  ) {
    const plan = input.plan;
    this.decoder = new SseDecoder(client.maxEventBytes ? { maxEventBytes: client.maxEventBytes } : undefined);
    this.state = new StreamState({
      keepText: client.keepText || plan.responseSchema !== undefined || plan.tools !== undefined || plan.conversation !== undefined,
      observer: input.onGap ? { onGap: input.onGap } : undefined,
      scrubber: client.scrubber,
      maxAnswerBytes: client.maxAnswerBytes,
    });
    this.sentAtMs = client.now();
  }

  start(agent: Agent, options: Dispatcher.DispatchOptions): void {
    // 0: the limit is off (`--timeout-total off`), as undici reads 0 for the other two.
    if (this.client.totalTimeoutMs > 0) {
      this.totalTimer = setTimeout(() => {
        this.abort(new ClientAbort('LOADSHAPE_TIMEOUT_TOTAL', `no complete response within ${this.client.totalTimeoutMs} ms`));
      }, this.client.totalTimeoutMs);
    }
    try {
      agent.dispatch(options, this);
    } catch (err) {
      this.fail(classifyTransportError(err, false), messageOf(err));
    }
  }

  abort(reason: Error): void {
    if (this.finished) return;
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // undici calls this just before it writes the request on a connected socket: TTFT and E2E count
    // from here, so opening a new connection (TCP, TLS) shows as queue time, not as the server's.
    if (this.controller === null) this.sentAtMs = this.client.now();
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headersAtMs = this.client.now();
    const ct = headers['content-type'];
    this.contentType = ct === undefined ? null : Array.isArray(ct) ? ct.join(', ') : ct;
    if (statusCode < 200 || statusCode >= 300) {
      this.errorBody = [];
      this.retryAfterMs = parseRetryAfterMs(headers['retry-after'], Date.now());
      const loc = headers.location;
      if (statusCode >= 300 && statusCode < 400 && loc) this.location = Array.isArray(loc) ? loc[0] : loc;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.errorBody) {
      if (this.errorBodyBytes < ERROR_BODY_LIMIT) {
        this.errorBody.push(chunk);
        this.errorBodyBytes += chunk.length;
      }
      return;
    }
    this.readAtMs = this.client.now();
    if (this.headBytes < HEAD_BYTES) {
      this.head.push(chunk.subarray(0, HEAD_BYTES - this.headBytes));
      this.headBytes += Math.min(chunk.length, HEAD_BYTES - this.headBytes);
    }
    try {
      this.decoder.push(chunk, this);
    } catch (err) {
      this.fail('malformed', messageOf(err));
      controller.abort(new Error('malformed stream'));
      return;
    }
    if (this.state.error) {
      // The engine said it failed (or sent garbage): stop reading, the request's outcome is known.
      this.finish(this.readAtMs);
      controller.abort(new Error('stream error'));
    }
  }

  /** SseSink: every event in a read carries that read's arrival time. */
  onEvent(data: string, event: string | undefined): void {
    this.state.onEvent(data, event, this.readAtMs);
    if (this.input.tap) this.input.tap(data, this.readAtMs);
  }

  /** SseSink: a non-standard `error:` field ends the request as a stream error. */
  onErrorField(value: string): void {
    this.state.onErrorField(value);
  }

  onResponseEnd(): void {
    const endAtMs = this.client.now();
    if (this.errorBody) {
      const body = Buffer.concat(this.errorBody).toString('utf8');
      let msg = `HTTP ${this.status}: ${serverMessage(body, this.client.scrubber)}`;
      // Redirects are never followed, so credentials never reach another host; a 3xx counts as http_4xx.
      if (this.location !== null) msg = `HTTP ${this.status}: redirect to ${redirectTarget(this.location)} not followed (loadshape does not follow redirects; point --target at the final URL)`;
      if (this.retryAfterMs !== null) msg += ` (Retry-After ${this.retryAfterMs} ms)`;
      this.fail(classifyHttpStatus(this.status), msg);
      return;
    }
    try {
      this.decoder.end(this);
    } catch (err) {
      this.fail('malformed', messageOf(err));
      return;
    }
    this.finish(endAtMs);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.finished) return;
    // An error status is the request's outcome even when its body never finished arriving.
    if (this.errorBody) {
      this.fail(classifyHttpStatus(this.status), `HTTP ${this.status} (body cut short: ${messageOf(err)})`);
      return;
    }
    const s = this.state;
    const code = (err as { code?: string }).code;
    const ours = code === 'LOADSHAPE_TIMEOUT_TOTAL' || code === 'LOADSHAPE_CANCELLED';
    // A stream that already said it was done (a finish_reason or [DONE]) is complete; a reset after
    // it (some proxies close that way) loses nothing.
    if (!ours && this.headersAtMs !== null && s.error === null && (s.done || s.finishReason !== null)) {
      this.finish(this.readAtMs);
      return;
    }
    this.fail(classifyTransportError(err, this.headersAtMs !== null), messageOf(err));
  }

  /** A request that produced a response stream: judge how it ended and what it said. */
  private finish(endAtMs: number): void {
    if (this.finished) return;
    const s = this.state;
    // A 200 answer that never produced an SSE event and was not labelled an event stream is
    // something else (a gateway's HTML page, a non-streamed JSON body), not a cut stream.
    if (s.error === null && !s.sawEvent && this.headBytes > 0 && !isEventStream(this.contentType)) {
      const head = Buffer.concat(this.head).toString('utf8');
      this.fail(
        'malformed',
        `HTTP ${this.status} answer is not an event stream (content-type ${this.contentType === null ? 'missing' : this.client.scrubber.clip(this.contentType, 80)}); it starts: ${JSON.stringify(this.client.scrubber.clip(head, 120))}`,
      );
      return;
    }
    const outcome = streamOutcome(s);
    if (!outcome.ok) {
      this.fail(outcome.errorClass, outcome.message, outcome.detail);
      return;
    }
    const plan = this.input.plan;
    let validity: Validity | null = null;
    let validityDetail: string | null = null;
    if (s.answerTooLarge) {
      // Judging a prefix would call a good answer not_json; the answer is invalid for its size alone.
      validity = 'too_large';
      validityDetail = `answer over ${this.client.maxAnswerBytes} bytes (--max-answer-bytes); the rest was read and dropped`;
    } else if (plan.responseSchema) {
      const v = judgeJsonOutput(s.text, s.finishReason, compileSchema(plan.responseSchema));
      validity = v.validity;
      validityDetail = v.detail ?? null;
    } else if (plan.tools) {
      const v = judgeToolCalls(s.toolCalls, plan.tools, plan.toolChoice, s.finishReason);
      validity = v.validity;
      validityDetail = v.detail ?? null;
    }
    this.complete(this.buildRecord('ok', null, endAtMs, validity), null, validityDetail);
  }

  private fail(errorClass: ErrorClass, message: string, detail?: StreamErrorDetail): void {
    if (this.finished) return;
    const record = this.buildRecord('error', errorClass, this.client.now(), null);
    if (detail !== undefined) record.errorDetail = detail;
    this.complete(record, message, null);
  }

  private complete(record: RequestRecord, errorMessage: string | null, validityDetail: string | null): void {
    this.finished = true;
    if (this.totalTimer) clearTimeout(this.totalTimer);
    const scrubber = this.client.scrubber;
    this.head = [];
    this.done({
      record,
      errorMessage: errorMessage === null ? null : scrubber.scrub(errorMessage),
      // Kept answers and tool calls were scrubbed by buildRecord (they feed follow-up turns and records).
      text: this.state.text || null,
      toolCalls: this.state.toolCalls.length > 0 ? this.state.toolCalls : null,
      validityDetail: validityDetail === null ? null : scrubber.scrub(validityDetail),
      retryAfterMs: this.retryAfterMs,
    });
  }

  /** Scrubs everything kept from the response, once, after it was judged and before anything stores it. */
  private scrubKept(): void {
    const scrubber = this.client.scrubber;
    if (scrubber.empty) return;
    const s = this.state;
    if (s.text) s.text = scrubber.scrub(s.text);
    for (const t of s.toolCalls) {
      t.name = scrubber.scrub(t.name);
      t.arguments = scrubber.scrub(t.arguments);
      if (t.id !== undefined) t.id = scrubber.scrub(t.id);
    }
  }

  private buildRecord(
    status: 'ok' | 'error',
    errorClass: ErrorClass | null,
    endAtMs: number,
    validity: Validity | null,
  ): RequestRecord {
    this.scrubKept();
    const s = this.state;
    const sent = this.sentAtMs;
    const usage = s.usage;
    const conv = this.input.plan.conversation;
    const fromUsage = usage?.completionTokens ?? null;
    // Engines may batch tokens into chunks (speculative decoding), so a mismatch is counted, not corrected.
    const mismatch = fromUsage !== null && (fromUsage > 2 * s.outputChunks || s.outputChunks > 2 * fromUsage);
    const finishReason = s.finishReason === null ? null : this.client.scrubber.clip(s.finishReason, FINISH_REASON_CHARS);
    const outputTokens = fromUsage ?? (s.outputChunks > 0 || status === 'ok' ? s.outputChunks : null);
    // TPOT runs from the first generated token of any kind (reasoning included) to the last one, so a
    // reasoning model's thinking tokens are not charged to TTFT twice.
    const tpotMs =
      outputTokens !== null && outputTokens > 1 && s.firstTokenAtMs !== null && s.lastOutputAtMs !== null
        ? (s.lastOutputAtMs - s.firstTokenAtMs) / (outputTokens - 1)
        : null;
    return {
      phase: this.input.phase,
      class: this.input.plan.className,
      scheduledAtMs: round3(this.input.scheduledAtMs),
      sentAtMs: round3(sent),
      queueMs: round3(sent - this.input.scheduledAtMs),
      ttftMs: s.firstContentAtMs === null ? null : round3(s.firstContentAtMs - sent),
      firstChunkMs: s.firstChunkAtMs === null ? null : round3(s.firstChunkAtMs - sent),
      tpotMs: tpotMs === null ? null : round3(tpotMs),
      e2eMs: status === 'ok' ? round3(endAtMs - sent) : null,
      promptTokens: usage?.promptTokens ?? this.input.plan.promptTokens,
      outputTokens,
      outputTokensSource: fromUsage !== null ? 'usage' : outputTokens !== null ? 'chunks' : null,
      ...(s.usageInvalid ? { usageInvalid: true as const } : {}),
      ...(mismatch ? { usageMismatch: true as const } : {}),
      chunks: s.outputChunks,
      finishReason,
      status,
      errorClass,
      httpStatus: this.status || null,
      validity,
      toolCalls: s.toolCalls.length > 0 ? s.toolCalls.map((t) => ({ name: t.name, arguments: t.arguments })) : null,
      ...(conv === undefined ? {} : { conversation: this.input.plan.requestIndex, turn: conv.turn, toolFollowUp: conv.toolFollowUp }),
      ...planFields(this.input.plan),
      ...(usage?.cachedTokens != null ? { cachedTokens: usage.cachedTokens } : {}),
      ...reasoningFields(s, outputTokens, endAtMs, status),
    };
  }
}

/** What the plan says about the request's size: body bytes, images, intended sharing. */
function planFields(plan: RequestPlan): Partial<RequestRecord> {
  const out: Partial<RequestRecord> = plan.bodyBytes !== undefined ? { requestBytes: plan.bodyBytes } : {};
  if (plan.images !== undefined) {
    out.images = plan.images;
    out.imageBytes = plan.imageBytes ?? 0;
  }
  if (plan.sharedTokens !== undefined) out.sharedTokens = plan.sharedTokens;
  return out;
}

/**
 * Reasoning tokens (from usage, else the reasoning chunks counted) and the answer-only TPOT: from the
 * first answer token to the end over the answer tokens after it, so thinking is not in the pace.
 */
function reasoningFields(s: StreamState, outputTokens: number | null, endAtMs: number, status: 'ok' | 'error'): Partial<RequestRecord> {
  const fromUsage = s.usage?.reasoningTokens ?? null;
  // OpenAI reports reasoning_tokens 0 for every answer of a model that does not reason: not a reasoning request.
  if ((fromUsage === null || fromUsage === 0) && s.reasoningChunks === 0) return {};
  const reasoningTokens = fromUsage ?? s.reasoningChunks;
  const answerTokens = outputTokens === null ? null : outputTokens - reasoningTokens;
  const last = s.lastOutputAtMs ?? (status === 'ok' ? endAtMs : null);
  const answerTpotMs =
    answerTokens !== null && answerTokens > 1 && s.firstContentAtMs !== null && last !== null ? round3((last - s.firstContentAtMs) / (answerTokens - 1)) : null;
  return { reasoningTokens, reasoningTokensSource: fromUsage !== null ? 'usage' : 'chunks', answerTpotMs };
}

/** Replaces every piece of 8 or more characters of a secret in `text` (any case) with <redacted>. */
export function scrub(text: string, secrets: readonly string[]): string {
  return new Scrubber(secrets).scrub(text);
}

/** How much of a 2xx body is kept to quote when it is not an event stream. */
const HEAD_BYTES = 256;
/** A finish_reason is a short word; a longer one is a server bug, kept only in part. */
const FINISH_REASON_CHARS = 64;

function isEventStream(contentType: string | null): boolean {
  return contentType !== null && /text\/event-stream/i.test(contentType);
}

/** Where a redirect pointed, without its path or query (which may carry tokens). */
function redirectTarget(location: string): string {
  try {
    return new URL(location).origin;
  } catch {
    return 'a relative URL';
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function messageOf(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  const code = e?.code ?? e?.cause?.code;
  const msg = e?.cause?.message ?? e?.message ?? String(err);
  return code ? `${code}: ${msg}` : msg;
}

/**
 * The message an engine put in its error body (OpenAI shape, FastAPI `detail`, or plain text),
 * scrubbed of secrets and then truncated (in that order: a key straddling the cut must not survive
 * as a prefix).
 */
export function serverMessage(body: string, scrubber: Scrubber = NO_SECRETS): string {
  let msg = body.trim();
  try {
    const j = JSON.parse(body) as { error?: { message?: string } | string; message?: string; detail?: unknown };
    if (typeof j.error === 'object' && j.error?.message) msg = j.error.message;
    else if (typeof j.error === 'string') msg = j.error;
    else if (typeof j.message === 'string') msg = j.message;
    else if (j.detail !== undefined) msg = typeof j.detail === 'string' ? j.detail : JSON.stringify(j.detail);
  } catch {
    // not JSON: keep the text
  }
  return scrubber.clip(msg, 300);
}
