// Simulator, I/O side: an OpenAI-compatible HTTP server on node:http that `npm start` and the
// tests drive instead of a GPU. model.ts decides what a request produces; engine.ts (for the
// engine profiles) decides when each token is generated; this module decides when bytes leave,
// through the one DeadlineScheduler shared by all streams. Under the `fixed` profile each token is
// written at t0 + TTFT + i × itlMs, t0 being the moment the request body was fully received; under
// the engine profiles one scheduler task runs the engine's steps at their computed end times and
// writes every token a step produced. Faults (faults.ts) and /metrics (metrics.ts) are acted out here.
// The core of loadshape never imports this module (only the CLI's `sim`/`run` commands do).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ModelList } from '../protocol/openai.js';
import { mulberry32 } from '../util/rng.js';
import { BASE_SETTINGS, checkSettings, PROFILE_DEFAULTS, usesEngine, type SimSettings } from './config.js';
import { BlockingEngine, ContinuousEngine, type Engine, type EngineParams, type EngineSink } from './engine.js';
import { FaultPicker, type FaultAction } from './faults.js';
import { Histogram, ITL_BUCKETS_S, REQUEST_TIME_BUCKETS_S, renderMetrics, TTFT_BUCKETS_S } from './metrics.js';
import { errorBody, planRequest, type Endpoint, type GenerationPlan, type OutputFaults, type PlanError } from './model.js';
import { blockHashes, promptTexts } from './prefix.js';
import { DeadlineScheduler, type ScheduledTask } from './scheduler.js';


/**
 * /version answers in vLLM's shape (a `version` string) and says who is answering, so a result never
 * credits vLLM with the simulator's numbers (provenance/collect.ts reads the same name).
 */
export const SIM_ENGINE = 'loadshape-sim';
export interface SimOptions extends SimSettings {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Called after each streamed token is handed to the kernel, with how late that was relative to
   * its deadline (ms, ≥ 0), and the token's 0-based index in its stream (0 is the first token,
   * whose lag adds to TTFT). For measuring the simulator itself (scripts/sim-exactness.ts).
   */
  onTokenSent?: (lagMs: number, tokenIndex: number) => void;
  /**
   * Called for each generation request the simulator accepts, with the parsed body, the prompt
   * tokens it counted and the output it will stream (text, or a tool call's arguments): the
   * simulator's view of the traffic, for tests of what the client sent.
   */
  onRequest?: (view: { endpoint: Endpoint; body: unknown; promptTokens: number; outputText: string }) => void;
  /** Called for each TCP connection accepted (tests of connection reuse and the client's warm start). */
  onConnection?: () => void;
}

export interface SimServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:PORT/v1. */
  readonly url: string;
  readonly port: number;
  readonly profile: SimSettings['profile'];
  /** Generation requests received and not yet finished or disconnected. */
  readonly activeRequests: number;
  /** Ends open connections (streams included) and stops listening. */
  close(): Promise<void>;
}

/** startSimulator's defaults: the `fixed` profile unless `profile` says otherwise (the CLI defaults to continuous-batching). */
export const DEFAULT_SIM_OPTIONS: Readonly<SimOptions> = {
  ...BASE_SETTINGS,
  ...PROFILE_DEFAULTS.fixed,
  profile: 'fixed',
  host: '127.0.0.1',
  port: 0,
};

/** Far above any prompt that fits maxModelLen words; a guard against a runaway client, not a limit anyone meets. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

// A placeholder JSON.stringify leaves as is, so the rendered chunk can be split around it.
const PIECE_MARK = '@@loadshape-sim-piece@@';

/** Characters that a JSON string cannot hold verbatim; free-text vocabulary has none, so it skips stringify. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function escapePiece(piece: string): string {
  return NEEDS_ESCAPE.test(piece) ? JSON.stringify(piece).slice(1, -1) : piece;
}

function readVersion(): string {
  try {
    // ../../package.json from both src/sim and dist/sim.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** What every request handler of one simulator shares. */
