// Simulator, I/O side: an OpenAI-compatible HTTP server on node:http that `npm start` and the
// tests drive instead of a GPU. model.ts decides what a request produces; this module decides
// when bytes leave: each token is written at t0 + TTFT + i × itlMs, t0 being the moment the
// request body was fully received, through the one DeadlineScheduler shared by all streams.
// The core of loadshape never imports this module (only the CLI's `sim` command does).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ModelList } from '../protocol/openai.js';
import { errorBody, planRequest, type Endpoint, type GenerationPlan, type PlanError } from './model.js';
import { DeadlineScheduler, type ScheduledTask } from './scheduler.js';

export interface SimOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  model: string;
  /** Base time from request received to first token. */
  ttftMs: number;
  /** Added to the time to first token per prompt token (prefill). */
  prefillMsPerToken: number;
  /** Fixed time between two tokens of one stream. */
  itlMs: number;
  /** Output tokens when a request sends no max_tokens. */
  defaultMaxTokens: number;
  /** Context window advertised in /v1/models; longer prompts get a 400. */
  maxModelLen: number;
  /**
   * Called after each streamed token is handed to the kernel, with how late that was relative to
   * its deadline (ms, ≥ 0), and the token's 0-based index in its stream (0 is the first token,
   * whose lag adds to TTFT). For measuring the simulator itself (scripts/sim-exactness.ts).
   */
  onTokenSent?: (lagMs: number, tokenIndex: number) => void;
}

export interface SimServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:PORT/v1. */
  readonly url: string;
  readonly port: number;
  /** Generation requests received and not yet finished or disconnected. */
  readonly activeRequests: number;
  /** Ends open connections (streams included) and stops listening. */
  close(): Promise<void>;
}

export const DEFAULT_SIM_OPTIONS: Readonly<SimOptions> = {
  host: '127.0.0.1',
  port: 0,
  model: 'loadshape-sim',
  ttftMs: 50,
  prefillMsPerToken: 0.02,
  itlMs: 10,
  defaultMaxTokens: 256,
  maxModelLen: 131072,
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

export async function startSimulator(opts: Partial<SimOptions> = {}): Promise<SimServer> {
  const options: SimOptions = { ...DEFAULT_SIM_OPTIONS, ...stripUndefined(opts) };
  for (const key of ['ttftMs', 'prefillMsPerToken', 'itlMs'] as const) {
    if (!Number.isFinite(options[key]) || options[key] < 0) throw new RangeError(`${key} must be a non-negative number, got ${options[key]}`);
  }
  for (const key of ['defaultMaxTokens', 'maxModelLen'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1) throw new RangeError(`${key} must be a positive integer, got ${options[key]}`);
  }

  const scheduler = new DeadlineScheduler();
  const version = readVersion();
  const createdS = Math.floor(Date.now() / 1000);
  const idPrefix = randomBytes(4).toString('hex');
  let requestCounter = 0;
  let active = 0;
  let closing: Promise<void> | undefined;

  const modelsBody = JSON.stringify({
    object: 'list',
    data: [{ id: options.model, object: 'model', created: createdS, owned_by: 'loadshape', max_model_len: options.maxModelLen }],
  } satisfies ModelList);

  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    scheduler.poll();
    const path = (req.url ?? '/').split('?', 1)[0];
    const endpoint: Endpoint | undefined =
      path === '/v1/chat/completions' ? 'chat' : path === '/v1/completions' ? 'completions' : undefined;

    if (endpoint !== undefined) {
      if (req.method !== 'POST') return sendError(res, errorBody(405, `${path} accepts POST only`, 'method_not_allowed'));
      active++;
      res.once('close', () => active--);
      return receive(req, res, endpoint);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, errorBody(404, `no route for ${req.method} ${path}`, 'not_found'));
    }
    switch (path) {
      case '/health':
        res.writeHead(200, { 'content-length': 0 }).end();
        return;
      case '/version':
        return sendJson(res, 200, JSON.stringify({ version }));
      case '/v1/models':
        return sendJson(res, 200, modelsBody);
      default:
        return sendError(res, errorBody(404, `no route for ${req.method} ${path}`, 'not_found'));
    }
  });

  function receive(req: http.IncomingMessage, res: http.ServerResponse, endpoint: Endpoint): void {
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
      scheduler.poll();
      if (tooLarge) return sendError(res, errorBody(413, `request body over ${MAX_BODY_BYTES} bytes`, 'body_too_large'));
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks, bytes).toString('utf8'));
      } catch (err) {
        return sendError(res, errorBody(400, `request body is not valid JSON: ${(err as Error).message}`, 'invalid_json'));
      }
      const planned = planRequest(endpoint, body, options);
      if (!planned.ok) return sendError(res, planned.error);
      if (res.destroyed) return;
      if (closing !== undefined) {
        res.destroy();
        return;
      }
      const id = `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${idPrefix}${(++requestCounter).toString(16).padStart(8, '0')}`;
      const task = planned.plan.stream
        ? new StreamTask(res, planned.plan, id, options, receivedAtMs)
        : new BufferedTask(res, planned.plan, id, options, receivedAtMs);
      res.once('close', () => {
        scheduler.remove(task);
        // Thousands of streams ending together is another burst of callbacks (see poll()).
        scheduler.poll();
      });
      scheduler.add(task);
      scheduler.poll();
    });
  }

  // Accepting a connection is a loop callback too: during a connect storm it is the only one.
  server.on('connection', () => scheduler.poll());

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
    get activeRequests() {
      return active;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        scheduler.stop();
        server.close(() => resolve());
        // Streams and idle keep-alive sockets would otherwise hold close() open until they end.
        server.closeAllConnections();
      });
      return closing;
    },
  };
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

