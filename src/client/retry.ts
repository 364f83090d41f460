// Retries (off by default: a load test must see failures). A policy says which HTTP statuses are
// retried and how often; the backoff is a pure function of the attempt, the server's Retry-After
// and a random draw. RetryingSender wraps the client for the driver: the record it hands on
// describes the final attempt, and the statuses of the attempts it retried travel beside it
// (`RequestOutcome.retries`) so the result counts them apart and they never hide an error.
import type { RequestInput, RequestOutcome } from './openai.js';

export interface RetryPolicy {
  /** HTTP statuses worth retrying (e.g. 429, 503). */
  statuses: ReadonlySet<number>;
  /** Retries after the first attempt (0 = never retry). */
  maxRetries: number;
  /** Backoff before retry 1; doubles per retry. */
  baseMs: number;
  /** Cap on one backoff (the server's Retry-After is capped by it too, so a run cannot hang on a bogus header). */
  maxMs: number;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'statuses'> = { maxRetries: 3, baseMs: 500, maxMs: 30_000 };

/**
 * Delay before retry number `retry` (1-based): the server's Retry-After when it sent one (it knows
 * best), else full-jitter exponential backoff `rand × base × 2^(retry−1)`; both capped at maxMs.
 * `rand` is a draw in [0, 1) (injected: the core never calls Math.random itself).
 */
export function backoffMs(policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, retry: number, retryAfterMs: number | null, rand: number): number {
  if (retryAfterMs !== null && retryAfterMs >= 0) return Math.min(retryAfterMs, policy.maxMs);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(rand * ceiling);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date (relative to `nowEpochMs`); null when absent or unreadable. */
export function parseRetryAfterMs(value: string | string[] | undefined, nowEpochMs: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const at = Date.parse(t);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowEpochMs);
}

/** `--retry 429,503` → a set of statuses; throws a message naming the bad item. */
export function parseRetryStatuses(spec: string): Set<number> {
  const out = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const n = Number(part);
    if (!Number.isInteger(n) || n < 400 || n > 599) throw new Error(`"${part}" is not an HTTP error status (400–599)`);
    out.add(n);
  }
  if (out.size === 0) throw new Error('no status given; write e.g. 429,503');
  return out;
}

export function shouldRetry(policy: RetryPolicy, outcome: RequestOutcome, retriesSoFar: number): boolean {
  const r = outcome.record;
  return r.status === 'error' && r.httpStatus !== null && policy.statuses.has(r.httpStatus) && retriesSoFar < policy.maxRetries;
}

/** What RetryingSender needs from the client underneath. */
export interface BaseSender {
  send(input: RequestInput): Promise<RequestOutcome>;
  abortAll(): void;
  readonly inFlightCount: number;
}

/**
 * Sends through `inner`, retrying per the policy. A request waiting out its backoff is still in
 * flight (it counts, and `abortAll` ends the wait at once, returning the last attempt's outcome).
 * The final record keeps the request's intended send time, so its `queueMs` and schedule-relative
 * latencies include the time lost to earlier attempts: retries cost what they cost.
 */
export class RetryingSender {
  private logical = 0;
  private readonly waits = new Set<() => void>();
  private aborted = false;

  constructor(
    private readonly inner: BaseSender,
    private readonly policy: RetryPolicy,
    private readonly rand: () => number,
  ) {}

  get inFlightCount(): number {
    return this.logical;
  }

  async send(input: RequestInput): Promise<RequestOutcome> {
    this.logical++;
    try {
      const retried: number[] = [];
      let outcome = await this.inner.send(input);
      while (!this.aborted && shouldRetry(this.policy, outcome, retried.length)) {
        await this.sleep(backoffMs(this.policy, retried.length + 1, outcome.retryAfterMs ?? null, this.rand()));
        // Cancelled while waiting: the attempt in hand is the final one (it is on the record, so not a retry).
        if (this.aborted) break;
        retried.push(outcome.record.httpStatus as number);
        outcome = await this.inner.send(input);
      }
      return retried.length > 0 ? { ...outcome, retries: retried } : outcome;
    } finally {
      this.logical--;
    }
  }

  abortAll(): void {
    this.aborted = true;
    for (const wake of [...this.waits]) wake();
    this.inner.abortAll();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.waits.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.waits.add(wake);
    });
  }
}