interface SimState {
  readonly options: SimOptions;
  readonly scheduler: DeadlineScheduler;
  readonly metrics: SimMetrics;
  readonly faults: FaultPicker;
  readonly outputFaults: OutputFaults | undefined;
  /** slow_first_byte timers of the engine profiles, cleared on close. */
  readonly timers: Set<NodeJS.Timeout>;
  readonly startedAtMs: number;
  readonly idPrefix: string;
  readonly version: string;
  readonly modelsBody: string;
  readonly runner: EngineRunner | null;
  requestCounter: number;
  active: number;
  closing: Promise<void> | undefined;
}

function resolveOptions(opts: Partial<SimOptions>): SimOptions {
  const given = stripUndefined(opts);
  const profile = given.profile ?? DEFAULT_SIM_OPTIONS.profile;
  const options: SimOptions = { ...DEFAULT_SIM_OPTIONS, ...PROFILE_DEFAULTS[profile], ...given, profile };
  checkSettings(options);
  return options;
}

function openState(options: SimOptions): SimState {
  const scheduler = new DeadlineScheduler();
  const metrics = new SimMetrics();
  const s = options.structured;
  const outputFaults: OutputFaults | undefined =
    s.invalidJson + s.schemaViolation + s.truncated + s.unknownTool + s.badToolArguments > 0
      ? { rates: s, draw: mulberry32(options.seed ^ 0x5ca1ab1e) }
      : undefined;
  const state: SimState = {
    options,
    scheduler,
    metrics,
    faults: new FaultPicker(options.faults, mulberry32(options.seed ^ 0x0fa017)),
    outputFaults,
    timers: new Set(),
    startedAtMs: performance.now(),
    idPrefix: randomBytes(4).toString('hex'),
    version: readVersion(),
    modelsBody: JSON.stringify({
      object: 'list',
      data: [{ id: options.model, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'loadshape', max_model_len: options.maxModelLen }],
    } satisfies ModelList),
    runner: null,
    requestCounter: 0,
    active: 0,
    closing: undefined,
  };
  if (usesEngine(options.profile)) {
    (state as { runner: EngineRunner | null }).runner = new EngineRunner(options, scheduler, metrics, () => state.closing !== undefined);
  }
  return state;
}

export async function startSimulator(opts: Partial<SimOptions> = {}): Promise<SimServer> {
  const options = resolveOptions(opts);
  const state = openState(options);
  const { scheduler } = state;
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    scheduler.poll();
    const path = (req.url ?? '/').split('?', 1)[0];
    const endpoint: Endpoint | undefined =
      path === '/v1/chat/completions' ? 'chat' : path === '/v1/completions' ? 'completions' : undefined;
    if (endpoint === undefined) return answerGet(state, req, res, path);
    if (req.method !== 'POST') return sendError(res, errorBody(405, `${path} accepts POST only`, 'method_not_allowed'));
    state.active++;
    res.once('close', () => state.active--);
    return receive(state, req, res, endpoint);
  });
  // Accepting a connection is a loop callback too: during a connect storm it is the only one.
  server.on('connection', () => void (scheduler.poll(), options.onConnection?.()));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `http://${hostForUrl}:${port}/v1`,
    port,
    profile: options.profile,
    get activeRequests() {
      return state.active;
    },
    close() {
      state.closing ??= new Promise<void>((resolve) => {
        scheduler.stop();
        for (const t of state.timers) clearTimeout(t);
        state.timers.clear();
        server.close(() => resolve());
        // Streams and idle keep-alive sockets would otherwise hold close() open until they end.
        server.closeAllConnections();
      });
      return state.closing;
    },
  };
}

/** Everything but the two generation endpoints: health, version, models, metrics. */
function answerGet(state: SimState, req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendError(res, errorBody(404, `no route for ${req.method} ${path}`, 'not_found'));
  }
  switch (path) {
    case '/health':
      res.writeHead(200, { 'content-length': 0 }).end();
      return;
    case '/version':
      return sendJson(res, 200, JSON.stringify({ version: state.version, engine: SIM_ENGINE, mimics: 'vllm' }));
    case '/v1/models':
      return sendJson(res, 200, state.modelsBody);
    case '/metrics': {
      const body = metricsText(state);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    default:
      return sendError(res, errorBody(404, `no route for ${req.method} ${path}`, 'not_found'));
  }
}

