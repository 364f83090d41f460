// Probe, pure side: one HTTP result of a chat request → what the engine did (streamed or not, text,
// tool calls, usage, reasoning, finish reason, timing). Streams are read with loadshape's own SSE
// decoder and stream state, so a probe sees exactly what a run would see.
import { StreamReader } from '../client/stream.js';
import { serverMessage } from '../client/openai.js';
import { bodyText, type HttpResult } from './http.js';

export interface ChatObservation {
  /** HTTP status, or null when the request failed below HTTP (connect, timeout). */
  status: number | null;
  /** Transport error code or the server's error message. */
  error: string | null;
  contentType: string | null;
  streamed: boolean;
  /** SSE data events received (any kind). */
  events: number;
  /** Output-bearing chunks. */
  outputChunks: number;
  doneSeen: boolean;
  text: string;
  reasoningText: string;
  toolCalls: { name: string; arguments: string }[];
  finishReason: string | null;
  usage: { promptTokens: number | null; completionTokens: number | null } | null;
  /** Output tokens: usage when reported, else output chunks. */
  outputTokens: number;
  sentAtMs: number;
  firstOutputAtMs: number | null;
  endAtMs: number | null;
  /** The body was not valid UTF-8 (U+FFFD appeared where the raw bytes were not EF BF BD). */
  badUtf8: boolean;
  headers: Record<string, string>;
}

export function observeChat(r: HttpResult, maxEventBytes?: number): ChatObservation {
  const base: ChatObservation = {
    status: null,
    error: null,
    contentType: null,
    streamed: false,
    events: 0,
    outputChunks: 0,
    doneSeen: false,
    text: '',
    reasoningText: '',
    toolCalls: [],
    finishReason: null,
    usage: null,
    outputTokens: 0,
    sentAtMs: r.sentAtMs,
    firstOutputAtMs: null,
    endAtMs: null,
    badUtf8: false,
    headers: {},
  };
  if (r.kind === 'error') return { ...base, error: `${r.code}: ${r.message}` };
  const contentType = r.headers['content-type'] ?? null;
  const raw = Buffer.concat(r.reads.map((x) => x.data));
  const text = raw.toString('utf8');
  const badUtf8 = countReplacement(text) > countReplacementBytes(raw);
  const obs: ChatObservation = { ...base, status: r.status, contentType, endAtMs: r.endAtMs, badUtf8, headers: r.headers };
  if (r.status < 200 || r.status >= 300) return { ...obs, error: `HTTP ${r.status}: ${serverMessage(text)}` };

  if (contentType?.includes('text/event-stream') || text.startsWith('data:')) {
    let events = 0;
    const reader = new StreamReader({ keepText: true, maxEventBytes });
    const counting = reader.state.onEvent.bind(reader.state);
    reader.state.onEvent = (data, event, atMs) => {
      events++;
      counting(data, event, atMs);
    };
    for (const read of r.reads) reader.push(read.data, read.atMs);
    reader.end(r.endAtMs);
    const s = reader.state;
    const completion = s.usage?.completionTokens ?? null;
    return {
      ...obs,
      streamed: true,
      events,
      outputChunks: s.outputChunks,
      doneSeen: s.done,
      text: s.text,
      reasoningText: s.reasoningText,
      toolCalls: s.toolCalls.map((t) => ({ name: t.name, arguments: t.arguments })),
      finishReason: s.finishReason,
      usage: s.usage ? { promptTokens: s.usage.promptTokens, completionTokens: s.usage.completionTokens } : null,
      outputTokens: completion ?? s.outputChunks,
      firstOutputAtMs: s.firstTokenAtMs,
      error: s.error ? `${s.error.errorClass}: ${s.error.message}` : null,
    };
  }

  // A JSON (non-streamed) response.
  let j: NonStreamBody;
  try {
    j = JSON.parse(text) as NonStreamBody;
  } catch {
    return { ...obs, error: `response is neither SSE nor JSON: ${text.slice(0, 120)}` };
  }
  const choice = j.choices?.[0];
  const msg = choice?.message;
  const calls = (msg?.tool_calls ?? []).map((t) => ({ name: String(t.function?.name ?? ''), arguments: String(t.function?.arguments ?? '') }));
  const content = typeof msg?.content === 'string' ? msg.content : typeof choice?.text === 'string' ? choice.text : '';
  const reasoning = typeof msg?.reasoning_content === 'string' ? msg.reasoning_content : typeof msg?.reasoning === 'string' ? msg.reasoning : '';
  const usage = j.usage
    ? { promptTokens: numOrNull(j.usage.prompt_tokens), completionTokens: numOrNull(j.usage.completion_tokens) }
    : null;
  return {
    ...obs,
    text: content,
    reasoningText: reasoning,
    toolCalls: calls,
    finishReason: choice?.finish_reason ?? null,
    usage,
    outputTokens: usage?.completionTokens ?? (content.length > 0 || calls.length > 0 ? 1 : 0),
    firstOutputAtMs: r.reads[0]?.atMs ?? null,
  };
}

interface NonStreamBody {
  choices?: {
    text?: unknown;
    finish_reason?: string | null;
    message?: {
      content?: unknown;
      reasoning_content?: unknown;
      reasoning?: unknown;
      tool_calls?: { function?: { name?: unknown; arguments?: unknown } }[];
    };
  }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function countReplacement(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\ufffd'); i >= 0; i = s.indexOf('\ufffd', i + 1)) n++;
  return n;
}

function countReplacementBytes(b: Buffer): number {
  let n = 0;
  const needle = Buffer.from([0xef, 0xbf, 0xbd]);
  for (let i = b.indexOf(needle); i >= 0; i = b.indexOf(needle, i + 1)) n++;
  return n;
}

/** The JSON body of any result, for error-shape checks. */
export function resultText(r: HttpResult): string {
  return bodyText(r);
}