function usageOf(plan: GenerationPlan): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const completion = plan.output.pieces.length;
  return { prompt_tokens: plan.promptTokens, completion_tokens: completion, total_tokens: plan.promptTokens + completion };
}

/**
 * One streamed response. Everything but the generated piece is rendered when the request arrives;
 * run() only concatenates and writes. Headers and the role chunk go out with the first token,
 * as vLLM does, so a client's time to first byte is the time to first token.
 */
class StreamTask implements ScheduledTask {
  dueAtMs: number;
  heapIndex = -1;
  private next = 0;
  private readonly firstAtMs: number;
  private readonly itlMs: number;
  private readonly pieces: readonly string[];
  private readonly head: string;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly lastSuffix: string;
  private readonly tail: string;
  private readonly onTokenSent: ((lagMs: number, tokenIndex: number) => void) | undefined;
  private rawSocket: Socket | undefined;

  constructor(
    private readonly res: http.ServerResponse,
    plan: GenerationPlan,
    id: string,
    options: SimOptions,
    receivedAtMs: number,
  ) {
    this.firstAtMs = receivedAtMs + plan.firstTokenMs;
    this.dueAtMs = this.firstAtMs;
    this.itlMs = plan.itlMs;
    this.pieces = plan.output.pieces;
    this.onTokenSent = options.onTokenSent;
    const created = Math.floor(Date.now() / 1000);
    const model = options.model;
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
    const usage = plan.includeUsage ? `data: ${JSON.stringify(envelope([], { usage: usageOf(plan) }))}\n\n` : '';
    this.tail = `${usage}data: [DONE]\n\n`;
  }

  run(nowMs: number): number | null {
    const res = this.res;
    const pieces = this.pieces;
    const last = pieces.length - 1;
    const first = this.next;
    let out = first === 0 ? this.head : '';
    let i = first;
    // Normally one token; if the loop fell behind, every token already due goes out in one write.
    do {
      out += this.prefix + escapePiece(pieces[i]) + (i === last ? this.lastSuffix : this.suffix);
      i++;
    } while (i <= last && this.firstAtMs + i * this.itlMs <= nowMs);
    this.next = i;

    const done = i > last;
    if (first === 0) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    }
    if (done) res.end(out + this.tail);
    else if (first > 0 && this.rawSocket !== undefined) {
      // Past the headers, a token is one chunk of chunked encoding written straight to the socket:
      // one string and one syscall, without node:http's per-write bookkeeping and corking.
      if (!this.rawSocket.destroyed) this.rawSocket.write(`${Buffer.byteLength(out).toString(16)}\r\n${out}\r\n`);
    } else {
      res.write(out);
      // node:http corks the socket until the next tick; flush now so the token leaves at its deadline
      // rather than after the rest of this batch (and so the lag measured below is the real one).
      const socket = res.socket;
      socket?.uncork();
      // Framing by hand is only right when node:http chose chunked encoding (an HTTP/1.1 client).
      if (socket && (res as unknown as { chunkedEncoding?: boolean }).chunkedEncoding === true) this.rawSocket = socket;
    }

    const report = this.onTokenSent;
    if (report !== undefined) {
      const sentAtMs = performance.now();
      for (let k = first; k < i; k++) report(Math.max(0, sentAtMs - (this.firstAtMs + k * this.itlMs)), k);
    }
    return done ? null : this.firstAtMs + i * this.itlMs;
  }
}

/** A non-streamed response: the whole body goes out when the last token would have. */
class BufferedTask implements ScheduledTask {
  dueAtMs: number;
  heapIndex = -1;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly plan: GenerationPlan,
    private readonly id: string,
    private readonly options: SimOptions,
    receivedAtMs: number,
  ) {
    this.dueAtMs = receivedAtMs + plan.firstTokenMs + (plan.output.pieces.length - 1) * plan.itlMs;
  }

  run(): null {
    const { plan, id } = this;
    const created = Math.floor(Date.now() / 1000);
    const text = plan.output.pieces.join('');
    let body: unknown;
    if (plan.endpoint === 'completions') {
      body = {
        id,
        object: 'text_completion',
        created,
        model: this.options.model,
        choices: [{ index: 0, text, logprobs: null, finish_reason: plan.finishReason }],
        usage: usageOf(plan),
      };
    } else {
      const message =
        plan.output.kind === 'tool_call'
          ? {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: `call_${id.slice(id.indexOf('-') + 1)}`, type: 'function', function: { name: plan.output.name, arguments: text } },
              ],
            }
          : { role: 'assistant', content: text };
      body = {
        id,
        object: 'chat.completion',
        created,
        model: this.options.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
        usage: usageOf(plan),
      };
    }
    sendJson(this.res, 200, JSON.stringify(body));
    return null;
  }
}