function metricsText(state: SimState): string {
  const { runner, metrics } = state;
  runner?.catchUp();
  const engine = runner?.engine;
  const g = engine?.gauges() ?? { running: state.scheduler.size, waiting: 0, kvUsage: 0 };
  const c = engine?.counters;
  return renderMetrics({
    modelName: state.options.model,
    ...g,
    prefixQueryTokens: c?.prefixQueryTokens ?? 0,
    prefixHitTokens: c?.prefixHitTokens ?? 0,
    preemptions: c?.preemptions ?? 0,
    promptTokens: metrics.promptTokens,
    generationTokens: metrics.generationTokens,
    successByReason: metrics.successByReason,
    queueTime: metrics.queueTime,
    ttft: metrics.ttft,
    itl: metrics.itl,
    e2e: metrics.e2e,
  });
}

/** Reads a generation request's body, then hands it to accept(). */
function receive(state: SimState, req: http.IncomingMessage, res: http.ServerResponse, endpoint: Endpoint): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  });
  // A client that vanishes mid-body leaves nothing to answer.
  req.on('error', () => undefined);
  req.on('end', () => {
    const receivedAtMs = performance.now();
    state.scheduler.poll();
    if (tooLarge) return sendError(res, errorBody(413, `request body over ${MAX_BODY_BYTES} bytes`, 'body_too_large'));
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks, bytes).toString('utf8'));
    } catch (err) {
      return sendError(res, errorBody(400, `request body is not valid JSON: ${(err as Error).message}`, 'invalid_json'));
    }
    accept(state, req, res, endpoint, body, receivedAtMs);
  });
}

/** Plans a parsed request and schedules its answer (fixed profile) or submits it to the engine. */
function accept(state: SimState, req: http.IncomingMessage, res: http.ServerResponse, endpoint: Endpoint, body: unknown, receivedAtMs: number): void {
  const { options, runner } = state;
  const planned = planRequest(endpoint, body, options, state.outputFaults);
  if (!planned.ok) return sendError(res, planned.error);
  const plan = planned.plan;
  const outputTokens = plan.output.pieces.length;
  if (runner !== null && !runner.engine.fits(plan.promptTokens, outputTokens)) {
    return sendError(
      res,
      errorBody(400, `prompt (${plan.promptTokens}) + output (${outputTokens}) tokens exceed the simulated KV cache of ${options.kvBudgetTokens} tokens`, 'context_length_exceeded'),
    );
  }
  options.onRequest?.({ endpoint, body, promptTokens: plan.promptTokens, outputText: plan.output.pieces.join('') });
  if (res.destroyed) return;
  if (state.closing !== undefined) {
    res.destroy();
    return;
  }
  const num = ++state.requestCounter;
  const fault = state.faults.pick(num, receivedAtMs - state.startedAtMs, outputTokens, plan.stream);
  if (fault !== null && actBeforeHeaders(fault, req, res)) return;
  const id = `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${state.idPrefix}${num.toString(16).padStart(8, '0')}`;
  const delayMs = fault?.type === 'slow_first_byte' ? fault.delayMs : 0;
  state.metrics.promptTokens += plan.promptTokens;

  if (runner === null) {
    const { scheduler, metrics } = state;
    const task = plan.stream
      ? new StreamTask(res, plan, id, options, receivedAtMs + delayMs, receivedAtMs, metrics, fault)
      : new BufferedTask(res, plan, id, options, receivedAtMs + delayMs, receivedAtMs, metrics);
    res.once('close', () => {
      scheduler.remove(task);
      // Thousands of streams ending together is another burst of callbacks (see poll()).
      scheduler.poll();
    });
    scheduler.add(task);
    scheduler.poll();
    return;
  }

  const hashes = options.profile === 'prefix-cache' ? blockHashes(promptTexts(body), options.blockTokens) : undefined;
  const submit = (): void => {
    if (res.destroyed || state.closing !== undefined) return;
    runner.submit(num, new EngineJob(res, plan, id, options, performance.now(), state.metrics, fault), hashes);
  };
  res.once('close', () => runner.cancel(num));
  if (delayMs > 0) {
    const t = setTimeout(() => {
      state.timers.delete(t);
      submit();
    }, delayMs);
    state.timers.add(t);
  } else submit();
}

