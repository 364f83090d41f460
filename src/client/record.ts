// The per-request record: one plain object per request, the only thing the client hands downstream.
// Every metric, histogram and report is computed from these (see docs/metrics.md for definitions).

/** Error classes a user can count. A failed request is data, never an exception. */
export const ERROR_CLASSES = [
  'connect', // connection refused or unreachable
  'dns', // host name did not resolve
  'tls', // TLS handshake or certificate failure
  'reset', // connection reset or closed before response headers
  'http_4xx',
  'http_429',
  'http_5xx',
  'timeout_ttfb', // no response byte within the time-to-first-byte limit
  'timeout_idle', // no byte between two chunks within the idle limit
  'timeout_total', // the whole request exceeded its total limit
  'stream_error', // an error object (`event: error`, an `error:` field) arrived inside an HTTP 200 stream, or it ended without a finish_reason
  'stream_truncated', // the stream ended before [DONE] or a finish_reason
  'malformed', // a chunk that is not valid JSON, an event over the size limit, or a 200 answer that is not an event stream
  'cancelled', // aborted by the user (Ctrl-C) after the drain period
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** `too_large`: the answer outgrew the per-request cap (--max-answer-bytes); only its start was kept. */
export const VALIDITY_OUTCOMES = ['valid', 'not_json', 'schema_invalid', 'truncated', 'too_large'] as const;
export type Validity = (typeof VALIDITY_OUTCOMES)[number];

export interface ToolCallRecord {
  name: string;
  arguments: string;
}

/**
 * Times are milliseconds. `…AtMs` are monotonic, relative to the run start; the others are durations.
 * Durations are measured from the actual send (`sentAtMs`) unless named otherwise; add `queueMs`
 * to get the schedule-relative value (no coordinated omission).
 * Absent values are `null`. The field set is a public contract (records.jsonl): do not rename.
 */
export interface RequestRecord {
  phase: string;
  class: string;
  scheduledAtMs: number;
  sentAtMs: number;
  /**
   * sentAtMs − scheduledAtMs: time waiting for a concurrency slot, the event loop or a new connection
   * (sentAtMs is when the request was written on a connected socket).
   */
  queueMs: number;
  /** Send → first chunk carrying generated answer output (content, text or tool-call arguments). */
  ttftMs: number | null;
  /** Send → first SSE data chunk of any kind (role-only, reasoning, usage). */
  firstChunkMs: number | null;
  /** (e2eMs − time to the first generated token of any kind) / (outputTokens − 1). */
  tpotMs: number | null;
  /** Send → end of the response (the [DONE] event, or the last byte). */
  e2eMs: number | null;
  promptTokens: number | null;
  outputTokens: number | null;
  /** `chunks` also when the server's usage was invalid (see usageInvalid). */
  outputTokensSource: 'usage' | 'chunks' | null;
  /** The server's usage held a count that is not a non-negative integer below a sane bound: ignored (absent otherwise). */
  usageInvalid?: true;
  /** The server's completion_tokens and the streamed output chunks differ by more than a factor of 2 (absent otherwise). */
  usageMismatch?: true;
  /** Which kind of stream_error, where it has one: `no_finish_reason`, `error_field` (absent otherwise). */
  errorDetail?: 'no_finish_reason' | 'error_field';
  /** SSE data chunks that carried generated output. */
  chunks: number;
  finishReason: string | null;
  status: 'ok' | 'error';
  errorClass: ErrorClass | null;
  httpStatus: number | null;
  validity: Validity | null;
  toolCalls: ToolCallRecord[] | null;
  /** Multi-turn and round-trip classes only: which conversation of the phase (the index of the arrival that started it). */
  conversation?: number;
  /** Multi-turn and round-trip classes only: the 1-based user turn of the conversation this request belongs to. */
  turn?: number;
  /** Multi-turn and round-trip classes only: true when this request sent back tool results. */
  toolFollowUp?: boolean;
  /** UTF-8 bytes of the request body sent (the upload; images make it large). Absent in older records. */
  requestBytes?: number;
  /** Image classes only: images in the request and their encoded bytes (before base64). */
  images?: number;
  imageBytes?: number;
  /** Prompt tokens the class meant to share with other requests (0 in a cold phase); absent when it shares none. */
  sharedTokens?: number;
  /** usage.prompt_tokens_details.cached_tokens, when the server sent it. */
  cachedTokens?: number;
  /** Reasoning tokens: usage.completion_tokens_details.reasoning_tokens, else reasoning chunks counted (see the source). Absent without reasoning. */
  reasoningTokens?: number;
  reasoningTokensSource?: 'usage' | 'chunks';
  /** Reasoning requests: (e2e − TTFT) / (answer tokens − 1), the answer's own pace, thinking excluded; null with fewer than 2 answer tokens. */
  answerTpotMs?: number | null;
}
