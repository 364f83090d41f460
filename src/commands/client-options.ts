// The client options every measuring command takes (run, sweep): TLS verification, retries, the SSE
// event and kept-answer limits. Checked before anything is sent, and turned into one client the same
// way for each command, so a flag `run` honours is never silently missing from `sweep`.
import { OpenAIClient, type ClientTimeouts } from '../client/openai.js';
import { DEFAULT_RETRY, RetryingSender, parseRetryStatuses, type RetryPolicy } from '../client/retry.js';
import { DEFAULT_MAX_EVENT_BYTES } from '../client/sse.js';
import { readFile } from 'node:fs/promises';
import { usageError } from '../util/errors.js';
import { rngFor } from '../util/rng.js';

export interface ClientFlags {
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** Comma-separated HTTP statuses to retry, e.g. "429,503" (retries are off without it). */
  retry?: string;
  maxRetries?: number;
  /** Largest SSE event accepted (bytes); larger ones are `malformed`. */
  maxEventBytes?: number;
  /** Most answer bytes kept per request (default 1 MiB); a longer answer is judged `too_large`. */
  maxAnswerBytes?: number;
}

/** Validates the flags (exit 4 naming the flag); returns the retry policy, null when retries are off. */
export function checkClientFlags(opts: ClientFlags): RetryPolicy | null {
  if (opts.maxEventBytes !== undefined && (!Number.isInteger(opts.maxEventBytes) || opts.maxEventBytes < 1)) {
    throw usageError(`--max-event-bytes: expected a positive integer, got ${opts.maxEventBytes}`);
  }
  if (opts.maxAnswerBytes !== undefined && (!Number.isInteger(opts.maxAnswerBytes) || opts.maxAnswerBytes < 1)) {
    throw usageError(`--max-answer-bytes: expected a positive integer (bytes of answer kept per request), got ${opts.maxAnswerBytes}`);
  }
  if (opts.retry === undefined) {
    if (opts.maxRetries !== undefined) throw usageError('--max-retries needs --retry STATUSES (e.g. --retry 429,503): retries are off by default');
    return null;
  }
  let statuses: Set<number>;
  try {
    statuses = parseRetryStatuses(opts.retry);
  } catch (err) {
    throw usageError(`--retry: ${(err as Error).message}`);
  }
  const maxRetries = opts.maxRetries ?? DEFAULT_RETRY.maxRetries;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw usageError(`--max-retries: expected a non-negative integer, got ${opts.maxRetries}`);
  return { ...DEFAULT_RETRY, statuses, maxRetries };
}

/**
 * The client a command measures with: the OpenAI client (close it when done) and what sends through it
 * (the client itself, or a RetryingSender around it with --retry; retries draw jitter from `seed`).
 */
export function openClient(
  flags: ClientFlags,
  target: { baseUrl: string; headers: Record<string, string>; timeouts: Partial<ClientTimeouts> },
  now: () => number,
  seed: number,
): { client: OpenAIClient; sender: OpenAIClient | RetryingSender } {
  const retry = checkClientFlags(flags);
  // Said even with --quiet: a run without certificate checks must never pass unnoticed.
  if (flags.insecure) process.stderr.write('loadshape: warning: --insecure: TLS certificates are not verified\n');
  const client = new OpenAIClient(
    { ...target, insecure: flags.insecure, maxEventBytes: flags.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES, maxAnswerBytes: flags.maxAnswerBytes },
    now,
  );
  return { client, sender: retry ? new RetryingSender(client, retry, rngFor(seed, 0x7e77)) : client };
}

/** --header, --api-key-env and --api-key-file → request headers (keys never come from argv). */
export async function buildHeaders(opts: { header: string[]; apiKeyEnv?: string; apiKeyFile?: string }): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const h of opts.header) {
    const i = h.indexOf(':');
    if (i <= 0) throw usageError(`--header: expected 'Name: value', got '${h.slice(0, 40)}'`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  if (opts.apiKeyEnv && opts.apiKeyFile) throw usageError('give --api-key-env or --api-key-file, not both');
  if (opts.apiKeyEnv) {
    const key = process.env[opts.apiKeyEnv];
    if (!key) throw usageError(`--api-key-env: environment variable ${opts.apiKeyEnv} is not set or empty`);
    headers.authorization = `Bearer ${key}`;
  }
  if (opts.apiKeyFile) {
    let text: string;
    try {
      text = await readFile(opts.apiKeyFile, 'utf8');
    } catch (err) {
      throw usageError(`--api-key-file: cannot read ${opts.apiKeyFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const key = text.split(/\r?\n/)[0].trim();
    if (!key) throw usageError(`--api-key-file: ${opts.apiKeyFile} is empty; put the key on its first line`);
    headers.authorization = `Bearer ${key}`;
  }
  return headers;
}