/**
 * The engine profiles: one scheduler task runs the engine's steps at their end times and hands each
 * token the engine produced to its request's EngineJob.
 */
class EngineRunner {
  readonly engine: Engine;
  private readonly jobs = new Map<number, EngineJob>();
  /** performance.now() of the engine.advance() under way, for the lag of the writes it makes. */
  private advanceNowMs = 0;
  private readonly task: ScheduledTask;

  constructor(
    options: SimOptions,
    private readonly scheduler: DeadlineScheduler,
    metrics: SimMetrics,
    private readonly isClosing: () => boolean,
  ) {
    const sink: EngineSink = {
      token: (num, index, atMs) => {
        const job = this.jobs.get(num);
        if (job === undefined) return;
        if (index === job.plan.output.pieces.length - 1) this.jobs.delete(num);
        job.token(index, atMs, this.advanceNowMs);
      },
      admitted: (num, atMs, cachedTokens) => {
        const job = this.jobs.get(num);
        if (job === undefined) return;
        metrics.queueTime.observe(Math.max(0, atMs - job.submittedAtMs) / 1000);
        if (options.profile === 'prefix-cache') job.cachedTokens = cachedTokens;
      },
    };
    const params: EngineParams = {
      decodeBaseMs: options.decodeBaseMs,
      decodePerSeqMs: options.decodePerSeqMs,
      decodePerKContextMs: options.decodePerKContextMs,
      prefillMsPerToken: options.prefillMsPerToken,
      prefillChunkTokens: options.prefillChunkTokens,
      longPrefillTokens: options.longPrefillTokens,
      maxRunningSeqs: options.maxRunningSeqs,
      kvBudgetTokens: options.kvBudgetTokens,
      preemption: options.preemption,
      prefixCache: options.profile === 'prefix-cache',
      prefixCacheBlocks: options.prefixCacheBlocks || Math.floor(options.kvBudgetTokens / options.blockTokens),
      blockTokens: options.blockTokens,
    };
    this.engine = options.profile === 'blocking' ? new BlockingEngine(params, options.slots, sink) : new ContinuousEngine(params, sink);
    const engine = this.engine;
    this.task = {
      dueAtMs: Infinity,
      heapIndex: -1,
      run: (nowMs) => {
        this.advanceNowMs = nowMs;
        engine.advance(nowMs);
        return engine.nextEventAtMs();
      },
    };
  }

  /** Runs the steps that ended before now (for /metrics, read between steps). */
  catchUp(): void {
    this.advanceNowMs = performance.now();
    this.engine.advance(this.advanceNowMs);
    this.kick();
  }

  submit(num: number, job: EngineJob, hashes: number[] | undefined): void {
    const nowMs = performance.now();
    this.advanceNowMs = nowMs;
    // Steps that ended before now come first, so this request joins at the next boundary.
    this.engine.advance(nowMs);
    this.jobs.set(num, job);
    this.engine.submit({ id: num, promptTokens: job.plan.promptTokens, outputTokens: job.plan.output.pieces.length, blockHashes: hashes }, nowMs);
    this.kick();
  }

  cancel(num: number): void {
    if (!this.jobs.delete(num)) return;
    // Deferred: a close raised while the engine is writing must not change its state mid-step.
    queueMicrotask(() => {
      this.engine.cancel(num, performance.now());
      this.kick();
    });
  }

  /** Re-files the engine task under the engine's next event after a submit or cancel. */
  private kick(): void {
    if (this.isClosing()) return;
    const next = this.engine.nextEventAtMs();
    const task = this.task;
    if (task.heapIndex !== -1) {
      if (next === task.dueAtMs) return;
      this.scheduler.remove(task);
    }
    if (next === null) return;
    task.dueAtMs = next;
    this.scheduler.add(task);
  }
}

/** Answers a fault that strikes before the response starts; false when the fault acts later. */
function actBeforeHeaders(fault: FaultAction, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  switch (fault.type) {
    case 'http_500':
      sendError(res, errorBody(500, 'simulated fault: internal server error', 'internal_server_error'));
      return true;
    case 'http_429': {
      const body = JSON.stringify({
        error: { message: 'simulated fault: rate limit reached, retry after 1 second', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
      });
      res.writeHead(429, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'retry-after': '1' });
      res.end(body);
      return true;
    }
    case 'loading_503': {
      const body = JSON.stringify({ error: { message: 'simulated fault: the model is still loading', type: 'server_error', param: null, code: 'model_loading' } });
      res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'retry-after': '1' });
      res.end(body);
      return true;
    }
    case 'reset': {
      // An RST rather than a FIN where Node can: what a crashed worker or a proxy timeout looks like.
      const socket = req.socket as Socket & { resetAndDestroy?: () => void };
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      return true;
    }
    default:
      return false;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sendJson(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: http.ServerResponse, error: PlanError): void {
  if (res.destroyed || res.headersSent) return;
  sendJson(res, error.status, JSON.stringify(error.body));
}

/** The chunk JSON around one generated piece, split once per stream so a token costs two concatenations. */
function chunkTemplate(chunk: unknown): { prefix: string; suffix: string } {
  const json = `data: ${JSON.stringify(chunk)}\n\n`;
  const at = json.indexOf(PIECE_MARK);
  return { prefix: json.slice(0, at), suffix: json.slice(at + PIECE_MARK.length) };
}

/**
 * The usage object: with prompt_tokens_details.cached_tokens under the prefix-cache profile (the
 * tokens its cache held at admission, vLLM's field) and completion_tokens_details.reasoning_tokens
 * for a reasoning answer (unless the simulator plays an engine that leaves it out).
 */
function usageOf(plan: GenerationPlan, cachedTokens: number | null): Record<string, unknown> {
  const completion = plan.output.pieces.length;
  const usage: Record<string, unknown> = { prompt_tokens: plan.promptTokens, completion_tokens: completion, total_tokens: plan.promptTokens + completion };
  if (cachedTokens !== null) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
  if (plan.reasoningTokens > 0 && plan.reasoningInUsage) usage.completion_tokens_details = { reasoning_tokens: plan.reasoningTokens };
  return usage;
}

/** What the server saw, for /metrics: vLLM measures from its own side, at generation time. */
class SimMetrics {
  readonly queueTime = new Histogram(REQUEST_TIME_BUCKETS_S);
  readonly ttft = new Histogram(TTFT_BUCKETS_S);
  readonly itl = new Histogram(ITL_BUCKETS_S);
  readonly e2e = new Histogram(REQUEST_TIME_BUCKETS_S);
  promptTokens = 0;
  generationTokens = 0;
  readonly successByReason: Record<string, number> = {};

  /** Token `index` of a request that arrived at `arrivedAtMs` was generated at `atMs` (the previous at `prevAtMs`). */
  token(plan: GenerationPlan, index: number, atMs: number, prevAtMs: number, arrivedAtMs: number): void {
    this.generationTokens++;
    if (index === 0) this.ttft.observe(Math.max(0, atMs - arrivedAtMs) / 1000);
    else this.itl.observe(Math.max(0, atMs - prevAtMs) / 1000);
    if (index === plan.output.pieces.length - 1) {
      this.e2e.observe(Math.max(0, atMs - arrivedAtMs) / 1000);
      // vLLM counts a tool call's finish as "stop".
      const reason = plan.finishReason === 'length' ? 'length' : 'stop';
      this.successByReason[reason] = (this.successByReason[reason] ?? 0) + 1;
    }
  }
}

/**
 * The bytes of one streamed response. Everything but the generated piece is rendered when the
 * request arrives; a write only concatenates. Headers and the role chunk go out with the first
 * token, as vLLM does, so a client's time to first byte is the time to first token. Mid-stream
 * faults (cut, error object, malformed chunk, stall) happen here, just before token `atToken`.
 */
class StreamWriter {
  /** Tokens written. */
  written = 0;
  /** Tokens generated so far (a stall holds written below it). */
  available = 0;
  ended = false;
  /** While stalled: when the stall ends. */
  stalledUntilMs: number | null = null;
  private faultDone = false;
  private readonly pieces: readonly string[];
  private readonly head: string;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly lastSuffix: string;
  /** Reasoning pieces (the first plan.reasoningTokens): delta.reasoning_content instead of content. */
  private readonly reasoning: number;
  private readonly reasoningPrefix: string = '';
  private readonly reasoningSuffix: string = '';
  /** Prefix-cache profile: tokens found cached at admission, for usage (set by EngineJob). */
  cachedTokens: number | null = null;
  private readonly usageEnvelope: (() => string) | null;
  private readonly errorEvent: string;
  private readonly malformedEvent: string;
  private rawSocket: Socket | undefined;

  constructor(
    private readonly res: http.ServerResponse,
    plan: GenerationPlan,
    id: string,
    model: string,
    private readonly fault: FaultAction | null,
  ) {
    this.pieces = plan.output.pieces;
    const created = Math.floor(Date.now() / 1000);
    const chat = plan.endpoint === 'chat';
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const envelope = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ id, object, created, model, choices, ...extra });

    let pieceChoice: (finish: string | null) => unknown;
    if (!chat) {
      pieceChoice = (finish) => ({ index: 0, text: PIECE_MARK, logprobs: null, finish_reason: finish });
      this.head = '';
    } else if (plan.output.kind === 'tool_call') {
      pieceChoice = (finish) => ({
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: PIECE_MARK } }] },
        logprobs: null,
        finish_reason: finish,
      });
      const callId = `call_${id.slice(id.indexOf('-') + 1)}`;
      const delta = {
        role: 'assistant',
        content: null,
        tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: plan.output.name, arguments: '' } }],
      };
      this.head = `data: ${JSON.stringify(envelope([{ index: 0, delta, logprobs: null, finish_reason: null }]))}\n\n`;
    } else {
      pieceChoice = (finish) => ({ index: 0, delta: { content: PIECE_MARK }, logprobs: null, finish_reason: finish });
      const delta = { role: 'assistant', content: '' };
      this.head = `data: ${JSON.stringify(envelope([{ index: 0, delta, logprobs: null, finish_reason: null }]))}\n\n`;
    }
    ({ prefix: this.prefix, suffix: this.suffix } = chunkTemplate(envelope([pieceChoice(null)])));
    // vLLM puts finish_reason on the last token's chunk rather than on an extra empty one.
    this.lastSuffix = chunkTemplate(envelope([pieceChoice(plan.finishReason)])).suffix;
    this.reasoning = chat ? plan.reasoningTokens : 0;
    if (this.reasoning > 0) {
      ({ prefix: this.reasoningPrefix, suffix: this.reasoningSuffix } = chunkTemplate(
        envelope([{ index: 0, delta: { reasoning_content: PIECE_MARK }, logprobs: null, finish_reason: null }]),
      ));
    }
    // Rendered at the end: cached_tokens is known only once the engine admitted the request.
    this.usageEnvelope = plan.includeUsage ? () => `data: ${JSON.stringify(envelope([], { usage: usageOf(plan, this.cachedTokens) }))}\n\n` : null;
    // vLLM's shape for an error raised while streaming: an error object in a data event, then [DONE].
    this.errorEvent = `data: ${JSON.stringify({ error: { message: 'simulated fault: engine error while generating', type: 'server_error', param: null, code: 500 } })}\n\ndata: [DONE]\n\n`;
    this.malformedEvent = `data: {"id":"${id}","object":"${object}","choices":[{"index":0,"delta":{"content":"\n\n`;
  }

  /** Tokens below `upTo` have been generated: writes every one that may go out now. */
  offer(upTo: number, nowMs: number): void {
    if (upTo > this.available) this.available = upTo;
    if (this.ended || (this.stalledUntilMs !== null && nowMs < this.stalledUntilMs)) return;
    this.stalledUntilMs = null;
    const limit = this.available;
    const f = this.fault;
    if (f !== null && !this.faultDone && 'atToken' in f && limit > f.atToken) {
      this.faultDone = true;
      const before = this.render(this.written, f.atToken);
      switch (f.type) {
        case 'cut':
          this.flush(before, false);
          this.ended = true;
          this.res.destroy();
          return;
        case 'stream_error':
          this.ended = true;
          this.flush(before + this.errorEvent, true, '');
          return;
        case 'stall':
          if (before !== '') this.flush(before, false);
          this.stalledUntilMs = nowMs + f.stallMs;
          return;
        case 'malformed':
          this.flush(before + this.malformedEvent + this.render(f.atToken, limit), false);
          return;
      }
    }
    if (limit > this.written) this.flush(this.render(this.written, limit), false);
  }

  private render(from: number, to: number): string {
    const pieces = this.pieces;
    const last = pieces.length - 1;
    let out = from === 0 && to > 0 ? this.head : '';
    const r = this.reasoning;
    for (let i = from; i < to; i++) {
      out += i < r ? this.reasoningPrefix + escapePiece(pieces[i]) + this.reasoningSuffix : this.prefix + escapePiece(pieces[i]) + (i === last ? this.lastSuffix : this.suffix);
    }
    if (to > this.written) this.written = to;
    return out;
  }

  private get tail(): string {
    return `${this.usageEnvelope?.() ?? ''}data: [DONE]\n\n`;
  }

  private flush(out: string, forceEnd: boolean, tail?: string): void {
    const res = this.res;
    if (res.destroyed) {
      this.ended = true;
      return;
    }
    const done = forceEnd || this.written >= this.pieces.length;
    if (!res.headersSent) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    }
    if (done) {
      this.ended = true;
      res.end(out + (tail ?? this.tail));
    } else if (this.rawSocket !== undefined) {
      // Past the headers, a token is one chunk of chunked encoding written straight to the socket:
      // one string and one syscall, without node:http's per-write bookkeeping and corking.
      if (!this.rawSocket.destroyed) this.rawSocket.write(`${Buffer.byteLength(out).toString(16)}\r\n${out}\r\n`);
    } else {
      res.write(out);
      // node:http corks the socket until the next tick; flush now so the token leaves at its deadline
      // rather than after the rest of this batch (and so the lag measured is the real one).
      const socket = res.socket;
      socket?.uncork();
      // Framing by hand is only right when node:http chose chunked encoding (an HTTP/1.1 client).
      if (socket && (res as unknown as { chunkedEncoding?: boolean }).chunkedEncoding === true) this.rawSocket = socket;
    }
  }
}

/** fixed profile, streamed: token i is due at firstAtMs + i × itlMs. */
class StreamTask implements ScheduledTask {
  dueAtMs: number;
  heapIndex = -1;
  private generated = 0;
  private readonly writer: StreamWriter;
  private readonly itlMs: number;
  private readonly last: number;
  private readonly onTokenSent: ((lagMs: number, tokenIndex: number) => void) | undefined;

  constructor(
    res: http.ServerResponse,
    private readonly plan: GenerationPlan,
    id: string,
    options: SimOptions,
    /** When the response may start (arrival, or later for a slow-first-byte fault). */
    startAtMs: number,
    private readonly arrivedAtMs: number,
    private readonly metrics: SimMetrics,
    fault: FaultAction | null,
  ) {
    this.firstAtMs = startAtMs + plan.firstTokenMs;
    this.dueAtMs = this.firstAtMs;
    this.itlMs = plan.itlMs;
    this.last = plan.output.pieces.length - 1;
    this.onTokenSent = options.onTokenSent;
    this.writer = new StreamWriter(res, plan, id, options.model, fault);
    metrics.queueTime.observe(0);
  }

  private readonly firstAtMs: number;

  run(nowMs: number): number | null {
    const first = this.generated;
    let i = first;
    // Normally one token; if the loop fell behind, every token already due goes out in one write.
    if (i <= this.last && this.firstAtMs + i * this.itlMs <= nowMs) {
      do i++;
      while (i <= this.last && this.firstAtMs + i * this.itlMs <= nowMs);
    }
    this.generated = i;
    for (let k = first; k < i; k++) {
      const atMs = this.firstAtMs + k * this.itlMs;
      this.metrics.token(this.plan, k, atMs, atMs - this.itlMs, this.arrivedAtMs);
    }
    const writtenBefore = this.writer.written;
    this.writer.offer(i, nowMs);
    const report = this.onTokenSent;
    if (report !== undefined && this.writer.written > writtenBefore) {
      const sentAtMs = performance.now();
      for (let k = writtenBefore; k < this.writer.written; k++) report(Math.max(0, sentAtMs - (this.firstAtMs + k * this.itlMs)), k);
    }
    if (this.writer.ended) return null;
    const nextToken = i <= this.last ? this.firstAtMs + i * this.itlMs : Infinity;
    const stall = this.writer.stalledUntilMs;
    const next = stall !== null ? Math.max(stall, Math.min(nextToken, stall)) : nextToken;
    return Number.isFinite(next) ? next : null;
  }
}

/** Builds a non-streamed response's body. */
function bufferedBody(plan: GenerationPlan, id: string, model: string, cachedTokens: number | null = null): string {
  const created = Math.floor(Date.now() / 1000);
  const text = plan.output.pieces.join('');
  const usage = usageOf(plan, cachedTokens);
  if (plan.endpoint === 'completions') {
    return JSON.stringify({
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ index: 0, text, logprobs: null, finish_reason: plan.finishReason }],
      usage,
    });
  }
  const message =
    plan.output.kind === 'tool_call'
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: `call_${id.slice(id.indexOf('-') + 1)}`, type: 'function', function: { name: plan.output.name, arguments: text } }],
        }
      : plan.reasoningTokens > 0
        ? { role: 'assistant', reasoning_content: plan.output.pieces.slice(0, plan.reasoningTokens).join(''), content: plan.output.pieces.slice(plan.reasoningTokens).join('') }
        : { role: 'assistant', content: text };
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
    usage,
  });
}

/** fixed profile, not streamed: the whole body goes out when the last token would have. */
class BufferedTask implements ScheduledTask {
  dueAtMs: number;
  heapIndex = -1;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly plan: GenerationPlan,
    private readonly id: string,
    private readonly options: SimOptions,
    startAtMs: number,
    private readonly arrivedAtMs: number,
    private readonly metrics: SimMetrics,
  ) {
    this.dueAtMs = startAtMs + plan.firstTokenMs + (plan.output.pieces.length - 1) * plan.itlMs;
    metrics.queueTime.observe(0);
  }

  run(): null {
    const { plan } = this;
    const n = plan.output.pieces.length;
    const firstAtMs = this.dueAtMs - (n - 1) * plan.itlMs;
    for (let k = 0; k < n; k++) this.metrics.token(plan, k, firstAtMs + k * plan.itlMs, firstAtMs + (k - 1) * plan.itlMs, this.arrivedAtMs);
    sendJson(this.res, 200, bufferedBody(plan, this.id, this.options.model));
    return null;
  }
}

/** An engine profile's request: the engine says when each token is generated; this writes it. */
class EngineJob {
  private lastAtMs = 0;
  private cached: number | null = null;
  private readonly writer: StreamWriter | null;
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: http.ServerResponse,
    readonly plan: GenerationPlan,
    private readonly id: string,
    private readonly options: SimOptions,
    readonly submittedAtMs: number,
    private readonly metrics: SimMetrics,
    fault: FaultAction | null,
  ) {
    this.writer = plan.stream ? new StreamWriter(res, plan, id, options.model, fault) : null;
    res.once('close', () => clearTimeout(this.resumeTimer));
  }

  /** Prefix-cache profile: the prompt tokens the engine found cached, for usage. */
  set cachedTokens(n: number) {
    this.cached = n;
    if (this.writer !== null) this.writer.cachedTokens = n;
  }

  token(index: number, atMs: number, nowMs: number): void {
    this.metrics.token(this.plan, index, atMs, this.lastAtMs, this.submittedAtMs);
    this.lastAtMs = atMs;
    const w = this.writer;
    if (w === null) {
      if (index === this.plan.output.pieces.length - 1) sendJson(this.res, 200, bufferedBody(this.plan, this.id, this.options.model, this.cached));
      return;
    }
    const before = w.written;
    w.offer(index + 1, nowMs);
    if (w.written > before) this.options.onTokenSent?.(Math.max(0, performance.now() - atMs), index);
    if (w.stalledUntilMs !== null && this.resumeTimer === undefined) {
      // The engine keeps generating; what it produced meanwhile goes out when the stall ends.
      const until = w.stalledUntilMs;
      // A timer may fire a fraction of a millisecond before `until` by performance.now(): the stall is over by definition.
      this.resumeTimer = setTimeout(() => w.offer(w.available, Math.max(performance.now(), until)), Math.max(0, until - nowMs));
    }
  }
}
